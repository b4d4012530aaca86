//! Depth and complexity, the two limits that need the schema's types.
//!
//! The schema that serves requests has no extensions: with any extension installed,
//! async-graphql puts every field's resolution, and every list item's, through the extension
//! chain (a look-up of the field in the registry and boxed futures), whatever hooks the
//! extension overrides. So the serving schema refuses with its own limits (`limit_depth`,
//! `limit_complexity`), whose refusals carry no code, and `Measure` explains a refusal: a
//! second schema of the same types that only validates, whose `Cost` extension measures the
//! document and refuses what it exceeds with `LIMIT_EXCEEDED` and the measure. Only a request
//! refused before it ran is validated twice.

use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ValidationResult, Value, Variables};

use super::AppSchema;
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

impl From<&crate::config::Limits> for Cost {
    fn from(limits: &crate::config::Limits) -> Self {
        Self {
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
        }
    }
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

    /// The measuring schema runs nothing: a document it passes is the serving schema's.
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::default()
    }
}

/// Explains the serving schema's refusals (see the module's doc). The measuring schema is
/// built on the first refusal.
#[derive(Clone)]
pub struct Measure {
    cost: Cost,
    introspection: bool,
    schema: Arc<OnceLock<AppSchema>>,
}

impl Measure {
    /// For a serving schema built with `limits` and `introspection` (`graphql::schema`).
    pub fn new(limits: &crate::config::Limits, introspection: bool) -> Self {
        Self {
            cost: limits.into(),
            introspection,
            schema: Arc::default(),
        }
    }

    /// `response`, the serving schema's answer to `document`, unless that schema refused the
    /// document before running it: then the measuring schema's answer, in which an exceeded
    /// depth or complexity is coded and measured, and any other refusal reads the same.
    pub async fn explain(
        &self,
        response: Response,
        document: &ExecutableDocument,
        variables: &Variables,
        operation_name: Option<&str>,
    ) -> Response {
        let refused = response.data == Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|error| error.path.is_empty());
        if !refused {
            return response;
        }
        let schema = self.schema.get_or_init(|| {
            super::builder(self.introspection)
                .extension(self.cost)
                .finish()
        });
        let mut request = async_graphql::Request::new("").variables(variables.clone());
        request.operation_name = operation_name.map(str::to_owned);
        request.set_parsed_query(document.clone());
        let measured = schema.execute(request).await;
        if measured.errors.is_empty() {
            response
        } else {
            measured
        }
    }
}
