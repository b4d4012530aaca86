//! Structured logs through tracing: JSON lines, filtered by `RUST_LOG`.

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // A second init (tests start several servers in one process) is harmless.
    let _ = fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .try_init();
}
