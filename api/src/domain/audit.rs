//! The append-only audit log: every write records who did what, with the data before and
//! after, inside the write's own transaction. Nothing in the API edits or deletes it. The same
//! call counts the write in the data version the response cache checks, and announces it
//! (`data_version`).

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use crate::data_version::Scope;
use serde_json::Value;

pub struct Entry<'a> {
    pub actor: &'a str,
    pub operation: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i32>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends `entry` and counts the write in the data version, in all and in the scopes its
/// entity belongs to (`Scope::written_by`), in `txn`: one statement for the counts and their
/// announcement.
pub async fn record(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    entry: Entry<'_>,
) -> Result<(), DbErr> {
    crate::data_version::count_write(txn, Scope::written_by(entry.entity)).await?;
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(at),
        actor: Set(entry.actor.to_owned()),
        operation: Set(entry.operation.to_owned()),
        entity: Set(entry.entity.to_owned()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before),
        after: Set(entry.after),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

/// Records the creation of `entity` #`entity_id` by `actor`.
pub async fn created(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &str,
    operation: &str,
    entity: &str,
    entity_id: i32,
    after: Value,
) -> Result<(), DbErr> {
    let entry = Entry {
        actor,
        operation,
        entity,
        entity_id: Some(entity_id),
        before: None,
        after: Some(after),
    };
    record(txn, at, entry).await
}
