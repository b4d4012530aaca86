//! Idempotency key of a submission: a retry by the same caller (subject) with the same key
//! gets the first result.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The token's `sub`: keys are unique per caller.
    pub subject: String,
    pub key: String,
    pub operation: String,
    pub request_hash: String,
    pub entity_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
