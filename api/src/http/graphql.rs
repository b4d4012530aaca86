//! `/graphql` per the GraphQL-over-HTTP spec: POST with `application/json` bodies, GET for
//! queries only, the response media type negotiated from `Accept`, and request errors
//! answered 400 without `data` under `application/graphql-response+json`. A JSON array of
//! operations (a batch) is refused unless `QINGDAN_MAX_BATCH` allows it.

use async_graphql::parser::types::OperationType;
use axum::{
    Extension,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::metrics::Outcome;
use super::persisted::DocumentId;
use super::{AppState, Caller};
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::graphql;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the client accepts for the answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    Json,
    GraphqlResponse,
}

impl MediaType {
    /// `application/graphql-response+json` when asked for, else `application/json` (also for
    /// `*/*` and a missing `Accept`); `None` when the client accepts neither.
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
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

    fn header(self) -> HeaderValue {
        match self {
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
            Self::GraphqlResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
        }
    }
}

/// A refusal before execution, as a JSON GraphQL error with a stable code.
pub fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, axum::Json(body)).into_response();
    response.extensions_mut().insert(if code == "TIMEOUT" {
        Outcome::Timeout
    } else {
        Outcome::Refused
    });
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// A bad token ends the request before execution: 401 with a coded GraphQL error and the
/// reason in `WWW-Authenticate` (RFC 6750), logged without the token. When the caller cannot
/// be checked at all (no signing keys, no database), 503 with `UNAVAILABLE`.
fn unauthenticated(err: ApiError) -> Response {
    let code = err.code();
    if code != crate::error::ErrorCode::Unauthenticated {
        tracing::warn!(error = ?err, "the caller cannot be verified");
        let mut response = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            code.as_str(),
            &err.message(),
        );
        response.extensions_mut().insert(Outcome::Unavailable);
        return response;
    }
    let reason = match &err {
        ApiError::InvalidToken { reason } => reason.as_str(),
        _ => "authentication required",
    };
    tracing::info!(reason, "bearer token refused");
    let mut response = refuse(StatusCode::UNAUTHORIZED, code.as_str(), &err.message());
    // The reasons are fixed texts of ours, but a quote or backslash would end the quoted
    // string early.
    let description: String = reason
        .chars()
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    let challenge = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

pub async fn post(
    State(state): State<AppState>,
    verified: Option<Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let verified = verified.map(|Extension(caller)| caller);
    let limit = state.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Refused from the declared length before reading a byte, or while reading.
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            &format!("request body over {limit} bytes"),
        )
    };
    if declared.is_some_and(|length| length > limit) {
        return too_large();
    }
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    let Some(media) = MediaType::negotiate(&headers) else {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "accept application/json or application/graphql-response+json",
        );
    };
    // Only JSON bodies: this also keeps browsers' cross-site form posts (text/plain) out.
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    if content_type.split(';').next().map(str::trim) != Some(JSON) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as Content-Type: application/json",
        );
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return batch(&state, &headers, verified.as_ref(), media, &body).await;
    }
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("not a GraphQL request: {err}"),
            );
        }
    };
    // Only a request without text may name its document by a top-level id.
    let document_id = if request.query.is_empty() {
        serde_json::from_slice::<DocumentId>(&body)
            .unwrap_or_default()
            .id
    } else {
        None
    };
    if document_id.is_none() && !names_a_document(&body) {
        return no_query();
    }
    if let Err(refusal) = resolve_persisted(&state, &mut request, document_id.as_deref()) {
        return request_error(media, refusal.code, refusal.message);
    }
    execute(&state, &headers, verified.as_ref(), media, request).await
}

/// The parameters that say which document to run: a request without either (a misspelt
/// `qeury`, say) is malformed, not a document that fails to parse, so it answers 400
/// whatever the client accepts.
#[derive(serde::Deserialize)]
struct DocumentParameters {
    query: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    extensions: Option<std::collections::HashMap<String, serde::de::IgnoredAny>>,
}

/// True when the body carries a `query`, or a persisted query's hash in its extensions.
fn names_a_document(body: &[u8]) -> bool {
    serde_json::from_slice::<DocumentParameters>(body).is_ok_and(|parameters| {
        parameters.query.is_some()
            || parameters
                .extensions
                .is_some_and(|extensions| extensions.contains_key("persistedQuery"))
    })
}

/// GET serves GraphiQL to a browser and executes queries (never mutations) for everyone else.
pub async fn get(
    State(state): State<AppState>,
    verified: Option<Extension<Caller>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let verified = verified.map(|Extension(caller)| caller);
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or("");
    if state.graphiql && accept.contains("text/html") && uri.query().is_none() {
        return super::graphiql::page(&headers);
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "accept application/json or application/graphql-response+json",
        );
    };
    let parameters = uri.query().unwrap_or_default();
    let mut request = match async_graphql::http::parse_query_string(parameters) {
        Ok(request) => request,
        Err(err) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", &err.to_string()),
    };
    let document_id = if request.query.is_empty() {
        axum::extract::Query::<DocumentId>::try_from_uri(&uri)
            .map(|query| query.0.id)
            .unwrap_or_default()
    } else {
        None
    };
    let has_query = parameters
        .split('&')
        .any(|pair| pair.split('=').next() == Some("query"));
    if !has_query && document_id.is_none() && !request.extensions.contains_key("persistedQuery") {
        return no_query();
    }
    // Resolved first: a persisted mutation is still a mutation.
    if let Err(refusal) = resolve_persisted(&state, &mut request, document_id.as_deref()) {
        return request_error(media, refusal.code, refusal.message);
    }
    if is_mutation(&request) {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are sent with POST",
        );
    }
    execute(&state, &headers, verified.as_ref(), media, request).await
}

/// True when the operation the request names (or its only one) is a mutation.
fn is_mutation(request: &async_graphql::Request) -> bool {
    // A mutation's document says so; most reads are told apart without parsing.
    if !request.query.contains("mutation") {
        return false;
    }
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && operation.node.ty == OperationType::Mutation
    })
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    verified: Option<&Caller>,
    media: MediaType,
    request: async_graphql::Request,
) -> Response {
    if let Some(message) = over_limits(state, &request) {
        return request_error(media, "LIMIT_EXCEEDED", &message);
    }
    let viewer = match state.caller(headers, verified).await {
        Ok(viewer) => viewer,
        Err(err) => return unauthenticated(err),
    };
    let timeout = std::time::Duration::from_millis(state.limits.request_timeout_ms);
    let mutation = is_mutation(&request);
    let Ok(response) = tokio::time::timeout(timeout, run(state, viewer, request)).await else {
        return timed_out();
    };
    // A request error (unparsable, invalid, bad variables) never started executing: its
    // errors have no path and there is no data.
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
        (StatusCode::OK, to_json(&response))
    };
    let outcome = outcome_of(&response.errors, request_error);
    let mut http = (status, body).into_response();
    http.headers_mut()
        .insert(header::CONTENT_TYPE, media.header());
    http.extensions_mut().insert(outcome);
    // Nor is an answer whose fields must be read fresh (`cache_control(no_cache)`: webhook
    // delivery state moves without the data version) kept by the response cache.
    if mutation || response.cache_control.max_age < 0 {
        http.extensions_mut().insert(crate::cache::Mutation);
    }
    http
}

/// A request refused before execution, as the spec answers request errors: 400 under
/// `application/graphql-response+json`, 200 under `application/json`.
fn request_error(media: MediaType, code: &str, message: &str) -> Response {
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

/// Fills in a persisted document's text (`persisted`), or refuses the request.
fn resolve_persisted(
    state: &AppState,
    request: &mut async_graphql::Request,
    document_id: Option<&str>,
) -> Result<(), super::persisted::Refusal> {
    state.persisted.resolve(request, document_id)
}

/// A request that names no document (no `query`, persisted query or document id): a
/// request-parameter error (GraphQL over HTTP), 400.
fn no_query() -> Response {
    refuse(
        StatusCode::BAD_REQUEST,
        "BAD_REQUEST",
        "the request has no query parameter",
    )
}

/// A request error's answer: no `data` entry at all.
#[derive(serde::Serialize)]
struct ErrorsOnly<'a> {
    errors: &'a [async_graphql::ServerError],
}

/// Serialises an answer straight from async-graphql's values, whose objects keep the order
/// of the selection set (the spec orders the response map so); a detour through
/// `serde_json::Value` would sort every object's keys.
fn to_json(answer: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(answer).unwrap_or_else(|_| br#"{"data":null}"#.to_vec())
}

/// Dropping the execution rolls back any transaction it had open.
fn timed_out() -> Response {
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "TIMEOUT",
        "the request took too long and was abandoned",
    )
}

/// Executes one operation for `viewer`, every error coded.
async fn run(
    state: &AppState,
    viewer: Viewer,
    request: async_graphql::Request,
) -> async_graphql::Response {
    // One DataLoader a request, so batching never serves a stale row; its batch loads run as
    // spawned tasks, counted toward this request's SQL statements when they are counted.
    let loader = graphql::loaders::ListLoader::new(
        state.db.clone(),
        state.clock.clone(),
        state.in_force.clone(),
    );
    let statements = crate::db::REQUEST_STATEMENTS
        .try_with(std::sync::Arc::clone)
        .ok();
    let loader = async_graphql::dataloader::DataLoader::new(loader, move |load| {
        let counted = statements.clone();
        tokio::spawn(async move {
            match counted {
                Some(statements) => crate::db::REQUEST_STATEMENTS.scope(statements, load).await,
                None => load.await,
            }
        })
    });
    let request = request.data(viewer).data(loader);
    // The document again, to put the answer in the order it asks for (see `order`).
    let document = async_graphql::parser::parse_query(&request.query).ok();
    let operation_name = request.operation_name.clone();
    let mut response = state.schema.execute(request).await;
    if let Some(document) = &document {
        super::order::follow_selection(&mut response.data, document, operation_name.as_deref());
    }
    fill_codes(&mut response.errors);
    response
}

/// How an executed request ended, from its errors.
fn outcome_of(errors: &[async_graphql::ServerError], request_error: bool) -> Outcome {
    let unavailable = errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| *code == async_graphql::Value::from("UNAVAILABLE"))
    });
    if unavailable {
        Outcome::Unavailable
    } else if request_error {
        Outcome::Refused
    } else if errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    }
}

/// One answer of a batch, serialised as it stands (see `to_json`).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum BatchAnswer {
    Refused(serde_json::Value),
    Ran(Box<async_graphql::Response>),
}

/// A JSON array of operations: refused unless `QINGDAN_MAX_BATCH` allows that many; else
/// each is executed in turn (so mutations apply in order) for the one caller, within one
/// request timeout, and the answers come back as an array in the same order.
async fn batch(
    state: &AppState,
    headers: &HeaderMap,
    verified: Option<&Caller>,
    media: MediaType,
    body: &[u8],
) -> Response {
    let max = state.limits.max_batch;
    if max == 0 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BATCH_DISABLED",
            "batched requests (a JSON array) are not accepted: send one operation per request",
        );
    }
    let mut requests: Vec<async_graphql::Request> = match serde_json::from_slice(body) {
        Ok(requests) => requests,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("not a batch of GraphQL requests: {err}"),
            );
        }
    };
    if requests.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the batch is empty");
    }
    if requests.len() > max {
        return refuse(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            &format!(
                "the batch holds {} operations, more than {max}",
                requests.len()
            ),
        );
    }
    let viewer = match state.caller(headers, verified).await {
        Ok(viewer) => viewer,
        Err(err) => return unauthenticated(err),
    };
    let resolved: Vec<_> = requests
        .iter_mut()
        .map(|request| resolve_persisted(state, request, None))
        .collect();
    let timeout = std::time::Duration::from_millis(state.limits.request_timeout_ms);
    let mutation = requests.iter().any(is_mutation);
    let all = async {
        let mut answers = Vec::with_capacity(requests.len());
        let mut outcome = Outcome::Ok;
        for (request, resolved) in requests.into_iter().zip(resolved) {
            let refused = match resolved {
                Err(refusal) => Some((refusal.code, refusal.message.to_owned())),
                Ok(()) => over_limits(state, &request).map(|message| ("LIMIT_EXCEEDED", message)),
            };
            let (answer, this) = match refused {
                Some((code, message)) => (
                    BatchAnswer::Refused(
                        json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
                    ),
                    Outcome::Refused,
                ),
                None => {
                    let response = run(state, viewer.clone(), request).await;
                    let this = outcome_of(&response.errors, false);
                    (BatchAnswer::Ran(Box::new(response)), this)
                }
            };
            // The batch's outcome is its worst answer's.
            outcome = outcome.max(this);
            answers.push(answer);
        }
        (answers, outcome)
    };
    let Ok((answers, outcome)) = tokio::time::timeout(timeout, all).await else {
        return timed_out();
    };
    let mut http = (StatusCode::OK, to_json(&answers)).into_response();
    http.headers_mut()
        .insert(header::CONTENT_TYPE, media.header());
    http.extensions_mut().insert(outcome);
    if mutation {
        http.extensions_mut().insert(crate::cache::Mutation);
    }
    http
}

/// The token cap (before parsing), the alias cap and the repetition cap: the refusal's
/// message when one is passed. Refused as request errors: 400 under `application/graphql-response+json`, 200
/// under `application/json`, code `LIMIT_EXCEEDED`.
fn over_limits(state: &AppState, request: &async_graphql::Request) -> Option<String> {
    let limits = &state.limits;
    if super::limits::count_tokens(&request.query, limits.max_tokens) > limits.max_tokens {
        return Some(format!(
            "the query holds more than {} tokens",
            limits.max_tokens
        ));
    }
    // An unparsable query is left to the schema, which reports where it fails.
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let aliases = super::limits::count_aliases(&document);
    if aliases > limits.max_aliases {
        return Some(format!(
            "the query uses {aliases} aliases, more than {}",
            limits.max_aliases
        ));
    }
    let (field, repeats) = super::limits::most_repeated(&document)?;
    (repeats > super::limits::MAX_REPEATS).then(|| {
        format!(
            "the query selects {field} {repeats} times in one selection set, more than {}",
            super::limits::MAX_REPEATS
        )
    })
}

/// Gives every error a stable `extensions.code`: the framework's own (parse, validation,
/// limits) come without one.
fn fill_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let limit = ["too deep", "too complex", "directives", "recursive"]
            .iter()
            .any(|m| error.message.contains(m));
        // An argument literal the scalar cannot hold (an Int past 32 bits) fails while the
        // field executes, but it is the client's input at fault.
        let bad_input = error.message.starts_with("Failed to parse")
            || error.message.starts_with("Invalid value for argument");
        let code = if limit {
            "LIMIT_EXCEEDED"
        } else if bad_input {
            "BAD_USER_INPUT"
        } else if error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "INTERNAL"
        };
        extensions.set("code", code);
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

    #[test]
    fn is_mutation__by_operation_name() {
        let request = async_graphql::Request::new("query A { __typename } mutation B { x }");
        assert!(is_mutation(&request));
        let mut named = async_graphql::Request::new("query A { __typename } mutation B { x }");
        named.operation_name = Some("A".to_owned());
        assert!(!is_mutation(&named));
        assert!(is_mutation(&async_graphql::Request::new("mutation { x }")));
        assert!(!is_mutation(&async_graphql::Request::new(
            "{ departments { totalCount } }"
        )));
    }
}
