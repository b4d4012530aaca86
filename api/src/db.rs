//! Database connection: pool options, SQLite settings, migrations, statement counting.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// Counts SQL statements sent to the database; tests and metrics read it.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub async fn connect(url: &str) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 4 } else { 16 })
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    let mut db = Database::connect(options).await?;
    if sqlite {
        // WAL lets readers proceed while one writer commits, and it persists in the file.
        // (sqlx already turns foreign keys on and sets a busy timeout on every connection.)
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    let counter = StatementCounter::default();
    let shared = counter.0.clone();
    db.set_metric_callback(move |_| {
        shared.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}
