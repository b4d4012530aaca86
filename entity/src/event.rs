//! Event (事件): one thing a write did that integrations hear about, appended in the write's
//! own transaction (the outbox). Ids follow commit order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The event type, e.g. `INSPECTION_SUBMITTED`.
    pub kind: String,
    pub occurred_at: DateTimeUtc,
    /// The GraphQL type of the row it is about, e.g. `Inspection`.
    pub subject_type: String,
    pub subject_id: i32,
    /// Row ids of the departments it concerns (a JSON array).
    pub departments: Json,
    /// What a receiver needs to decide whether to fetch the subject.
    pub payload: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
