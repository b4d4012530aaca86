//! Supervision document (《行政执法监督通知书》/《决定书》) with its five required contents.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: i32,
    /// NOTICE or DECISION.
    pub kind: String,
    /// ORDER_CORRECTION, REMEDIAL_MEASURES, CONFIRM_ILLEGAL or REVOKE.
    pub measure: String,
    pub inspected_unit: String,
    pub facts_and_reasons: String,
    pub decision_and_basis: String,
    pub execution_method: String,
    pub execution_deadline: Option<Date>,
    pub issuing_body: String,
    pub issued_on: Date,
    pub sealed: bool,
    pub received_on: Date,
    pub issued_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
