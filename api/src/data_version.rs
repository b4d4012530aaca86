//! The data version: how many writes have committed, in all (row 1) and per scope (rows 2–6,
//! `Scope`): published lists, drafts, supervision records, the lexicon and the rest. Every
//! write counts itself through `audit::record` in its own transaction, in row 1 and in the
//! scopes it changed, and, on PostgreSQL, announces the new counts on channel
//! `qingdan_data_version` (delivered when the transaction commits). A reader keys what it
//! keeps on the scopes it read: a submission does not move the published lists, so the lists
//! held in memory, the lookup index and cached list answers stay valid across it.
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
//! on SQLite — every check reads the version rows instead (one indexed read).

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use entity::data_version;
use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Statement};

/// The channel's name, in one place for `CHANNEL`, `ANNOUNCE` and `COUNT_WRITE` alike.
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

/// What a write can change, each counted in a row of its own (row `2 + scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The published lists (版本) and the departments they name: what `Published` holds.
    Lists,
    /// The lists' drafts (草稿), read by their editors.
    Drafts,
    /// Inspections, documents, rectifications, reviews, accountability, the working calendar.
    Supervision,
    /// The lookup's lexicon (词库).
    Lexicon,
    /// Misroute reports, webhooks: read by few, changed rarely.
    Other,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Lists,
        Scope::Drafts,
        Scope::Supervision,
        Scope::Lexicon,
        Scope::Other,
    ];

    fn slot(self) -> usize {
        self as usize + 1
    }

    /// Its row in `data_version`.
    pub fn row(self) -> i32 {
        self as i32 + 2
    }

    /// The scopes a write recorded in the audit log as `entity` changes. An entity not named
    /// here changes them all, so a new kind of write can only over-invalidate.
    pub fn written_by(entity: &str) -> &'static [Scope] {
        match entity {
            "duty" | "work_item" | "boundary_matter" | "division" | "legal_basis"
            | "boundary_case" | "public_service" => &[Scope::Drafts],
            // A publication changes the published lists and closes the draft; a discard only
            // drops the draft, and counting it as a publication costs one rebuild.
            "list_version" | "department" => &[Scope::Lists, Scope::Drafts],
            "Inspection"
            | "SupervisionDocument"
            | "Rectification"
            | "ReviewRequest"
            | "Accountability"
            | "CalendarDay" => &[Scope::Supervision],
            "lexicon_entry" => &[Scope::Lexicon],
            "misroute" | "webhook" => &[Scope::Other],
            _ => &Scope::ALL,
        }
    }
}

/// The count of all writes and of each scope's, as of one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stamp([i64; 6]);

impl Stamp {
    /// The stamp of these counts by row (1 to 6).
    pub fn from_counts(counts: [i64; 6]) -> Self {
        Self(counts)
    }

    /// Every write counted: what changes whenever anything does.
    pub fn all(&self) -> i64 {
        self.0[0]
    }

    /// The writes that changed `scope`.
    pub fn of(&self, scope: Scope) -> i64 {
        self.0[scope.slot()]
    }

    /// The counts of `scopes` only, as one key: equal while none of them moved.
    pub fn key(&self, scopes: &[Scope]) -> Vec<i64> {
        scopes.iter().map(|scope| self.of(*scope)).collect()
    }

    /// Parses the channel's payload: the counts by row, comma-separated.
    fn parse(payload: &str) -> Option<Self> {
        let mut stamp = Self::default();
        let mut count = 0;
        for (slot, part) in payload.split(',').enumerate() {
            *stamp.0.get_mut(slot)? = part.trim().parse().ok()?;
            count += 1;
        }
        (count == stamp.0.len()).then_some(stamp)
    }
}

/// The version rows as the database has them now.
pub async fn read(db: &impl ConnectionTrait) -> Result<Stamp, DbErr> {
    let mut stamp = Stamp::default();
    for row in data_version::Entity::find().all(db).await? {
        if let Some(slot) = usize::try_from(row.id - 1)
            .ok()
            .and_then(|i| stamp.0.get_mut(i))
        {
            *slot = row.version;
        }
    }
    Ok(stamp)
}

/// Sends the counts as they are now on the channel (when the surrounding transaction commits).
const ANNOUNCE: &str = concat!(
    "SELECT pg_notify('",
    channel!(),
    "', (SELECT string_agg(version::text, ',' ORDER BY id) FROM data_version))"
);

/// Counts a write that changed `scopes` (row 1 and theirs) in `txn` and, on PostgreSQL,
/// announces the new counts to every process when `txn` commits: one statement either way.
pub async fn count_write(txn: &impl ConnectionTrait, scopes: &[Scope]) -> Result<(), DbErr> {
    let rows: Vec<i32> = scopes.iter().map(|scope| scope.row()).chain([1]).collect();
    if txn.get_database_backend() != DbBackend::Postgres {
        let rows = rows
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let bump = format!("UPDATE data_version SET version = version + 1 WHERE id IN ({rows})");
        txn.execute_unprepared(&bump).await?;
        return Ok(());
    }
    // One text for every write, the rows an array parameter: each connection prepares it
    // once, where a text naming its rows was parsed and planned at every write.
    let counted = Statement::from_sql_and_values(DbBackend::Postgres, COUNT_WRITE, [rows.into()]);
    txn.execute_raw(counted).await?;
    Ok(())
}

/// Bumps the rows `$1` and announces the counts. Row 1 is locked first (`turn`, which the bump
/// waits for), so writers that count themselves without holding it from BEGIN
/// (`db::Turn::Alongside`) queue in one order and never deadlock over the scope rows. The
/// rows as this statement leaves them: the bumped ones from RETURNING (the statement itself
/// still sees the old values), the rest as they are.
const COUNT_WRITE: &str = concat!(
    "WITH turn AS (SELECT id FROM data_version WHERE id = 1 FOR UPDATE), ",
    "bumped AS (UPDATE data_version SET version = version + 1 ",
    "WHERE id = ANY($1) AND EXISTS (SELECT 1 FROM turn) RETURNING id, version) ",
    "SELECT pg_notify('",
    channel!(),
    "', counts) FROM (",
    "SELECT string_agg(COALESCE(b.version, d.version)::text, ',' ORDER BY d.id) AS counts ",
    "FROM data_version d LEFT JOIN bumped b ON b.id = d.id) announced"
);

/// What this process knows of the data version.
#[derive(Debug)]
pub struct Watch {
    /// The counts by row, each only ever raised.
    known: [AtomicI64; 6],
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
            known: Default::default(),
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
    pub async fn current(&self, db: &impl ConnectionTrait) -> Result<Stamp, DbErr> {
        if self.is_live() && !self.stale.load(Ordering::Acquire) {
            return Ok(self.known());
        }
        self.stale.store(false, Ordering::Release);
        let stamp = read(db).await?;
        self.raise(stamp);
        Ok(stamp)
    }

    fn known(&self) -> Stamp {
        Stamp(std::array::from_fn(|i| {
            self.known[i].load(Ordering::Acquire)
        }))
    }

    fn raise(&self, stamp: Stamp) {
        for (known, version) in self.known.iter().zip(stamp.0) {
            known.fetch_max(version, Ordering::AcqRel);
        }
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

    /// The listener heard `stamp` (or subscribed, having read it).
    fn heard(&self, stamp: Stamp) {
        self.raise(stamp);
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
                match Stamp::parse(notification.payload()) {
                    Some(stamp) => watch.heard(stamp),
                    // A replica of an older release announces row 1 alone: the scopes are
                    // read from the rows before the next answer.
                    None => {
                        watch.stale.store(true, Ordering::Release);
                        watch.heard.store(watch.elapsed_ms(), Ordering::Release);
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp__parses_every_row_and_refuses_a_partial_payload() {
        let stamp = Stamp::parse("9,2,3,4,0,1").unwrap();
        assert_eq!(stamp.all(), 9);
        assert_eq!(stamp.of(Scope::Lists), 2);
        assert_eq!(stamp.of(Scope::Other), 1);
        assert_eq!(stamp.key(&[Scope::Supervision, Scope::Lexicon]), vec![4, 0]);
        assert_eq!(Stamp::parse("9"), None);
        assert_eq!(Stamp::parse("9,2,3,4,0,1,7"), None);
        assert_eq!(Stamp::parse("9,x,3,4,0,1"), None);
    }

    #[test]
    fn scope__a_submission_leaves_the_lists_and_an_unknown_write_moves_all() {
        assert_eq!(Scope::written_by("Inspection"), &[Scope::Supervision]);
        assert!(!Scope::written_by("duty").contains(&Scope::Lists));
        assert!(Scope::written_by("list_version").contains(&Scope::Lists));
        assert_eq!(Scope::written_by("ResponsibilityList"), &Scope::ALL);
    }
}
