//! Two versions of a list compared row by row, by lineage.

use std::collections::{BTreeSet, HashMap};

use entity::{
    boundary_case, boundary_matter, department, division, duty, legal_basis, list_version,
    public_service, work_item,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};

use super::TABLES;
use crate::error::ApiError;

/// Versions `from` and `to`, when both exist and are versions of one list: the two a
/// comparison is made between.
pub async fn pair(
    db: &impl ConnectionTrait,
    from: i32,
    to: i32,
) -> Result<(list_version::Model, list_version::Model), ApiError> {
    let mut found = Vec::with_capacity(2);
    for id in [from, to] {
        match list_version::Entity::find_by_id(id).one(db).await? {
            Some(version) => found.push(version),
            None => {
                return Err(ApiError::NotFound {
                    kind: "ListVersion",
                    id: id.to_string(),
                });
            }
        }
    }
    let newer = found.pop().expect("two found");
    let older = found.pop().expect("two found");
    if older.list_id != newer.list_id {
        return Err(ApiError::bad_input(
            "to",
            "the two versions belong to different lists",
        ));
    }
    Ok((older, newer))
}

/// How a row changed between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// One row that differs between two versions: what it held in each (its content columns,
/// references to other rows of the list by lineage, to departments by name).
#[derive(Clone, Debug, PartialEq)]
pub struct RowChange {
    pub table: &'static str,
    pub lineage: i32,
    pub change: Change,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The columns whose values differ, for a change.
    pub fields: Vec<String>,
}

/// The rows that differ between versions `from` and `to`, table by table in list order,
/// then by lineage.
pub async fn diff(db: &impl ConnectionTrait, from: i32, to: i32) -> Result<Vec<RowChange>, DbErr> {
    let names: HashMap<i32, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut changes = Vec::new();
    let before = contents(db, from, &names).await?;
    let after = contents(db, to, &names).await?;
    for t in &TABLES {
        let (old, new) = (&before[t.table], &after[t.table]);
        let lineages: BTreeSet<i32> = old.keys().chain(new.keys()).copied().collect();
        for lineage in lineages {
            let (b, a) = (old.get(&lineage), new.get(&lineage));
            let (change, fields) = match (b, a) {
                (None, Some(_)) => (Change::Added, Vec::new()),
                (Some(_), None) => (Change::Removed, Vec::new()),
                (Some(b), Some(a)) if b != a => {
                    let fields = a
                        .iter()
                        .filter(|(k, v)| b.get(*k) != Some(*v))
                        .map(|(k, _)| k.clone())
                        .collect();
                    (Change::Changed, fields)
                }
                _ => continue,
            };
            changes.push(RowChange {
                table: t.table,
                lineage,
                change,
                before: b.cloned().map(Value::Object),
                after: a.cloned().map(Value::Object),
                fields,
            });
        }
    }
    Ok(changes)
}

type Contents = HashMap<&'static str, HashMap<i32, Map<String, Value>>>;

/// Every row of `version` by table and lineage, as comparable content.
async fn contents(
    db: &impl ConnectionTrait,
    version: i32,
    names: &HashMap<i32, String>,
) -> Result<Contents, DbErr> {
    let rows: [(&'static str, Vec<Value>); 7] = [
        (
            "duty",
            json_rows::<duty::Entity>(db, duty::Column::VersionId, version).await?,
        ),
        (
            "work_item",
            json_rows::<work_item::Entity>(db, work_item::Column::VersionId, version).await?,
        ),
        (
            "boundary_matter",
            json_rows::<boundary_matter::Entity>(db, boundary_matter::Column::VersionId, version)
                .await?,
        ),
        (
            "division",
            json_rows::<division::Entity>(db, division::Column::VersionId, version).await?,
        ),
        (
            "legal_basis",
            json_rows::<legal_basis::Entity>(db, legal_basis::Column::VersionId, version).await?,
        ),
        (
            "boundary_case",
            json_rows::<boundary_case::Entity>(db, boundary_case::Column::VersionId, version)
                .await?,
        ),
        (
            "public_service",
            json_rows::<public_service::Entity>(db, public_service::Column::VersionId, version)
                .await?,
        ),
    ];
    // A reference to another row of the list means its lineage: ids differ between versions.
    let lineage_of: HashMap<(&str, i64), i64> = rows
        .iter()
        .flat_map(|(table, rows)| {
            rows.iter()
                .filter_map(move |r| Some(((*table, r["id"].as_i64()?), r["lineage"].as_i64()?)))
        })
        .collect();
    let mut out = Contents::new();
    for (table, rows) in rows {
        let parents = TABLES
            .iter()
            .find(|t| t.table == table)
            .map(|t| t.parents)
            .unwrap_or_default();
        let by_lineage = out.entry(table).or_default();
        for row in rows {
            let Value::Object(mut fields) = row else {
                continue;
            };
            let lineage = fields["lineage"].as_i64().unwrap_or_default() as i32;
            for internal in ["id", "version_id", "lineage", "list_id"] {
                fields.remove(internal);
            }
            for (column, parent) in parents {
                if let Some(id) = fields.get(*column).and_then(Value::as_i64) {
                    let lineage = lineage_of.get(&(*parent, id)).copied();
                    fields.insert((*column).to_owned(), json!(lineage));
                }
            }
            for column in ["department_id", "unit_id"] {
                if let Some(id) = fields.remove(column).and_then(|v| v.as_i64()) {
                    let name = names.get(&(id as i32)).cloned();
                    fields.insert(column.trim_end_matches("_id").to_owned(), json!(name));
                }
            }
            by_lineage.insert(lineage, fields);
        }
    }
    Ok(out)
}

async fn json_rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    version_column: E::Column,
    version: i32,
) -> Result<Vec<Value>, DbErr> {
    E::find()
        .filter(version_column.eq(version))
        .into_json()
        .all(db)
        .await
}
