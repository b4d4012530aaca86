//! Issuing a supervision document: a 《行政执法监督通知书》 (NOTICE) orders correction within a
//! deadline or remedial measures; a 《行政执法监督决定书》 (DECISION) confirms illegality or
//! revokes. Both carry the five contents the list requires.

use crate::db::Write;
use chrono::NaiveDate;
use entity::{finding, inspection, supervision_document};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use super::inspection::Outcome;
use crate::auth::{Role, Viewer};
use crate::domain::{Failure, RuleCode, audit, clock::Clock, rules::Checks};

pub use crate::domain::kinds::{DocumentKind, Measure};

impl DocumentKind {
    /// The document the list prescribes for a measure.
    pub fn for_measure(measure: Measure) -> Self {
        match measure {
            Measure::OrderCorrection | Measure::RemedialMeasures => Self::Notice,
            Measure::ConfirmIllegal | Measure::Revoke => Self::Decision,
        }
    }
}

/// 责令限期改正、采取相应补救措施的，应当制作《行政执法监督通知书》；确认违法或者予以撤销的，应当制作《行政执法监督决定书》。
const KIND_CLAUSE: &str = "责令限期改正、采取相应补救措施的，应当制作《行政执法监督通知书》，依据职权确认违法或者予以撤销的，应当制作《行政执法监督决定书》。";

#[derive(Clone, Debug)]
pub struct DocumentInput {
    pub inspection_id: i32,
    pub kind: DocumentKind,
    pub measure: Measure,
    /// 1. 被检查的单位名称
    pub inspected_unit: String,
    /// 2. 认定的事实和理由
    pub facts_and_reasons: String,
    /// 3. 处理的决定和依据
    pub decision_and_basis: String,
    /// 4. 执行处理决定的方式和期限
    pub execution_method: String,
    pub execution_deadline: Option<NaiveDate>,
    /// 5. 执行检查的机构名称和做出决定书的日期，并加盖印章
    pub issuing_body: String,
    pub issued_on: Option<NaiveDate>,
    pub sealed: bool,
    /// The day the unit received it: the review window counts from here.
    pub received_on: Option<NaiveDate>,
}

pub async fn issue(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: DocumentInput,
) -> Result<supervision_document::Model, Failure> {
    viewer.require_any(&[Role::Supervisor])?;
    let actor = viewer.subject()?.to_owned();
    let inspection = super::inspection_named(&txn, input.inspection_id).await?;
    let (issued_on, received_on) = check(&txn, &inspection, clock.today(), &input).await?;

    let now = clock.now();
    let row = supervision_document::Entity::insert(supervision_document::ActiveModel {
        inspection_id: Set(inspection.id),
        kind: Set(input.kind.as_str().to_owned()),
        measure: Set(input.measure.as_str().to_owned()),
        inspected_unit: Set(input.inspected_unit.clone()),
        facts_and_reasons: Set(input.facts_and_reasons.clone()),
        decision_and_basis: Set(input.decision_and_basis.clone()),
        execution_method: Set(input.execution_method.clone()),
        execution_deadline: Set(input.execution_deadline),
        issuing_body: Set(input.issuing_body.clone()),
        issued_on: Set(issued_on),
        sealed: Set(input.sealed),
        received_on: Set(received_on),
        issued_by: Set(actor.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let after = json!({
        "inspectionId": row.inspection_id, "kind": row.kind, "measure": row.measure,
        "inspectedUnit": row.inspected_unit, "factsAndReasons": row.facts_and_reasons,
        "decisionAndBasis": row.decision_and_basis, "executionMethod": row.execution_method,
        "executionDeadline": row.execution_deadline, "issuingBody": row.issuing_body,
        "issuedOn": row.issued_on, "sealed": row.sealed, "receivedOn": row.received_on,
    });
    audit::created(
        &txn,
        now,
        &actor,
        "issueSupervisionDocument",
        "SupervisionDocument",
        row.id,
        after,
    )
    .await?;
    crate::domain::events::supervision_document_issued(&txn, &row).await?;
    txn.commit().await?;
    Ok(row)
}

/// Checks the document against the list; returns its issue and receipt dates.
async fn check(
    db: &impl ConnectionTrait,
    inspection: &inspection::Model,
    today: NaiveDate,
    input: &DocumentInput,
) -> Result<(NaiveDate, NaiveDate), Failure> {
    let mut checks = Checks::default();
    let noncompliant = finding::Entity::find()
        .filter(finding::Column::InspectionId.eq(inspection.id))
        .filter(finding::Column::Outcome.eq(Outcome::Noncompliant.as_str()))
        .count(db)
        .await?;
    if noncompliant == 0 {
        checks.add(
            "inspectionId",
            RuleCode::NoNoncompliance,
            "a document answers a violation: the inspection has no NONCOMPLIANT finding (发现受委托单位有违法情形的…)",
        );
    }
    if DocumentKind::for_measure(input.measure) != input.kind {
        checks.add("kind", RuleCode::MeasureKindMismatch, KIND_CLAUSE);
    }

    // The five contents (《执法监督通知（决定）书》应当载明以下内容), each reported on its own.
    let missing = |checks: &mut Checks, field: &str, content: &str| {
        checks.add(
            field,
            RuleCode::DocumentContentMissing,
            format!("required content missing: {content}"),
        );
    };
    if input.inspected_unit.trim().is_empty() {
        missing(&mut checks, "inspectedUnit", "1.被检查的部单位名称");
    }
    if input.facts_and_reasons.trim().is_empty() {
        missing(&mut checks, "factsAndReasons", "2.认定的事实和理由");
    }
    if input.decision_and_basis.trim().is_empty() {
        missing(&mut checks, "decisionAndBasis", "3.处理的决定和依据");
    }
    if input.execution_method.trim().is_empty() {
        missing(&mut checks, "executionMethod", "4.执行处理决定的方式和期限");
    }
    if input.kind == DocumentKind::Notice && input.execution_deadline.is_none() {
        checks.add(
            "executionDeadline",
            RuleCode::DeadlineRequired,
            "a notice orders correction within a deadline: 4.执行处理决定的方式和期限",
        );
    }
    let fifth = "5.执行检查的机构名称和做出《执法监督通知（决定）书》的日期，并加盖印章";
    if input.issuing_body.trim().is_empty() {
        missing(&mut checks, "issuingBody", fifth);
    }
    if input.issued_on.is_none() {
        missing(&mut checks, "issuedOn", fifth);
    }
    if !input.sealed {
        missing(&mut checks, "sealed", fifth);
    }

    let issued_on = input.issued_on.unwrap_or(today);
    let received_on = input.received_on.unwrap_or(issued_on);
    if issued_on > today {
        checks.add(
            "issuedOn",
            RuleCode::DateInFuture,
            "a document cannot be dated in the future",
        );
    }
    if received_on < issued_on || received_on > today {
        checks.add(
            "receivedOn",
            RuleCode::DateOrder,
            "received on or after the issue date, and not in the future",
        );
    }
    if input
        .execution_deadline
        .is_some_and(|deadline| deadline < issued_on)
    {
        checks.add(
            "executionDeadline",
            RuleCode::DateOrder,
            "the deadline falls before the issue date",
        );
    }
    checks.finish()?;
    Ok((issued_on, received_on))
}
