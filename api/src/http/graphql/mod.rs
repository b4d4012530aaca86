//! `/graphql`, the one front door, per the GraphQL-over-HTTP spec: POST with
//! `application/json` bodies, GET for queries only, the response media type negotiated from
//! `Accept`, and request errors answered 400 without `data` under
//! `application/graphql-response+json`. A JSON array of operations (a batch) is refused
//! unless `QINGDAN_MAX_BATCH` allows it.
//!
//! A request is read once, size-checked once and its document parsed once
//! (`operation::Operation`); the rate limit, the response cache, the limits, GET's query-only
//! rule, execution, metrics and the log line all work from those. In order: the caller's
//! token is verified; the body is read; a request naming a persisted document gets its text;
//! the client's rate is checked; a read already answered at this data version is served from
//! the cache (without parsing); otherwise the text is counted, parsed, checked against the
//! limits and executed, and a clean answer to a read is kept.
//!
//! Here: the door's steps. Beside it: `answer` (media types, refusals, serialised answers),
//! `slot` (a read's place in the response cache), `batch` (arrays of operations) and
//! `execute` (the schema's run and every error's code).

mod answer;
mod batch;
mod execute;
mod slot;

pub use answer::{bearer_challenge, refuse};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, Uri, header, request::Parts},
    response::Response,
};

use super::cache::{self};
use super::headers::REQUEST_ID;
use super::metrics::{self, Outcome};
use super::observe::Observed;
use super::operation::Operation;
use super::persisted::DocumentId;
use super::{AppState, limits};
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorCode, TransportCode};

use answer::{
    Answer, Executed, JSON, MediaType, bad_request, no_query, request_error, timed_out,
    unauthenticated,
};
use execute::run;

/// `/graphql`, every method: GraphiQL for browsers, queries by GET, everything by POST.
pub async fn endpoint(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.start();
    let (parts, body) = request.into_parts();
    let request_id = parts
        .headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // The subject of a valid token only: a bad token is refused further on, and is counted
    // against the caller's address meanwhile.
    let caller = state.viewer(&parts.headers).await;
    let subject = caller.as_ref().ok().and_then(|viewer| viewer.sub.clone());
    let door = Door {
        state: &state,
        parts: &parts,
        caller,
        subject: subject.as_deref(),
    };
    let statements = Arc::new(AtomicU64::new(0));
    let answer = crate::db::REQUEST_STATEMENTS
        .scope(statements.clone(), door.answer(body))
        .await;
    let observed = Observed {
        request_id: &request_id,
        operation: &answer.operation,
        outcome: answer.outcome,
        subject: subject.as_deref(),
        statements: answer.counted.then(|| statements.load(Ordering::Relaxed)),
    };
    observed.finish(&state, started, answer.response)
}

/// One request on its way through the front door. Its steps answer `Err` with a refusal.
struct Door<'a> {
    state: &'a AppState,
    parts: &'a Parts,
    caller: Result<Viewer, ApiError>,
    subject: Option<&'a str>,
}

type Step<T> = Result<T, Answer>;

/// A request decoded from its body or query string, before its document is parsed.
struct Decoded {
    request: async_graphql::Request,
    /// What the response cache keys it by: the body or the query string as sent, `None`
    /// when too large to keep.
    key: Option<Vec<u8>>,
}

impl Door<'_> {
    async fn answer(&self, body: Body) -> Answer {
        let answered = match self.parts.method {
            Method::GET | Method::HEAD => self.get().await,
            Method::POST => self.post(body).await,
            _ => Err(Answer::refused(
                refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    TransportCode::MethodNotAllowed,
                    "send GraphQL requests with POST (or queries with GET)",
                ),
                metrics::ANONYMOUS,
            )),
        };
        answered.unwrap_or_else(|refusal| refusal)
    }

    fn media(&self) -> Step<MediaType> {
        MediaType::negotiate(&self.parts.headers).ok_or_else(|| {
            Answer::refused(
                refuse(
                    StatusCode::NOT_ACCEPTABLE,
                    TransportCode::NotAcceptable,
                    "accept application/json or application/graphql-response+json",
                ),
                metrics::ANONYMOUS,
            )
        })
    }

    /// GET serves GraphiQL to a browser and executes queries (never mutations) for everyone
    /// else.
    async fn get(&self) -> Step<Answer> {
        let uri: &Uri = &self.parts.uri;
        let accept = header_text(&self.parts.headers, header::ACCEPT);
        if self.state.graphiql && accept.contains("text/html") && uri.query().is_none() {
            let page = super::graphiql::page(&self.parts.headers);
            return Ok(Answer::new(page, Outcome::Ok, metrics::ANONYMOUS));
        }
        let media = self.media()?;
        let parameters = uri.query().unwrap_or_default();
        let mut request = async_graphql::http::parse_query_string(parameters)
            .map_err(|err| bad_request(&err.to_string()))?;
        // The spec's name is `operationName`; async-graphql's parser reads `operation_name`.
        if let Ok(axum::extract::Query(named)) =
            axum::extract::Query::<OperationName>::try_from_uri(uri)
            && named.operation_name.is_some()
        {
            request.operation_name = named.operation_name;
        }
        let document_id = if request.query.is_empty() {
            axum::extract::Query::<DocumentId>::try_from_uri(uri)
                .map(|query| query.0.id)
                .unwrap_or_default()
        } else {
            None
        };
        let has_query = parameters
            .split('&')
            .any(|pair| pair.split('=').next() == Some("query"));
        if !has_query && document_id.is_none() && !request.extensions.contains_key("persistedQuery")
        {
            return Err(no_query());
        }
        let key = Some(parameters.as_bytes().to_vec());
        self.resolve_persisted(media, &mut request, document_id.as_deref())?;
        self.one(media, Decoded { request, key }).await
    }

    async fn post(&self, body: Body) -> Step<Answer> {
        let limit = self.state.limits.max_body_bytes;
        let too_large = || {
            Answer::refused(
                refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::LimitExceeded,
                    &format!("request body over {limit} bytes"),
                ),
                metrics::ANONYMOUS,
            )
        };
        // Refused from the declared length before reading a byte, or while reading.
        let declared = self
            .parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        let body = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| too_large())?;
        let media = self.media()?;
        // Only JSON bodies: this also keeps browsers' cross-site form posts (text/plain) out.
        let content_type = header_text(&self.parts.headers, header::CONTENT_TYPE);
        if content_type.split(';').next().map(str::trim) != Some(JSON) {
            return Err(Answer::refused(
                refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    TransportCode::UnsupportedMediaType,
                    "send the request as Content-Type: application/json",
                ),
                metrics::ANONYMOUS,
            ));
        }
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return self.batch(media, &body).await;
        }
        let mut request: async_graphql::Request = serde_json::from_slice(&body)
            .map_err(|err| bad_request(&format!("not a GraphQL request: {err}")))?;
        // Only a request without text may name its document by a top-level id.
        let document_id = if request.query.is_empty() {
            serde_json::from_slice::<DocumentId>(&body)
                .unwrap_or_default()
                .id
        } else {
            None
        };
        // A text was sent, so a document is named: the body is read again only without one.
        if request.query.is_empty() && document_id.is_none() && !names_a_document(&body) {
            return Err(no_query());
        }
        let key = (body.len() <= cache::MAX_CACHED_REQUEST).then(|| body.to_vec());
        self.resolve_persisted(media, &mut request, document_id.as_deref())?;
        self.one(media, Decoded { request, key }).await
    }

    /// Fills in a persisted document's text (`persisted`), or refuses the request.
    fn resolve_persisted(
        &self,
        media: MediaType,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Step<()> {
        self.state
            .persisted
            .resolve(request, document_id)
            .map_err(|refusal| {
                Answer::refused(
                    request_error(media, refusal.code, refusal.message),
                    label_of(request),
                )
            })
    }

    /// The per-client rate (`observe::within_rate`).
    fn within_rate(&self, operation: &str) -> Step<()> {
        super::observe::within_rate(self.state, self.subject, &self.parts.extensions).map_err(
            |response| Answer {
                response,
                outcome: Outcome::RateLimited,
                operation: operation.to_owned(),
                counted: false,
            },
        )
    }

    /// The verified caller, or the refusal of its token.
    fn viewer(&self) -> Step<Viewer> {
        self.caller
            .clone()
            .map_err(|err| Answer::refused(unauthenticated(err), metrics::ANONYMOUS))
            .map_err(|mut answer| {
                if answer.response.status() == StatusCode::SERVICE_UNAVAILABLE {
                    answer.outcome = Outcome::Unavailable;
                }
                answer
            })
    }

    /// One operation: from the cache when a read was answered at this data version, else
    /// parsed, checked and executed.
    async fn one(&self, media: MediaType, decoded: Decoded) -> Step<Answer> {
        let Decoded { request, key } = decoded;
        self.within_rate(&label_of(&request))?;
        let viewer = self.viewer()?;
        let cache = match key {
            Some(key) => self.cache_slot(&viewer, media, key).await,
            None => None,
        };
        if let Some(slot) = &cache {
            if let Some(validator) = &slot.validator
                && cache::if_none_match(&self.parts.headers, &validator.etag)
            {
                return Ok(Answer::new(
                    validator.not_modified(),
                    Outcome::Ok,
                    label_of(&request),
                ));
            }
            if let Some(hit) = slot.get(self.state) {
                return Ok(slot.served(hit));
            }
        }
        let limits = &self.state.limits;
        limits::check_text(limits, &request.query).map_err(|message| {
            Answer::refused(
                request_error(media, ErrorCode::LimitExceeded, &message),
                label_of(&request),
            )
        })?;
        let operation = match self.parse(&request) {
            Ok(operation) => operation,
            Err(error) => return Ok(self.parse_failed(media, &request, error)),
        };
        if self.parts.method != Method::POST && operation.is_mutation() {
            return Err(Answer::refused(
                refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    TransportCode::MethodNotAllowed,
                    "mutations are sent with POST",
                ),
                operation.name,
            ));
        }
        operation.check_limits(limits).map_err(|message| {
            Answer::refused(
                request_error(media, ErrorCode::LimitExceeded, &message),
                operation.name.clone(),
            )
        })?;
        if let Some(message) = operation.missing_variable(&request.variables) {
            return Err(Answer::refused(
                request_error(media, ErrorCode::BadUserInput, &message),
                operation.name,
            ));
        }
        let mutation = operation.is_mutation();
        // Reads only: callers of the same read wait for the first one's answer (a while, not
        // forever: if it is slow or fails, the rest compute their own).
        let cache = cache.filter(|_| !mutation);
        let lock = cache.as_ref().map(|slot| slot.computing_lock(self.state));
        let _computing = match &lock {
            Some(lock) => tokio::time::timeout(Duration::from_secs(2), lock.lock())
                .await
                .ok(),
            None => None,
        };
        if let Some(slot) = &cache
            && let Some(hit) = slot.get(self.state)
        {
            return Ok(slot.served(hit));
        }
        let name = operation.name.clone();
        let scopes = operation.scopes.clone();
        let timeout = Duration::from_millis(limits.request_timeout_ms);
        let executed =
            tokio::time::timeout(timeout, run(self.state, viewer, request, operation)).await;
        if mutation {
            self.state.written();
        }
        let Ok(response) = executed else {
            return Err(timed_out(name));
        };
        let executed = Executed::of(media, &response);
        // Only clean answers are kept (an error may be passing: the database went away), and
        // none with a field that must be read fresh (`cache_control(no_cache)`: state that
        // moves without the data version).
        let keep = executed.outcome == Outcome::Ok
            && executed.status == StatusCode::OK
            && response.cache_control.max_age >= 0;
        if let Some(slot) = cache.as_ref().filter(|_| keep) {
            slot.keep(self.state, scopes, &executed.body, media.header(), &name);
        }
        let validator = cache.as_ref().and_then(|slot| slot.validator.as_ref());
        let answer = executed.into_answer(media, name);
        Ok(Answer {
            response: cache::validated(answer.response, validator.filter(|_| keep)),
            ..answer
        })
    }

    /// The request's document, parsed: at most one parse a request (the schema is handed
    /// the result), none for a document this process parsed before; parses are counted in
    /// the metrics.
    fn parse(
        &self,
        request: &async_graphql::Request,
    ) -> Result<Operation, async_graphql::ServerError> {
        let metrics = &self.state.metrics;
        self.state
            .parsed
            .get(&request.query, request.operation_name.as_deref(), || {
                metrics.parsed()
            })
    }

    /// A document that does not parse: a request error, as validation failures are.
    fn parse_failed(
        &self,
        media: MediaType,
        request: &async_graphql::Request,
        error: async_graphql::ServerError,
    ) -> Answer {
        let mut error = error;
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", TransportCode::GraphqlParseFailed.as_str());
        let response = async_graphql::Response::from_errors(vec![error]);
        Executed::of(media, &response).into_answer(media, label_of(request))
    }
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

/// A GET request's `operationName` parameter.
#[derive(serde::Deserialize)]
struct OperationName {
    #[serde(rename = "operationName", default)]
    operation_name: Option<String>,
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

/// The metrics label of a request not (yet) parsed: the operation name it gives.
fn label_of(request: &async_graphql::Request) -> String {
    metrics::label(request.operation_name.as_deref())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
