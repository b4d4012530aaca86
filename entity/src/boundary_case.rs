//! Case (案例) illustrating a boundary matter.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "boundary_case")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list version (清单版本) the row belongs to.
    pub version_id: i32,
    /// The row's identity across versions: the id of the row it was first published as.
    pub lineage: i32,
    pub matter_id: i32,
    pub division_id: Option<i32>,
    pub seq: i32,
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
