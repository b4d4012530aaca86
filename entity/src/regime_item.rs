//! An item of a regime section; items of the 内容 section are the inspection checklist.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regime_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub section_id: i32,
    pub parent_id: Option<i32>,
    pub seq: i32,
    /// Position in the section, e.g. "2" or "2.3" for a nested item.
    pub path: String,
    pub label: Option<String>,
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::regime_section::Entity",
        from = "Column::SectionId",
        to = "super::regime_section::Column::Id"
    )]
    Section,
}

impl Related<super::regime_section::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Section.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
