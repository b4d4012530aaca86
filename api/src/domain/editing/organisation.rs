//! Departments and units (部门/单位): an ADMIN creates, changes and removes any; a
//! department's EDITOR its own units (股, 站). Departments are shared by every list and every
//! version of it, so they are not versioned: a change of name or existence that takes effect
//! on a day is a reorganisation (`reorganisation`), and a department anything still refers to,
//! in any version or supervision record, cannot be removed.

use std::collections::BTreeSet;

use crate::db::Write;
use entity::{department, department_alias};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Statement,
};
use serde_json::{Value, json};

use super::{Edit, commit};
use crate::auth::{Role, Viewer};
use crate::domain::kinds::DepartmentKind;
use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode, clock::Clock, department_named, find_department};
use crate::error::ApiError;

/// What an editor sets; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct DepartmentFields {
    /// Official name, as published.
    pub name: Option<String>,
    pub kind: Option<DepartmentKind>,
    /// The department it is a unit of; `Some(None)` makes it stand alone.
    pub parent_id: Option<Option<i32>>,
    /// Other names it is known by (简称); replaces them all.
    pub aliases: Option<Vec<String>>,
}

/// Every column that refers to a department, and what it is, for the refusal message.
const REFERENCES: [(&str, &str, &str); 8] = [
    ("department", "parent_id", "units"),
    ("department", "successor_id", "departments it succeeds"),
    ("responsibility_list", "owner_department_id", "lists"),
    ("duty", "department_id", "duties"),
    ("division", "department_id", "divisions"),
    ("public_service", "unit_id", "public services"),
    ("inspection", "target_department_id", "inspections"),
    (
        "accountability",
        "department_id",
        "accountability decisions",
    ),
];

async fn snapshot(db: &impl ConnectionTrait, d: &department::Model) -> Result<Value, Failure> {
    Ok(
        json!({ "name": d.name, "kind": d.kind, "parentId": d.parent_id,
               "aliases": aliases_of(db, d.id).await? }),
    )
}

async fn aliases_of(db: &impl ConnectionTrait, id: i32) -> Result<Vec<String>, Failure> {
    Ok(department_alias::Entity::find()
        .filter(department_alias::Column::DepartmentId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.alias)
        .collect())
}

/// The caller's subject and department `id`, which the caller must be allowed to change.
async fn in_scope(
    txn: &Write,
    viewer: &Viewer,
    id: i32,
) -> Result<(String, department::Model), Failure> {
    let actor = viewer.subject()?.to_owned();
    let department = department_named(txn, id, "id").await?;
    require_scope(viewer, department.parent_id)?;
    Ok((actor, department))
}

/// An ADMIN, or the EDITOR of `parent` (a unit is edited by its department's editor).
fn require_scope(viewer: &Viewer, parent: Option<i32>) -> Result<(), Failure> {
    viewer.require_any(&[Role::Editor])?;
    if viewer.has(Role::Admin) || (parent.is_some() && viewer.dept == parent) {
        return Ok(());
    }
    Err(ApiError::Forbidden {
        reason: "an editor changes the units of their own department only".into(),
    }
    .into())
}

/// Checks the names and the parent, adding every broken rule to `checks`.
async fn check(
    db: &impl ConnectionTrait,
    checks: &mut Checks,
    id: Option<i32>,
    f: &DepartmentFields,
) -> Result<(), Failure> {
    let mut names: Vec<(&str, &str)> = Vec::new();
    if let Some(name) = &f.name {
        checks.require_text("name", name, "the name (名称)");
        names.push(("name", name));
    }
    if let Some(aliases) = &f.aliases {
        let distinct: BTreeSet<&str> = aliases.iter().map(|a| a.trim()).collect();
        if distinct.len() != aliases.len() || distinct.contains("") {
            checks.add(
                "aliases",
                RuleCode::Required,
                "aliases are distinct and not blank",
            );
        }
        if let Some(name) = &f.name
            && distinct.contains(name.trim())
        {
            checks.add(
                "aliases",
                RuleCode::NameTaken,
                format!(
                    "「{}」 is the name itself, not another name for it",
                    name.trim()
                ),
            );
        }
        names.extend(aliases.iter().map(|a| ("aliases", a.as_str())));
    }
    for (field, name) in names {
        if let Some(holder) = find_department(db, name.trim()).await?
            && Some(holder) != id
        {
            checks.add(
                field,
                RuleCode::NameTaken,
                format!("「{name}」 already names another department"),
            );
        }
    }
    if let Some(Some(parent)) = f.parent_id {
        let mut at = Some(parent);
        let mut steps = 0;
        while let Some(current) = at {
            if Some(current) == id || steps > 64 {
                checks.add(
                    "parentId",
                    RuleCode::ParentInvalid,
                    "a department cannot be a unit of itself or of its own units",
                );
                break;
            }
            let Some(found) = department::Entity::find_by_id(current).one(db).await? else {
                checks.add(
                    "parentId",
                    RuleCode::DepartmentUnknown,
                    "no such department",
                );
                break;
            };
            at = found.parent_id;
            steps += 1;
        }
    }
    Ok(())
}

async fn set_aliases(
    txn: &impl ConnectionTrait,
    id: i32,
    aliases: &[String],
) -> Result<(), Failure> {
    department_alias::Entity::delete_many()
        .filter(department_alias::Column::DepartmentId.eq(id))
        .exec(txn)
        .await?;
    for alias in aliases {
        department_alias::ActiveModel {
            department_id: Set(id),
            alias: Set(alias.trim().to_owned()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Adds a department, or a unit of one.
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    f: DepartmentFields,
) -> Result<department::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    require_scope(viewer, f.parent_id.flatten())?;
    let mut checks = Checks::default();
    if f.name.is_none() {
        checks.add("name", RuleCode::Required, "name is required");
    }
    let Some(kind) = f.kind else {
        checks.add("kind", RuleCode::Required, "kind is required");
        return Err(checks.finish().unwrap_err());
    };
    check(&txn, &mut checks, None, &f).await?;
    checks.finish()?;
    let saved = department::ActiveModel {
        name: Set(f.name.unwrap_or_default().trim().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        parent_id: Set(f.parent_id.flatten()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_aliases(&txn, saved.id, &f.aliases.unwrap_or_default()).await?;
    let after = snapshot(&txn, &saved).await?;
    commit(
        txn,
        clock,
        Edit::created(&actor, "createDepartment", "department", saved.id, after),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: DepartmentFields,
) -> Result<department::Model, Failure> {
    let (actor, before) = in_scope(&txn, viewer, id).await?;
    if let Some(parent) = f.parent_id {
        require_scope(viewer, parent)?;
    }
    let mut checks = Checks::default();
    check(&txn, &mut checks, Some(id), &f).await?;
    checks.finish()?;
    let before_snapshot = snapshot(&txn, &before).await?;
    let mut row: department::ActiveModel = before.into();
    if let Some(name) = f.name {
        row.name = Set(name.trim().to_owned());
    }
    if let Some(kind) = f.kind {
        row.kind = Set(kind.as_str().to_owned());
    }
    if let Some(parent) = f.parent_id {
        row.parent_id = Set(parent);
    }
    let saved = row.update(&txn).await?;
    if let Some(aliases) = &f.aliases {
        set_aliases(&txn, id, aliases).await?;
    }
    let after = snapshot(&txn, &saved).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updateDepartment",
            "department",
            id,
            before_snapshot,
            after,
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a department nothing refers to, with its aliases.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<department::Model, Failure> {
    let (actor, before) = in_scope(&txn, viewer, id).await?;
    let before_snapshot = snapshot(&txn, &before).await?;
    let mut uses = Vec::new();
    for (table, column, what) in REFERENCES {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = {id}");
        let row = txn
            .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
            .await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if n > 0 {
            uses.push(format!("{n} {what}"));
        }
    }
    if !uses.is_empty() {
        return Err(Failure::rule(
            "id",
            RuleCode::DepartmentInUse,
            format!(
                "{} is still referred to by {} (in some version of a list or a supervision record)",
                before.name,
                uses.join(", ")
            ),
        ));
    }
    department::Entity::delete_by_id(id).exec(&txn).await?;
    commit(
        txn,
        clock,
        Edit::removed(
            &actor,
            "removeDepartment",
            "department",
            id,
            before_snapshot,
        ),
    )
    .await?;
    Ok(before)
}
