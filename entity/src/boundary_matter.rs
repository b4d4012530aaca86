//! Boundary matter (管理事项): a matter shared by several departments.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "boundary_matter")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list version (清单版本) the row belongs to.
    pub version_id: i32,
    /// The row's identity across versions: the id of the row it was first published as.
    pub lineage: i32,
    pub list_id: i32,
    /// Dense position in the list.
    pub seq: i32,
    /// The number as printed (both matters of the Anhua list are printed as 2).
    pub published_seq: String,
    pub title: String,
    /// A disputed matter may lack a single lead.
    pub disputed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
