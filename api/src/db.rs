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

tokio::task_local! {
    /// Statements of the request being answered: the HTTP layer scopes each request (and the
    /// DataLoader tasks it spawns) in one, and the connection's metric callback counts into it.
    pub static REQUEST_STATEMENTS: Arc<AtomicU64>;
}

/// Connects with the default acquire timeout (`config::DEFAULT_DB_ACQUIRE_TIMEOUT_MS`).
pub async fn connect(url: &str) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    connect_with(
        url,
        Duration::from_millis(crate::config::DEFAULT_DB_ACQUIRE_TIMEOUT_MS),
    )
    .await
}

/// Connects; a request waits at most `acquire_timeout` for a connection, so when the
/// database is unreachable it fails fast (`UNAVAILABLE`) instead of queueing until its own
/// timeout. The pool reconnects by itself once the database answers again.
pub async fn connect_with(
    url: &str,
    acquire_timeout: Duration,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if sqlite { 4 } else { 16 })
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout)
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
        let _ = REQUEST_STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
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

/// Connections of the pool: open (in use or idle), idle, and the most it may open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

pub fn pool_use(db: &DatabaseConnection) -> PoolUse {
    fn of<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> PoolUse {
        PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    match db.get_database_backend() {
        DbBackend::Postgres => of(db.get_postgres_connection_pool()),
        DbBackend::Sqlite => of(db.get_sqlite_connection_pool()),
        _ => PoolUse::default(),
    }
}

/// The migrations this binary knows that the database has not recorded as applied. Reads
/// the migrations table only: unlike `Migrator::get_pending_migrations` it never creates it.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await?;
    let applied = rows
        .iter()
        .map(|row| row.try_get::<String>("", "version"))
        .collect::<Result<std::collections::HashSet<_>, _>>()?;
    Ok(Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|name| !applied.contains(name))
        .collect())
}
