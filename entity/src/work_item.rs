//! Work item (具体工作事项): a concrete task under a duty, numbered within it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "work_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list version (清单版本) the row belongs to.
    pub version_id: i32,
    /// The row's identity across versions: the id of the row it was first published as.
    pub lineage: i32,
    pub duty_id: i32,
    pub seq: i32,
    pub text: String,
    pub remark: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
