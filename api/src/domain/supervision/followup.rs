//! What follows a document: the addressed unit's rectification report (整改报告), its review
//! request (复查申请, within 10 days of receipt) and the issuing body's decision (within 15
//! days of the request).

use crate::db::Write;
use chrono::NaiveDate;
use entity::{inspection, rectification, review_request, supervision_document, supervision_regime};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use crate::auth::{Role, Viewer};
use crate::domain::{
    Failure, RuleCode, audit, calendar::DayRule, clock::Clock, kinds::DayCount, rules::Checks,
};
use crate::error::ApiError;

pub use crate::domain::kinds::ReviewOutcome;

/// The review limits that apply to a document, and the clause stating them.
#[derive(Clone, Debug)]
pub struct ReviewLimits {
    pub request_days: u32,
    pub decision_days: u32,
    pub day_count: DayCount,
    pub clause: String,
}

/// A regime's own review limits, else those the list states in another of its regimes
/// (the Anhua list states them once, in its territorial-enforcement regime).
pub async fn review_limits(
    db: &impl ConnectionTrait,
    regime_id: i32,
) -> Result<Option<ReviewLimits>, DbErr> {
    let Some(regime) = supervision_regime::Entity::find_by_id(regime_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let source = if regime.review_request_days.is_some() {
        Some(regime)
    } else {
        supervision_regime::Entity::find()
            .filter(supervision_regime::Column::ListId.eq(regime.list_id))
            .filter(supervision_regime::Column::ReviewRequestDays.is_not_null())
            .order_by_asc(supervision_regime::Column::Seq)
            .order_by_asc(supervision_regime::Column::Id)
            .one(db)
            .await?
    };
    Ok(source.and_then(|r| {
        Some(ReviewLimits {
            request_days: u32::try_from(r.review_request_days?).ok()?,
            decision_days: u32::try_from(r.review_decision_days?).ok()?,
            day_count: DayCount::parse(&r.day_count).unwrap_or(DayCount::Natural),
            clause: r.review_clause.unwrap_or_default(),
        })
    }))
}

/// The document, its inspection, and a check that the caller is the unit it addresses.
async fn addressed(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    document_id: i32,
) -> Result<(supervision_document::Model, inspection::Model), Failure> {
    viewer.require_any(&[Role::Unit])?;
    let document = crate::domain::named::<supervision_document::Entity>(
        db,
        document_id,
        "documentId",
        RuleCode::DocumentUnknown,
        "document",
    )
    .await?;
    let inspection = inspection::Entity::find_by_id(document.inspection_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::from(anyhow::anyhow!("document {document_id} without inspection"))
        })?;
    if !viewer.has(Role::Admin) && viewer.dept != Some(inspection.target_department_id) {
        return Err(ApiError::Forbidden {
            reason: "only the unit the document addresses may answer it".into(),
        }
        .into());
    }
    Ok((document, inspection))
}

async fn revoked(db: &impl ConnectionTrait, document_id: i32) -> Result<bool, DbErr> {
    let review = review_request::Entity::find()
        .filter(review_request::Column::DocumentId.eq(document_id))
        .one(db)
        .await?;
    Ok(review.and_then(|r| r.outcome).as_deref() == Some(ReviewOutcome::Revoked.as_str()))
}

#[derive(Clone, Debug)]
pub struct RectificationInput {
    pub document_id: i32,
    pub reported_on: NaiveDate,
    pub content: String,
}

/// The unit reports in writing what it corrected (书面向发出机构报告执行结果).
pub async fn report_rectification(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: RectificationInput,
) -> Result<rectification::Model, Failure> {
    let (document, _) = addressed(&txn, viewer, input.document_id).await?;
    let mut checks = Checks::default();
    checks.require_text(
        "content",
        &input.content,
        "the written report of what was corrected",
    );
    if input.reported_on > clock.today() {
        checks.add(
            "reportedOn",
            RuleCode::DateInFuture,
            "a report cannot be dated in the future",
        );
    }
    if input.reported_on < document.received_on {
        checks.add(
            "reportedOn",
            RuleCode::DateOrder,
            "reported before the document was received",
        );
    }
    if revoked(&txn, document.id).await? {
        checks.add(
            "documentId",
            RuleCode::DocumentRevoked,
            "the document was revoked on review; nothing to rectify",
        );
    }
    checks.finish()?;

    let actor = viewer.subject()?.to_owned();
    let now = clock.now();
    let row = rectification::Entity::insert(rectification::ActiveModel {
        document_id: Set(document.id),
        reported_on: Set(input.reported_on),
        content: Set(input.content.clone()),
        reported_by: Set(actor.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let after = json!({ "documentId": row.document_id, "reportedOn": row.reported_on, "content": row.content });
    audit::created(
        &txn,
        now,
        &actor,
        "reportRectification",
        "Rectification",
        row.id,
        after,
    )
    .await?;
    crate::domain::events::rectification_reported(&txn, &row).await?;
    txn.commit().await?;
    Ok(row)
}

#[derive(Clone, Debug)]
pub struct ReviewRequestInput {
    pub document_id: i32,
    pub requested_on: NaiveDate,
    pub reasons: String,
}

/// The unit contests a document, within the list's limit after receiving it.
pub async fn request_review(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: ReviewRequestInput,
) -> Result<review_request::Model, Failure> {
    let (document, inspection) = addressed(&txn, viewer, input.document_id).await?;
    let Some(limits) = review_limits(&txn, inspection.regime_id).await? else {
        return Err(Failure::rule(
            "documentId",
            RuleCode::ReviewNotProvided,
            "the list provides no review for this document",
        ));
    };
    let mut checks = Checks::default();
    checks.require_text("reasons", &input.reasons, "the reasons for contesting");
    if input.requested_on > clock.today() {
        checks.add(
            "requestedOn",
            RuleCode::DateInFuture,
            "a request cannot be dated in the future",
        );
    }
    if input.requested_on < document.received_on {
        checks.add(
            "requestedOn",
            RuleCode::DateOrder,
            "requested before the document was received",
        );
    }
    let rule = DayRule::load(&txn, limits.day_count, document.received_on).await?;
    let last_day = rule.deadline(document.received_on, limits.request_days);
    if input.requested_on > last_day {
        checks.add(
            "requestedOn",
            RuleCode::ReviewRequestLate,
            format!(
                "received on {}, the request was due by {last_day} ({} days): {}",
                document.received_on, limits.request_days, limits.clause
            ),
        );
    }
    let existing = review_request::Entity::find()
        .filter(review_request::Column::DocumentId.eq(document.id))
        .one(&txn)
        .await?;
    if existing.is_some() {
        checks.add(
            "documentId",
            RuleCode::ReviewAlreadyRequested,
            "a review of this document was already requested",
        );
    }
    checks.finish()?;

    let actor = viewer.subject()?.to_owned();
    let now = clock.now();
    let inserted = review_request::Entity::insert(review_request::ActiveModel {
        document_id: Set(document.id),
        requested_on: Set(input.requested_on),
        reasons: Set(input.reasons.clone()),
        requested_by: Set(actor.clone()),
        outcome: Set(None),
        decision: Set(None),
        decided_on: Set(None),
        decided_by: Set(None),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        // Two requests raced past the check above: the unique index keeps one.
        Err(err) if crate::domain::idempotency::is_unique_violation(&err) => {
            return Err(Failure::rule(
                "documentId",
                RuleCode::ReviewAlreadyRequested,
                "a review of this document was already requested",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let after = json!({ "documentId": row.document_id, "requestedOn": row.requested_on, "reasons": row.reasons });
    audit::created(
        &txn,
        now,
        &actor,
        "requestReview",
        "ReviewRequest",
        row.id,
        after,
    )
    .await?;
    crate::domain::events::review_requested(&txn, &row).await?;
    txn.commit().await?;
    Ok(row)
}

#[derive(Clone, Debug)]
pub struct ReviewDecisionInput {
    pub review_id: i32,
    pub outcome: ReviewOutcome,
    pub decision: String,
    pub decided_on: NaiveDate,
}

/// The issuing body decides a review. A decision later than the list's limit is accepted
/// (the unit still needs an answer) and marked late where it is read.
pub async fn decide_review(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    input: ReviewDecisionInput,
) -> Result<review_request::Model, Failure> {
    viewer.require_any(&[Role::Supervisor])?;
    let actor = viewer.subject()?.to_owned();
    let review = crate::domain::named::<review_request::Entity>(
        &txn,
        input.review_id,
        "reviewId",
        RuleCode::ReviewUnknown,
        "review request",
    )
    .await?;
    let mut checks = Checks::default();
    checks.require_text("decision", &input.decision, "the review decision");
    if review.outcome.is_some() {
        checks.add(
            "reviewId",
            RuleCode::ReviewAlreadyDecided,
            "this review was already decided",
        );
    }
    if input.decided_on > clock.today() {
        checks.add(
            "decidedOn",
            RuleCode::DateInFuture,
            "a decision cannot be dated in the future",
        );
    }
    if input.decided_on < review.requested_on {
        checks.add(
            "decidedOn",
            RuleCode::DateOrder,
            "decided before it was requested",
        );
    }
    checks.finish()?;

    let now = clock.now();
    let before = json!({ "outcome": review.outcome, "decision": review.decision, "decidedOn": review.decided_on });
    // Only an undecided review is updated, so two racing decisions cannot both land.
    let updated = review_request::Entity::update_many()
        .col_expr(
            review_request::Column::Outcome,
            sea_orm::sea_query::Expr::value(input.outcome.as_str()),
        )
        .col_expr(
            review_request::Column::Decision,
            sea_orm::sea_query::Expr::value(input.decision.clone()),
        )
        .col_expr(
            review_request::Column::DecidedOn,
            sea_orm::sea_query::Expr::value(input.decided_on),
        )
        .col_expr(
            review_request::Column::DecidedBy,
            sea_orm::sea_query::Expr::value(actor.clone()),
        )
        .filter(review_request::Column::Id.eq(review.id))
        .filter(review_request::Column::Outcome.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Failure::rule(
            "reviewId",
            RuleCode::ReviewAlreadyDecided,
            "this review was already decided",
        ));
    }
    let row = review_request::Entity::find_by_id(review.id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::from(anyhow::anyhow!("review {} vanished", review.id)))?;
    let after =
        json!({ "outcome": row.outcome, "decision": row.decision, "decidedOn": row.decided_on });
    let entry = audit::Entry {
        actor: &actor,
        operation: "decideReview",
        entity: "ReviewRequest",
        entity_id: Some(row.id),
        before: Some(before),
        after: Some(after),
    };
    audit::record(&txn, now, entry).await?;
    crate::domain::events::review_decided(&txn, &row).await?;
    txn.commit().await?;
    Ok(row)
}
