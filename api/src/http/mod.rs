//! The HTTP surface: `/graphql` (POST, GET, GraphiQL), `/healthz`, `/readyz`; every response
//! carries a request id and the security headers (`headers`).

mod graphql;
mod headers;
mod limits;

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use tower_http::trace::TraceLayer;

use crate::auth::{Verifier, Viewer};
use crate::domain::clock::SharedClock;
use crate::error::ApiError;
use crate::graphql::AppSchema;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub verifier: Verifier,
    pub clock: SharedClock,
    pub limits: crate::config::Limits,
    /// Answers to reads, while the data is unchanged.
    pub cache: std::sync::Arc<crate::cache::ResponseCache>,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        verifier: Verifier,
        clock: SharedClock,
        limits: crate::config::Limits,
    ) -> Self {
        let cache = std::sync::Arc::new(crate::cache::ResponseCache::new(
            crate::cache::DEFAULT_MAX_BYTES,
        ));
        Self {
            schema: crate::graphql::schema(db.clone(), clock.clone(), &limits),
            limits,
            db,
            verifier,
            clock,
            cache,
        }
    }

    /// The caller named by the `Authorization` header.
    fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, ApiError> {
        let header = match headers.get(header::AUTHORIZATION) {
            Some(value) => Some(value.to_str().map_err(|_| ApiError::Unauthenticated)?),
            None => None,
        };
        self.verifier.viewer(header)
    }
}

pub fn router(state: AppState) -> Router {
    let cache = crate::cache::CacheState {
        db: state.db.clone(),
        cache: state.cache.clone(),
        verifier: state.verifier.clone(),
        clock: state.clock.clone(),
    };
    let graphql = axum::routing::get(graphql::get).post(graphql::post).layer(
        axum::middleware::from_fn_with_state(cache, crate::cache::middleware),
    );
    Router::new()
        .route("/graphql", graphql)
        .route("/", get(|| async { Redirect::temporary("/graphql") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(state)
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(headers::middleware))
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}
