//! Qingdan (清单): a county department's responsibility list, served over GraphQL.
#![cfg_attr(
    test,
    expect(non_snake_case, reason = "unit tests are named subject__scenario")
)]
//!
//! Reading order: `config` → `db` → `import` (the list file and its loader) → `graphql`
//! (schema, one module per domain) → `http` (the router).

pub mod auth;
pub mod cache;
pub mod config;
pub mod data_version;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod import;
pub mod search;
pub mod telemetry;

use sea_orm::DatabaseConnection;

use config::Config;
use db::StatementCounter;

/// Connects, migrates and, on an empty database, loads the bundled Anhua list:
/// everything `serve` does before it listens. Tests start servers through it too.
pub async fn prepare_database(
    config: &Config,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let (db, statements) =
        db::connect_with(&config.database_url, config.db_acquire_timeout).await?;
    db::migrate(&db).await?;
    if config.seed_on_empty {
        import::seed_if_empty(&db).await?;
    }
    Ok((db, statements))
}
