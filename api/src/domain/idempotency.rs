//! Idempotent submissions. The key row is inserted first in the write's transaction, so of
//! two racing retries the second waits on the unique index and then finds the first's result.

use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};

use super::{Failure, RuleCode};

/// What a key says about a submission.
pub enum Claim {
    /// First use: go on and write.
    Fresh,
    /// Already done: answer with this entity.
    Replay(i32),
}

/// A stable fingerprint of a request, to tell a retry from a different request reusing a key.
pub fn fingerprint(request: &impl std::fmt::Debug) -> String {
    // FNV-1a over the request's debug form: stable across processes, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{request:?}").bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Looks the key up outside any transaction: the cheap path for a plain retry.
pub async fn find(
    db: &DatabaseConnection,
    operation: &str,
    key: &str,
    hash: &str,
) -> Result<Option<i32>, Failure> {
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.operation != operation || row.request_hash != hash {
        return Err(Failure::rule(
            "idempotencyKey",
            RuleCode::IdempotencyKeyReused,
            "this idempotency key was used for a different request",
        ));
    }
    Ok(row.entity_id)
}

/// Claims `key` inside `txn`. `Err(unique violation)` means another submission holds it.
pub async fn claim(
    txn: &impl ConnectionTrait,
    operation: &str,
    key: &str,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        key: Set(key.to_owned()),
        operation: Set(operation.to_owned()),
        request_hash: Set(hash.to_owned()),
        entity_id: Set(None),
        created_at: Set(at),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

/// Records the entity a claimed key produced.
pub async fn complete(txn: &impl ConnectionTrait, key: &str, entity_id: i32) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::EntityId,
            sea_orm::sea_query::Expr::value(entity_id),
        )
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(txn)
        .await?;
    Ok(())
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
