//! The hub: one per connection pool, it reads each committed event once, in id order, and
//! hands it to every subscription of this process (a broadcast) and wakes the delivery
//! workers. It learns of new events from PostgreSQL's channel (`domain::events::CHANNEL`,
//! notified by every replica's writes at commit), from this process's own mutations
//! (`poke`), and by reading the table every `POLL` in case a notification was missed (on
//! SQLite, the only way to hear of another process's writes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use entity::event;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tokio::sync::{Notify, broadcast};

/// Events a slow subscription may fall behind by before it reads the table instead.
const BUFFER: usize = 1024;
/// Rows read at a time.
pub const BATCH: u64 = 500;
/// How often the table is read without a notification.
const POLL: Duration = Duration::from_millis(500);
/// The pause before listening again after the channel's connection dropped.
const RETRY: Duration = Duration::from_secs(1);

pub struct Hub {
    /// The pool, without the request statement counting: background reads are no request's.
    db: DatabaseConnection,
    sender: broadcast::Sender<Arc<event::Model>>,
    /// The id of the last event read (and broadcast).
    last: AtomicI32,
    /// A write of this process committed: read now rather than at the next poll.
    poked: Arc<Notify>,
    /// New events were read: delivery workers waiting for work look again.
    pub(crate) work: Notify,
}

impl Hub {
    /// The hub of `db`'s pool, started on first use (one per pool, like the writers' lock).
    pub fn of(db: &DatabaseConnection) -> Arc<Self> {
        static HUBS: LazyLock<Mutex<HashMap<usize, Weak<Hub>>>> = LazyLock::new(Mutex::default);
        let key = pool_key(db);
        let mut hubs = HUBS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hub) = hubs.get(&key).and_then(Weak::upgrade) {
            return hub;
        }
        hubs.retain(|_, hub| hub.strong_count() > 0);
        let hub = Arc::new(Self {
            db: uncounted(db),
            sender: broadcast::channel(BUFFER).0,
            last: AtomicI32::new(-1),
            poked: Arc::new(Notify::new()),
            work: Notify::new(),
        });
        hubs.insert(key, Arc::downgrade(&hub));
        tokio::spawn(follow(
            Arc::downgrade(&hub),
            hub.poked.clone(),
            hub.db.clone(),
        ));
        hub
    }

    /// The pool, for the background work and subscriptions' reads, uncounted.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Events read from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<event::Model>> {
        self.sender.subscribe()
    }

    /// The id of the last event read; events after it will be broadcast.
    pub async fn last(&self, db: &DatabaseConnection) -> Result<i32, DbErr> {
        match self.last.load(Ordering::Acquire) {
            -1 => latest(db).await,
            last => Ok(last),
        }
    }

    /// A write of this process has committed.
    pub fn poke(&self) {
        self.poked.notify_one();
    }
}

/// `db`'s pool as a connection whose statements the metrics do not count.
fn uncounted(db: &DatabaseConnection) -> DatabaseConnection {
    match db.get_database_backend() {
        DbBackend::Postgres => sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
            db.get_postgres_connection_pool().clone(),
        ),
        _ => sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(
            db.get_sqlite_connection_pool().clone(),
        ),
    }
}

fn pool_key(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            Arc::as_ptr(&db.get_sqlite_connection_pool().connect_options()) as usize
        }
        DbBackend::Postgres => {
            Arc::as_ptr(&db.get_postgres_connection_pool().connect_options()) as usize
        }
        _ => 0,
    }
}

/// The id of the newest event, 0 when there is none.
pub async fn latest(db: &DatabaseConnection) -> Result<i32, DbErr> {
    let newest = event::Entity::find()
        .order_by_desc(event::Column::Id)
        .one(db)
        .await?;
    Ok(newest.map_or(0, |row| row.id))
}

/// Up to `BATCH` events after `after`, oldest first.
pub async fn after(db: &DatabaseConnection, after: i32) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::Id.gt(after))
        .order_by_asc(event::Column::Id)
        .limit(BATCH)
        .all(db)
        .await
}

/// Reads new events while the hub lives: on every notification, poke and poll.
async fn follow(hub: Weak<Hub>, poked: Arc<Notify>, db: DatabaseConnection) {
    let mut last = loop {
        match latest(&db).await {
            Ok(last) => break last,
            Err(_) => tokio::time::sleep(RETRY).await,
        }
    };
    match hub.upgrade() {
        Some(hub) => hub.last.store(last, Ordering::Release),
        None => return,
    }
    let mut listener = None;
    loop {
        if db.get_database_backend() == DbBackend::Postgres && listener.is_none() {
            listener = listen(&db).await;
        }
        let heard = async {
            match listener.as_mut() {
                Some(listener) => listener
                    .try_recv()
                    .await
                    .map(|n| n.is_some())
                    .unwrap_or(false),
                None => std::future::pending().await,
            }
        };
        let mut was_poked = false;
        tokio::select! {
            alive_channel = heard => if !alive_channel {
                listener = None;
                tokio::time::sleep(RETRY).await;
            },
            () = poked.notified() => was_poked = true,
            () = tokio::time::sleep(POLL) => {}
        }
        let Some(alive) = hub.upgrade() else { return };
        if was_poked {
            // A write may have queued deliveries without a new event (a redelivery).
            alive.work.notify_waiters();
        }
        // Everything new, in order, however many notifications it took to get here.
        loop {
            let Ok(rows) = after(&db, last).await else {
                break;
            };
            let Some(newest) = rows.last().map(|row| row.id) else {
                break;
            };
            let full = rows.len() as u64 == BATCH;
            for row in rows {
                let _ = alive.sender.send(Arc::new(row));
            }
            last = newest;
            alive.last.store(last, Ordering::Release);
            alive.work.notify_waiters();
            if !full {
                break;
            }
        }
    }
}

async fn listen(db: &DatabaseConnection) -> Option<PgListener> {
    let pool = db.get_postgres_connection_pool();
    let mut listener = PgListener::connect_with(pool).await.ok()?;
    listener.listen(crate::domain::events::CHANNEL).await.ok()?;
    Some(listener)
}
