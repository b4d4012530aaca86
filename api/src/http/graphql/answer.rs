//! What the front door answers: the negotiated media type, refusals with their stable codes,
//! and an executed request's serialised answer.

use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::execute::outcome_of;
use crate::error::{ApiError, Code, ErrorCode, TransportCode};
use crate::http::metrics::{self, Outcome};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
pub(super) const JSON: &str = "application/json";

/// The media type the client accepts for the answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaType {
    Json,
    GraphqlResponse,
}

impl MediaType {
    /// `application/graphql-response+json` when asked for, else `application/json` (also for
    /// `*/*` and a missing `Accept`); `None` when the client accepts neither.
    pub(super) fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()) else {
            return Some(Self::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .collect();
        if types.contains(&GRAPHQL_RESPONSE) {
            Some(Self::GraphqlResponse)
        } else if types
            .iter()
            .any(|t| *t == JSON || *t == "*/*" || *t == "application/*" || t.is_empty())
        {
            Some(Self::Json)
        } else {
            None
        }
    }

    pub(super) fn header(self) -> HeaderValue {
        match self {
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
            Self::GraphqlResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
        }
    }
}

/// What the front door answered, and how that is recorded.
pub(super) struct Answer {
    pub(super) response: Response,
    pub(super) outcome: Outcome,
    /// The operation's metrics label.
    pub(super) operation: String,
    /// False when the request was refused before it could send a statement.
    pub(super) counted: bool,
}

impl Answer {
    pub(super) fn new(response: Response, outcome: Outcome, operation: impl Into<String>) -> Self {
        Self {
            response,
            outcome,
            operation: operation.into(),
            counted: true,
        }
    }

    /// A refusal before execution (a bad request, a limit, the rate).
    pub(super) fn refused(response: Response, operation: impl Into<String>) -> Self {
        Self::new(response, Outcome::Refused, operation)
    }
}
/// A refusal before execution, as a JSON GraphQL error with a stable code.
pub fn refuse(status: StatusCode, code: impl Into<Code>, message: &str) -> Response {
    let code = code.into();
    let body =
        json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// An executed request's answer, serialised.
pub(super) struct Executed {
    pub(super) status: StatusCode,
    pub(super) body: Bytes,
    pub(super) outcome: Outcome,
}

impl Executed {
    /// A request error (unparsable, invalid, bad variables) never started executing: its
    /// errors have no path and there is no data; under `application/graphql-response+json`
    /// it answers 400 without `data`.
    pub(super) fn of(media: MediaType, response: &async_graphql::Response) -> Self {
        let request_error = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        let (status, body) = if media == MediaType::GraphqlResponse && request_error {
            (
                StatusCode::BAD_REQUEST,
                to_json(&ErrorsOnly {
                    errors: &response.errors,
                }),
            )
        } else {
            (StatusCode::OK, to_json(response))
        };
        Self {
            status,
            body: Bytes::from(body),
            outcome: outcome_of(&response.errors, request_error),
        }
    }

    pub(super) fn into_answer(self, media: MediaType, operation: String) -> Answer {
        let mut response = (self.status, self.body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media.header());
        Answer::new(response, self.outcome, operation)
    }
}

/// A bad token ends the request before execution: 401 with a coded GraphQL error and the
/// reason in `WWW-Authenticate` (RFC 6750), logged without the token. When the caller cannot
/// be checked at all (no signing keys, no database), 503 with `UNAVAILABLE`.
pub(super) fn unauthenticated(err: ApiError) -> Response {
    let code = err.code();
    if code != ErrorCode::Unauthenticated {
        tracing::warn!(error = ?err, "the caller cannot be verified");
        return refuse(StatusCode::SERVICE_UNAVAILABLE, code, &err.message());
    }
    let mut response = refuse(StatusCode::UNAUTHORIZED, code, &err.message());
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, bearer_challenge(&err));
    response
}

/// RFC 6750's challenge for a refused token, its reason in `error_description`; the reason
/// is logged, never the token.
pub fn bearer_challenge(err: &ApiError) -> HeaderValue {
    let ApiError::InvalidToken { reason } = err else {
        return HeaderValue::from_static("Bearer");
    };
    tracing::info!(reason, "bearer token refused");
    // The reasons are fixed texts of ours, but a quote or backslash would end the quoted
    // string early.
    let description: String = reason
        .chars()
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    let challenge = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
    HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer"))
}

/// A request refused before execution, as the spec answers request errors: 400 under
/// `application/graphql-response+json`, 200 under `application/json`.
pub(super) fn request_error(media: MediaType, code: impl Into<Code>, message: &str) -> Response {
    let status = match media {
        MediaType::GraphqlResponse => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    let mut response = refuse(status, code, message);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.header());
    response
}

/// A malformed request: 400 whatever the client accepts.
pub(super) fn bad_request(message: &str) -> Answer {
    Answer::refused(
        refuse(StatusCode::BAD_REQUEST, TransportCode::BadRequest, message),
        metrics::ANONYMOUS,
    )
}

/// A request that names no document (no `query`, persisted query or document id): a
/// request-parameter error (GraphQL over HTTP), 400.
pub(super) fn no_query() -> Answer {
    bad_request("the request has no query parameter")
}

/// A request error's answer: no `data` entry at all.
#[derive(serde::Serialize)]
pub(super) struct ErrorsOnly<'a> {
    pub(super) errors: &'a [async_graphql::ServerError],
}

/// Serialises an answer straight from async-graphql's values, whose objects keep the order
/// of the selection set (the spec orders the response map so); a detour through
/// `serde_json::Value` would sort every object's keys.
pub(super) fn to_json(answer: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_else(|_| br#"{"data":null}"#.to_vec())
}

/// Dropping the execution rolls back any transaction it had open.
pub(super) fn timed_out(operation: String) -> Answer {
    Answer {
        response: refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            TransportCode::Timeout,
            "the request took too long and was abandoned",
        ),
        outcome: Outcome::Timeout,
        operation,
        counted: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        MediaType::negotiate(&headers)
    }

    #[test]
    fn negotiate__follows_accept() {
        assert!(
            accept("application/graphql-response+json, application/json;q=0.9")
                == Some(MediaType::GraphqlResponse)
        );
        assert!(accept("application/json") == Some(MediaType::Json));
        assert!(accept("*/*") == Some(MediaType::Json));
        assert!(MediaType::negotiate(&HeaderMap::new()) == Some(MediaType::Json));
        assert!(accept("text/plain").is_none());
    }
}
