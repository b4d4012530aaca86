//! Supervision results over GraphQL: types, the write side (mutations) and the reads.

mod inputs;
mod mutation;
mod query;
pub(crate) mod types;

use async_graphql::{Enum, SimpleObject};

pub use mutation::SupervisionMutation;
pub use query::SupervisionQuery;

use crate::domain::supervision::status;
use crate::domain::{Failure, Violation};
use crate::error::ApiError;

/// User error — 规则错误: a rule of the list the input broke. Nothing was stored.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The input field at fault, e.g. `inspectors` or `findings[2].itemId` — 字段.
    pub field: String,
    /// Stable code, e.g. INSPECTORS_BELOW_MINIMUM — 规则代码.
    pub code: String,
    /// What is wrong, citing the clause of the list — 说明.
    pub message: String,
}

impl From<Violation> for UserError {
    fn from(violation: Violation) -> Self {
        Self {
            field: violation.field,
            code: violation.code.as_str().to_owned(),
            message: violation.message,
        }
    }
}

/// Splits a domain result: rule violations become `userErrors`, other failures GraphQL errors.
pub(crate) fn settle<T>(
    result: Result<T, Failure>,
) -> Result<(Option<T>, Vec<UserError>), ApiError> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(Failure::Rules(violations)) => {
            Ok((None, violations.into_iter().map(UserError::from).collect()))
        }
        Err(Failure::Api(err)) => Err(err),
    }
}

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
