//! Events to integrations, past the outbox (`domain::events`): the hub that fans them out
//! to subscriptions, the webhook delivery workers, and retention.

mod hub;
pub mod signature;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::event;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub use hub::{Hub, after, latest};

use crate::config::Events;
use crate::domain::events::{departments, global_id};

/// How often old events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Starts this replica's delivery workers and the pruning of old events, for as long as the
/// process runs. Every replica runs them; they share the work through the database.
pub fn start(db: &DatabaseConnection, settings: Events) {
    let hub = Hub::of(db);
    let owner = format!(
        "{}-{}",
        std::process::id(),
        signature::hex(&signature::random_bytes::<6>())
    );
    let db = hub.db().clone();
    let worker = Arc::new(worker::Worker {
        db: db.clone(),
        hub,
        settings,
        client: worker::client(settings.webhook_timeout),
        owner,
    });
    for _ in 0..settings.webhook_workers {
        tokio::spawn(worker.clone().run());
    }
    tokio::spawn(async move {
        loop {
            match prune(&db, settings.retention).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old events pruned"),
                Err(error) => tracing::warn!(%error, "pruning old events"),
            }
            tokio::time::sleep(PRUNE_EVERY).await;
        }
    });
}

/// Deletes events older than `retention`, with their deliveries; returns how many.
pub async fn prune(db: &DatabaseConnection, retention: Duration) -> Result<u64, DbErr> {
    let cutoff =
        Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let old = sea_orm::sea_query::Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .and_where(event::Column::OccurredAt.lt(cutoff))
        .to_owned();
    entity::webhook_delivery::Entity::delete_many()
        .filter(entity::webhook_delivery::Column::EventId.in_subquery(old))
        .exec(db)
        .await?;
    let pruned = event::Entity::delete_many()
        .filter(event::Column::OccurredAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    Ok(pruned)
}

/// An event's global id (`Event:n`).
pub fn event_global_id(id: i32) -> String {
    global_id("Event", id)
}

/// The JSON a webhook receives: the same fields a subscription selects.
pub fn body(row: &event::Model) -> Value {
    json!({
        "id": event_global_id(row.id),
        "sequence": row.id,
        "type": row.kind,
        "occurredAt": row.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "subject": { "type": row.subject_type, "id": global_id(&row.subject_type, row.subject_id) },
        "departmentIds": departments(row).into_iter().map(|id| global_id("Department", id)).collect::<Vec<_>>(),
        "payload": row.payload,
    })
}
