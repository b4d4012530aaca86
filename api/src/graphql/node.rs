//! Global object identification: opaque ids, the `Node` interface, `node(id:)` and `nodes(ids:)`.

use async_graphql::{Context, ID, Interface, Object};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::{
    accountability, boundary_case, boundary_matter, department, division, duty, inspection,
    legal_basis, public_service, rectification, regime_item, regime_section, review_request,
    supervision_document, supervision_regime, work_item,
};
use sea_orm::EntityTrait;

use super::boundary::{BoundaryMatter, Case, Division, LegalBasis};
use super::department::Department;
use super::duty::{Duty, WorkItem};
use super::regime::{RegimeItem, RegimeSection, SupervisionRegime};
use super::service::PublicService;
use super::supervision::types::{
    Accountability, Inspection, Rectification, ReviewRequest, SupervisionDocument,
};
use crate::error::{ApiError, ApiResult};

/// Encodes `Type:id` so clients treat ids as opaque and never build them by hand.
pub fn global_id(type_name: &str, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
}

/// Decodes a global id into its type name and row id.
pub fn decode(id: &ID) -> Option<(String, i32)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (type_name, row) = text.split_once(':')?;
    Some((type_name.to_owned(), row.parse().ok()?))
}

/// Decodes a global id that must name a `type_name`; `field` names the argument at fault.
pub fn expect_id(id: &ID, type_name: &str, field: &str) -> ApiResult<i32> {
    match decode(id) {
        Some((found, row)) if found == type_name => Ok(row),
        _ => Err(ApiError::bad_input(
            field,
            format!("{:?} is not a {type_name} id", id.as_str()),
        )),
    }
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
}

async fn fetch(ctx: &Context<'_>, id: &ID) -> ApiResult<Option<Node>> {
    let db = super::db(ctx)?;
    let Some((type_name, row)) = decode(id) else {
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
        _ => None,
    })
}

/// A supervision object, if the caller may read the inspection it belongs to.
async fn supervision_node(ctx: &Context<'_>, type_name: &str, row: i32) -> ApiResult<Option<Node>> {
    use crate::domain::supervision::read::{Scope, read_scope};
    let scope = read_scope(super::viewer(ctx)?)?;
    let db = super::db(ctx)?;
    let (node, inspection_id) = match type_name {
        "Inspection" => match inspection::Entity::find_by_id(row).one(db).await? {
            Some(m) => (Node::Inspection(Inspection(m)), row),
            None => return Ok(None),
        },
        "SupervisionDocument" => match supervision_document::Entity::find_by_id(row)
            .one(db)
            .await?
        {
            Some(m) => {
                let id = m.inspection_id;
                (Node::SupervisionDocument(SupervisionDocument(m)), id)
            }
            None => return Ok(None),
        },
        "Rectification" | "ReviewRequest" => {
            let (document_id, node) = if type_name == "Rectification" {
                match rectification::Entity::find_by_id(row).one(db).await? {
                    Some(m) => (m.document_id, Node::Rectification(Rectification(m))),
                    None => return Ok(None),
                }
            } else {
                match review_request::Entity::find_by_id(row).one(db).await? {
                    Some(m) => (m.document_id, Node::ReviewRequest(ReviewRequest(m))),
                    None => return Ok(None),
                }
            };
            match supervision_document::Entity::find_by_id(document_id)
                .one(db)
                .await?
            {
                Some(document) => (node, document.inspection_id),
                None => return Ok(None),
            }
        }
        _ => match accountability::Entity::find_by_id(row).one(db).await? {
            Some(m) => {
                let id = m.inspection_id;
                (Node::Accountability(Accountability(m)), id)
            }
            None => return Ok(None),
        },
    };
    if let Scope::Department(dept) = scope {
        let target = inspection::Entity::find_by_id(inspection_id)
            .one(db)
            .await?
            .map(|i| i.target_department_id);
        if target != Some(dept) {
            return Ok(None);
        }
    }
    Ok(Some(node))
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id — 按全局标识查询; null when nothing has that id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        Ok(fetch(ctx, &id).await?)
    }

    /// Several objects by global id, in the order asked — 批量查询 (at most 100).
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
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
    fn global_id__round_trips_and_rejects_garbage() {
        let id = global_id("Department", 42);
        assert_eq!(decode(&id), Some(("Department".into(), 42)));
        assert_eq!(expect_id(&id, "Department", "id").unwrap(), 42);
        assert!(expect_id(&id, "Duty", "id").is_err());
        assert_eq!(decode(&ID("部门".into())), None);
        assert_eq!(decode(&ID(URL_SAFE_NO_PAD.encode("Department:x"))), None);
    }
}
