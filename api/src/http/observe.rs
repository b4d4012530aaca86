//! What is recorded of every `/graphql` request, cached answers and refusals included: its
//! metrics and its one log line (request id, operation, outcome, duration, statements, the
//! caller's subject; never the token, never the variables).

use std::time::Instant;

use axum::response::Response;

use super::AppState;
use super::metrics::Outcome;

/// How a request ended, for the record.
pub struct Observed<'a> {
    pub request_id: &'a str,
    /// The operation's metrics label.
    pub operation: &'a str,
    pub outcome: Outcome,
    pub subject: Option<&'a str>,
    /// SQL statements it sent; `None` when it was refused before it could send any.
    pub statements: Option<u64>,
}

impl Observed<'_> {
    /// Counts and logs the request, then hands its response on.
    pub fn finish(self, state: &AppState, started: Instant, response: Response) -> Response {
        let duration = started.elapsed();
        state
            .metrics
            .record(self.operation, self.outcome, duration, self.statements);
        let duration_ms = duration.as_secs_f64() * 1000.0;
        let status = response.status().as_u16();
        let statements = self.statements.unwrap_or(0);
        // One line per request; an anonymous caller's subject is left out, not written empty.
        tracing::info!(
            target: "qingdan::request",
            request_id = self.request_id,
            operation = self.operation,
            outcome = self.outcome.as_str(),
            status,
            duration_ms,
            statements,
            subject = self.subject,
            "graphql request"
        );
        response
    }
}
