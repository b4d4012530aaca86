//! Database connection: pool options, SQLite settings, migrations, statement counting.

pub mod by_position;

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

/// SQLite has one writer at a time and readers in WAL need few connections. PostgreSQL does
/// the most work with about twice its cores' connections active, and several replicas share
/// it: 8 a replica keeps the sum of a county's replicas under its `max_connections` (100 by
/// default), and requests past 8 wait in the pool's queue, which costs less than as many
/// backends taking turns on the database's cores (a page of inspections at 16 clients, 8
/// connections against 16: p99 10.5 ms against 12.2, PostgreSQL's CPU 0.116 ms a request
/// against 0.140; `bench/RESULTS.md`).
pub fn default_max_connections(url: &str) -> u32 {
    if url.starts_with("sqlite:") { 4 } else { 8 }
}

/// A pooled connection idle this long is pinged before it is handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

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
        // sqlx pings a connection on every checkout by default: a round trip before each
        // statement. A connection idle for a while may have been dropped by the server or a
        // proxy, so only those are pinged; a broken hot one fails its statement, which
        // answers UNAVAILABLE and is discarded by the pool.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
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

/// Whom a write waits for before it begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// One writer at a time, from BEGIN: for writes that read rows another writer may change
    /// (lists, drafts, the lexicon, a case's follow-ups), so they queue instead of colliding
    /// on a unique index.
    Exclusive,
    /// Beside other writers (PostgreSQL) until it counts itself in the data version, at its
    /// end: for a write that only adds rows of its own, a submission. At most half the pool's
    /// connections write this way at once, so readers always find one.
    Alongside,
}

/// The one transaction a write use case runs on. Exclusive writers take turns: first in this
/// process (an async lock per pool, waited for without holding a connection, so queued
/// writers never starve readers of the pool), then in the database, at BEGIN: `BEGIN
/// IMMEDIATE` on SQLite, the data version's row lock on PostgreSQL (every write moves that
/// row anyway, so taking it first changes no outcome). Writers alongside take that row lock
/// only when they count themselves (`data_version::count_write`), so on PostgreSQL they wait
/// for each other only from there to COMMIT; SQLite has one writer at a time whatever the turn.
/// A use case gets a `Write` and no pool: it cannot take a second connection while its
/// transaction holds one.
///
/// Dropped without `commit`, the transaction rolls back; the turn is handed on after it.
pub struct Write {
    // Declared first so it is dropped (rolled back) before the turn is handed on.
    txn: DatabaseTransaction,
    db: DatabaseConnection,
    turn: Turn,
    _held: Held,
}

/// What a writer holds in this process until its transaction ends; dropping it hands the
/// turn on.
#[allow(dead_code)] // held, never read
enum Held {
    Lock(tokio::sync::OwnedMutexGuard<()>),
    Permit(tokio::sync::OwnedSemaphorePermit),
}

impl Write {
    /// Begins an exclusive write (`Turn::Exclusive`).
    pub async fn begin(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Self::begin_with(db, Turn::Exclusive).await
    }

    pub async fn begin_with(db: &DatabaseConnection, turn: Turn) -> Result<Self, DbErr> {
        let backend = db.get_database_backend();
        let turns = turns(db);
        let held = match (backend, turn) {
            (DbBackend::Postgres, Turn::Alongside) => Held::Permit(
                turns
                    .alongside
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| DbErr::Custom(e.to_string()))?,
            ),
            _ => Held::Lock(turns.exclusive.clone().lock_owned().await),
        };
        let txn = match backend {
            DbBackend::Sqlite => {
                db.begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await?
            }
            _ => {
                let txn = db.begin().await?;
                if turn == Turn::Exclusive {
                    txn.execute_unprepared(
                        "SELECT version FROM data_version WHERE id = 1 FOR UPDATE",
                    )
                    .await?;
                }
                txn
            }
        };
        Ok(Self {
            txn,
            db: db.clone(),
            turn,
            _held: held,
        })
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let Self { txn, _held, .. } = self;
        txn.commit().await
    }

    /// Rolls this transaction back and begins a fresh one with the same turn: how a use case
    /// reads what another transaction committed after a statement of its own failed (on
    /// PostgreSQL a failed statement leaves its transaction unusable). One connection still.
    pub async fn again(self) -> Result<Self, DbErr> {
        let Self {
            txn,
            db,
            turn,
            _held,
        } = self;
        txn.rollback().await?;
        drop(_held);
        Self::begin_with(&db, turn).await
    }
}

/// The turns of one pool's writers.
struct Turns {
    exclusive: Arc<tokio::sync::Mutex<()>>,
    alongside: Arc<tokio::sync::Semaphore>,
}

/// The writers' turns of `db`'s pool, one set per pool (keyed by its options, which the pool
/// holds for its lifetime).
fn turns(db: &DatabaseConnection) -> Arc<Turns> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static TURNS: LazyLock<Mutex<HashMap<usize, Arc<Turns>>>> = LazyLock::new(Mutex::default);
    let (key, size) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (Arc::as_ptr(&pool.connect_options()) as usize, 1)
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            let size = pool.options().get_max_connections();
            (Arc::as_ptr(&pool.connect_options()) as usize, size)
        }
        _ => (0, 1),
    };
    let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
    turns
        .entry(key)
        .or_insert_with(|| {
            Arc::new(Turns {
                exclusive: Default::default(),
                alongside: Arc::new(tokio::sync::Semaphore::new((size as usize / 2).max(1))),
            })
        })
        .clone()
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

/// `column` is one of `ids`, as a filter. On PostgreSQL it is one array parameter
/// (`= ANY($1)`): the statement is the same for any number of ids, so each connection prepares
/// it once and PostgreSQL reuses a generic plan that walks the index. An `IN` list of n
/// parameters is a new statement for every n, planned on every call (for a page of 62
/// inspections' findings: 0.45 ms of planning and a sequential scan, against 0.1 ms). SQLite
/// has no arrays: a list there.
pub fn one_of<C: sea_orm::ColumnTrait>(
    backend: DbBackend,
    column: C,
    ids: impl IntoIterator<Item = i32>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, extension::postgres::PgFunc};
    match backend {
        DbBackend::Postgres => Expr::col(column.as_column_ref()).eq(PgFunc::any(Expr::val(
            ids.into_iter().collect::<Vec<i32>>(),
        ))),
        _ => column.is_in(ids),
    }
}
