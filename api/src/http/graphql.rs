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

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::cache::{self, Cached, Validator};
use super::headers::REQUEST_ID;
use super::metrics::{self, Outcome};
use super::observe::Observed;
use super::operation::Operation;
use super::persisted::DocumentId;
use super::{AppState, limits};
use crate::auth::Viewer;
use crate::error::{ApiError, Code, ErrorCode, TransportCode};
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

/// What the front door answered, and how that is recorded.
struct Answer {
    response: Response,
    outcome: Outcome,
    /// The operation's metrics label.
    operation: String,
    /// False when the request was refused before it could send a statement.
    counted: bool,
}

impl Answer {
    fn new(response: Response, outcome: Outcome, operation: impl Into<String>) -> Self {
        Self {
            response,
            outcome,
            operation: operation.into(),
            counted: true,
        }
    }

    /// A refusal before execution (a bad request, a limit, the rate).
    fn refused(response: Response, operation: impl Into<String>) -> Self {
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
        if document_id.is_none() && !names_a_document(&body) {
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
        limits::check_document(limits, &operation.document).map_err(|message| {
            Answer::refused(
                request_error(media, ErrorCode::LimitExceeded, &message),
                operation.name.clone(),
            )
        })?;
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
            self.state.versions.written();
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

    /// The request's document, parsed: the only parse a request costs (the schema is
    /// handed the result), counted in the metrics.
    fn parse(
        &self,
        request: &async_graphql::Request,
    ) -> Result<Operation, async_graphql::ServerError> {
        self.state.metrics.parsed();
        Operation::parse(&request.query, request.operation_name.as_deref())
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

    /// Where the answer to a read is kept: the caller as far as it changes the answer (roles,
    /// department, the day), the media types and the request as sent. `None` when the data
    /// version cannot be read: the database cannot vouch for a kept answer either.
    async fn cache_slot(&self, viewer: &Viewer, media: MediaType, key: Vec<u8>) -> Option<Slot> {
        let today = self.state.clock.today();
        let audience = if viewer.sub.is_none() {
            format!("anonymous {today}")
        } else {
            let mut roles = viewer.roles.clone();
            roles.sort_by_key(|role| format!("{role:?}"));
            format!("{roles:?} {:?} {today}", viewer.dept)
        };
        let variant = format!(
            "{} {} {audience}",
            self.parts.method,
            media.header().to_str().unwrap_or_default(),
        );
        let stamp = self.state.versions.current(&self.state.db).await.ok()?;
        // A GET answer is named by what decides it, so a client holding it revalidates for
        // free; an anonymous one is everyone's, so shared caches may keep it. The tag is
        // made before the document is parsed, so it follows every write, not only the
        // scopes the answer read.
        let validator = (self.parts.method != Method::POST).then(|| Validator {
            etag: cache::etag(stamp.all(), &variant, &key),
            anonymous: viewer.sub.is_none(),
        });
        Some(Slot {
            stamp,
            variant,
            key,
            validator,
        })
    }

    /// A JSON array of operations: refused unless `QINGDAN_MAX_BATCH` allows that many; else
    /// each is executed in turn (so mutations apply in order) for the one caller, within one
    /// request timeout, and the answers come back as an array in the same order.
    async fn batch(&self, media: MediaType, body: &[u8]) -> Step<Answer> {
        let max = self.state.limits.max_batch;
        if max == 0 {
            return Err(Answer::refused(
                refuse(
                    StatusCode::BAD_REQUEST,
                    TransportCode::BatchDisabled,
                    "batched requests (a JSON array) are not accepted: send one operation per request",
                ),
                metrics::BATCH,
            ));
        }
        let requests: Vec<async_graphql::Request> = serde_json::from_slice(body)
            .map_err(|err| bad_request(&format!("not a batch of GraphQL requests: {err}")))?;
        if requests.is_empty() {
            return Err(bad_request("the batch is empty"));
        }
        if requests.len() > max {
            return Err(Answer::refused(
                refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::LimitExceeded,
                    &format!(
                        "the batch holds {} operations, more than {max}",
                        requests.len()
                    ),
                ),
                metrics::BATCH,
            ));
        }
        self.within_rate(metrics::BATCH)?;
        let viewer = self.viewer()?;
        let count = requests.len();
        let limits = &self.state.limits;
        let timeout = Duration::from_millis(limits.request_timeout_ms);
        let all = async {
            let mut answers = Vec::with_capacity(count);
            let mut outcome = Outcome::Ok;
            let mut wrote = false;
            for request in requests {
                let (answer, this) = match self.prepare(request) {
                    Err((code, message)) => (
                        BatchAnswer::Refused(json!({
                            "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
                        })),
                        Outcome::Refused,
                    ),
                    Ok((request, operation)) => {
                        wrote |= operation.is_mutation();
                        let response = run(self.state, viewer.clone(), request, operation).await;
                        let this = outcome_of(&response.errors, false);
                        (BatchAnswer::Ran(Box::new(response)), this)
                    }
                };
                // The batch's outcome is its worst answer's.
                outcome = outcome.max(this);
                answers.push(answer);
            }
            (answers, outcome, wrote)
        };
        let finished = tokio::time::timeout(timeout, all).await;
        // A batch cut short may have written before the cut.
        if finished.as_ref().map_or(true, |(_, _, wrote)| *wrote) {
            self.state.versions.written();
        }
        let Ok((answers, outcome, _)) = finished else {
            return Err(timed_out(metrics::BATCH.to_owned()));
        };
        let mut response = (StatusCode::OK, to_json(&answers)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media.header());
        Ok(Answer::new(response, outcome, metrics::BATCH))
    }

    /// One operation of a batch, resolved, parsed and checked; or why it may not run.
    fn prepare(
        &self,
        mut request: async_graphql::Request,
    ) -> Result<(async_graphql::Request, Operation), (Code, String)> {
        self.state
            .persisted
            .resolve(&mut request, None)
            .map_err(|refusal| (refusal.code.into(), refusal.message.to_owned()))?;
        let limits = &self.state.limits;
        let limit = |message| (Code::from(ErrorCode::LimitExceeded), message);
        limits::check_text(limits, &request.query).map_err(limit)?;
        let operation = self
            .parse(&request)
            .map_err(|error| (TransportCode::GraphqlParseFailed.into(), error.message))?;
        limits::check_document(limits, &operation.document).map_err(limit)?;
        Ok((request, operation))
    }
}

/// Where one read's answer is kept, at the data version it was asked at.
struct Slot {
    stamp: crate::data_version::Stamp,
    variant: String,
    key: Vec<u8>,
    validator: Option<Validator>,
}

impl Slot {
    fn get(&self, state: &AppState) -> Option<Cached> {
        state.cache.get(&self.stamp, &self.variant, &self.key)
    }

    fn computing_lock(&self, state: &AppState) -> Arc<tokio::sync::Mutex<()>> {
        state.cache.computing_lock(&self.variant, &self.key)
    }

    fn served(&self, hit: Cached) -> Answer {
        let operation = hit.operation.to_string();
        let response = cache::validated(hit.response(), self.validator.as_ref());
        Answer::new(response, Outcome::Ok, operation)
    }

    /// Keeps the clean answer to a read (an error may be passing: the database went away).
    fn keep(
        &self,
        state: &AppState,
        scopes: Arc<[crate::data_version::Scope]>,
        body: &Bytes,
        content_type: HeaderValue,
        operation: &str,
    ) {
        state.cache.put(
            &self.stamp,
            scopes,
            &self.variant,
            &self.key,
            Cached {
                body: body.clone(),
                content_type: Some(content_type),
                operation: Arc::from(operation),
            },
        );
    }
}

/// An executed request's answer, serialised.
struct Executed {
    status: StatusCode,
    body: Bytes,
    outcome: Outcome,
}

impl Executed {
    /// A request error (unparsable, invalid, bad variables) never started executing: its
    /// errors have no path and there is no data; under `application/graphql-response+json`
    /// it answers 400 without `data`.
    fn of(media: MediaType, response: &async_graphql::Response) -> Self {
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

    fn into_answer(self, media: MediaType, operation: String) -> Answer {
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
fn unauthenticated(err: ApiError) -> Response {
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
pub(super) fn bearer_challenge(err: &ApiError) -> HeaderValue {
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
fn request_error(media: MediaType, code: impl Into<Code>, message: &str) -> Response {
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
fn bad_request(message: &str) -> Answer {
    Answer::refused(
        refuse(StatusCode::BAD_REQUEST, TransportCode::BadRequest, message),
        metrics::ANONYMOUS,
    )
}

/// A request that names no document (no `query`, persisted query or document id): a
/// request-parameter error (GraphQL over HTTP), 400.
fn no_query() -> Answer {
    bad_request("the request has no query parameter")
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
fn timed_out(operation: String) -> Answer {
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

/// Executes one parsed operation for `viewer`, every error coded.
async fn run(
    state: &AppState,
    viewer: Viewer,
    request: async_graphql::Request,
    operation: Operation,
) -> async_graphql::Response {
    // One DataLoader a request, so batching never serves a stale row; its batch loads run as
    // spawned tasks, counted toward this request's SQL statements when they are counted.
    // A mutation reads what it wrote before this process has heard of the write: its
    // answer is read from SQL, not from the published lists in memory.
    let published = (!operation.is_mutation()).then(|| state.published.clone());
    let loader = graphql::loaders::ListLoader::new(
        state.db.clone(),
        state.clock.clone(),
        state.in_force.clone(),
        published,
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
    let operation_name = request.operation_name.clone();
    let mut request = request.data(viewer).data(loader);
    // The schema takes the parsed document; a copy stays to put the answer in the order it
    // asks for (see `order`).
    request.set_parsed_query(operation.document.clone());
    let mut response = state.schema.execute(request).await;
    super::order::follow_selection(
        &mut response.data,
        &operation.document,
        operation_name.as_deref(),
    );
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
            .is_some_and(|code| {
                *code == async_graphql::Value::from(ErrorCode::Unavailable.as_str())
            })
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

/// Gives every error a stable `extensions.code`. Ours carry theirs; the framework's come
/// without. Limits, parse errors and recursion are refused before the schema sees the
/// document, with their own codes; what remains is validation (no path) and one kind the
/// framework reports by message alone, an argument value its scalar cannot hold (an Int past
/// 32 bits, found by validation for a literal and during execution for a variable): the
/// client's input.
fn fill_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let code: Code = if error.message.starts_with("Failed to parse")
            || error.message.starts_with("Invalid value for argument")
        {
            ErrorCode::BadUserInput.into()
        } else if error.path.is_empty() {
            TransportCode::GraphqlValidationFailed.into()
        } else {
            ErrorCode::Internal.into()
        };
        extensions.set("code", code.as_str());
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

    #[tokio::test]
    async fn run__the_schema_executes_the_parsed_document_and_never_parses_the_text() {
        // Given a request whose text and parsed document differ
        let schema = crate::graphql::schema_builder().finish();
        let mut request = async_graphql::Request::new("{ fromText: __typename }");
        let parsed = Operation::parse("{ fromParse: __typename }", None).unwrap();
        request.set_parsed_query(parsed.document);
        // When the schema executes it, Then it answers the parsed document
        let response = schema.execute(request).await;
        let data = response.data.into_json().unwrap();
        assert_eq!(
            data,
            json!({ "fromParse": "Query" }),
            "{:?}",
            response.errors
        );
    }
}
