//! Webhook delivery. Every replica runs `Events::webhook_workers` of these loops; each takes
//! one endpoint at a time under a lease, and delivers that endpoint's pending deliveries in
//! id order (the order its events committed), one after the other. A failed attempt holds
//! the endpoint back for a backoff (doubling, with jitter), so later events never overtake
//! it; after the bound of attempts the delivery is dead-lettered (`DEAD`) and the next goes.
//!
//! Claiming is one statement: on PostgreSQL the candidate row is locked `FOR UPDATE SKIP
//! LOCKED`, so replicas racing for endpoints each get a different one; on SQLite (one
//! process) the statement itself is atomic. The lease outlives a request's timeout; a
//! replica that dies holding one loses it when it expires, and another takes over (the
//! delivery in flight may then arrive twice: delivery is at least once).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::{event, webhook, webhook_delivery};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::Hub;
use super::signature;
use crate::config::Events;
use crate::domain::events::{DEAD, DELIVERED, PENDING};

/// Deliveries made under one claim before the endpoint is put back for others.
const PER_CLAIM: u64 = 100;
/// How often an idle worker looks for due work without being woken.
const IDLE: Duration = Duration::from_secs(1);
/// Longest stored error message.
const ERROR_CHARS: usize = 500;

/// An attempt's outcome as `record` writes it: endpoint, delivery, attempts so far, new
/// status, the answer, and when to try again.
type Outcome<'a> = (
    i32,
    &'a webhook_delivery::Model,
    i32,
    &'a str,
    &'a Result<u16, (Option<u16>, String)>,
    Option<i64>,
);

/// What every worker of this replica shares.
pub(crate) struct Worker {
    pub db: DatabaseConnection,
    pub hub: Arc<Hub>,
    pub settings: Events,
    pub client: reqwest::Client,
    /// This replica, as lease owner.
    pub owner: String,
}

/// Outbound requests time out, never follow a redirect (a receiver that moved must be
/// re-registered: a redirect could point anywhere) and refuse other schemes than http(s).
pub(crate) fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Qingdan-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with these settings")
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Worker {
    fn lease(&self) -> i64 {
        // Long enough for a request to time out and its outcome to be written.
        2 * self.settings.webhook_timeout.as_millis() as i64 + 5_000
    }

    /// Runs until the process ends.
    pub async fn run(self: Arc<Self>) {
        loop {
            let work = self.hub.work.notified();
            match self.claim().await {
                Ok(Some(hook)) => {
                    if let Err(error) = self.serve(&hook).await {
                        tracing::warn!(%error, webhook = hook.id, "webhook delivery interrupted");
                        tokio::time::sleep(IDLE).await;
                    }
                }
                Ok(None) => {
                    let _ = tokio::time::timeout(IDLE, work).await;
                }
                Err(error) => {
                    tracing::warn!(%error, "claiming webhook work");
                    tokio::time::sleep(IDLE).await;
                }
            }
        }
    }

    /// Takes an endpoint that has a due delivery and that no live lease holds.
    async fn claim(&self) -> Result<Option<webhook::Model>, DbErr> {
        let now = now_ms();
        let backend = self.db.get_database_backend();
        let lock = if backend == DbBackend::Postgres {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE webhook SET lease_owner = $1, lease_until = $2 WHERE id = (
               SELECT w.id FROM webhook w
               WHERE w.enabled AND w.lease_until < $3 AND w.next_attempt_at <= $3
                 AND EXISTS (SELECT 1 FROM webhook_delivery d
                             WHERE d.webhook_id = w.id AND d.status = '{PENDING}')
               ORDER BY w.next_attempt_at, w.id LIMIT 1 {lock})
             RETURNING id"
        );
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    self.owner.clone().into(),
                    (now + self.lease()).into(),
                    now.into(),
                ],
            ))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i32 = row.try_get("", "id")?;
        webhook::Entity::find_by_id(id).one(&self.db).await
    }

    /// Delivers `hook`'s pending deliveries in order while they succeed (or die), then lets
    /// the endpoint go, with a backoff when one failed.
    async fn serve(&self, hook: &webhook::Model) -> Result<(), DbErr> {
        // The queue's head, with its events, in two statements.
        let queue = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .order_by_asc(webhook_delivery::Column::Id)
            .limit(PER_CLAIM)
            .all(&self.db)
            .await?;
        let events: HashMap<i32, event::Model> = event::Entity::find()
            .filter(event::Column::Id.is_in(queue.iter().map(|d| d.event_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        for delivery in &queue {
            // Pruned meanwhile: the delivery went with it.
            let Some(row) = events.get(&delivery.event_id) else {
                continue;
            };
            let outcome = self.post(hook, delivery, row).await;
            let attempts = delivery.attempts + 1;
            let (status, retry_at) = match &outcome {
                Ok(_) => (DELIVERED, None),
                Err(_) if attempts as u32 >= self.settings.webhook_max_attempts => (DEAD, None),
                Err(_) => (PENDING, Some(now_ms() + self.backoff(attempts as u32))),
            };
            if !self
                .record(hook.id, delivery, attempts, status, &outcome, retry_at)
                .await?
            {
                return Ok(()); // the lease was lost: another worker has the endpoint now
            }
            if retry_at.is_some() {
                return Ok(());
            }
        }
        self.release(hook.id, now_ms()).await
    }

    /// The wait before attempt `attempts + 1`: the base doubled per failure so far, capped,
    /// of which a random half is waited (so endpoints failing together spread out).
    fn backoff(&self, attempts: u32) -> i64 {
        let base = self.settings.webhook_backoff.as_millis() as i64;
        let cap = self.settings.webhook_backoff_max.as_millis() as i64;
        let full = base
            .saturating_mul(1i64 << attempts.saturating_sub(1).min(40))
            .min(cap);
        let random = u32::from_le_bytes(signature::random_bytes::<4>());
        full / 2 + (full / 2) * i64::from(random) / i64::from(u32::MAX)
    }

    /// Sends one delivery: `Ok(status)` for a 2xx answer, else why not.
    async fn post(
        &self,
        hook: &webhook::Model,
        delivery: &webhook_delivery::Model,
        row: &event::Model,
    ) -> Result<u16, (Option<u16>, String)> {
        let body = serde_json::to_vec(&super::body(row)).expect("JSON");
        let timestamp = Utc::now().timestamp();
        let request = self
            .client
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::EVENT_ID, super::event_global_id(row.id))
            .header(signature::EVENT_SEQUENCE, row.id.to_string())
            .header(signature::EVENT_TYPE, &row.kind)
            .header(
                signature::DELIVERY_ID,
                crate::domain::events::global_id("WebhookDelivery", delivery.id),
            )
            .header(signature::TIMESTAMP, timestamp.to_string())
            .header(
                signature::SIGNATURE,
                signature::sign(&hook.secret, timestamp, &body),
            )
            .body(body);
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
            Ok(response) => {
                let status = response.status();
                let why = if status.is_redirection() {
                    "redirect not followed: register the endpoint's final URL".to_owned()
                } else {
                    format!("answered {status}")
                };
                Err((Some(status.as_u16()), why))
            }
            Err(error) => {
                let why = if error.is_timeout() {
                    "timed out".to_owned()
                } else if error.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "request failed".to_owned()
                };
                Err((None, why))
            }
        }
    }

    /// Writes an attempt's outcome and extends the lease, if this worker still holds it.
    async fn record(
        &self,
        hook: i32,
        delivery: &webhook_delivery::Model,
        attempts: i32,
        status: &str,
        outcome: &Result<u16, (Option<u16>, String)>,
        retry_at: Option<i64>,
    ) -> Result<bool, DbErr> {
        let args = (hook, delivery, attempts, status, outcome, retry_at);
        // Not a `db::Write`: queued behind the process's writers, a delivery would wait for
        // every write ahead of it; its first statement is a write, so on SQLite the
        // transaction takes the lock at once or waits in the busy handler.
        let txn = self.db.begin().await?;
        let held = self.write_outcome(&txn, args).await?;
        if held {
            txn.commit().await?;
        }
        Ok(held)
    }

    async fn write_outcome(
        &self,
        txn: &impl ConnectionTrait,
        (hook, delivery, attempts, status, outcome, retry_at): Outcome<'_>,
    ) -> Result<bool, DbErr> {
        let now = Utc::now();
        // After a failure the endpoint is let go until its backoff ends; else held on.
        let lease_until = match retry_at {
            Some(_) => 0,
            None => now_ms() + self.lease(),
        };
        let mut hold = webhook::Entity::update_many()
            .col_expr(webhook::Column::LeaseUntil, Expr::value(lease_until))
            .filter(webhook::Column::Id.eq(hook))
            .filter(webhook::Column::LeaseOwner.eq(self.owner.as_str()));
        if let Some(at) = retry_at {
            hold = hold.col_expr(webhook::Column::NextAttemptAt, Expr::value(at));
        }
        if hold.exec(txn).await?.rows_affected != 1 {
            return Ok(false);
        }
        let (code, error) = match outcome {
            Ok(code) => (Some(i32::from(*code)), None),
            Err((code, why)) => (
                code.map(i32::from),
                Some(why.chars().take(ERROR_CHARS).collect::<String>()),
            ),
        };
        webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Status, Expr::value(status))
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
            .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(code))
            .col_expr(webhook_delivery::Column::LastError, Expr::value(error))
            .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(now))
            .col_expr(
                webhook_delivery::Column::DeliveredAt,
                Expr::value((status == DELIVERED).then_some(now)),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .exec(txn)
            .await?;
        Ok(true)
    }

    /// Lets the endpoint go, due again from `at`.
    async fn release(&self, hook: i32, at: i64) -> Result<(), DbErr> {
        webhook::Entity::update_many()
            .col_expr(webhook::Column::LeaseUntil, Expr::value(0i64))
            .col_expr(webhook::Column::NextAttemptAt, Expr::value(at))
            .filter(webhook::Column::Id.eq(hook))
            .filter(webhook::Column::LeaseOwner.eq(self.owner.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
