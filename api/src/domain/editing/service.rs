//! Public services (公共服务事项): create, update (and move), remove.

use crate::db::Write;
use entity::public_service;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::{Edit, check_phone, commit, place, require_editor_of, resequence};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::versions::start_lineage;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a service; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct ServiceFields {
    pub name: Option<String>,
    pub content: Option<String>,
    pub unit_id: Option<i32>,
    pub phone: Option<String>,
    /// 1-based place among the list's services.
    pub position: Option<i32>,
}

fn snapshot(s: &public_service::Model) -> Value {
    json!({ "seq": s.seq, "name": s.name, "content": s.content, "unitId": s.unit_id,
            "phone": s.phone, "publishedPhone": s.published_phone })
}

fn check_fields(checks: &mut Checks, f: &ServiceFields) -> Option<String> {
    if let Some(name) = &f.name {
        checks.require_text("name", name, "the service name (服务事项)");
    }
    if let Some(content) = &f.content {
        checks.require_text("content", content, "the content (主要内容)");
    }
    f.phone.as_ref().map(|p| check_phone(checks, "phone", p))
}

/// Adds a service at `position` (default: last).
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    f: ServiceFields,
) -> Result<public_service::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let mut checks = Checks::default();
    for (field, value) in [
        ("name", &f.name),
        ("content", &f.content),
        ("phone", &f.phone),
    ] {
        if value.is_none() {
            checks.add(field, RuleCode::Required, format!("{field} is required"));
        }
    }
    let Some(unit) = f.unit_id else {
        checks.add("unitId", RuleCode::Required, "unitId is required");
        return Err(checks.finish().unwrap_err());
    };
    require_editor_of(&txn, viewer, unit).await?;
    let phone = check_fields(&mut checks, &f).unwrap_or_default();
    checks.finish()?;
    let (list_id, version) = super::draft_for(&txn, clock, unit, "unitId").await?;
    let order = siblings(&txn, version).await?;
    // Appended first, then placed: the unique index on (parent, seq) holds at every step.
    let last = order.len() as i32 + 1;
    let saved = public_service::ActiveModel {
        list_id: Set(list_id),
        version_id: Set(version),
        seq: Set(last),
        name: Set(f.name.unwrap_or_default()),
        content: Set(f.content.unwrap_or_default()),
        unit_id: Set(unit),
        phone: Set(phone),
        published_phone: Set(f.phone.unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    start_lineage(&txn, "public_service", saved.id).await?;
    place(&txn, "public_service", order, saved.id, f.position).await?;
    let saved = reload(&txn, saved.id).await?;
    commit(
        txn,
        clock,
        Edit::created(
            &actor,
            "createPublicService",
            "public_service",
            saved.id,
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves the service.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: ServiceFields,
) -> Result<public_service::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    require_editor_of(&txn, viewer, before.unit_id).await?;
    if let Some(unit) = f.unit_id {
        require_editor_of(&txn, viewer, unit).await?;
        if super::list_of(&txn, unit, "unitId").await? != before.list_id {
            return Err(Failure::rule(
                "unitId",
                RuleCode::UnitOutsideList,
                "the new unit belongs to another list",
            ));
        }
    }
    let mut checks = Checks::default();
    let phone = check_fields(&mut checks, &f);
    checks.finish()?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    let mut row: public_service::ActiveModel = before.clone().into();
    if let Some(name) = f.name {
        row.name = Set(name);
    }
    if let Some(content) = f.content {
        row.content = Set(content);
    }
    if let Some(unit) = f.unit_id {
        row.unit_id = Set(unit);
    }
    if let (Some(digits), Some(typed)) = (phone, f.phone) {
        row.phone = Set(digits);
        row.published_phone = Set(typed);
    }
    row.update(&txn).await?;
    if f.position.is_some() {
        let order = siblings(&txn, before.version_id).await?;
        place(&txn, "public_service", order, id, f.position).await?;
    }
    let saved = reload(&txn, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updatePublicService",
            "public_service",
            id,
            snapshot(&before),
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a service; those after it move up one.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<public_service::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    require_editor_of(&txn, viewer, before.unit_id).await?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    public_service::Entity::delete_by_id(id).exec(&txn).await?;
    let order = siblings(&txn, before.version_id).await?;
    resequence(&txn, "public_service", &order).await?;
    commit(
        txn,
        clock,
        Edit::removed(
            &actor,
            "removePublicService",
            "public_service",
            id,
            snapshot(&before),
        ),
    )
    .await?;
    Ok(before)
}

async fn find(db: &impl ConnectionTrait, id: i32) -> Result<public_service::Model, Failure> {
    super::find::<public_service::Entity>(db, id, RuleCode::ServiceUnknown, "public service").await
}

async fn in_draft(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    id: i32,
) -> Result<public_service::Model, Failure> {
    super::in_draft::<public_service::Entity>(
        txn,
        clock,
        "id",
        id,
        RuleCode::ServiceUnknown,
        "public service",
    )
    .await
}

async fn reload(txn: &impl ConnectionTrait, id: i32) -> Result<public_service::Model, Failure> {
    super::reload::<public_service::Entity>(txn, id).await
}

/// The services of a version of the list, in published order.
async fn siblings(txn: &impl ConnectionTrait, version: i32) -> Result<Vec<i32>, Failure> {
    use public_service::Column;
    super::ordered::<public_service::Entity>(
        txn,
        Column::Id,
        Column::VersionId,
        version,
        Column::Seq,
    )
    .await
}
