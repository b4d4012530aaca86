//! Webhook (推送端点): an endpoint an administrator registered to receive events.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub url: String,
    /// The event types it receives (a JSON array of names).
    pub event_types: Json,
    pub description: String,
    /// The HMAC-SHA256 signing secret, shown to the administrator once.
    pub secret: String,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    /// The replica whose worker holds the endpoint, until `lease_until` (ms since the epoch).
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    /// When the next delivery may be tried (ms since the epoch).
    pub next_attempt_at: i64,
    /// Only events concerning this department, when set.
    pub department_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
