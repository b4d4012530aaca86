//! Division (职责分工): one department's share of a boundary matter.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "division")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The list version (清单版本) the row belongs to.
    pub version_id: i32,
    /// The row's identity across versions: the id of the row it was first published as.
    pub lineage: i32,
    pub matter_id: i32,
    pub department_id: i32,
    pub seq: i32,
    /// The department's name as printed in this row.
    pub published_department_name: String,
    /// LEAD (牵头) or ASSIST (配合).
    pub role: String,
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
