//! Misroute (派单异议): a complaint a dispatcher had to send elsewhere than the lookup said.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "misroute")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The complaint as received.
    pub text: String,
    /// Where the lookup sent it, if it named anyone.
    pub suggested_department_id: Option<i32>,
    /// The department that really had to act.
    pub correct_department_id: i32,
    pub note: Option<String>,
    /// The dispatcher's token subject.
    pub reported_by: String,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
