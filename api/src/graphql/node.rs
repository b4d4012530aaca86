//! Global object identification: opaque ids, the `Node` interface, `node(id:)` and `nodes(ids:)`.

use async_graphql::{Context, ID, Interface, Object};
use entity::{
    audit_event, boundary_case, boundary_matter, department, division, duty, legal_basis,
    list_version, public_service, regime_item, regime_section, responsibility_list,
    supervision_regime, work_item,
};
use sea_orm::EntityTrait;

use super::audit::AuditEvent;
use super::boundary::{BoundaryMatter, Case, Division, LegalBasis};
use super::department::Department;
use super::duty::{Duty, WorkItem};
use super::regime::{RegimeItem, RegimeSection, SupervisionRegime};
use super::service::PublicService;
use super::supervision::types::{
    Accountability, Inspection, Rectification, ReviewRequest, SupervisionDocument,
};
use super::versions::{ListVersion, ResponsibilityList};
use crate::error::{ApiError, ApiResult};
use crate::ids;

/// The global id of a `type_name` row (see `ids`).
pub fn global_id(type_name: &str, id: i32) -> ID {
    ID(ids::encode(type_name, id))
}

/// Decodes a global id that must name a `type_name`; `field` names the argument at fault.
pub fn expect_id(id: &ID, type_name: &str, field: &str) -> ApiResult<i32> {
    ids::decode_as(id, type_name).ok_or_else(|| {
        ApiError::bad_input(field, format!("{:?} is not a {type_name} id", id.as_str()))
    })
}

/// As `expect_id`, for an id that may be left out.
pub fn optional_id(id: Option<&ID>, type_name: &str, field: &str) -> ApiResult<Option<i32>> {
    id.map(|id| expect_id(id, type_name, field)).transpose()
}

/// Node — 节点: any object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id — 全局标识."))]
pub enum Node {
    Department(Department),
    Duty(Duty),
    WorkItem(WorkItem),
    BoundaryMatter(BoundaryMatter),
    Division(Division),
    LegalBasis(LegalBasis),
    Case(Case),
    SupervisionRegime(SupervisionRegime),
    RegimeSection(RegimeSection),
    RegimeItem(RegimeItem),
    PublicService(PublicService),
    Inspection(Inspection),
    SupervisionDocument(SupervisionDocument),
    Rectification(Rectification),
    ReviewRequest(ReviewRequest),
    Accountability(Accountability),
    Misroute(super::misroute::Misroute),
    ResponsibilityList(ResponsibilityList),
    ListVersion(ListVersion),
    AuditEvent(AuditEvent),
}

async fn fetch(ctx: &Context<'_>, id: &ID) -> ApiResult<Option<Node>> {
    let db = super::db(ctx)?;
    let Some((type_name, row)) = ids::decode(id) else {
        return Ok(None);
    };
    macro_rules! find {
        ($entity:ident, $variant:ident) => {
            $entity::Entity::find_by_id(row)
                .one(db)
                .await?
                .map(|m| Node::$variant($variant(m)))
        };
    }
    // Rows of a draft are for the editors who change it (`versions::DraftReader`).
    let viewer = super::viewer(ctx)?;
    macro_rules! versioned {
        ($entity:ident, $variant:ident) => {
            match $entity::Entity::find_by_id(row).one(db).await? {
                Some(m) if crate::domain::versions::may_read(db, viewer, m.version_id).await? => {
                    Some(Node::$variant($variant(m)))
                }
                _ => None,
            }
        };
    }
    Ok(match type_name.as_str() {
        "Department" => find!(department, Department),
        "Duty" => versioned!(duty, Duty),
        "WorkItem" => versioned!(work_item, WorkItem),
        "BoundaryMatter" => versioned!(boundary_matter, BoundaryMatter),
        "Division" => versioned!(division, Division),
        "LegalBasis" => versioned!(legal_basis, LegalBasis),
        "Case" => versioned!(boundary_case, Case),
        "SupervisionRegime" => find!(supervision_regime, SupervisionRegime),
        "RegimeSection" => find!(regime_section, RegimeSection),
        "RegimeItem" => find!(regime_item, RegimeItem),
        "PublicService" => versioned!(public_service, PublicService),
        // Supervision results are not public: the same scope as the supervision queries.
        "Inspection"
        | "SupervisionDocument"
        | "Rectification"
        | "ReviewRequest"
        | "Accountability" => supervision_node(ctx, &type_name, row).await?,
        // Dispatchers' corrections: for dispatchers and administrators.
        "Misroute" => super::misroute::find(ctx, row).await?.map(Node::Misroute),
        "ResponsibilityList" => find!(responsibility_list, ResponsibilityList),
        // A draft for its editors only, as `ResponsibilityList.draft` answers it.
        "ListVersion" => match list_version::Entity::find_by_id(row).one(db).await? {
            Some(m) if super::versions::readable(ctx, &m).await? => {
                Some(Node::ListVersion(ListVersion(m)))
            }
            _ => None,
        },
        // The audit trail is the administrators', as `auditEvents` is.
        "AuditEvent" => {
            viewer.require_any(&[crate::auth::Role::Admin])?;
            find!(audit_event, AuditEvent)
        }
        _ => None,
    })
}

/// A supervision object, if the caller may read the inspection it belongs to
/// (`supervision::read::record` decides).
async fn supervision_node(ctx: &Context<'_>, type_name: &str, row: i32) -> ApiResult<Option<Node>> {
    use crate::domain::supervision::read::{Record, RecordKind, read_scope, record};
    let scope = read_scope(super::viewer(ctx)?)?;
    let kind = match type_name {
        "Inspection" => RecordKind::Inspection,
        "SupervisionDocument" => RecordKind::Document,
        "Rectification" => RecordKind::Rectification,
        "ReviewRequest" => RecordKind::Review,
        _ => RecordKind::Accountability,
    };
    Ok(record(super::db(ctx)?, scope, kind, row)
        .await?
        .map(|found| match found {
            Record::Inspection(m) => Node::Inspection(Inspection(m)),
            Record::Document(m) => Node::SupervisionDocument(SupervisionDocument(m)),
            Record::Rectification(m) => Node::Rectification(Rectification(m)),
            Record::Review(m) => Node::ReviewRequest(ReviewRequest(m)),
            Record::Accountability(m) => Node::Accountability(Accountability(m)),
        }))
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id — 按全局标识查询; null when nothing has that id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id — 全局标识")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        Ok(fetch(ctx, &id).await?)
    }

    /// Several objects by global id, in the order asked — 批量查询 (at most 100).
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Their global ids, at most 100 — 全局标识")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(ApiError::bad_input("ids", "at most 100 ids per request").into());
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in &ids {
            found.push(fetch(ctx, id).await?);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_id__names_the_field_at_fault() {
        let id = global_id("Department", 42);
        assert_eq!(expect_id(&id, "Department", "id").unwrap(), 42);
        let err = expect_id(&id, "Duty", "input.dutyId").unwrap_err();
        assert!(matches!(err, ApiError::BadUserInput { field, .. } if field == "input.dutyId"));
        assert!(expect_id(&ID("部门".into()), "Department", "id").is_err());
    }
}
