//! Work items (具体工作事项) of a duty: create, update (and move), remove.

use crate::db::Write;
use entity::{duty, work_item};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::{Edit, commit, place, require_editor_of, resequence};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::versions::start_lineage;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a work item; `None` leaves a field as it is (on update). A remark
/// of `Some("")` clears it.
#[derive(Clone, Debug, Default)]
pub struct WorkItemFields {
    pub text: Option<String>,
    pub remark: Option<String>,
    /// 1-based place among the duty's work items.
    pub position: Option<i32>,
}

fn snapshot(w: &work_item::Model) -> Value {
    json!({ "dutyId": w.duty_id, "seq": w.seq, "text": w.text, "remark": w.remark })
}

fn remark(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Adds a work item to duty `duty_id` at `position` (default: last).
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    duty_id: i32,
    f: WorkItemFields,
) -> Result<work_item::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let duty = find_duty(&txn, duty_id).await?;
    require_editor_of(&txn, viewer, duty.department_id).await?;
    let mut checks = Checks::default();
    checks.require_text(
        "text",
        f.text.as_deref().unwrap_or(""),
        "the work item (具体工作事项)",
    );
    checks.finish()?;
    let duty = super::in_draft::<duty::Entity>(
        &txn,
        clock,
        "dutyId",
        duty.id,
        RuleCode::DutyUnknown,
        "duty",
    )
    .await?;
    let duty_id = duty.id;
    let order = siblings(&txn, duty_id).await?;
    // Appended first, then placed: the unique index on (parent, seq) holds at every step.
    let last = order.len() as i32 + 1;
    let saved = work_item::ActiveModel {
        duty_id: Set(duty_id),
        version_id: Set(duty.version_id),
        seq: Set(last),
        text: Set(f.text.unwrap_or_default()),
        remark: Set(f.remark.and_then(remark)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    start_lineage(&txn, "work_item", saved.id).await?;
    place(&txn, "work_item", order, saved.id, f.position).await?;
    let saved = reload(&txn, saved.id).await?;
    commit(
        txn,
        clock,
        Edit::created(
            &actor,
            "createWorkItem",
            "work_item",
            saved.id,
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves the item within its duty.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: WorkItemFields,
) -> Result<work_item::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    let duty = find_duty(&txn, before.duty_id).await?;
    require_editor_of(&txn, viewer, duty.department_id).await?;
    let mut checks = Checks::default();
    if let Some(text) = &f.text {
        checks.require_text("text", text, "the work item (具体工作事项)");
    }
    checks.finish()?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    let mut row: work_item::ActiveModel = before.clone().into();
    if let Some(text) = f.text {
        row.text = Set(text);
    }
    if let Some(value) = f.remark {
        row.remark = Set(remark(value));
    }
    row.update(&txn).await?;
    if f.position.is_some() {
        let order = siblings(&txn, before.duty_id).await?;
        place(&txn, "work_item", order, id, f.position).await?;
    }
    let saved = reload(&txn, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updateWorkItem",
            "work_item",
            id,
            snapshot(&before),
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a work item; those after it move up one.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<work_item::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    let duty = find_duty(&txn, before.duty_id).await?;
    require_editor_of(&txn, viewer, duty.department_id).await?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    work_item::Entity::delete_by_id(id).exec(&txn).await?;
    let order = siblings(&txn, before.duty_id).await?;
    resequence(&txn, "work_item", &order).await?;
    commit(
        txn,
        clock,
        Edit::removed(&actor, "removeWorkItem", "work_item", id, snapshot(&before)),
    )
    .await?;
    Ok(before)
}

async fn find(db: &impl ConnectionTrait, id: i32) -> Result<work_item::Model, Failure> {
    super::find::<work_item::Entity>(db, id, RuleCode::WorkItemUnknown, "work item").await
}

async fn find_duty(db: &impl ConnectionTrait, id: i32) -> Result<duty::Model, Failure> {
    duty::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Failure::rule("dutyId", RuleCode::DutyUnknown, "no such duty"))
}

async fn in_draft(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    id: i32,
) -> Result<work_item::Model, Failure> {
    super::in_draft::<work_item::Entity>(
        txn,
        clock,
        "id",
        id,
        RuleCode::WorkItemUnknown,
        "work item",
    )
    .await
}

async fn reload(txn: &impl ConnectionTrait, id: i32) -> Result<work_item::Model, Failure> {
    super::reload::<work_item::Entity>(txn, id).await
}

/// The duty's work items in published order.
async fn siblings(txn: &impl ConnectionTrait, duty_id: i32) -> Result<Vec<i32>, Failure> {
    use work_item::Column;
    super::ordered::<work_item::Entity>(txn, Column::Id, Column::DutyId, duty_id, Column::Seq).await
}
