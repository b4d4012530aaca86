//! The derived state of inspections and documents, computed in a few batched queries for
//! any number of them: status, deadlines, overdue.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{finding, inspection, rectification, review_request, supervision_document};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::followup::{ReviewLimits, ReviewOutcome, review_limits};
use super::inspection::Outcome;
use super::status::{CaseStatus, DocumentFacts, inspection_status};
use crate::db::one_of;
use crate::domain::calendar::DayRule;

/// What is derived for one document.
#[derive(Clone, Debug)]
pub struct DocumentState {
    pub facts: DocumentFacts,
    pub status: CaseStatus,
    pub overdue: bool,
    /// Last day to request review (10 days after receipt in the Anhua list).
    pub review_due_on: Option<NaiveDate>,
    /// Last day to decide a requested review (15 days after the request).
    pub decision_due_on: Option<NaiveDate>,
    pub decided_late: bool,
}

/// What is derived for one inspection.
#[derive(Clone, Debug)]
pub struct InspectionState {
    pub status: CaseStatus,
    pub overdue: bool,
}

/// Derives the state of the given documents as of `today`.
pub async fn document_states(
    db: &impl ConnectionTrait,
    documents: &[supervision_document::Model],
    today: NaiveDate,
) -> Result<HashMap<i32, DocumentState>, DbErr> {
    let backend = db.get_database_backend();
    let ids: Vec<i32> = documents.iter().map(|d| d.id).collect();
    let rectified: std::collections::HashSet<i32> = rectification::Entity::find()
        .filter(one_of(
            backend,
            rectification::Column::DocumentId,
            ids.clone(),
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.document_id)
        .collect();
    let reviews: HashMap<i32, review_request::Model> = review_request::Entity::find()
        .filter(one_of(backend, review_request::Column::DocumentId, ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.document_id, r))
        .collect();
    let inspection_ids: Vec<i32> = documents.iter().map(|d| d.inspection_id).collect();
    let regimes: HashMap<i32, i32> = inspection::Entity::find()
        .filter(one_of(backend, inspection::Column::Id, inspection_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.regime_id))
        .collect();
    // Few regimes: their limits and day rules are loaded once each.
    let mut windows: HashMap<i32, Option<(ReviewLimits, DayRule)>> = HashMap::new();
    let earliest = documents
        .iter()
        .map(|d| d.received_on)
        .min()
        .unwrap_or(today);
    for regime in regimes.values() {
        if !windows.contains_key(regime) {
            let window = match review_limits(db, *regime).await? {
                Some(limits) => {
                    let rule = DayRule::load(db, limits.day_count, earliest).await?;
                    Some((limits, rule))
                }
                None => None,
            };
            windows.insert(*regime, window);
        }
    }

    let mut states = HashMap::new();
    for document in documents {
        let review = reviews.get(&document.id);
        let window = regimes
            .get(&document.inspection_id)
            .and_then(|r| windows.get(r))
            .and_then(Option::as_ref);
        let review_due_on =
            window.map(|(limits, rule)| rule.deadline(document.received_on, limits.request_days));
        let decision_due_on = match (window, review) {
            (Some((limits, rule)), Some(review)) => {
                Some(rule.deadline(review.requested_on, limits.decision_days))
            }
            _ => None,
        };
        let outcome = review
            .and_then(|r| r.outcome.as_deref())
            .and_then(ReviewOutcome::parse);
        let decided_late = match (review.and_then(|r| r.decided_on), decision_due_on) {
            (Some(decided), Some(due)) => decided > due,
            _ => false,
        };
        let facts = DocumentFacts {
            deadline: document.execution_deadline,
            review_window_ends: review_due_on,
            rectified: rectified.contains(&document.id),
            review_requested: review.is_some(),
            review_outcome: outcome,
        };
        let state = DocumentState {
            status: facts.status(today),
            overdue: facts.overdue(today),
            facts,
            review_due_on,
            decision_due_on,
            decided_late,
        };
        states.insert(document.id, state);
    }
    Ok(states)
}

/// Derives the state of the given inspections as of `today`: that of each one's latest document.
pub async fn inspection_states(
    db: &impl ConnectionTrait,
    inspection_ids: &[i32],
    today: NaiveDate,
) -> Result<HashMap<i32, InspectionState>, DbErr> {
    let backend = db.get_database_backend();
    let documents = supervision_document::Entity::find()
        .filter(one_of(
            backend,
            supervision_document::Column::InspectionId,
            inspection_ids.iter().copied(),
        ))
        .order_by_asc(supervision_document::Column::Id)
        .all(db)
        .await?;
    let document_states = document_states(db, &documents, today).await?;
    let latest: HashMap<i32, i32> = documents.iter().map(|d| (d.inspection_id, d.id)).collect();
    let noncompliant: std::collections::HashSet<i32> = finding::Entity::find()
        .filter(one_of(
            backend,
            finding::Column::InspectionId,
            inspection_ids.iter().copied(),
        ))
        .filter(finding::Column::Outcome.eq(Outcome::Noncompliant.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.inspection_id)
        .collect();
    Ok(inspection_ids
        .iter()
        .map(|id| {
            let document = latest.get(id).and_then(|doc| document_states.get(doc));
            let status =
                inspection_status(document.map(|d| &d.facts), noncompliant.contains(id), today);
            (
                *id,
                InspectionState {
                    status,
                    overdue: document.is_some_and(|d| d.overdue),
                },
            )
        })
        .collect())
}
