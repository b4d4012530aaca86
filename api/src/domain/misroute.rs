//! Dispatchers' corrections (派单异议): a complaint the lookup sent to the wrong department,
//! and where it belonged. Stored and audited, listed for the lexicon's administrators, and
//! exported as evaluation rows so real hotline mistakes become tests.

use entity::{department, misroute};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder,
};
use serde_json::json;

use super::{Failure, RuleCode, audit, clock::Clock, rules::Checks};
use crate::auth::{Role, Viewer};
use crate::db::Write;
use crate::search::query;

/// Who may report and read corrections: the hotline's dispatchers (and ADMIN).
pub const READERS: &[Role] = &[Role::Dispatcher];

#[derive(Clone, Debug)]
pub struct Report {
    pub text: String,
    pub suggested_department_id: Option<i32>,
    pub correct_department_id: i32,
    pub note: Option<String>,
}

/// Records a correction: the complaint as the lookup would take it, two different departments
/// that exist.
pub async fn report(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    report: Report,
) -> Result<misroute::Model, Failure> {
    viewer.require_any(READERS)?;
    let actor = viewer.subject()?.to_owned();
    let mut checks = Checks::default();
    let text = match query::check(&report.text) {
        Ok(text) => text.to_owned(),
        Err(problem) => {
            let code = match problem {
                query::Problem::Blank => RuleCode::Required,
                query::Problem::TooLong(_) => RuleCode::TextTooLong,
                query::Problem::Control(_) => RuleCode::TextInvalid,
            };
            checks.add("text", code, format!("the complaint text {problem}"));
            String::new()
        }
    };
    if report.suggested_department_id == Some(report.correct_department_id) {
        checks.add(
            "correctDepartmentId",
            RuleCode::SameDepartment,
            "the correct department is the one the lookup suggested: nothing to correct",
        );
    }
    checks.finish()?;
    for (field, id) in [
        ("suggestedDepartmentId", report.suggested_department_id),
        ("correctDepartmentId", Some(report.correct_department_id)),
    ] {
        if let Some(id) = id
            && department::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .is_none()
        {
            return Err(Failure::rule(
                field,
                RuleCode::DepartmentUnknown,
                format!("no department has id {id}"),
            ));
        }
    }
    let note = report
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let saved = misroute::ActiveModel {
        text: Set(text),
        suggested_department_id: Set(report.suggested_department_id),
        correct_department_id: Set(report.correct_department_id),
        note: Set(note),
        reported_by: Set(actor.clone()),
        reported_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "reportMisroute",
        entity: "misroute",
        entity_id: Some(saved.id),
        before: None,
        after: Some(json!({
            "text": saved.text,
            "suggestedDepartmentId": saved.suggested_department_id,
            "correctDepartmentId": saved.correct_department_id,
            "note": saved.note,
        })),
    };
    audit::record(&txn, clock.now(), entry).await?;
    crate::domain::events::misroute_reported(&txn, &saved).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Every correction as a row of `tests/eval/complaints.tsv` (split `test`, the correct
/// department as the label, the row it came from as `misroute:<id>`), oldest first.
pub async fn as_eval_rows(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let names: std::collections::HashMap<i32, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let flat = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    Ok(misroute::Entity::find()
        .order_by_asc(misroute::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            let label = names.get(&m.correct_department_id)?;
            Some(format!(
                "test\t{label}\t{}\t\tmisroute:{}",
                flat(&m.text),
                m.id
            ))
        })
        .collect())
}
