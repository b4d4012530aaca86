//! The data version: how many writes have committed. Every write counts itself through
//! `audit::record` in its own transaction and, on PostgreSQL, announces the new count on
//! channel `qingdan_data_version` (delivered when the transaction commits). The response
//! cache and the lookup index are valid for one data version.
//!
//! `Watch` is what this process knows of it. On PostgreSQL it listens on the channel, so a
//! cache hit costs no SQL: a write made by another process is known when its notification
//! arrives, within the channel's delay (well under a millisecond on one host). A write made
//! through this process is read back before its next request (`Watch::written`).
//!
//! Each process also announces the version every `HEARTBEAT`, which every listener hears: a
//! listener that has heard nothing for `LIVENESS` (its connection silently stopped delivering)
//! is not trusted, and a notification it missed is made up by the next heartbeat. Whenever
//! the listener is not trusted — before it subscribes, after its connection drops, and always
//! on SQLite — every check reads the version row instead (one indexed read).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use entity::data_version;
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait};

/// The channel's name, in one place for `CHANNEL` and `ANNOUNCE` alike.
macro_rules! channel {
    () => {
        "qingdan_data_version"
    };
}

pub const CHANNEL: &str = channel!();

/// How long a start waits for the listener before serving with version reads instead.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The pause between attempts to subscribe again after the connection dropped.
const RETRY: Duration = Duration::from_secs(1);
/// How often each process announces the version, whether or not anything was written.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a listener that has heard nothing is trusted.
const LIVENESS: Duration = Duration::from_secs(10);

/// The version row as the database has it now.
pub async fn read(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = data_version::Entity::find_by_id(1).one(db).await?;
    Ok(row.map_or(0, |row| row.version))
}

/// Sends the version as it is now on the channel (when the surrounding transaction commits).
const ANNOUNCE: &str = concat!(
    "SELECT pg_notify('",
    channel!(),
    "', (SELECT version::text FROM data_version WHERE id = 1))"
);

/// Announces the version `txn` has just moved to, to every process, when `txn` commits.
pub async fn announce(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(ANNOUNCE).await?;
    }
    Ok(())
}

/// What this process knows of the data version.
#[derive(Debug)]
pub struct Watch {
    known: AtomicI64,
    /// The listener is subscribed.
    subscribed: AtomicBool,
    /// When the listener last heard the channel, in milliseconds since `started`.
    heard: AtomicU64,
    started: Instant,
    /// A write through this process has committed; the next check reads the row.
    stale: AtomicBool,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            known: AtomicI64::new(0),
            subscribed: AtomicBool::new(false),
            heard: AtomicU64::new(0),
            started: Instant::now(),
            stale: AtomicBool::new(false),
        }
    }
}

impl Watch {
    /// A watch for `db`: on PostgreSQL, subscribed (or, failing that within a bound, reading
    /// the row until it is) and kept so by a background task for as long as the watch lives.
    pub async fn start(db: &DatabaseConnection) -> Arc<Self> {
        let watch = Arc::new(Self::default());
        if db.get_database_backend() == DbBackend::Postgres {
            let pool = db.get_postgres_connection_pool().clone();
            let first = tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe(&watch, &pool, db)).await;
            let listener = first.ok().and_then(Result::ok);
            tokio::spawn(follow(
                Arc::downgrade(&watch),
                pool.clone(),
                db.clone(),
                listener,
            ));
            tokio::spawn(heartbeat(Arc::downgrade(&watch), pool));
        }
        watch
    }

    /// The data version, without SQL while the listener is trusted.
    pub async fn current(&self, db: &impl ConnectionTrait) -> Result<i64, DbErr> {
        if self.is_live() && !self.stale.load(Ordering::Acquire) {
            return Ok(self.known.load(Ordering::Acquire));
        }
        self.stale.store(false, Ordering::Release);
        let version = read(db).await?;
        self.known.fetch_max(version, Ordering::AcqRel);
        Ok(version)
    }

    /// A write through this process has committed.
    pub fn written(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// The listener is subscribed and has heard the channel within `LIVENESS`.
    pub fn is_live(&self) -> bool {
        let silent = self.elapsed_ms() - self.heard.load(Ordering::Acquire);
        self.subscribed.load(Ordering::Acquire) && silent < LIVENESS.as_millis() as u64
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The listener heard `version` (or subscribed, having read it).
    fn heard(&self, version: i64) {
        self.known.fetch_max(version, Ordering::AcqRel);
        self.heard.store(self.elapsed_ms(), Ordering::Release);
    }
}

/// Subscribes, then reads the row: nothing committed after the read goes unannounced.
async fn subscribe(
    watch: &Watch,
    pool: &PgPool,
    db: &DatabaseConnection,
) -> Result<PgListener, DbErr> {
    let mut listener = PgListener::connect_with(pool)
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))?;
    listener
        .listen(CHANNEL)
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))?;
    watch.heard(read(db).await?);
    watch.subscribed.store(true, Ordering::Release);
    Ok(listener)
}

/// Follows the channel while the watch lives, subscribing again after a dropped connection.
async fn follow(
    watch: Weak<Watch>,
    pool: PgPool,
    db: DatabaseConnection,
    mut listener: Option<PgListener>,
) {
    loop {
        if let Some(mut subscribed) = listener.take() {
            // `None` or an error: the connection dropped, and notifications with it.
            while let Ok(Some(notification)) = subscribed.try_recv().await {
                let Some(watch) = watch.upgrade() else { return };
                if let Ok(version) = notification.payload().parse::<i64>() {
                    watch.heard(version);
                }
            }
        }
        let Some(alive) = watch.upgrade() else { return };
        alive.subscribed.store(false, Ordering::Release);
        tracing::warn!("data version listener not subscribed; reading the version per request");
        tokio::time::sleep(RETRY).await;
        listener = subscribe(&alive, &pool, &db).await.ok();
        if listener.is_some() {
            tracing::info!("data version listener subscribed again");
        }
    }
}

/// Announces the version every `HEARTBEAT` while the watch lives. Straight through the pool:
/// it is not a statement of any request.
async fn heartbeat(watch: Weak<Watch>, pool: PgPool) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        if watch.upgrade().is_none() {
            return;
        }
        if let Err(err) = sea_orm::sqlx::query(ANNOUNCE).execute(&pool).await {
            tracing::debug!(%err, "data version heartbeat not sent");
        }
    }
}
