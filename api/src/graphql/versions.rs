//! List versions (清单版本): the drafts editors change, the versions they publish, and what
//! changed between two of them. Drafts are read by EDITOR and ADMIN only.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::{boundary_matter, duty, list_version, public_service, responsibility_list};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::boundary::BoundaryMatter;
use super::department::Department;
use super::duty::Duty;
use super::kinds::ReasonKind;
use super::loaders::DepartmentById;
use super::node::{expect_id, global_id};
use super::scalars::{Date, DateTime, Json};
use super::service::PublicService;
use super::text::{Long, Text, Texts};
use super::user_error::{UserError, settle};
use super::write;
use super::{clock, db, one, viewer, writer};
use crate::auth::Role;
use crate::domain::{kinds, versions};
use crate::error::ApiResult;

/// Who may read which drafts (see `versions::DraftReader`).
async fn draft_reader(ctx: &Context<'_>) -> ApiResult<versions::DraftReader> {
    Ok(versions::DraftReader::of(db(ctx)?, viewer(ctx)?).await?)
}

/// Whether the caller reads `version`: published, or a draft it may read.
pub(crate) async fn readable(ctx: &Context<'_>, version: &list_version::Model) -> ApiResult<bool> {
    Ok(!versions::is_draft(version) || draft_reader(ctx).await?.reads(version))
}

/// A version's rows are readable: published, or a draft the caller reads.
async fn require_readable(ctx: &Context<'_>, version: &list_version::Model) -> ApiResult<()> {
    if !readable(ctx, version).await? {
        viewer(ctx)?.require_any(&[Role::Editor])?;
        return Err(crate::error::ApiError::Forbidden {
            reason: "an editor reads the drafts of their own department's lists only".into(),
        });
    }
    Ok(())
}

/// Version status — 版本状态.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListVersionStatus {
    /// 草稿: being edited, seen by editors only.
    Draft,
    /// 已发布: frozen; in force from its effective date until the next version's.
    Published,
}

/// ResponsibilityList — 责任清单: one department's list, in all its versions.
pub struct ResponsibilityList(pub responsibility_list::Model);

/// ResponsibilityList — 责任清单: one department's list, in all its versions.
#[Object]
impl ResponsibilityList {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("ResponsibilityList", self.0.id)
    }

    /// 清单名称.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The department whose list it is — 责任主体.
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        Ok(Department(
            one(
                ctx,
                DepartmentById(self.0.owner_department_id),
                "Department",
            )
            .await?,
        ))
    }

    /// The version in force on `asOf` (default today) — 现行版本; null before the first.
    async fn in_force(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day (default today) — 查询日期")] as_of: Option<Date>,
    ) -> ApiResult<Option<ListVersion>> {
        let ids = super::in_force(ctx, as_of).await?;
        Ok(list_version::Entity::find()
            .filter(list_version::Column::ListId.eq(self.0.id))
            .filter(list_version::Column::Id.is_in(ids))
            .one(db(ctx)?)
            .await?
            .map(ListVersion))
    }

    /// The draft being edited — 草稿; null when none is open, or for callers other than
    /// EDITOR and ADMIN.
    async fn draft(&self, ctx: &Context<'_>) -> ApiResult<Option<ListVersion>> {
        let reader = draft_reader(ctx).await?;
        Ok(versions::draft(db(ctx)?, self.0.id)
            .await?
            .filter(|draft| reader.reads(draft))
            .map(ListVersion))
    }

    /// Its versions, newest first — 版本历史; the draft only for editors.
    async fn versions(&self, ctx: &Context<'_>) -> ApiResult<Vec<ListVersion>> {
        visible_versions(ctx, Some(self.0.id)).await
    }
}

async fn visible_versions(ctx: &Context<'_>, list_id: Option<i32>) -> ApiResult<Vec<ListVersion>> {
    let reader = draft_reader(ctx).await?;
    Ok(versions::all(db(ctx)?, list_id)
        .await?
        .into_iter()
        .filter(|v| reader.reads(v))
        .map(ListVersion)
        .collect())
}

/// ListVersion — 清单版本: an edition of a list, with its rows.
pub struct ListVersion(pub list_version::Model);

/// ListVersion — 清单版本: an edition of a list, with its rows.
#[Object]
impl ListVersion {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("ListVersion", self.0.id)
    }

    /// 版本号: 1, 2, 3… in order of publication; null for the draft.
    async fn number(&self) -> Option<i32> {
        self.0.number
    }

    /// 版本状态.
    async fn status(&self) -> ListVersionStatus {
        if versions::is_draft(&self.0) {
            ListVersionStatus::Draft
        } else {
            ListVersionStatus::Published
        }
    }

    /// 施行日期: in force from this day; null for a version loaded without a recorded date,
    /// which is in force until the next one.
    async fn effective_from(&self) -> Option<Date> {
        self.0.effective_from.map(Date)
    }

    /// 调整原因.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// 调整原因类别.
    async fn reason_kind(&self) -> Option<ReasonKind> {
        self.0
            .reason_kind
            .as_deref()
            .and_then(kinds::ReasonKind::parse)
            .map(Into::into)
    }

    /// 发布时间.
    async fn published_at(&self) -> Option<DateTime> {
        self.0.published_at.map(DateTime)
    }

    /// The version it was copied from — 上一版本.
    async fn based_on(&self, ctx: &Context<'_>) -> ApiResult<Option<ListVersion>> {
        let Some(id) = self.0.based_on_id else {
            return Ok(None);
        };
        Ok(list_version::Entity::find_by_id(id)
            .one(db(ctx)?)
            .await?
            .map(ListVersion))
    }

    /// Its main duties — 主要职责, in published order.
    async fn duties(&self, ctx: &Context<'_>) -> ApiResult<Vec<Duty>> {
        require_readable(ctx, &self.0).await?;
        Ok(duty::Entity::find()
            .filter(duty::Column::VersionId.eq(self.0.id))
            .order_by_asc(duty::Column::DepartmentId)
            .order_by_asc(duty::Column::Seq)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(Duty)
            .collect())
    }

    /// Its boundary matters — 职责边界, in published order.
    async fn boundary_matters(&self, ctx: &Context<'_>) -> ApiResult<Vec<BoundaryMatter>> {
        require_readable(ctx, &self.0).await?;
        Ok(boundary_matter::Entity::find()
            .filter(boundary_matter::Column::VersionId.eq(self.0.id))
            .order_by_asc(boundary_matter::Column::Seq)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(BoundaryMatter)
            .collect())
    }

    /// Its public services — 公共服务事项, in published order.
    async fn public_services(&self, ctx: &Context<'_>) -> ApiResult<Vec<PublicService>> {
        require_readable(ctx, &self.0).await?;
        Ok(public_service::Entity::find()
            .filter(public_service::Column::VersionId.eq(self.0.id))
            .order_by_asc(public_service::Column::Seq)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(PublicService)
            .collect())
    }
}

/// What happened to a row between two versions — 变更类型.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowChangeKind {
    /// 新增.
    Added,
    /// 删除.
    Removed,
    /// 修改.
    Changed,
}

/// One row that differs between two versions — 变更条目.
#[derive(SimpleObject)]
pub struct ListRowChange {
    /// The kind of row: DUTY, WORK_ITEM, BOUNDARY_MATTER, DIVISION, LEGAL_BASIS, CASE or
    /// PUBLIC_SERVICE — 条目类别.
    row_kind: String,
    /// The row's identity across versions: the same in both — 条目标识.
    lineage: i32,
    /// Added, removed or changed — 变更类型.
    change: RowChangeKind,
    /// Its columns in the older version (null when added). References to other rows are
    /// their lineage; departments are named — 变更前.
    before: Option<Json>,
    /// Its columns in the newer version (null when removed) — 变更后.
    after: Option<Json>,
    /// The columns whose values differ, for a change — 变更字段.
    fields: Vec<String>,
}

fn row_kind(table: &str) -> String {
    match table {
        "boundary_case" => "CASE".to_owned(),
        other => other.to_uppercase(),
    }
}

#[derive(Default)]
pub struct VersionQuery;

#[Object]
impl VersionQuery {
    /// The responsibility lists — 责任清单, each with its versions.
    async fn responsibility_lists(&self, ctx: &Context<'_>) -> ApiResult<Vec<ResponsibilityList>> {
        Ok(responsibility_list::Entity::find()
            .order_by_asc(responsibility_list::Column::Id)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(ResponsibilityList)
            .collect())
    }

    /// Versions of every list, or of one, newest first — 版本历史; drafts only for editors.
    async fn list_versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this list's versions — 清单")] list_id: Option<ID>,
    ) -> ApiResult<Vec<ListVersion>> {
        let list = match &list_id {
            Some(id) => Some(expect_id(id, "ResponsibilityList", "listId")?),
            None => None,
        };
        visible_versions(ctx, list).await
    }

    /// What changed from one version of a list to another, row by row — 版本对比.
    async fn list_version_diff(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The older version — 原版本")] from: ID,
        #[graphql(desc = "The newer version — 新版本")] to: ID,
    ) -> ApiResult<Vec<ListRowChange>> {
        let conn = db(ctx)?;
        let from = expect_id(&from, "ListVersion", "from")?;
        let to = expect_id(&to, "ListVersion", "to")?;
        let (older, newer) = versions::pair(conn, from, to).await?;
        require_readable(ctx, &older).await?;
        require_readable(ctx, &newer).await?;
        Ok(versions::diff(conn, older.id, newer.id)
            .await?
            .into_iter()
            .map(|c| ListRowChange {
                row_kind: row_kind(c.table),
                lineage: c.lineage,
                change: match c.change {
                    versions::Change::Added => RowChangeKind::Added,
                    versions::Change::Removed => RowChangeKind::Removed,
                    versions::Change::Changed => RowChangeKind::Changed,
                },
                before: c.before.map(Json),
                after: c.after.map(Json),
                fields: c.fields,
            })
            .collect())
    }
}

/// Input of publishListVersion — 发布清单版本.
#[derive(InputObject)]
pub struct PublishListVersionInput {
    /// The list whose draft is published — 清单.
    list_id: ID,
    /// 施行日期: not before the effective date of the version it follows.
    effective_from: Date,
    /// 调整原因, e.g. the law or the reorganisation that required it.
    reason: Text<Long>,
    /// 调整原因类别.
    reason_kind: ReasonKind,
}

/// Input of discardListDraft — 放弃草稿.
#[derive(InputObject)]
pub struct DiscardListDraftInput {
    /// 清单.
    list_id: ID,
}

/// Result of publishing or discarding — 版本操作结果.
#[derive(SimpleObject)]
pub struct ListVersionPayload {
    /// The version published, or the draft discarded — 清单版本.
    list_version: Option<ListVersion>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct VersionMutation;

#[Object]
impl VersionMutation {
    /// Publish the list's draft as its next version (EDITOR of the list's department, ADMIN)
    /// — 发布清单版本. Readers see it from `effectiveFrom`; until then, and for `asOf` days
    /// before it, the version it follows.
    async fn publish_list_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: PublishListVersionInput,
    ) -> ApiResult<ListVersionPayload> {
        let mut texts = Texts::default();
        let publication = versions::Publication {
            list_id: expect_id(&input.list_id, "ResponsibilityList", "listId")?,
            effective_from: input.effective_from.0,
            reason: texts.take("reason", input.reason),
            reason_kind: input.reason_kind.into(),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                versions::publish(write, viewer, clock, publication)
            })
            .await;
        payload(result)
    }

    /// Drop the list's draft and every edit in it — 放弃草稿.
    async fn discard_list_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: DiscardListDraftInput,
    ) -> ApiResult<ListVersionPayload> {
        let list = expect_id(&input.list_id, "ResponsibilityList", "listId")?;
        let result =
            versions::discard(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), list).await;
        payload(result)
    }
}

fn payload(
    result: Result<list_version::Model, crate::domain::Failure>,
) -> ApiResult<ListVersionPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(ListVersionPayload {
        list_version: saved.map(ListVersion),
        user_errors,
    })
}
