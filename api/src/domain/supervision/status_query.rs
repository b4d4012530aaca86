//! The derived status as SQL, so a filter on it is applied by the database and pages like any
//! stored column. Each `CASE` follows `status.rs` branch by branch, in the same order; the
//! e2e suite checks that the two agree on every status.
//!
//! The one input SQL cannot compute is the review window, counted by a regime's day rule over
//! the holiday calendar. A window still open today is one whose receipt day is on or after a
//! threshold, because a later receipt never ends earlier: the threshold is computed here for
//! each way regimes count (request days, day count), and SQL compares receipt days with it.

use chrono::{Days, NaiveDate};
use entity::{
    finding, inspection, rectification, review_request, supervision_document, supervision_regime,
};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use super::inspection::Outcome;
use super::status::CaseStatus;
use crate::domain::calendar::DayRule;
use crate::domain::kinds::{DayCount, ReviewOutcome};

/// The review windows still open on one day, per way of counting them.
pub struct OpenWindows {
    today: NaiveDate,
    /// (request days, day count as stored, first receipt day whose window is open today).
    thresholds: Vec<(i32, String, NaiveDate)>,
}

#[derive(FromQueryResult)]
struct Counting {
    review_request_days: i32,
    day_count: String,
}

impl OpenWindows {
    /// Reads how the regimes count their review windows (a handful of distinct ways) and
    /// the calendar they need.
    pub async fn load(db: &impl ConnectionTrait, today: NaiveDate) -> Result<Self, DbErr> {
        let countings = supervision_regime::Entity::find()
            .select_only()
            .column(supervision_regime::Column::ReviewRequestDays)
            .column(supervision_regime::Column::DayCount)
            .distinct()
            .filter(supervision_regime::Column::ReviewRequestDays.gte(0))
            .filter(supervision_regime::Column::ReviewDecisionDays.gte(0))
            .into_model::<Counting>()
            .all(db)
            .await?;
        let mut thresholds = Vec::with_capacity(countings.len());
        for counting in countings {
            let days = counting.review_request_days as u32;
            // Far enough back that no window opened earlier is still open: every limit ends
            // within twice its days plus a year of holidays.
            let earliest = today - Days::new(u64::from(days) * 2 + 400);
            let count = DayCount::parse(&counting.day_count).unwrap_or(DayCount::Natural);
            let rule = DayRule::load(db, count, earliest).await?;
            let from = first_open_receipt(&rule, days, earliest, today);
            thresholds.push((counting.review_request_days, counting.day_count, from));
        }
        Ok(Self { today, thresholds })
    }

    /// True when `document`'s review window is open today: its regime (or the first of its
    /// list that states review limits, as `followup::review_limits` picks) counts a window
    /// that includes today.
    fn open(&self, document: Alias) -> Expr {
        let (i, g, s, src) = (
            Alias::new("w_i"),
            Alias::new("w_g"),
            Alias::new("w_s"),
            Alias::new("w_src"),
        );
        let regime = supervision_regime::Column::Id;
        let source = Query::select()
            .column((s.clone(), regime))
            .from_as(inspection::Entity, i.clone())
            .join_as(
                sea_orm::JoinType::InnerJoin,
                supervision_regime::Entity,
                g.clone(),
                Expr::col((g.clone(), regime)).equals((i.clone(), inspection::Column::RegimeId)),
            )
            .join_as(
                sea_orm::JoinType::InnerJoin,
                supervision_regime::Entity,
                s.clone(),
                Expr::col((s.clone(), supervision_regime::Column::ListId))
                    .equals((g.clone(), supervision_regime::Column::ListId)),
            )
            .and_where(
                Expr::col((i.clone(), inspection::Column::Id))
                    .equals((document.clone(), supervision_document::Column::InspectionId)),
            )
            .and_where(
                Expr::col((s.clone(), supervision_regime::Column::ReviewRequestDays)).is_not_null(),
            )
            .cond_where(
                Condition::any()
                    .add(
                        Expr::col((g.clone(), supervision_regime::Column::ReviewRequestDays))
                            .is_null(),
                    )
                    .add(Expr::col((s.clone(), regime)).equals((g, regime))),
            )
            .order_by(
                (s.clone(), supervision_regime::Column::Seq),
                sea_orm::Order::Asc,
            )
            .order_by((s, regime), sea_orm::Order::Asc)
            .limit(1)
            .to_owned();
        let received = Expr::col((document, supervision_document::Column::ReceivedOn));
        let mut counted = Condition::any();
        for (days, count, from) in &self.thresholds {
            counted = counted.add(
                Condition::all()
                    .add(
                        Expr::col((src.clone(), supervision_regime::Column::ReviewRequestDays))
                            .eq(*days),
                    )
                    .add(
                        Expr::col((src.clone(), supervision_regime::Column::DayCount))
                            .eq(count.as_str()),
                    )
                    .add(received.clone().gte(*from)),
            );
        }
        if self.thresholds.is_empty() {
            return Expr::val(false);
        }
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(supervision_regime::Entity, src.clone())
                .and_where(Expr::col((src.clone(), regime)).eq(Expr::from(source)))
                .and_where(
                    Expr::col((src.clone(), supervision_regime::Column::ReviewRequestDays)).gte(0),
                )
                .and_where(Expr::col((src, supervision_regime::Column::ReviewDecisionDays)).gte(0))
                .cond_where(counted)
                .to_owned(),
        )
    }

    /// The status today of the document aliased `d`, as `DocumentFacts::status` decides it.
    fn document_status(&self, d: Alias) -> Expr {
        let id = (d.clone(), supervision_document::Column::Id);
        let deadline = Expr::col((d.clone(), supervision_document::Column::ExecutionDeadline));
        let rectified = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(rectification::Entity)
                .and_where(
                    Expr::col((rectification::Entity, rectification::Column::DocumentId))
                        .equals(id.clone()),
                )
                .to_owned(),
        );
        let review = |outcome: Option<Option<ReviewOutcome>>| {
            let mut select = Query::select()
                .expr(Expr::val(1))
                .from(review_request::Entity)
                .and_where(
                    Expr::col((review_request::Entity, review_request::Column::DocumentId))
                        .equals(id.clone()),
                )
                .to_owned();
            let column = Expr::col((review_request::Entity, review_request::Column::Outcome));
            match outcome {
                Some(Some(outcome)) => select.and_where(column.eq(outcome.as_str())),
                Some(None) => select.and_where(column.is_null()),
                None => &mut select,
            };
            Expr::exists(select)
        };
        let code = |status: CaseStatus| Expr::val(status.as_str());
        Expr::case(rectified, code(CaseStatus::Rectified))
            .case(
                review(Some(Some(ReviewOutcome::Revoked))),
                code(CaseStatus::Closed),
            )
            .case(review(Some(None)), code(CaseStatus::ReviewRequested))
            .case(deadline.clone().lt(self.today), code(CaseStatus::Overdue))
            .case(review(None), code(CaseStatus::ReviewDecided))
            .case(self.open(d), code(CaseStatus::DocumentIssued))
            .case(deadline.is_not_null(), code(CaseStatus::Rectifying))
            .finally(code(CaseStatus::Closed))
            .into()
    }

    /// The status today of each row of `inspection`, as `inspection_status` decides it: that
    /// of its latest document, else whether it found anything out of order.
    fn inspection_status(&self) -> Expr {
        let (d, latest) = (Alias::new("s_d"), Alias::new("s_l"));
        let inspection_id = (inspection::Entity, inspection::Column::Id);
        let last_document = Query::select()
            .expr(Expr::col((latest.clone(), supervision_document::Column::Id)).max())
            .from_as(supervision_document::Entity, latest.clone())
            .and_where(
                Expr::col((latest, supervision_document::Column::InspectionId))
                    .equals(inspection_id),
            )
            .to_owned();
        let by_document = Query::select()
            .expr(self.document_status(d.clone()))
            .from_as(supervision_document::Entity, d.clone())
            .and_where(
                Expr::col((d, supervision_document::Column::Id)).eq(Expr::from(last_document)),
            )
            .to_owned();
        let noncompliant = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(finding::Entity)
                .and_where(
                    Expr::col((finding::Entity, finding::Column::InspectionId))
                        .equals(inspection_id),
                )
                .and_where(
                    Expr::col((finding::Entity, finding::Column::Outcome))
                        .eq(Outcome::Noncompliant.as_str()),
                )
                .to_owned(),
        );
        let without_document: Expr =
            Expr::case(noncompliant, Expr::val(CaseStatus::Submitted.as_str()))
                .finally(Expr::val(CaseStatus::Closed.as_str()))
                .into();
        Expr::expr(Expr::from(by_document)).if_null(without_document)
    }

    /// Inspections whose status today is `status`.
    pub fn inspection_is(&self, status: CaseStatus) -> Expr {
        self.inspection_status().eq(status.as_str())
    }

    /// Inspections whose latest document is (`true`) or is not overdue today: overdue is the
    /// status that an unanswered deadline decides.
    pub fn inspection_overdue(&self, overdue: bool) -> Expr {
        is_overdue(self.inspection_status(), overdue)
    }

    /// Documents (of `supervision_document`) that are (`true`) or are not overdue today.
    pub fn document_overdue(&self, overdue: bool) -> Expr {
        is_overdue(
            self.document_status(Alias::new("supervision_document")),
            overdue,
        )
    }
}

/// `status` is (`true`) or is not OVERDUE.
fn is_overdue(status: Expr, overdue: bool) -> Expr {
    match overdue {
        true => status.eq(CaseStatus::Overdue.as_str()),
        false => status.ne(CaseStatus::Overdue.as_str()),
    }
}

/// The first receipt day from which a window of `days` counted by `rule` still includes
/// `today` (a later receipt never ends earlier, so a binary search finds it).
fn first_open_receipt(
    rule: &DayRule,
    days: u32,
    earliest: NaiveDate,
    today: NaiveDate,
) -> NaiveDate {
    let (mut low, mut high) = (earliest, today);
    if rule.deadline(low, days) >= today {
        return low;
    }
    // Invariant: deadline(low) < today <= deadline(high).
    while (high - low).num_days() > 1 {
        let middle = low + Days::new(((high - low).num_days() / 2) as u64);
        if rule.deadline(middle, days) >= today {
            high = middle;
        } else {
            low = middle;
        }
    }
    high
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn first_open_receipt__is_the_earliest_day_whose_window_includes_today() {
        let natural = DayRule::natural();
        let today = d("2016-08-20");
        let from = first_open_receipt(&natural, 10, d("2015-01-01"), today);
        assert_eq!(from, d("2016-08-10"));
        assert!(natural.deadline(from, 10) >= today);
        assert!(natural.deadline(from - Days::new(1), 10) < today);

        let working = DayRule::working(Default::default());
        let from = first_open_receipt(&working, 10, d("2015-01-01"), today);
        assert!(working.deadline(from, 10) >= today);
        assert!(working.deadline(from - Days::new(1), 10) < today);
    }
}
