//! List version (清单版本): one edition of a department's list. Rows of the list belong to
//! exactly one version. At most one version of a list is the draft (草稿, no number yet),
//! which editors change; publishing freezes it with a number, the day it takes effect and a
//! reason.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "list_version")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub list_id: i32,
    /// 1, 2, 3… in order of publication; `None` while it is the draft.
    pub number: Option<i32>,
    /// The day it takes effect; `None` for an edition imported without a recorded date,
    /// which is in force until the next one.
    pub effective_from: Option<Date>,
    pub reason: Option<String>,
    /// LAW_CHANGE, REORGANISATION, CORRECTION or OTHER.
    pub reason_kind: Option<String>,
    /// The version the draft was copied from.
    pub based_on_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub published_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
