//! Inspection (监督检查): a submitted supervision result under one regime.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub regime_id: i32,
    pub target_department_id: i32,
    pub period_start: Date,
    pub period_end: Date,
    /// The written record (书面记录).
    pub record: String,
    pub submitted_by: String,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
