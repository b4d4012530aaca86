//! What is recorded of every `/graphql` request, cached answers and refusals included: its
//! metrics and its one log line (request id, operation, outcome, duration, statements, the
//! caller's subject; never the token, never the variables); and the per-client rate limit.
//! The spreadsheet endpoints are limited, counted and logged the same way (`middleware`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::headers::REQUEST_ID;
use super::metrics::Outcome;
use super::ratelimit::Client;
use crate::error::TransportCode;

/// The metrics label of the spreadsheet endpoints' requests.
pub const SPREADSHEET: &str = "spreadsheet";

/// Takes one request from the client's bucket: the subject of a valid token, else the peer's
/// address. `Err` is the 429 answer, with `Retry-After`.
pub fn within_rate(
    state: &AppState,
    subject: Option<&str>,
    extensions: &axum::http::Extensions,
) -> Result<(), Response> {
    let Some(limiter) = &state.rate_limiter else {
        return Ok(());
    };
    let client = match (subject, extensions.get::<ConnectInfo<SocketAddr>>()) {
        (Some(subject), _) => Client::Subject(subject),
        (None, Some(ConnectInfo(addr))) => Client::Address(addr.ip()),
        (None, None) => Client::Unknown,
    };
    limiter.take(client, Instant::now()).map_err(|seconds| {
        let mut response = super::graphql::refuse(
            StatusCode::TOO_MANY_REQUESTS,
            TransportCode::RateLimited,
            &format!("too many requests; retry in {seconds} s"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        response
    })
}

/// Rate limits, counts and logs a request to a route other than `/graphql`: its outcome is
/// read from the status (2xx ok, 503 unavailable, 500 error, other 4xx refused).
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.start();
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let subject = state
        .viewer(request.headers())
        .await
        .ok()
        .and_then(|viewer| viewer.sub);
    let mut observed = Observed {
        request_id: &request_id,
        operation: SPREADSHEET,
        outcome: Outcome::RateLimited,
        subject: subject.as_deref(),
        statements: None,
    };
    if let Err(refused) = within_rate(&state, subject.as_deref(), request.extensions()) {
        return observed.finish(&state, started, refused);
    }
    let statements = Arc::new(AtomicU64::new(0));
    let response = crate::db::REQUEST_STATEMENTS
        .scope(statements.clone(), next.run(request))
        .await;
    let status = response.status();
    observed.outcome = if status.is_success() {
        Outcome::Ok
    } else if status == StatusCode::SERVICE_UNAVAILABLE {
        Outcome::Unavailable
    } else if status.is_server_error() {
        Outcome::Error
    } else {
        Outcome::Refused
    };
    observed.statements = Some(statements.load(Ordering::Relaxed));
    observed.finish(&state, started, response)
}

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
