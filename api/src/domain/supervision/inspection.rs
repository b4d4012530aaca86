//! Submitting an inspection (监督检查): ≥2 inspectors, methods and findings of its own
//! regime, a written record; stored whole in one transaction, once per idempotency key.

use std::collections::HashSet;

use crate::db::Write;
use chrono::NaiveDate;
use entity::{department, finding, inspection, inspection_method, inspector};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;

use super::RegimeContext;
use crate::auth::{Role, Viewer};
use crate::domain::{Failure, RuleCode, audit, clock::Clock, idempotency, rules::Checks};

pub use crate::domain::kinds::Outcome;

#[derive(Clone, Debug)]
pub struct InspectorInput {
    pub name: String,
    pub certificate_no: String,
}

#[derive(Clone, Debug)]
pub struct FindingInput {
    pub item_id: i32,
    pub outcome: Outcome,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct InspectionInput {
    pub regime_code: String,
    pub target_department_id: i32,
    pub inspectors: Vec<InspectorInput>,
    pub method_item_ids: Vec<i32>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub findings: Vec<FindingInput>,
    pub record: String,
    pub idempotency_key: Option<String>,
}

const OPERATION: &str = "submitInspection";

/// Submits an inspection; a retry by the same caller with the same idempotency key returns
/// the first one.
pub async fn submit(
    mut txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: InspectionInput,
) -> Result<inspection::Model, Failure> {
    viewer.require_any(&[Role::Supervisor])?;
    let actor = viewer.subject()?.to_owned();
    let hash = idempotency::fingerprint(&fingerprinted(&input));
    let key = input
        .idempotency_key
        .as_deref()
        .map(|key| idempotency::Key {
            subject: &actor,
            key,
        });
    if let Some(key) = key
        && let Some(id) = idempotency::find(&txn, OPERATION, key, &hash).await?
    {
        return existing(&txn, id).await;
    }

    let Some(regime) = RegimeContext::by_code(&txn, &input.regime_code).await? else {
        return Err(Failure::rule(
            "regimeCode",
            RuleCode::RegimeUnknown,
            format!("no regime {:?}", input.regime_code),
        ));
    };
    check(&txn, &regime, clock.today(), &input).await?;

    let now = clock.now();
    let row = inspection::Entity::insert(inspection::ActiveModel {
        regime_id: Set(regime.regime.id),
        target_department_id: Set(input.target_department_id),
        period_start: Set(input.period_start),
        period_end: Set(input.period_end),
        record: Set(input.record.clone()),
        submitted_by: Set(actor.clone()),
        submitted_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    // The key is claimed with the inspection it produced, in one statement.
    if let Some(key) = key
        && let Err(err) = idempotency::claim(&txn, OPERATION, key, &hash, now, row.id).await
    {
        if !idempotency::is_unique_violation(&err) {
            return Err(err.into());
        }
        // Another writer claimed the key first and has committed by now; the failed insert
        // spoiled this transaction (PostgreSQL), so the answer is read in a fresh one (this
        // one's inspection goes with it).
        txn = txn.again().await?;
        return match idempotency::find(&txn, OPERATION, key, &hash).await? {
            Some(id) => existing(&txn, id).await,
            None => Err(Failure::Api(crate::error::ApiError::Conflict)),
        };
    }
    inspector::Entity::insert_many(input.inspectors.iter().enumerate().map(|(i, person)| {
        inspector::ActiveModel {
            inspection_id: Set(row.id),
            seq: Set(i as i32 + 1),
            name: Set(person.name.clone()),
            certificate_no: Set(person.certificate_no.clone()),
            ..Default::default()
        }
    }))
    .exec(&txn)
    .await?;
    if !input.method_item_ids.is_empty() {
        inspection_method::Entity::insert_many(input.method_item_ids.iter().map(|item| {
            inspection_method::ActiveModel {
                inspection_id: Set(row.id),
                item_id: Set(*item),
                ..Default::default()
            }
        }))
        .exec(&txn)
        .await?;
    }
    finding::Entity::insert_many(input.findings.iter().map(|f| finding::ActiveModel {
        inspection_id: Set(row.id),
        item_id: Set(f.item_id),
        outcome: Set(f.outcome.as_str().to_owned()),
        note: Set(f.note.clone()),
        ..Default::default()
    }))
    .exec(&txn)
    .await?;
    let after = json!({
        "regime": input.regime_code,
        "targetDepartmentId": input.target_department_id,
        "inspectors": input.inspectors.iter().map(|p| json!({ "name": p.name, "certificateNo": p.certificate_no })).collect::<Vec<_>>(),
        "methodItemIds": input.method_item_ids,
        "periodStart": input.period_start,
        "periodEnd": input.period_end,
        "findings": input.findings.iter().map(|f| json!({ "itemId": f.item_id, "outcome": f.outcome.as_str(), "note": f.note })).collect::<Vec<_>>(),
        "record": input.record,
    });
    audit::created(&txn, now, &actor, OPERATION, "Inspection", row.id, after).await?;
    crate::domain::events::inspection_submitted(&txn, &row, &input.regime_code).await?;
    txn.commit().await?;
    tracing::info!(inspection = row.id, regime = %input.regime_code, "inspection submitted");
    Ok(row)
}

/// What the fingerprint covers: every field of the input but the key, under its GraphQL
/// name (ids are the stored rows' numbers). See `idempotency::fingerprint`.
fn fingerprinted(input: &InspectionInput) -> serde_json::Value {
    json!({
        "regimeCode": input.regime_code,
        "targetDepartmentId": input.target_department_id,
        "inspectors": input.inspectors.iter()
            .map(|p| json!({ "name": p.name, "certificateNo": p.certificate_no }))
            .collect::<Vec<_>>(),
        "methodItemIds": input.method_item_ids,
        "periodStart": input.period_start.to_string(),
        "periodEnd": input.period_end.to_string(),
        "findings": input.findings.iter()
            .map(|f| json!({ "itemId": f.item_id, "outcome": f.outcome.as_str(), "note": f.note }))
            .collect::<Vec<_>>(),
        "record": input.record,
    })
}

async fn existing(db: &impl ConnectionTrait, id: i32) -> Result<inspection::Model, Failure> {
    inspection::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
            Failure::Api(
                anyhow::anyhow!("idempotency key points at missing inspection {id}").into(),
            )
        })
}

/// Every rule of part 3 a submission must meet, all reported at once.
async fn check(
    db: &impl ConnectionTrait,
    regime: &RegimeContext,
    today: NaiveDate,
    input: &InspectionInput,
) -> Result<(), Failure> {
    let mut checks = Checks::default();
    let code = &regime.regime.code;

    let minimum = regime.min_inspectors();
    if (input.inspectors.len() as i32) < minimum {
        checks.add(
            "inspectors",
            RuleCode::InspectorsBelowMinimum,
            format!(
                "{} inspector(s) given; at least {minimum} are required: {}",
                input.inspectors.len(),
                regime.min_inspectors_clause(db).await?
            ),
        );
    }
    let mut certificates = HashSet::new();
    for (i, person) in input.inspectors.iter().enumerate() {
        checks.require_text(
            &format!("inspectors[{i}].name"),
            &person.name,
            "the inspector's name",
        );
        checks.require_text(
            &format!("inspectors[{i}].certificateNo"),
            &person.certificate_no,
            "the inspector's certificate number",
        );
        if !certificates.insert(person.certificate_no.trim()) {
            checks.add(
                format!("inspectors[{i}].certificateNo"),
                RuleCode::InspectorDuplicate,
                "the same inspector is listed twice",
            );
        }
    }

    if input.record.trim().is_empty() {
        checks.add(
            "record",
            RuleCode::RecordRequired,
            "the written record is required: 实施监督，应当制作书面记录。",
        );
    }
    if input.period_start > input.period_end {
        checks.add(
            "periodEnd",
            RuleCode::PeriodInvalid,
            "the period ends before it starts",
        );
    }
    if input.period_end > today {
        checks.add(
            "periodEnd",
            RuleCode::PeriodInvalid,
            "the period ends in the future",
        );
    }

    let methods = regime.methods();
    if !methods.is_empty() && input.method_item_ids.is_empty() {
        checks.add(
            "methodItemIds",
            RuleCode::MethodRequired,
            format!("name at least one method of regime {code}"),
        );
    }
    let mut seen_methods = HashSet::new();
    for (i, item) in input.method_item_ids.iter().enumerate() {
        if !methods.contains(item) || !seen_methods.insert(item) {
            checks.add(
                format!("methodItemIds[{i}]"),
                RuleCode::MethodNotInRegime,
                format!("not a method (监督检查方式) of regime {code}, or repeated"),
            );
        }
    }

    let checklist = regime.checklist();
    if input.findings.is_empty() {
        checks.add(
            "findings",
            RuleCode::FindingRequired,
            "an inspection reports at least one finding",
        );
    }
    let mut seen_items = HashSet::new();
    for (i, finding) in input.findings.iter().enumerate() {
        if !checklist.contains(&finding.item_id) {
            checks.add(
                format!("findings[{i}].itemId"),
                RuleCode::FindingItemNotInChecklist,
                format!("not an item of the checklist (监督检查内容) of regime {code}"),
            );
        } else if !seen_items.insert(finding.item_id) {
            checks.add(
                format!("findings[{i}].itemId"),
                RuleCode::FindingDuplicate,
                "this checklist item already has a finding",
            );
        }
    }

    if department::Entity::find_by_id(input.target_department_id)
        .one(db)
        .await?
        .is_none()
    {
        checks.add(
            "targetDepartmentId",
            RuleCode::DepartmentUnknown,
            "no such department",
        );
    }
    checks.finish()
}
