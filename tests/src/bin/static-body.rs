//! The upper bound for benchmarks: serves precomputed response bodies (one file per name in
//! DIR) over the same HTTP stack as Qingdan (axum on tokio), so a query's throughput can be
//! read as a fraction of what this machine can serve at all.
//!
//! Usage: static-body ADDR DIR — POST /NAME answers the bytes of DIR/NAME.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, dir] = args.as_slice() else {
        anyhow::bail!("usage: static-body ADDR DIR")
    };
    let mut bodies = HashMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        bodies.insert(
            entry.file_name().to_string_lossy().into_owned(),
            std::fs::read(entry.path())?,
        );
    }
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/{name}", post(body))
        .with_state(Arc::new(bodies));
    axum::serve(tokio::net::TcpListener::bind(addr).await?, app).await?;
    Ok(())
}

async fn body(
    State(bodies): State<Arc<HashMap<String, Vec<u8>>>>,
    Path(name): Path<String>,
) -> impl IntoResponse {
    match bodies.get(&name) {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
