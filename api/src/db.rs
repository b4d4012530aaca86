//! Database connection: pool options, SQLite settings, migrations, statement counting.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

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

/// How the pool connects: from the configuration (`PoolSettings::of`), or with the defaults
/// for a URL alone (`PoolSettings::for_url`, for tools without a configuration).
#[derive(Clone)]
pub struct PoolSettings {
    pub url: String,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a connection (and a connection for the database).
    pub acquire_timeout: Duration,
}

/// The URL's password never reaches logs or panics through `Debug`.
impl std::fmt::Debug for PoolSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolSettings")
            .field("url", &crate::config::redacted_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl PoolSettings {
    pub fn of(config: &crate::config::Config) -> Self {
        Self {
            url: config.database_url.clone(),
            max_connections: config
                .db_max_connections
                .unwrap_or_else(|| default_max_connections(&config.database_url)),
            acquire_timeout: config.db_acquire_timeout,
        }
    }

    pub fn for_url(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            max_connections: default_max_connections(url),
            acquire_timeout: Duration::from_millis(crate::config::DEFAULT_DB_ACQUIRE_TIMEOUT_MS),
        }
    }
}

/// SQLite has one writer at a time and readers in WAL need few connections; PostgreSQL
/// serves a replica's share of the load with 16.
pub fn default_max_connections(url: &str) -> u32 {
    if url.starts_with("sqlite:") { 4 } else { 16 }
}

/// Connects; a request waits at most `acquire_timeout` for a connection, so when the
/// database is unreachable it fails fast (`UNAVAILABLE`) instead of queueing until its own
/// timeout. The pool reconnects by itself once the database answers again.
pub async fn connect(
    settings: &PoolSettings,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let url = settings.url.as_str();
    let acquire_timeout = settings.acquire_timeout;
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout)
        .sqlx_logging(false);
    let mut db = Database::connect(options).await?;
    if sqlite {
        // WAL lets readers proceed while one writer commits, and it persists in the file.
        // sqlx already turns foreign keys on and sets a 5 s busy timeout on every connection:
        // with `Write` taking the write lock at BEGIN, a writer of another process (an import)
        // waits that long for ours instead of failing at once.
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

/// The one transaction a write use case runs on. Writers take turns: first in this process
/// (an async lock per pool, waited for without holding a connection, so queued writers never
/// starve readers of the pool), then in the database, at BEGIN: `BEGIN IMMEDIATE` on SQLite,
/// the data version's row lock on PostgreSQL (every write moves that row anyway, so taking
/// it first changes no outcome, only makes concurrent writers queue instead of colliding on
/// a unique index or SQLite's "database is locked"). A use case gets a `Write` and no pool:
/// it cannot take a second connection while its transaction holds one.
///
/// Dropped without `commit`, the transaction rolls back; the lock is released after it.
pub struct Write {
    // Declared first so it is dropped (rolled back) before the turn is handed on.
    txn: DatabaseTransaction,
    db: DatabaseConnection,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Write {
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let turn = writer_lock(db).lock_owned().await;
        let txn = match db.get_database_backend() {
            DbBackend::Sqlite => {
                db.begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await?
            }
            _ => {
                let txn = db.begin().await?;
                txn.execute_unprepared("SELECT version FROM data_version WHERE id = 1 FOR UPDATE")
                    .await?;
                txn
            }
        };
        Ok(Self {
            txn,
            db: db.clone(),
            _turn: turn,
        })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let Self { txn, _turn, .. } = self;
        txn.commit().await
    }

    /// Rolls this transaction back and begins a fresh one on the same turn: how a use case
    /// reads what another transaction committed after a statement of its own failed (on
    /// PostgreSQL a failed statement leaves its transaction unusable). One connection still.
    pub async fn again(self) -> Result<Self, DbErr> {
        let Self { txn, db, _turn } = self;
        txn.rollback().await?;
        drop(_turn);
        Self::begin(&db).await
    }
}

/// The writers' lock of `db`'s pool, one per pool (keyed by its options, which the pool
/// holds for its lifetime).
fn writer_lock(db: &DatabaseConnection) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static LOCKS: LazyLock<Mutex<HashMap<usize, Arc<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Mutex::default);
    let key = match db.get_database_backend() {
        DbBackend::Sqlite => {
            Arc::as_ptr(&db.get_sqlite_connection_pool().connect_options()) as usize
        }
        DbBackend::Postgres => {
            Arc::as_ptr(&db.get_postgres_connection_pool().connect_options()) as usize
        }
        _ => 0,
    };
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    locks.entry(key).or_default().clone()
}

#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
