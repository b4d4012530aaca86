//! Idempotent submissions. A key belongs to the caller who sent it (the token's subject): a
//! retry by that caller with the same key and the same request gets the first result; the
//! same key from another caller is another submission.
//!
//! Writers take turns (`db::Write`), so a retry that arrives while the first is being
//! written finds its key once its own turn comes. The key row is still inserted first in the
//! write's transaction, under a unique index on (subject, key): a writer that does not take
//! turns (an older replica during an upgrade) waits on that index and finds the first result.

use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, SqlErr,
};
use serde_json::Value;

use super::{Failure, RuleCode};

/// Who sent a key, and the key.
#[derive(Clone, Copy, Debug)]
pub struct Key<'a> {
    pub subject: &'a str,
    pub key: &'a str,
}

/// The fingerprint of a request, to tell a retry from a different request reusing a key.
///
/// Stable across versions, as stored fingerprints must be: FNV-1a (64 bits, hex) of the
/// request's canonical JSON, which is the input's fields under their GraphQL names, objects
/// with their keys in byte order, no whitespace, fields left out or null omitted (so a field
/// added in a later version changes nothing for requests that do not give it), numbers and
/// strings as `serde_json` writes them. The idempotency key itself is not part of it.
pub fn fingerprint(request: &Value) -> String {
    let mut text = String::new();
    canonical(request, &mut text);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Writes `value` canonically (see `fingerprint`) to `out`.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut fields: Vec<_> = map.iter().filter(|(_, v)| !v.is_null()).collect();
            fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (name, field)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                canonical(field, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The entity a caller's earlier use of `key` produced, if any; IDEMPOTENCY_KEY_REUSED when
/// that caller used it for a different request.
pub async fn find(
    db: &impl ConnectionTrait,
    operation: &str,
    key: Key<'_>,
    hash: &str,
) -> Result<Option<i32>, Failure> {
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Subject.eq(key.subject))
        .filter(idempotency_key::Column::Key.eq(key.key))
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

/// Claims `key` inside `txn` for the entity it produced (`entity_id`, written in the same
/// transaction). `Err(unique violation)` means another submission holds it.
pub async fn claim(
    txn: &impl ConnectionTrait,
    operation: &str,
    key: Key<'_>,
    hash: &str,
    at: DateTime<Utc>,
    entity_id: i32,
) -> Result<(), DbErr> {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        subject: Set(key.subject.to_owned()),
        key: Set(key.key.to_owned()),
        operation: Set(operation.to_owned()),
        request_hash: Set(hash.to_owned()),
        entity_id: Set(Some(entity_id)),
        created_at: Set(at),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprint__ignores_key_order_and_omitted_fields() {
        let a = json!({ "b": 1, "a": [{ "y": "张三", "x": null }], "c": null });
        let b = json!({ "a": [{ "y": "张三" }], "b": 1 });
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(
            fingerprint(&a),
            fingerprint(&json!({ "a": [{ "y": "李四" }], "b": 1 }))
        );
    }

    #[test]
    fn fingerprint__is_the_documented_function() {
        // Stored fingerprints must keep matching: this value may never change.
        assert_eq!(
            fingerprint(&json!({ "record": "书面记录", "inspectors": [{ "name": "张三" }] })),
            fingerprint_of_text(r#"{"inspectors":[{"name":"张三"}],"record":"书面记录"}"#)
        );
        assert_eq!(fingerprint_of_text(""), "cbf29ce484222325");
    }

    fn fingerprint_of_text(text: &str) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}
