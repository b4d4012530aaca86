//! GraphQL subscriptions over WebSocket on `/graphql` (graphql-transport-ws, and the older
//! graphql-ws): a GET asking to upgrade is answered here, every other request passes on
//! to the GET/POST handling untouched. The caller is verified once, from the
//! `connection_init` payload's `Authorization` (`Bearer <token>`) the same way a request's
//! header is: an invalid token closes the connection, none is anonymous.
//!
//! A socket runs subscriptions only (`SubscriptionsOnly`): queries and mutations come
//! through the front door, where the response cache, the rate limit and the request's
//! DataLoader are. Each document is parsed once and held to the front door's limits.

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Executor};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{FromRequestParts, Request, State, ws::WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;

use futures_util::stream::{BoxStream, StreamExt};

use super::operation::Operation;
use super::{AppState, limits, metrics::Metrics};
use crate::auth::Verifier;
use crate::config::Limits;
use crate::error::{Code, ErrorCode, TransportCode};
use crate::graphql::AppSchema;

/// Upgrades WebSocket requests; passes the rest on.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let upgrade_asked = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
    if !upgrade_asked {
        return next.run(request).await;
    }
    let (mut parts, _) = request.into_parts();
    let Ok(protocol) = GraphQLProtocol::from_request_parts(&mut parts, &()).await else {
        return (
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Protocol must be graphql-transport-ws (or graphql-ws)",
        )
            .into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let (verifier, db) = (state.verifier.clone(), state.db.clone());
    let executor = SubscriptionsOnly {
        schema: state.schema.clone(),
        measure: state.measure.clone(),
        limits: state.limits,
        metrics: state.metrics.clone(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| connection_init(verifier, db, payload))
                .serve()
        })
        .into_response()
}

/// The caller named by `connection_init`'s payload, as the connection's data.
async fn connection_init(
    verifier: Verifier,
    db: DatabaseConnection,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let authorization = payload.as_object().and_then(|fields| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.as_str())
    });
    let viewer = verifier
        .viewer(authorization, &db)
        .await
        .map_err(async_graphql::Error::from)?;
    let mut data = Data::default();
    data.insert(viewer);
    Ok(data)
}

/// What a socket executes: subscriptions, each parsed once and checked as the front door
/// checks a request; anything else is answered with one coded error.
#[derive(Clone)]
struct SubscriptionsOnly {
    schema: AppSchema,
    measure: crate::graphql::cost::Measure,
    limits: Limits,
    metrics: Arc<Metrics>,
}

impl SubscriptionsOnly {
    /// The request's parsed document, or the answer that refuses it.
    fn check(
        &self,
        request: &async_graphql::Request,
    ) -> Result<Operation, async_graphql::Response> {
        let refuse = |code: Code, message: String| {
            let mut error = async_graphql::ServerError::new(message, None);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
            async_graphql::Response::from_errors(vec![error])
        };
        let limit = |message| refuse(ErrorCode::LimitExceeded.into(), message);
        limits::check_text(&self.limits, &request.query).map_err(limit)?;
        self.metrics.parsed();
        let operation = Operation::parse(&request.query, request.operation_name.as_deref())
            .map_err(|error| refuse(TransportCode::GraphqlParseFailed.into(), error.message))?;
        limits::check_document(&self.limits, &operation.document).map_err(limit)?;
        if operation.kind != Some(async_graphql::parser::types::OperationType::Subscription) {
            return Err(refuse(
                TransportCode::MethodNotAllowed.into(),
                "a WebSocket carries subscriptions only: send queries and mutations to /graphql with POST (or queries with GET)".to_owned(),
            ));
        }
        Ok(operation)
    }
}

impl Executor for SubscriptionsOnly {
    fn execute(
        &self,
        request: async_graphql::Request,
    ) -> impl std::future::Future<Output = async_graphql::Response> + Send {
        // The socket protocols stream every operation (`execute_stream`); nothing else calls
        // this, and a subscription has no single answer.
        let mut answer = self.check(&request).err().unwrap_or_else(|| {
            async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                "a subscription streams its answers: subscribe to it",
                None,
            )])
        });
        for error in &mut answer.errors {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", TransportCode::BadRequest.as_str());
            }
        }
        async move { answer }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        match self.check(&request) {
            Err(refused) => futures_util::stream::once(async move { refused }).boxed(),
            Ok(operation) => {
                request.set_parsed_query(ExecutableDocument::clone(&operation.document));
                // What `Measure::explain` needs if the schema refuses the document.
                let document = operation.document;
                let variables = Arc::new(request.variables.clone());
                let name: Option<Arc<str>> = request.operation_name.as_deref().map(Arc::from);
                let measure = self.measure.clone();
                Executor::execute_stream(&self.schema, request, session_data)
                    .then(move |answer| {
                        let (measure, document) = (measure.clone(), document.clone());
                        let (variables, name) = (variables.clone(), name.clone());
                        async move {
                            measure
                                .explain(answer, &document, &variables, name.as_deref())
                                .await
                        }
                    })
                    .boxed()
            }
        }
    }
}
