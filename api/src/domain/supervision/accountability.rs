//! Accountability (过错责任追究): fault situations of the regime's handling section, against
//! its forms of accountability (单独或者合并使用), for a unit or named staff.

use std::collections::HashSet;

use crate::db::Write;
use entity::{accountability, accountability_item, department};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::RegimeContext;
use crate::auth::{Role, Viewer};
use crate::domain::{Failure, RuleCode, audit, clock::Clock, rules::Checks};
use crate::error::ApiError;

#[derive(Clone, Debug)]
pub enum Subject {
    /// A unit (单位); one the input does not name is a REQUIRED rule on `departmentId`.
    Unit { department_id: Option<i32> },
    /// Named staff (有关责任人员), optionally of a department.
    Staff {
        name: String,
        department_id: Option<i32>,
    },
}

#[derive(Clone, Debug)]
pub struct AccountabilityInput {
    pub inspection_id: i32,
    pub subject: Subject,
    pub situation_item_ids: Vec<i32>,
    pub form_item_ids: Vec<i32>,
    pub note: Option<String>,
}

pub async fn record(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: AccountabilityInput,
) -> Result<accountability::Model, Failure> {
    viewer.require_any(&[Role::Supervisor])?;
    let actor = viewer.subject()?.to_owned();
    let inspection = super::inspection_named(&txn, input.inspection_id).await?;
    let regime = RegimeContext::by_id(&txn, inspection.regime_id)
        .await?
        .ok_or_else(|| {
            ApiError::from(anyhow::anyhow!(
                "inspection {} without regime",
                inspection.id
            ))
        })?;
    let Some(situations) = regime.handling_children(regime.regime.fault_situations_path.as_deref())
    else {
        return Err(Failure::rule(
            "inspectionId",
            RuleCode::AccountabilityNotProvided,
            format!("regime {} states no fault situations", regime.regime.code),
        ));
    };
    let forms = regime.handling_children(regime.regime.accountability_forms_path.as_deref());

    let mut checks = Checks::default();
    let (department_id, staff_name) = match &input.subject {
        Subject::Unit { department_id } => {
            if department_id.is_none() {
                checks.add(
                    "departmentId",
                    RuleCode::Required,
                    "a unit held accountable is named by its departmentId",
                );
            }
            (*department_id, None)
        }
        Subject::Staff {
            name,
            department_id,
        } => {
            if name.trim().is_empty() {
                checks.add(
                    "staffName",
                    RuleCode::SubjectRequired,
                    "name the staff member held accountable",
                );
            }
            (*department_id, Some(name.clone()))
        }
    };
    if let Some(id) = department_id
        && department::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .is_none()
    {
        checks.add(
            "departmentId",
            RuleCode::DepartmentUnknown,
            "no such department",
        );
    }
    if input.situation_item_ids.is_empty() {
        checks.add(
            "situationItemIds",
            RuleCode::Required,
            "name at least one fault situation",
        );
    }
    let mut seen = HashSet::new();
    for (i, item) in input.situation_item_ids.iter().enumerate() {
        if !situations.contains(item) || !seen.insert(*item) {
            checks.add(
                format!("situationItemIds[{i}]"),
                RuleCode::SituationNotInRegime,
                format!(
                    "not a fault situation (过错情形) of regime {}, or repeated",
                    regime.regime.code
                ),
            );
        }
    }
    match &forms {
        Some(forms) => {
            if input.form_item_ids.is_empty() {
                checks.add(
                    "formItemIds",
                    RuleCode::Required,
                    "name at least one form of accountability (单独或者合并使用)",
                );
            }
            for (i, item) in input.form_item_ids.iter().enumerate() {
                if !forms.contains(item) || !seen.insert(*item) {
                    checks.add(
                        format!("formItemIds[{i}]"),
                        RuleCode::FormNotInRegime,
                        format!(
                            "not a form of accountability (追究方式) of regime {}, or repeated",
                            regime.regime.code
                        ),
                    );
                }
            }
        }
        None => {
            for i in 0..input.form_item_ids.len() {
                checks.add(
                    format!("formItemIds[{i}]"),
                    RuleCode::FormNotInRegime,
                    "this regime states no forms of accountability",
                );
            }
        }
    }
    checks.finish()?;

    let now = clock.now();
    let subject_kind = match input.subject {
        Subject::Unit { .. } => "UNIT",
        Subject::Staff { .. } => "STAFF",
    };
    let row = accountability::Entity::insert(accountability::ActiveModel {
        inspection_id: Set(inspection.id),
        subject_kind: Set(subject_kind.to_owned()),
        department_id: Set(department_id),
        staff_name: Set(staff_name.clone()),
        note: Set(input.note.clone()),
        recorded_by: Set(actor.clone()),
        recorded_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let items = input
        .situation_item_ids
        .iter()
        .map(|id| (*id, "SITUATION"))
        .chain(input.form_item_ids.iter().map(|id| (*id, "FORM")));
    accountability_item::Entity::insert_many(items.map(|(item_id, role)| {
        accountability_item::ActiveModel {
            accountability_id: Set(row.id),
            item_id: Set(item_id),
            role: Set(role.to_owned()),
            ..Default::default()
        }
    }))
    .exec(&txn)
    .await?;
    let after = json!({
        "inspectionId": inspection.id, "subjectKind": subject_kind, "departmentId": department_id,
        "staffName": staff_name, "situationItemIds": input.situation_item_ids,
        "formItemIds": input.form_item_ids, "note": input.note,
    });
    audit::created(
        &txn,
        now,
        &actor,
        "recordAccountability",
        "Accountability",
        row.id,
        after,
    )
    .await?;
    crate::domain::events::accountability_recorded(&txn, &row).await?;
    txn.commit().await?;
    Ok(row)
}
