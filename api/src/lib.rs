//! Qingdan (清单): a county department's responsibility list, served over GraphQL.
#![cfg_attr(
    test,
    expect(non_snake_case, reason = "unit tests are named subject__scenario")
)]
//!
//! Reading order: `config` → `db` → `import` (the list file and its loader) → `graphql`
//! (schema, one module per domain) → `http` (the router).

pub mod auth;
pub mod config;
pub mod data_version;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod import;
#[cfg(test)]
mod layers;
pub mod search;
pub mod telemetry;

use sea_orm::DatabaseConnection;

use config::Config;
use db::StatementCounter;
use domain::clock::SharedClock;

/// Connects, migrates and, on an empty database, loads the bundled Anhua list:
/// everything `serve` does before it listens.
pub async fn prepare_database(
    config: &Config,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let (db, statements) = db::connect(&db::PoolSettings::of(config)).await?;
    db::migrate(&db).await?;
    if config.seed_on_empty {
        import::seed_if_empty(&db).await?;
    }
    Ok((db, statements))
}

/// The server as `qingdan serve` runs it, before it listens: the database prepared and the
/// state every request shares built from `config`. `main.rs` serves it and the end-to-end
/// tests start it on a random port, so both run the same wiring.
pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    /// SQL statements sent so far.
    pub statements: StatementCounter,
    pub state: http::AppState,
}

/// Builds the server `config` describes, telling time by `clock`.
pub async fn app(config: Config, clock: SharedClock) -> anyhow::Result<App> {
    let (db, statements) = prepare_database(&config).await?;
    let versions = data_version::Watch::start(&db).await;
    // Webhook delivery and event fan-out, in every replica.
    events::start(&db, config.events);
    let state = http::AppState::new(
        db.clone(),
        config.verifier()?,
        clock,
        config.limits,
        versions,
    )
    .with_cors_origins(&config.cors_origins)
    .with_trusted_documents(config.trusted_documents.clone())
    .with_exposure(&config.exposure);
    Ok(App {
        config,
        db,
        statements,
        state,
    })
}

impl App {
    /// Builds the lookup's index for today: `serve` answers meanwhile (a lookup waits for it),
    /// so `main` runs it beside serving; tests wait for it, so that what they count is theirs.
    pub fn warm_up(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let searcher = std::sync::Arc::clone(&self.state.searcher);
        let today = self.state.clock.today();
        async move {
            if let Err(error) = searcher.index(today).await {
                tracing::warn!(%error, "building the lookup index at start");
            }
        }
    }

    /// Serves the API on `listener` (and `/metrics` on `metrics`, when it has a listener of
    /// its own) until `shutdown` completes and the requests in flight have finished or
    /// passed the shutdown deadline.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        metrics: Option<tokio::net::TcpListener>,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Some(metrics) = metrics {
            // Closed with the process: scrapes need no graceful end.
            tokio::spawn(http::serve_metrics(metrics, self.state.clone()));
        }
        let grace = self.config.shutdown_grace;
        http::serve(listener, http::router(self.state), shutdown, grace).await
    }
}
