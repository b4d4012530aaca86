//! Idempotency keys belong to the caller who sent them: a key is unique per subject (the
//! token's `sub`), so two supervisors' systems may number their submissions alike. The
//! table is rebuilt (SQLite cannot drop the old column-level unique constraint); a key
//! already stored is given the subject of the inspection it produced.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "key, operation, request_hash, entity_id, created_at";

/// The columns a key keeps of its request, after the key's own.
fn with_request(mut table: TableCreateStatement) -> TableCreateStatement {
    table
        .col(string("operation"))
        .col(string("request_hash"))
        .col(integer_null("entity_id"))
        .col(timestamp_with_time_zone("created_at"));
    table
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite as well: the rebuild's steps must be seen by each other
    /// (on one connection), and must all happen or none.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut scoped = table("idempotency_key_scoped");
        scoped.col(string("subject")).col(string("key"));
        manager.create_table(with_request(scoped)).await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO idempotency_key_scoped (subject, {COLUMNS}) \
             SELECT COALESCE((SELECT i.submitted_by FROM inspection i \
                              WHERE i.id = k.entity_id AND k.operation = 'submitInspection'), ''), \
                    {COLUMNS} FROM idempotency_key k"
        ))
        .await?;
        take_place(manager, "idempotency_key_scoped").await?;
        manager
            .create_index(unique(
                "ux_idempotency_subject_key",
                "idempotency_key",
                &["subject", "key"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut global = table("idempotency_key_global");
        global.col(string_uniq("key"));
        manager.create_table(with_request(global)).await?;
        // Of keys two subjects share, the first stored is kept.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO idempotency_key_global ({COLUMNS}) SELECT {COLUMNS} FROM idempotency_key k \
                 WHERE k.id = (SELECT MIN(o.id) FROM idempotency_key o WHERE o.key = k.key)"
            ))
            .await?;
        take_place(manager, "idempotency_key_global").await
    }
}

/// Drops the keys' table and names the rebuilt one `table` in its place.
async fn take_place(manager: &SchemaManager<'_>, table: &'static str) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table("idempotency_key").to_owned())
        .await?;
    manager
        .rename_table(Table::rename().table(table, "idempotency_key").to_owned())
        .await
}
