//! Supervision results over GraphQL: types, the write side (mutations) and the reads.

mod inputs;
mod mutation;
mod query;
pub(crate) mod types;

use async_graphql::Enum;

pub use mutation::SupervisionMutation;
pub use query::{InspectionQuery, SupervisionDocumentQuery, SupervisionQuery};

use crate::domain::supervision::status;

/// Case status — 案件状态, derived from what happened and today's date.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "status::CaseStatus")]
pub enum CaseStatus {
    /// 已提交: noncompliance found, no document yet.
    Submitted,
    /// 已发文: a document issued; the unit may still request review.
    DocumentIssued,
    /// 整改中: the review window closed, the deadline not yet passed.
    Rectifying,
    /// 已整改: the unit reported its rectification.
    Rectified,
    /// 逾期: the deadline passed without a rectification report.
    Overdue,
    /// 复查中: review requested, not yet decided.
    ReviewRequested,
    /// 已复查: review decided (upheld or amended).
    ReviewDecided,
    /// 已结案: nothing left to do.
    Closed,
}
