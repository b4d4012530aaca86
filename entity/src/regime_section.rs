//! A numbered section of a supervision regime (对象, 内容, 方式, 程序, 措施, 处理…).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regime_section")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub regime_id: i32,
    pub seq: i32,
    pub label: String,
    pub kind: String,
    pub title: String,
    pub intro: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::regime_item::Entity")]
    Items,
}

impl Related<super::regime_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
