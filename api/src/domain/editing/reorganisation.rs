//! Reorganisations (机构改革, ADMIN): a department renamed, merged into another or dissolved
//! with a successor, from a date. A dissolved department's rows stay as published; reads and
//! the responsibility lookup route them to the successor from that date, and say so.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::db::Write;
use chrono::NaiveDate;
use entity::{department, department_alias};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::{Edit, commit};
use crate::auth::{Role, Viewer};
use crate::domain::kinds::DepartmentKind;
use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode, clock::Clock};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 更名: the same department under a new name; the old name stays an alias.
    Rename,
    /// 合并: merged into a successor that continues.
    Merge,
    /// 撤销: dissolved; its duties pass to a successor.
    Dissolve,
}

#[derive(Clone, Debug)]
pub struct Reorganisation {
    pub department_id: i32,
    pub kind: Kind,
    pub effective_from: NaiveDate,
    /// RENAME: the new name.
    pub new_name: Option<String>,
    /// MERGE, DISSOLVE: the successor, by id…
    pub successor_id: Option<i32>,
    /// …or by name, created as a department when no department has it yet.
    pub successor_name: Option<String>,
    pub reason: String,
}

/// The department holding `id`'s duties on `day`: `id` itself, or the successor its
/// dissolutions lead to by then; and the dissolved one routed from, when routed.
pub fn holder_on<S: BuildHasher>(
    departments: &HashMap<i32, department::Model, S>,
    mut id: i32,
    day: NaiveDate,
) -> (i32, Option<i32>) {
    let first = id;
    // A successor is never dissolved when chosen, so chains end; the bound is a guard.
    for _ in 0..departments.len() {
        match departments.get(&id) {
            Some(d) if d.dissolved_on.is_some_and(|on| on <= day) => match d.successor_id {
                Some(next) => id = next,
                None => break,
            },
            _ => break,
        }
    }
    (id, (id != first).then_some(first))
}

/// For each of `ids` in rank order, the department holding its duties on `day` and the one
/// routed from; `None` where an earlier id already routed to the same holder (it keeps its
/// best place).
pub fn route(
    departments: &HashMap<i32, department::Model>,
    ids: &[i32],
    day: NaiveDate,
) -> Vec<Option<(i32, Option<i32>)>> {
    let mut seen = Vec::new();
    ids.iter()
        .map(|&id| {
            let (holder, routed_from) = holder_on(departments, id, day);
            if seen.contains(&holder) {
                return None;
            }
            seen.push(holder);
            Some((holder, routed_from))
        })
        .collect()
}

/// The departments `ids`, with every department reorganised away and every successor: all
/// that `holder_on` reads to follow their chains (one statement).
pub async fn with_successors(
    db: &impl ConnectionTrait,
    ids: Vec<i32>,
) -> Result<HashMap<i32, department::Model>, DbErr> {
    let successors = Query::select()
        .column(department::Column::SuccessorId)
        .from(department::Entity)
        .and_where(department::Column::SuccessorId.is_not_null())
        .to_owned();
    Ok(department::Entity::find()
        .filter(
            Condition::any()
                .add(department::Column::Id.is_in(ids))
                .add(department::Column::DissolvedOn.is_not_null())
                .add(department::Column::Id.in_subquery(successors)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

pub async fn reorganise(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    r: Reorganisation,
) -> Result<department::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let mut checks = Checks::default();
    checks.require_text("reason", &r.reason, "the reason (调整理由)");
    checks.finish()?;
    let before = crate::domain::department_named(&txn, r.department_id, "departmentId").await?;
    if before.dissolved_on.is_some() {
        return Err(Failure::rule(
            "departmentId",
            RuleCode::DepartmentDissolved,
            format!("{} was dissolved already", before.name),
        ));
    }
    let mut row: department::ActiveModel = before.clone().into();
    match r.kind {
        Kind::Rename => {
            let name = r.new_name.as_deref().unwrap_or("").to_owned();
            if name.trim().is_empty() {
                return Err(Failure::rule(
                    "newName",
                    RuleCode::Required,
                    "newName is required",
                ));
            }
            if crate::domain::find_department(&txn, &name).await?.is_some() {
                return Err(Failure::rule(
                    "newName",
                    RuleCode::NameTaken,
                    format!("{name} already names a department"),
                ));
            }
            department_alias::ActiveModel {
                department_id: Set(before.id),
                alias: Set(before.name.clone()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            row.name = Set(name);
        }
        Kind::Merge | Kind::Dissolve => {
            let successor = successor(&txn, &r, &before).await?;
            // Its units carry on under the successor.
            department::Entity::update_many()
                .col_expr(department::Column::ParentId, successor.into())
                .filter(department::Column::ParentId.eq(before.id))
                .exec(&txn)
                .await?;
            row.dissolved_on = Set(Some(r.effective_from));
            row.successor_id = Set(Some(successor));
        }
    }
    let saved = row.update(&txn).await?;
    let edit = Edit {
        actor: &actor,
        operation: "reorganiseDepartment",
        entity: "department",
        id: saved.id,
        before: Some(json!({ "name": before.name, "parentId": before.parent_id })),
        after: Some(json!({
            "kind": format!("{:?}", r.kind).to_uppercase(), "effectiveFrom": r.effective_from,
            "reason": r.reason, "name": saved.name, "successorId": saved.successor_id,
        })),
    };
    let kind = format!("{:?}", r.kind).to_uppercase();
    crate::domain::events::department_reorganised(&txn, &saved, &kind, r.effective_from).await?;
    commit(txn, clock, edit).await?;
    Ok(saved)
}

/// The successor's id: given, or found or created by name; never the department itself or
/// a dissolved one.
async fn successor(
    txn: &impl ConnectionTrait,
    r: &Reorganisation,
    before: &department::Model,
) -> Result<i32, Failure> {
    let id = match (r.successor_id, r.successor_name.as_deref()) {
        (Some(id), None) => id,
        (None, Some(name)) if !name.trim().is_empty() => {
            match crate::domain::find_department(txn, name).await? {
                Some(id) => id,
                None => {
                    department::ActiveModel {
                        name: Set(name.to_owned()),
                        kind: Set(DepartmentKind::Department.as_str().to_owned()),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?
                    .id
                }
            }
        }
        _ => {
            return Err(Failure::rule(
                "successorId",
                RuleCode::Required,
                "a merge or dissolution names its successor: successorId or successorName",
            ));
        }
    };
    let found = department::Entity::find_by_id(id).one(txn).await?;
    match found {
        None => Err(Failure::rule(
            "successorId",
            RuleCode::DepartmentUnknown,
            "no such department",
        )),
        Some(s) if s.id == before.id || s.dissolved_on.is_some() => Err(Failure::rule(
            "successorId",
            RuleCode::DepartmentDissolved,
            "the successor must be another department that still exists",
        )),
        Some(s) => Ok(s.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: i32, dissolved_on: Option<&str>, successor_id: Option<i32>) -> department::Model {
        department::Model {
            id,
            name: format!("部门{id}"),
            kind: "DEPARTMENT".into(),
            parent_id: None,
            dissolved_on: dissolved_on.map(|d| d.parse().unwrap()),
            successor_id,
        }
    }

    #[test]
    fn holder_on__follows_successors_from_their_dates_only() {
        let all: HashMap<i32, department::Model> = [
            dept(1, Some("2014-01-01"), Some(2)),
            dept(2, Some("2019-03-01"), Some(3)),
            dept(3, None, None),
        ]
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(holder_on(&all, 1, day("2013-12-31")), (1, None));
        assert_eq!(holder_on(&all, 1, day("2014-01-01")), (2, Some(1)));
        assert_eq!(holder_on(&all, 1, day("2020-01-01")), (3, Some(1)));
        assert_eq!(holder_on(&all, 3, day("2020-01-01")), (3, None));
    }

    #[test]
    fn route__a_successor_met_twice_keeps_its_first_place() {
        let all: HashMap<i32, department::Model> = [
            dept(1, Some("2019-03-01"), Some(3)),
            dept(2, None, None),
            dept(3, None, None),
        ]
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
        let day = "2020-01-01".parse().unwrap();
        assert_eq!(
            route(&all, &[1, 2, 3], day),
            [Some((3, Some(1))), Some((2, None)), None]
        );
    }
}
