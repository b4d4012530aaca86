//! Depth and complexity, the two limits that need the schema's types: measured by the
//! schema's own validation and refused here with `LIMIT_EXCEEDED`, so the code comes from
//! what was exceeded rather than from the framework's message.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::error::ErrorCode;

/// Nesting of selection sets (a fragment spread is a level) the schema is given at most: its
/// validation and execution recurse that deep.
pub const MAX_NESTING: usize = 32;

/// Directives one field, fragment or operation may carry.
pub const MAX_DIRECTIVES: usize = 4;

/// The bounds `QINGDAN_MAX_DEPTH` and `QINGDAN_MAX_COMPLEXITY` set.
#[derive(Clone, Copy)]
pub struct Cost {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl ExtensionFactory for Cost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_trait::async_trait]
impl Extension for Cost {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let measured = next.run(ctx).await?;
        let exceeded = if measured.depth > self.max_depth {
            Some(format!(
                "the query nests fields {} deep, more than {}",
                measured.depth, self.max_depth
            ))
        } else if measured.complexity > self.max_complexity {
            Some(format!(
                "the query costs {}, more than {} (a connection's page size multiplies what it selects)",
                measured.complexity, self.max_complexity
            ))
        } else {
            None
        };
        match exceeded {
            None => Ok(measured),
            Some(message) => {
                let mut error = ServerError::new(message, None);
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", ErrorCode::LimitExceeded.as_str());
                error.extensions = Some(extensions);
                Err(vec![error])
            }
        }
    }
}
