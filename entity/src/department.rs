//! Department (部门/单位): a county department, internal unit, township or upper-level body.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// DEPARTMENT, INTERNAL_UNIT, PARTY_ORGAN, TOWNSHIP or UPPER_LEVEL.
    pub kind: String,
    pub parent_id: Option<i32>,
    /// The day from which it no longer exists (撤销/合并), when reorganised away.
    pub dissolved_on: Option<Date>,
    /// The department that took over its duties from `dissolved_on` (承接部门).
    pub successor_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
