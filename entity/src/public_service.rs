//! Public service (公共服务事项) with its responsible unit and phone.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_service")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list version (清单版本) the row belongs to.
    pub version_id: i32,
    /// The row's identity across versions: the id of the row it was first published as.
    pub lineage: i32,
    pub list_id: i32,
    pub seq: i32,
    pub name: String,
    pub content: String,
    pub unit_id: i32,
    /// Digits only.
    pub phone: String,
    /// The phone cell exactly as printed.
    pub published_phone: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
