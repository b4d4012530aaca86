//! Supervision regime (监管制度) of part 3 of a list, with the rules it states as data.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervision_regime")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub list_id: i32,
    pub code: String,
    pub seq: i32,
    pub label: String,
    pub title: String,
    pub preamble: Option<String>,
    pub min_inspectors: Option<i32>,
    pub min_inspectors_clause: Option<String>,
    pub review_request_days: Option<i32>,
    pub review_decision_days: Option<i32>,
    pub review_clause: Option<String>,
    /// NATURAL or WORKING days.
    pub day_count: String,
    /// Path of the handling-section item whose sub-items are the fault situations (过错情形).
    pub fault_situations_path: Option<String>,
    /// Path of the handling-section item whose sub-items are the forms of accountability (追究方式).
    pub accountability_forms_path: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
