//! Events to integrations: the outbox (`event`), the endpoints administrators register
//! (`webhook`) and each event's delivery to each endpoint (`webhook_delivery`).
//!
//! An event's id is its place in the order writes committed: every write appends its events
//! while it holds the data version's row lock (`db::Write`), so ids are handed out in commit
//! order and a reader that has seen id n has seen every committed id below it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{index, optional_ref, parent, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut event = table("event");
        event
            .col(string("kind"))
            .col(timestamp_with_time_zone("occurred_at"))
            .col(string("subject_type"))
            .col(integer("subject_id"))
            // Row ids of the departments it concerns, as a JSON array: who may see it.
            .col(json("departments"))
            .col(json("payload"));
        manager.create_table(event).await?;
        manager
            .create_index(index("ix_event_occurred_at", "event", "occurred_at"))
            .await?;

        let mut webhook = table("webhook");
        webhook
            .col(text("url"))
            .col(json("event_types"))
            .col(text("description"))
            .col(string("secret"))
            .col(boolean("enabled"))
            .col(string("created_by"))
            .col(timestamp_with_time_zone("created_at"))
            // Delivery state, in milliseconds since the epoch (compared the same on both
            // databases): which replica's worker holds the endpoint, until when, and when its
            // next delivery may be tried (after a failure, the backoff).
            .col(string_null("lease_owner"))
            .col(big_integer("lease_until").default(0))
            .col(big_integer("next_attempt_at").default(0));
        optional_ref(&mut webhook, "webhook", "department_id", "department");
        manager.create_table(webhook).await?;

        let mut delivery = table("webhook_delivery");
        parent(&mut delivery, "webhook_delivery", "webhook_id", "webhook");
        parent(&mut delivery, "webhook_delivery", "event_id", "event");
        delivery
            .col(string("status"))
            .col(integer("attempts").default(0))
            .col(integer_null("last_status_code"))
            .col(text_null("last_error"))
            .col(timestamp_with_time_zone_null("last_attempt_at"))
            .col(timestamp_with_time_zone_null("delivered_at"))
            .col(timestamp_with_time_zone("created_at"));
        manager.create_table(delivery).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_queue")
                    .table("webhook_delivery")
                    .col("webhook_id")
                    .col("status")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_delivery_event",
                "webhook_delivery",
                "event_id",
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["webhook_delivery", "webhook", "event"] {
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
