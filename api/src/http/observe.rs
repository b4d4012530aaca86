//! What wraps every `/graphql` request, outside the response cache so cached answers count
//! too: the per-client rate limit, the count of SQL statements the request sends, its
//! metrics, and its one log line (request id, operation, outcome, duration, the caller's
//! subject; never the token, never the variables).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::AppState;
use super::headers::REQUEST_ID;
use super::metrics::{self, Outcome};
use super::ratelimit::Client;

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.start();
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Verified once here for every layer after; the subject of a valid token only: a bad
    // token is refused by the handler, and is counted against the caller's address meanwhile.
    let caller = state.viewer(request.headers()).await;
    let subject = caller.as_ref().ok().and_then(|viewer| viewer.sub.clone());
    let mut request = request;
    request.extensions_mut().insert(super::Caller(caller));
    let (request, operation) = match read_operation(&state, request).await {
        Ok(read) => read,
        Err(refusal) => {
            let observed = Observed {
                request_id: &request_id,
                operation: metrics::ANONYMOUS,
                subject: subject.as_deref(),
                statements: None,
            };
            return observed.finish(&state, started, refusal);
        }
    };
    let mut observed = Observed {
        request_id: &request_id,
        operation: &operation,
        subject: subject.as_deref(),
        statements: None,
    };
    if let Some(limiter) = &state.rate_limiter {
        let client = match (
            &subject,
            request.extensions().get::<ConnectInfo<SocketAddr>>(),
        ) {
            (Some(subject), _) => Client::Subject(subject),
            (None, Some(ConnectInfo(addr))) => Client::Address(addr.ip()),
            (None, None) => Client::Unknown,
        };
        if let Err(seconds) = limiter.take(client, Instant::now()) {
            return observed.finish(&state, started, rate_limited(seconds));
        }
    }
    let statements = Arc::new(AtomicU64::new(0));
    let response = crate::db::REQUEST_STATEMENTS
        .scope(statements.clone(), next.run(request))
        .await;
    observed.statements = Some(statements.load(Ordering::Relaxed));
    observed.finish(&state, started, response)
}

/// The request with its body buffered (bounded by the body limit) and the operation it asks
/// for; a body past the limit is refused here, as the handler would.
async fn read_operation(state: &AppState, request: Request) -> Result<(Request, String), Response> {
    if request.method() == Method::GET {
        let operation = request.uri().query().map_or_else(
            || metrics::ANONYMOUS.to_owned(),
            metrics::operation_of_query_string,
        );
        return Ok((request, operation));
    }
    let limit = state.limits.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        // Left unread: the handler refuses it from the declared length.
        return Ok((request, metrics::ANONYMOUS.to_owned()));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Err(super::graphql::refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            &format!("request body over {limit} bytes"),
        ));
    };
    let operation = metrics::operation_of_body(&bytes);
    Ok((Request::from_parts(parts, Body::from(bytes)), operation))
}

fn rate_limited(seconds: u64) -> Response {
    let mut response = super::graphql::refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        &format!("too many requests; retry in {seconds} s"),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response.extensions_mut().insert(Outcome::RateLimited);
    response
}

struct Observed<'a> {
    request_id: &'a str,
    operation: &'a str,
    subject: Option<&'a str>,
    statements: Option<u64>,
}

impl Observed<'_> {
    fn finish(self, state: &AppState, started: Instant, response: Response) -> Response {
        // The handler says how it ended; an answer without a say came from the cache (which
        // keeps clean answers only) or from the router (an unknown method).
        let outcome = response.extensions().get::<Outcome>().copied().unwrap_or(
            if response.status().is_success() {
                Outcome::Ok
            } else {
                Outcome::Refused
            },
        );
        let duration = started.elapsed();
        state
            .metrics
            .record(self.operation, outcome, duration, self.statements);
        let duration_ms = duration.as_secs_f64() * 1000.0;
        let status = response.status().as_u16();
        let statements = self.statements.unwrap_or(0);
        // One line per request; an anonymous caller's subject is left out, not written empty.
        tracing::info!(
            target: "qingdan::request",
            request_id = self.request_id,
            operation = self.operation,
            outcome = outcome.as_str(),
            status,
            duration_ms,
            statements,
            subject = self.subject,
            "graphql request"
        );
        response
    }
}
