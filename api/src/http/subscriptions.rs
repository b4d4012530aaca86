//! GraphQL subscriptions over WebSocket on `/graphql` (graphql-transport-ws, and the older
//! graphql-ws): a GET asking to upgrade is answered here, every other request passes on
//! to the GET/POST handling untouched. The caller is verified once, from the
//! `connection_init` payload's `Authorization` (`Bearer <token>`) the same way a request's
//! header is: an invalid token closes the connection, none is anonymous.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{FromRequestParts, Request, State, ws::WebSocketUpgrade};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;

use super::AppState;
use crate::auth::Verifier;

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
    let AppState {
        schema,
        verifier,
        db,
        ..
    } = state;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
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
