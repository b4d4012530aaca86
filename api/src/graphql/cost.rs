//! Depth and complexity, the two limits that need the schema's types: measured and refused by
//! the schema's own validation (`limit_depth`, `limit_complexity`), then coded here with
//! `LIMIT_EXCEEDED` and said with the bound that was passed.
//!
//! Not an extension: any extension puts every field's resolution through the extension
//! chain (a registry lookup and boxed futures a field, a fifth of a page of 100
//! inspections' cost), even one that only watches validation.

use async_graphql::ServerError;

use crate::error::ErrorCode;

/// Nesting of selection sets (a fragment spread is a level) the schema is given at most: its
/// validation and execution recurse that deep.
pub const MAX_NESTING: usize = 32;

/// Directives one field, fragment or operation may carry.
pub const MAX_DIRECTIVES: usize = 4;

/// What async-graphql 7 answers when a document passes `limit_depth` or `limit_complexity`
/// (the front door's tests pin them).
const TOO_DEEP: &str = "Query is nested too deep.";
const TOO_COMPLEX: &str = "Query is too complex.";

/// The bounds `QINGDAN_MAX_DEPTH` and `QINGDAN_MAX_COMPLEXITY` set.
#[derive(Clone, Copy)]
pub struct Cost {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Cost {
    /// Gives the schema's refusals of depth and complexity their code and our words.
    pub fn code_refusals(&self, errors: &mut [ServerError]) {
        for error in errors {
            let message = match error.message.as_str() {
                TOO_DEEP => format!("the query nests fields deeper than {}", self.max_depth),
                TOO_COMPLEX => format!(
                    "the query costs more than {} (a connection's page size multiplies what it selects)",
                    self.max_complexity
                ),
                _ => continue,
            };
            error.message = message;
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::LimitExceeded.as_str());
        }
    }
}

impl From<&crate::config::Limits> for Cost {
    fn from(limits: &crate::config::Limits) -> Self {
        Self {
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
        }
    }
}
