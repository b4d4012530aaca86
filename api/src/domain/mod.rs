//! Business rules and reference vocabularies. Plain Rust over sea-orm: no GraphQL here.
//! A use case is one async function that opens one transaction, checks every rule, writes,
//! appends to the audit log and commits; a rule it breaks comes back as a `Violation`.

pub mod audit;
pub mod calendar;
pub mod clock;
pub mod consistency;
pub mod editing;
pub mod events;
pub mod idempotency;
pub mod kinds;
pub mod lexicon;
pub mod list_reads;
pub mod misroute;
pub mod published;
pub mod rules;
pub mod supervision;
pub mod text_index;
pub mod versions;
pub mod webhooks;

pub use rules::{Failure, RuleCode, Violation};

/// The record `id` names, or the rule `code` on input `field` that says there is no such
/// `what`: where every use case acting on an earlier record starts.
pub async fn named<E>(
    db: &impl sea_orm::ConnectionTrait,
    id: i32,
    field: &str,
    code: RuleCode,
    what: &str,
) -> Result<E::Model, Failure>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Failure::rule(field, code, format!("no such {what}")))
}

/// The department `id` names, or DEPARTMENT_UNKNOWN on input `field`.
pub async fn department_named(
    db: &impl sea_orm::ConnectionTrait,
    id: i32,
    field: &str,
) -> Result<entity::department::Model, Failure> {
    let (code, what) = (RuleCode::DepartmentUnknown, "department");
    named::<entity::department::Entity>(db, id, field, code, what).await
}

/// Every department, by id.
pub async fn departments_by_id(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<std::collections::HashMap<i32, entity::department::Model>, sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    let departments = entity::department::Entity::find().all(db).await?;
    Ok(departments.into_iter().map(|d| (d.id, d)).collect())
}

/// The department named `name`, by official name or alias.
pub async fn find_department(
    db: &impl sea_orm::ConnectionTrait,
    name: &str,
) -> Result<Option<i32>, sea_orm::DbErr> {
    use entity::{department, department_alias};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if let Some(dept) = department::Entity::find()
        .filter(department::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(Some(dept.id));
    }
    let alias = department_alias::Entity::find()
        .filter(department_alias::Column::Alias.eq(name))
        .one(db)
        .await?;
    Ok(alias.map(|a| a.department_id))
}
