//! The HTTP surface: `/graphql` (POST, GET, GraphiQL), `/healthz`, `/readyz`, `/metrics`;
//! every response carries a request id and the security headers (`headers`). `/graphql` is
//! one front door (`graphql`): each request is read and parsed once (`operation`), rate
//! limited, served from the response cache when it can be (`cache`), checked against the
//! limits, executed, counted and logged (`observe`).

// A refusal here is the HTTP answer itself, returned on the error path of each step; boxing
// it would allocate for every refused request to save moving a few hundred bytes.
#![allow(clippy::result_large_err)]

pub mod cache;
mod graphiql;
mod graphql;
mod headers;
mod limits;
pub mod metrics;
mod observe;
pub mod operation;
mod order;
pub mod persisted;
pub mod ratelimit;
mod subscriptions;
mod tables;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::ValidationMode;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::CompressionLevel;
use tower_http::compression::{CompressionLayer, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{Verifier, Viewer};
use crate::domain::clock::SharedClock;
use crate::error::ApiError;
use crate::graphql::AppSchema;

/// What every request handler shares: one `Shared` behind an `Arc`. axum clones the state for
/// each handler and middleware a request passes; this way a clone is one reference count, not
/// a copy of every field with a count each (a profile of small uncached answers put the copies
/// and their drops at about 4 % of the server's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state itself (`AppState`).
#[derive(Clone)]
pub struct Shared {
    pub schema: AppSchema,
    /// The same schema validating only what variables can change, for operations `schema`
    /// validated before (`operation::Operation::validated_before`).
    pub schema_revalidating: AppSchema,
    /// Explains the schema's refusals of depth and complexity.
    pub measure: crate::graphql::cost::Measure,
    pub db: DatabaseConnection,
    pub verifier: Verifier,
    pub clock: SharedClock,
    pub limits: crate::config::Limits,
    /// Answers to reads, while the data is unchanged.
    pub cache: Arc<cache::ResponseCache>,
    /// The data version this process knows.
    pub versions: Arc<crate::data_version::Watch>,
    /// Where this process's writes are announced to subscriptions and webhook deliveries.
    pub hub: Arc<crate::events::Hub>,
    pub metrics: Arc<metrics::Metrics>,
    /// `None` when rate limiting is off.
    pub rate_limiter: Option<Arc<ratelimit::RateLimiter>>,
    /// Origins allowed to call from a browser; empty sends no CORS headers at all.
    pub cors_origins: Arc<[HeaderValue]>,
    /// The list versions in force, shared by every request.
    pub in_force: Arc<crate::domain::versions::InForce>,
    /// The published list versions held in memory, shared by every request.
    pub published: Arc<crate::domain::published::Published>,
    /// What submitted inspections recorded, shared by every request.
    pub submitted: Arc<crate::domain::supervision::submitted::Submitted>,
    /// The responsibility lookup's indexes, shared by every request.
    pub searcher: Arc<crate::search::Searcher>,
    /// Documents parsed before, shared by every request.
    pub parsed: Arc<operation::Parsed>,
    /// Documents clients persisted, or the trusted manifest.
    pub persisted: Arc<persisted::Persisted>,
    /// Whether GraphiQL's page and assets are served.
    pub graphiql: bool,
    /// Whether the public listener serves `/metrics` (else `metrics_router` does, on its own).
    pub public_metrics: bool,
}

impl AppState {
    /// A write through this process has committed (or may have, when cut short): its next
    /// request reads the data version afresh instead of waiting for the notification, and
    /// subscriptions and webhook deliveries hear of its events at once, not at their next poll.
    pub fn written(&self) {
        self.versions.written();
        self.hub.poke();
    }

    pub fn new(
        db: DatabaseConnection,
        verifier: Verifier,
        clock: SharedClock,
        limits: crate::config::Limits,
        versions: Arc<crate::data_version::Watch>,
    ) -> Self {
        let cache = Arc::new(cache::ResponseCache::new(cache::DEFAULT_MAX_BYTES));
        let hub = crate::events::Hub::of(&db);
        let in_force = Arc::new(crate::domain::versions::InForce::new(versions.clone()));
        let published = Arc::new(crate::domain::published::Published::new(
            versions.clone(),
            in_force.clone(),
            limits.list_memory_mb,
        ));
        let submitted = Arc::new(crate::domain::supervision::submitted::Submitted::new(
            limits.supervision_memory_mb,
        ));
        let searcher = Arc::new(crate::search::Searcher::new(
            db.clone(),
            versions.clone(),
            in_force.clone(),
            published.clone(),
        ));
        Self(Arc::new(Shared {
            schema: crate::graphql::schema(
                db.clone(),
                clock.clone(),
                &limits,
                searcher.clone(),
                true,
                ValidationMode::Strict,
            ),
            schema_revalidating: crate::graphql::schema(
                db.clone(),
                clock.clone(),
                &limits,
                searcher.clone(),
                true,
                ValidationMode::Fast,
            ),
            measure: crate::graphql::cost::Measure::new(&limits, true),
            in_force,
            published,
            submitted,
            parsed: Default::default(),
            searcher,
            rate_limiter: ratelimit::RateLimiter::new(
                limits.rate_limit_per_minute,
                limits.rate_limit_burst,
            )
            .map(Arc::new),
            limits,
            db,
            verifier,
            clock,
            cache,
            hub,
            versions,
            metrics: Arc::default(),
            cors_origins: Arc::from(Vec::new()),
            persisted: Arc::new(persisted::Persisted::new(None)),
            graphiql: true,
            public_metrics: true,
        }))
    }

    /// The state to set up, before it is shared (a copy if it already is).
    fn shared(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// Runs only the documents of `manifest` (`QINGDAN_TRUSTED_DOCUMENTS`), when given.
    pub fn with_trusted_documents(
        mut self,
        manifest: Option<Arc<persisted::TrustedDocuments>>,
    ) -> Self {
        self.shared().persisted = Arc::new(persisted::Persisted::new(manifest));
        self
    }

    /// Shows GraphiQL, introspection and `/metrics` as `exposure` says.
    pub fn with_exposure(mut self, exposure: &crate::config::Exposure) -> Self {
        let shared = self.shared();
        shared.graphiql = exposure.graphiql;
        shared.public_metrics = exposure.metrics_addr.is_none();
        if !exposure.introspection {
            let schema = |validation| {
                crate::graphql::schema(
                    shared.db.clone(),
                    shared.clock.clone(),
                    &shared.limits,
                    shared.searcher.clone(),
                    false,
                    validation,
                )
            };
            shared.schema = schema(ValidationMode::Strict);
            shared.schema_revalidating = schema(ValidationMode::Fast);
            shared.measure = crate::graphql::cost::Measure::new(&shared.limits, false);
        }
        self
    }

    /// Allows browser pages of `origins` (validated by `config`) to call the API.
    pub fn with_cors_origins(mut self, origins: &[String]) -> Self {
        self.shared().cors_origins = origins
            .iter()
            .filter_map(|origin| HeaderValue::from_str(origin).ok())
            .collect();
        self
    }

    /// The caller named by the `Authorization` header.
    async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, ApiError> {
        let header = match headers.get(header::AUTHORIZATION) {
            Some(value) => Some(value.to_str().map_err(|_| ApiError::InvalidToken {
                reason: "the Authorization header is not text".to_owned(),
            })?),
            None => None,
        };
        self.verifier.viewer(header, &self.db).await
    }
}

pub fn router(state: AppState) -> Router {
    // A websocket upgrade (subscriptions) is taken before the front door; everything else
    // goes through it.
    let graphql = axum::routing::any(graphql::endpoint).layer(
        axum::middleware::from_fn_with_state(state.clone(), subscriptions::middleware),
    );
    let cors = cors(&state.cors_origins);
    let mut router = Router::new()
        .route("/graphql", graphql)
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .merge(tables::routes().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::middleware,
        )));
    if state.graphiql {
        router = router
            .route("/", get(|| async { Redirect::temporary("/graphql") }))
            .route("/graphiql/{version}/{file}", get(graphiql::asset));
    }
    if state.public_metrics {
        router = router.route("/metrics", get(metrics));
    }
    let router = router.with_state(state);
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(compression())
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(headers::middleware))
}

/// Answers (and GraphiQL's assets) over `COMPRESS_ABOVE` bytes are compressed with brotli or
/// gzip when the client accepts either: list answers are repetitive JSON, and GraphiQL's
/// script is 3.5 MB. Smaller answers gain less than the work costs.
fn compression() -> CompressionLayer<impl Predicate> {
    use tower_http::compression::predicate::{NotForContentType, SizeAbove};
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        // Brotli's default (its slowest, 11) costs about a second a megabyte; level 5 keeps
        // most of the gain at a small fraction of the time, for gzip as well.
        .quality(CompressionLevel::Precise(COMPRESSION_LEVEL))
        .compress_when(
            SizeAbove::new(COMPRESS_ABOVE)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        )
}

/// Smallest response body compressed, in bytes.
const COMPRESS_ABOVE: u64 = 1024;
/// Compression level of brotli and gzip alike.
const COMPRESSION_LEVEL: i32 = 5;

/// Serves `/metrics` alone on `listener`, a listener of its own (`QINGDAN_METRICS_ADDR`)
/// that the public side never reaches, until the process ends.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn(headers::middleware));
    axum::serve(listener, router).await
}

/// Browsers of the allowed origins may send GET and POST with a token; they may read the
/// request id and `Retry-After`. Other origins get no `Access-Control-Allow-Origin`.
fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                header::ACCEPT,
                headers::REQUEST_ID,
            ])
            .expose_headers([headers::REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// Longest a readiness probe waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// Ready when the database answers and has every migration this binary knows applied; the
/// body says which check failed.
async fn ready(State(state): State<AppState>) -> Response {
    let checks = async {
        if state.db.ping().await.is_err() {
            return (false, None);
        }
        (true, crate::db::pending_migrations(&state.db).await.ok())
    };
    let (database, pending) = tokio::time::timeout(READY_TIMEOUT, checks)
        .await
        .unwrap_or((false, None));
    let migrations = match &pending {
        Some(pending) if pending.is_empty() => json!({ "ok": true }),
        Some(pending) => json!({ "ok": false, "pending": pending }),
        None => json!({ "ok": false, "error": "cannot be read" }),
    };
    let ready = database && pending.as_ref().is_some_and(Vec::is_empty);
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": if database { json!({ "ok": true }) } else { json!({ "ok": false, "error": "unreachable" }) },
            "migrations": migrations,
        }
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// The Prometheus exposition. It names operations and counts, nothing about callers; still,
/// a deployment keeps it off the public side of its reverse proxy.
async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(
        crate::db::pool_use(&state.db),
        state.rate_limiter.as_ref().map(|limiter| limiter.clients()),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// How long, past the shutdown deadline, the server waits for cancelled requests to answer
/// and their connections to close before it returns anyway.
const AFTER_DEADLINE: Duration = Duration::from_millis(500);

/// Serves `router` on `listener` (with each connection's peer address, which the rate
/// limit uses) until `shutdown` completes; then stops accepting and lets requests in flight
/// finish for up to `grace`. That is a deadline: a request still running then is cancelled
/// (its future dropped, so its transaction rolls back and nothing it was writing commits)
/// and answered 503 `UNAVAILABLE` if its connection still listens; the server returns within
/// `AFTER_DEADLINE` more.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (passed, deadline_passed) = tokio::sync::watch::channel(false);
    // Outermost, so it covers everything a request does, body reading included.
    let router = router.layer(axum::middleware::from_fn(move |request, next| {
        cancelled_at_deadline(deadline_passed.clone(), request, next)
    }));
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = signalled.send(());
    })
    .into_future();
    let deadline = async move {
        if on_signal.await.is_err() {
            // The server ended without a signal: its own result decides.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        () = deadline => {}
    }
    tracing::warn!(
        grace_secs = grace.as_secs_f64(),
        "shutdown deadline: requests still in flight are cancelled and roll back"
    );
    let _ = passed.send(true);
    match tokio::time::timeout(AFTER_DEADLINE, &mut server).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

/// Runs the request unless the shutdown deadline passes first; then drops it (cancelling
/// whatever it awaited: a statement, a transaction, a lock) and answers 503.
async fn cancelled_at_deadline(
    mut deadline_passed: tokio::sync::watch::Receiver<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let passed = async move {
        if deadline_passed.wait_for(|passed| *passed).await.is_err() {
            // The server is gone without a deadline: nothing to cancel for.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        response = next.run(request) => response,
        () = passed => {
            let body = json!({ "errors": [{
                "message": "the server is shutting down; retry",
                "extensions": { "code": crate::error::ErrorCode::Unavailable.as_str() }
            }] });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}
