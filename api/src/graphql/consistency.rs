//! The consistency report (清单问题) for editors.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use super::node::global_id;
use super::scalars::Date;
use super::{db, viewer};
use crate::auth::Role;
use crate::domain::consistency::{self, IssueKind};
use crate::error::ApiResult;

/// Kind of list issue — 问题类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListIssueKind {
    /// 无牵头部门: a matter not marked disputed has no LEAD division.
    MatterWithoutLead,
    /// 多个牵头部门: a matter not marked disputed has several LEAD divisions.
    MatterWithSeveralLeads,
    /// 依据未被引用: a legal basis is printed on no division's row.
    LegalBasisCitedNowhere,
    /// 事项重复: one work item text under duties of different departments.
    DuplicateWorkItem,
    /// 承办机构不在本部门: a service's unit is not the list's department or one of its units.
    ServiceUnitOutsideList,
    /// 电话共用: one phone number published for services of different units.
    PhoneSharedByUnits,
    /// 清单主体已撤销: the list's department was merged or dissolved; republish it under the
    /// successor.
    ListOwnerDissolved,
    /// 承办机构已撤销: a service's unit was merged or dissolved.
    ServiceUnitDissolved,
}

impl From<IssueKind> for ListIssueKind {
    fn from(kind: IssueKind) -> Self {
        match kind {
            IssueKind::MatterWithoutLead => Self::MatterWithoutLead,
            IssueKind::MatterWithSeveralLeads => Self::MatterWithSeveralLeads,
            IssueKind::LegalBasisCitedNowhere => Self::LegalBasisCitedNowhere,
            IssueKind::DuplicateWorkItem => Self::DuplicateWorkItem,
            IssueKind::ServiceUnitOutsideList => Self::ServiceUnitOutsideList,
            IssueKind::PhoneSharedByUnits => Self::PhoneSharedByUnits,
            IssueKind::ListOwnerDissolved => Self::ListOwnerDissolved,
            IssueKind::ServiceUnitDissolved => Self::ServiceUnitDissolved,
        }
    }
}

/// List issue — 清单问题: something an editor fixes before publishing.
#[derive(SimpleObject)]
pub struct ListIssue {
    /// Kind — 问题类别.
    kind: ListIssueKind,
    /// What is wrong, naming the rows in the list's own words — 说明.
    message: String,
    /// Global ids of the rows involved (resolve them with `node`) — 相关条目.
    row_ids: Vec<ID>,
}

#[derive(Default)]
pub struct ConsistencyQuery;

#[Object]
impl ConsistencyQuery {
    /// The consistency report (EDITOR, ADMIN) — 清单问题: matters with no lead or several,
    /// legal bases cited nowhere, work items duplicated across departments, services of units outside the list or
    /// reorganised away, phones shared by units, lists whose department was reorganised away.
    /// Empty when the list is consistent. Checks each list's draft, or the version in force
    /// when it has none — what would be published; with `asOf`, the versions in force that day.
    async fn list_issues(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Check the list versions in force on this day instead of the drafts — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> ApiResult<Vec<ListIssue>> {
        let viewer = viewer(ctx)?;
        viewer.require_any(&[Role::Editor, Role::Admin])?;
        let today = super::day(ctx, None)?;
        let reader = crate::domain::versions::DraftReader::of(db(ctx)?, viewer).await?;
        Ok(
            consistency::report(db(ctx)?, &reader, as_of.map(|d| d.0), today)
                .await?
                .into_iter()
                .map(|issue| ListIssue {
                    kind: issue.kind.into(),
                    message: issue.message,
                    row_ids: issue
                        .rows
                        .iter()
                        .map(|row| global_id(row.kind, row.id))
                        .collect(),
                })
                .collect(),
        )
    }
}
