//! Lexicon entry (词库条目): a word citizens or officials use, and the list's wording it stands for.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lexicon_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The word as typed or spoken (两非, 堕胎药).
    #[sea_orm(unique)]
    pub term: String,
    /// The list's wording it stands for (非医学需要的胎儿性别鉴定…, 终止妊娠药物).
    pub expansion: String,
    /// ALIAS (简称/别称) or COLLOQUIAL (俗称).
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
