//! Main duties (主要职责) of a department in a list: create, update (and move), remove (with
//! its work items). Duties are numbered per department within the list.

use crate::db::Write;
use entity::duty;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Value, json};

use super::versioned::{Operations, Versioned, versioned_names};
use super::{draft_for, require_editor_of};
use super::{given_text, required_text};
use crate::auth::Viewer;
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

const WHAT: &str = "the duty (主要职责)";

impl Versioned for duty::Entity {
    type Fields = DutyFields;
    /// The department whose duty it is.
    type Parent = i32;

    versioned_names!(
        DutyUnknown,
        "duty",
        "createDuty",
        "updateDuty",
        "removeDuty"
    );

    fn snapshot(d: &duty::Model) -> Value {
        json!({ "listId": d.list_id, "departmentId": d.department_id, "seq": d.seq,
                "text": d.text, "remark": d.remark })
    }

    async fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &duty::Model,
    ) -> Result<(), Failure> {
        require_editor_of(txn, viewer, row.department_id).await
    }

    async fn check(_: &Write, _: &Viewer, _: &duty::Model, f: &DutyFields) -> Result<(), Failure> {
        given_text("text", f.text.as_deref(), WHAT)
    }

    async fn set(txn: &Write, before: &duty::Model, f: DutyFields) -> Result<(), Failure> {
        let mut row: duty::ActiveModel = before.clone().into();
        if let Some(text) = f.text {
            row.text = Set(text);
        }
        if let Some(remark) = f.remark {
            row.remark = Set(Some(remark).filter(|r| !r.is_empty()));
        }
        row.update(txn).await?;
        Ok(())
    }

    async fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        dept: i32,
        f: &DutyFields,
    ) -> Result<(duty::ActiveModel, Vec<i32>), Failure> {
        require_editor_of(txn, viewer, dept).await?;
        required_text("text", f.text.as_deref(), WHAT)?;
        let (list_id, version) = draft_for(txn, clock, dept, "departmentId").await?;
        let order = siblings(txn, version, dept).await?;
        let row = duty::ActiveModel {
            list_id: Set(list_id),
            version_id: Set(version),
            department_id: Set(dept),
            seq: Set(order.len() as i32 + 1),
            text: Set(f.text.clone().unwrap_or_default()),
            remark: Set(f.remark.clone().filter(|r| !r.is_empty())),
            ..Default::default()
        };
        Ok((row, order))
    }

    async fn siblings(txn: &Write, row: &duty::Model) -> Result<Vec<i32>, Failure> {
        siblings(txn, row.version_id, row.department_id).await
    }
}

/// The department's duties in a version of the list, in published order.
async fn siblings(txn: &Write, version: i32, dept: i32) -> Result<Vec<i32>, Failure> {
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
