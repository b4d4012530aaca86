//! A fault situation or form of accountability cited by an accountability record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accountability_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub accountability_id: i32,
    pub item_id: i32,
    /// SITUATION or FORM.
    pub role: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
