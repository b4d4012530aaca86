//! A case's status is derived from what happened and today's date, never typed by hand.

use chrono::NaiveDate;

use super::followup::ReviewOutcome;

crate::domain::kinds::vocabulary! {
    /// Where a supervision case stands; the names are what `status_query` compares in SQL.
    CaseStatus {
        /// 已提交: an inspection with noncompliance and no document yet.
        Submitted = "SUBMITTED",
        /// 已发文: a document issued, the unit may still request review.
        DocumentIssued = "DOCUMENT_ISSUED",
        /// 整改中: past the review window, the deadline not yet passed.
        Rectifying = "RECTIFYING",
        /// 已整改: the unit reported its rectification.
        Rectified = "RECTIFIED",
        /// 逾期: the deadline passed without a rectification report.
        Overdue = "OVERDUE",
        /// 复查中: a review requested and not yet decided.
        ReviewRequested = "REVIEW_REQUESTED",
        /// 已复查: the review decided (upheld or amended); rectification still due.
        ReviewDecided = "REVIEW_DECIDED",
        /// 已结案: nothing left to do.
        Closed = "CLOSED",
    }
}

/// The facts of one document that decide its status.
#[derive(Clone, Debug)]
pub struct DocumentFacts {
    pub deadline: Option<NaiveDate>,
    /// Last day the unit may request review, if the list provides review.
    pub review_window_ends: Option<NaiveDate>,
    pub rectified: bool,
    pub review_requested: bool,
    pub review_outcome: Option<ReviewOutcome>,
}

impl DocumentFacts {
    /// True when the deadline passed and nothing answers it.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        let pending_review = self.review_requested && self.review_outcome.is_none();
        let revoked = self.review_outcome == Some(ReviewOutcome::Revoked);
        !self.rectified && !pending_review && !revoked && self.deadline.is_some_and(|d| today > d)
    }

    pub fn status(&self, today: NaiveDate) -> CaseStatus {
        if self.rectified {
            return CaseStatus::Rectified;
        }
        match self.review_outcome {
            Some(ReviewOutcome::Revoked) => return CaseStatus::Closed,
            None if self.review_requested => return CaseStatus::ReviewRequested,
            _ => {}
        }
        if self.overdue(today) {
            return CaseStatus::Overdue;
        }
        if self.review_outcome.is_some() {
            return CaseStatus::ReviewDecided;
        }
        if self.review_window_ends.is_some_and(|end| today <= end) {
            return CaseStatus::DocumentIssued;
        }
        if self.deadline.is_some() {
            CaseStatus::Rectifying
        } else {
            CaseStatus::Closed
        }
    }
}

/// An inspection's status: that of its latest document, else whether it found anything.
pub fn inspection_status(
    latest: Option<&DocumentFacts>,
    has_noncompliance: bool,
    today: NaiveDate,
) -> CaseStatus {
    match latest {
        Some(document) => document.status(today),
        None if has_noncompliance => CaseStatus::Submitted,
        None => CaseStatus::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn notice() -> DocumentFacts {
        DocumentFacts {
            deadline: Some(d("2016-08-31")),
            review_window_ends: Some(d("2016-08-11")),
            rectified: false,
            review_requested: false,
            review_outcome: None,
        }
    }

    #[test]
    fn status__follows_the_deadlines() {
        let doc = notice();
        assert_eq!(doc.status(d("2016-08-11")), CaseStatus::DocumentIssued);
        assert_eq!(doc.status(d("2016-08-12")), CaseStatus::Rectifying);
        assert_eq!(doc.status(d("2016-08-31")), CaseStatus::Rectifying);
        assert_eq!(doc.status(d("2016-09-01")), CaseStatus::Overdue);
        assert!(doc.overdue(d("2016-09-01")) && !doc.overdue(d("2016-08-31")));
    }

    #[test]
    fn status__review_and_rectification() {
        let mut doc = notice();
        doc.review_requested = true;
        assert_eq!(doc.status(d("2016-09-05")), CaseStatus::ReviewRequested);
        doc.review_outcome = Some(ReviewOutcome::Upheld);
        assert_eq!(doc.status(d("2016-08-20")), CaseStatus::ReviewDecided);
        assert_eq!(doc.status(d("2016-09-05")), CaseStatus::Overdue);
        doc.review_outcome = Some(ReviewOutcome::Revoked);
        assert_eq!(doc.status(d("2016-09-05")), CaseStatus::Closed);
        doc.rectified = true;
        assert_eq!(doc.status(d("2016-09-05")), CaseStatus::Rectified);
    }

    #[test]
    fn status__inspection_without_document() {
        assert_eq!(
            inspection_status(None, true, d("2016-08-01")),
            CaseStatus::Submitted
        );
        assert_eq!(
            inspection_status(None, false, d("2016-08-01")),
            CaseStatus::Closed
        );
    }
}
