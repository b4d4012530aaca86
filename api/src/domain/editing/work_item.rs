//! Work items (具体工作事项) of a duty: create, update (and move), remove.

use crate::db::Write;
use entity::{duty, work_item};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde_json::{Value, json};

use super::require_editor_of;
use super::versioned::{Operations, Versioned, versioned_names};
use super::{given_text, required_text};
use crate::auth::Viewer;
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

const WHAT: &str = "the work item (具体工作事项)";

fn remark(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl Versioned for work_item::Entity {
    type Fields = WorkItemFields;
    /// The duty it serves.
    type Parent = i32;

    versioned_names!(
        WorkItemUnknown,
        "work item",
        "createWorkItem",
        "updateWorkItem",
        "removeWorkItem"
    );

    fn snapshot(w: &work_item::Model) -> Value {
        json!({ "dutyId": w.duty_id, "seq": w.seq, "text": w.text, "remark": w.remark })
    }

    async fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &work_item::Model,
    ) -> Result<(), Failure> {
        let duty = find_duty(txn, row.duty_id).await?;
        require_editor_of(txn, viewer, duty.department_id).await
    }

    async fn check(
        _: &Write,
        _: &Viewer,
        _: &work_item::Model,
        f: &WorkItemFields,
    ) -> Result<(), Failure> {
        given_text("text", f.text.as_deref(), WHAT)
    }

    async fn set(txn: &Write, before: &work_item::Model, f: WorkItemFields) -> Result<(), Failure> {
        let mut row: work_item::ActiveModel = before.clone().into();
        if let Some(text) = f.text {
            row.text = Set(text);
        }
        if let Some(value) = f.remark {
            row.remark = Set(remark(value));
        }
        row.update(txn).await?;
        Ok(())
    }

    async fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        duty_id: i32,
        f: &WorkItemFields,
    ) -> Result<(work_item::ActiveModel, Vec<i32>), Failure> {
        let duty = find_duty(txn, duty_id).await?;
        require_editor_of(txn, viewer, duty.department_id).await?;
        required_text("text", f.text.as_deref(), WHAT)?;
        let (code, what) = <duty::Entity as Versioned>::UNKNOWN;
        let duty =
            super::in_draft::<duty::Entity>(txn, clock, "dutyId", duty.id, code, what).await?;
        let order = siblings(txn, duty.id).await?;
        let row = work_item::ActiveModel {
            duty_id: Set(duty.id),
            version_id: Set(duty.version_id),
            seq: Set(order.len() as i32 + 1),
            text: Set(f.text.clone().unwrap_or_default()),
            remark: Set(f.remark.clone().and_then(remark)),
            ..Default::default()
        };
        Ok((row, order))
    }

    async fn siblings(txn: &Write, row: &work_item::Model) -> Result<Vec<i32>, Failure> {
        siblings(txn, row.duty_id).await
    }
}

async fn find_duty(db: &impl ConnectionTrait, id: i32) -> Result<duty::Model, Failure> {
    crate::domain::named::<duty::Entity>(db, id, "dutyId", RuleCode::DutyUnknown, "duty").await
}

/// The duty's work items in published order.
async fn siblings(txn: &Write, duty_id: i32) -> Result<Vec<i32>, Failure> {
    use work_item::Column;
    super::ordered::<work_item::Entity>(txn, Column::Id, Column::DutyId, duty_id, Column::Seq).await
}
