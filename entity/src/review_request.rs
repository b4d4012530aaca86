//! Review request (复查申请) against a document, and its decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub document_id: i32,
    pub requested_on: Date,
    pub reasons: String,
    pub requested_by: String,
    /// UPHELD, AMENDED or REVOKED once decided.
    pub outcome: Option<String>,
    pub decision: Option<String>,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
