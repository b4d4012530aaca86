//! Main duties (主要职责) of a department in a list: create, update (and move), remove (with
//! its work items). Duties are numbered per department within the list.

use crate::db::Write;
use entity::duty;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

use super::{Edit, commit, place, require_editor_of, resequence};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::versions::start_lineage;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a duty; `None` leaves a field as it is (on update). A remark of
/// `Some("")` clears it.
#[derive(Clone, Debug, Default)]
pub struct DutyFields {
    pub text: Option<String>,
    pub remark: Option<String>,
    /// 1-based place among the department's duties in the list.
    pub position: Option<i32>,
}

fn snapshot(d: &duty::Model) -> Value {
    json!({ "listId": d.list_id, "departmentId": d.department_id, "seq": d.seq,
            "text": d.text, "remark": d.remark })
}

/// Adds a duty of department `dept` at `position` (default: last).
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    dept: i32,
    f: DutyFields,
) -> Result<duty::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    require_editor_of(&txn, viewer, dept).await?;
    let mut checks = Checks::default();
    checks.require_text(
        "text",
        f.text.as_deref().unwrap_or(""),
        "the duty (主要职责)",
    );
    checks.finish()?;
    let (list_id, version) = super::draft_for(&txn, clock, dept, "departmentId").await?;
    let order = siblings(&txn, version, dept).await?;
    let saved = duty::ActiveModel {
        list_id: Set(list_id),
        version_id: Set(version),
        department_id: Set(dept),
        seq: Set(order.len() as i32 + 1),
        text: Set(f.text.unwrap_or_default()),
        remark: Set(f.remark.filter(|r| !r.is_empty())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    start_lineage(&txn, "duty", saved.id).await?;
    place(&txn, "duty", order, saved.id, f.position).await?;
    let saved = super::reload::<duty::Entity>(&txn, saved.id).await?;
    commit(
        txn,
        clock,
        Edit::created(&actor, "createDuty", "duty", saved.id, snapshot(&saved)),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves the duty among its department's.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: DutyFields,
) -> Result<duty::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = super::find::<duty::Entity>(&txn, id, RuleCode::DutyUnknown, "duty").await?;
    require_editor_of(&txn, viewer, before.department_id).await?;
    let mut checks = Checks::default();
    if let Some(text) = &f.text {
        checks.require_text("text", text, "the duty (主要职责)");
    }
    checks.finish()?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    let mut row: duty::ActiveModel = before.clone().into();
    if let Some(text) = f.text {
        row.text = Set(text);
    }
    if let Some(remark) = f.remark {
        row.remark = Set(Some(remark).filter(|r| !r.is_empty()));
    }
    row.update(&txn).await?;
    if f.position.is_some() {
        let order = siblings(&txn, before.version_id, before.department_id).await?;
        place(&txn, "duty", order, id, f.position).await?;
    }
    let saved = super::reload::<duty::Entity>(&txn, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updateDuty",
            "duty",
            id,
            snapshot(&before),
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a duty and its work items; the department's later duties move up one.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<duty::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = super::find::<duty::Entity>(&txn, id, RuleCode::DutyUnknown, "duty").await?;
    require_editor_of(&txn, viewer, before.department_id).await?;
    let before = in_draft(&txn, clock, before.id).await?;
    let id = before.id;
    duty::Entity::delete_by_id(id).exec(&txn).await?;
    let order = siblings(&txn, before.version_id, before.department_id).await?;
    resequence(&txn, "duty", &order).await?;
    commit(
        txn,
        clock,
        Edit::removed(&actor, "removeDuty", "duty", id, snapshot(&before)),
    )
    .await?;
    Ok(before)
}

async fn in_draft(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    id: i32,
) -> Result<duty::Model, Failure> {
    super::in_draft::<duty::Entity>(txn, clock, "id", id, RuleCode::DutyUnknown, "duty").await
}

/// The department's duties in a version of the list, in published order.
async fn siblings(
    txn: &impl ConnectionTrait,
    version: i32,
    dept: i32,
) -> Result<Vec<i32>, Failure> {
    Ok(duty::Entity::find()
        .select_only()
        .column(duty::Column::Id)
        .filter(duty::Column::VersionId.eq(version))
        .filter(duty::Column::DepartmentId.eq(dept))
        .order_by_asc(duty::Column::Seq)
        .into_tuple::<i32>()
        .all(txn)
        .await?)
}
