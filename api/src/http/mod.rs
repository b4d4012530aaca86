//! The HTTP surface: `/graphql` (POST, GET, GraphiQL), `/healthz`, `/readyz`.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, Uri, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use tower_http::trace::TraceLayer;

use crate::auth::{Verifier, Viewer};
use crate::domain::clock::SharedClock;
use crate::error::ApiError;
use crate::graphql::{self, AppSchema};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub verifier: Verifier,
    pub clock: SharedClock,
    /// Answers to anonymous reads, while the data is unchanged.
    pub cache: std::sync::Arc<crate::cache::ResponseCache>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, verifier: Verifier, clock: SharedClock) -> Self {
        let cache = std::sync::Arc::new(crate::cache::ResponseCache::new(
            crate::cache::DEFAULT_MAX_BYTES,
        ));
        Self {
            schema: graphql::schema(db.clone(), clock.clone()),
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
    let graphql = axum::routing::get(graphql_get).post(graphql_post).layer(
        axum::middleware::from_fn_with_state(cache, crate::cache::middleware),
    );
    Router::new()
        .route("/graphql", graphql)
        .route("/", get(|| async { Redirect::temporary("/graphql") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let viewer = match state.viewer(&headers) {
        Ok(viewer) => viewer,
        Err(err) => return unauthenticated(err),
    };
    let request = graphql::prepare(request.into_inner(), &state.db, &state.clock).data(viewer);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

/// A bad token ends the request before execution: 401 with a coded GraphQL error.
fn unauthenticated(err: ApiError) -> Response {
    let error: async_graphql::Error = err.into();
    let body =
        async_graphql::Response::from_errors(vec![error.into_server_error(Default::default())]);
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

/// GET serves GraphiQL to a browser and executes queries for everyone else.
async fn graphql_get(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && uri.query().is_none() {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Qingdan 清单")
                .finish(),
        )
        .into_response();
    }
    let viewer = match state.viewer(&headers) {
        Ok(viewer) => viewer,
        Err(err) => return unauthenticated(err),
    };
    match async_graphql::http::parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => {
            let request = graphql::prepare(request, &state.db, &state.clock).data(viewer);
            GraphQLResponse::from(state.schema.execute(request).await).into_response()
        }
        Err(err) => (StatusCode::BAD_REQUEST, err.to_string()).into_response(),
    }
}

/// Ready when the database answers.
async fn ready(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}
