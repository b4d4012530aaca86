//! List versions (清单版本, 动态调整): editors change a draft; publishing freezes it with the
//! day it takes effect and a reason; readers get the version in force on a day.
//!
//! Every row of a list belongs to one version (`version_id`). Opening a draft copies the
//! latest published version row by row; each copy keeps the `lineage` of the row it was
//! copied from, so an edit addressed to a published row lands on its copy in the draft, and
//! two versions compare row by row. Published versions are never written again.

use std::collections::{BTreeSet, HashMap};

use crate::db::Write;
use chrono::NaiveDate;
use entity::{
    boundary_case, boundary_matter, department, division, duty, legal_basis, list_version,
    public_service, responsibility_list, work_item,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Statement,
};
use serde_json::{Map, Value, json};

use super::editing::require_editor_of;
use super::kinds::ReasonKind;
use super::rules::Checks;
use super::{Failure, RuleCode, audit, clock::Clock};
use crate::auth::Viewer;
use crate::error::ApiError;

/// A version without a number is its list's draft; publishing numbers it.
pub fn is_draft(version: &list_version::Model) -> bool {
    version.number.is_none()
}

/// Who reads drafts (草稿) and their rows: an ADMIN every list's; an EDITOR the drafts they
/// may edit (`editing::require_editor_of`): the lists of their own department and of its
/// units, and, for an editor of a unit, the list its rows belong to; nobody else. Every read
/// of a draft, or of a row of one, asks this, and only this.
#[derive(Clone, Debug, Default)]
pub struct DraftReader {
    all: bool,
    lists: std::collections::HashSet<i32>,
}

impl DraftReader {
    pub async fn of(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Self, DbErr> {
        use crate::auth::Role;
        if viewer.has(Role::Admin) {
            return Ok(Self {
                all: true,
                lists: Default::default(),
            });
        }
        let (true, Some(own)) = (viewer.has(Role::Editor), viewer.dept) else {
            return Ok(Self::default());
        };
        let parent = department::Entity::find_by_id(own)
            .one(db)
            .await?
            .and_then(|d| d.parent_id);
        let units: BTreeSet<i32> = department::Entity::find()
            .filter(department::Column::ParentId.eq(own))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .chain([own])
            .chain(parent)
            .collect();
        let lists = responsibility_list::Entity::find()
            .filter(responsibility_list::Column::OwnerDepartmentId.is_in(units))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
        Ok(Self { all: false, lists })
    }

    /// Whether the caller may read `version` (any published version; a draft as above).
    pub fn reads(&self, version: &list_version::Model) -> bool {
        !is_draft(version) || self.all || self.lists.contains(&version.list_id)
    }
}

/// Whether `viewer` may read the rows of version `version_id` (see `DraftReader`); a
/// version that does not exist reads as a draft of no one's.
pub async fn may_read(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    version_id: i32,
) -> Result<bool, DbErr> {
    let Some(version) = list_version::Entity::find_by_id(version_id).one(db).await? else {
        return Ok(false);
    };
    Ok(!is_draft(&version) || DraftReader::of(db, viewer).await?.reads(&version))
}

/// The draft of list `list_id`, if one is open.
pub async fn draft(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<Option<list_version::Model>, DbErr> {
    list_version::Entity::find()
        .filter(list_version::Column::ListId.eq(list_id))
        .filter(list_version::Column::Number.is_null())
        .one(db)
        .await
}

/// A versioned table: its name, and how its copy finds the copies of its parents.
struct Versioned {
    table: &'static str,
    /// The columns copied as they are.
    columns: &'static str,
    /// `(column, parent table)` of references to other versioned rows, remapped on copy.
    parents: &'static [(&'static str, &'static str)],
}

/// Parents before children, the order a copy is made in.
const TABLES: [Versioned; 7] = [
    Versioned {
        table: "duty",
        columns: "list_id, department_id, seq, text, remark",
        parents: &[],
    },
    Versioned {
        table: "work_item",
        columns: "seq, text, remark",
        parents: &[("duty_id", "duty")],
    },
    Versioned {
        table: "boundary_matter",
        columns: "list_id, seq, published_seq, title, disputed",
        parents: &[],
    },
    Versioned {
        table: "division",
        columns: "department_id, seq, published_department_name, role, text",
        parents: &[("matter_id", "boundary_matter")],
    },
    Versioned {
        table: "legal_basis",
        columns: "seq, title, text",
        parents: &[
            ("matter_id", "boundary_matter"),
            ("division_id", "division"),
        ],
    },
    Versioned {
        table: "boundary_case",
        columns: "seq, text",
        parents: &[
            ("matter_id", "boundary_matter"),
            ("division_id", "division"),
        ],
    },
    Versioned {
        table: "public_service",
        columns: "list_id, seq, name, content, unit_id, phone, published_phone",
        parents: &[],
    },
];

/// Ids of the versions in force on `day`: per list, the published version that took effect
/// last on or before it (an undated version counts as the earliest). A list none of whose
/// versions had taken effect yet has none.
pub async fn in_force(db: &impl ConnectionTrait, day: NaiveDate) -> Result<Vec<i32>, DbErr> {
    let published = list_version::Entity::find()
        .filter(list_version::Column::Number.is_not_null())
        .all(db)
        .await?;
    Ok(sorted(pick_in_force(&published, day)))
}

/// The list versions in force, by day, as of one count of the published lists' scope
/// (`data_version::Scope::Lists`): what every list read filters on, read once per count and
/// day instead of once per request (a province has thousands of published versions). Every
/// publication moves that count, so an entry is never stale.
#[derive(Debug)]
pub struct InForce {
    data: std::sync::Arc<crate::data_version::Watch>,
    known: std::sync::Mutex<(i64, VersionsByDay)>,
}

/// The list versions in force, by day.
type VersionsByDay = HashMap<NaiveDate, std::sync::Arc<[i32]>>;

/// Days remembered at one data version: today and a few asked for with `asOf`.
const IN_FORCE_DAYS: usize = 64;

impl InForce {
    pub fn new(data: std::sync::Arc<crate::data_version::Watch>) -> Self {
        Self {
            data,
            known: std::sync::Mutex::new((i64::MIN, HashMap::new())),
        }
    }

    /// The ids of the list versions in force on `day`, sorted.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        day: NaiveDate,
    ) -> Result<std::sync::Arc<[i32]>, DbErr> {
        let at = self.data.current(db).await?;
        self.at(db, &at, day).await
    }

    /// The same, for a caller that has just read the data version `stamp` (on SQLite each
    /// read is a statement).
    pub async fn at(
        &self,
        db: &impl ConnectionTrait,
        stamp: &crate::data_version::Stamp,
        day: NaiveDate,
    ) -> Result<std::sync::Arc<[i32]>, DbErr> {
        let at = stamp.of(crate::data_version::Scope::Lists);
        if let Some(ids) = self.cached(at, day) {
            return Ok(ids);
        }
        let ids: std::sync::Arc<[i32]> = in_force(db, day).await?.into();
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.0 < at || known.1.len() >= IN_FORCE_DAYS {
            *known = (at, HashMap::new());
        }
        if known.0 == at {
            known.1.insert(day, ids.clone());
        }
        Ok(ids)
    }

    fn cached(&self, at: i64, day: NaiveDate) -> Option<std::sync::Arc<[i32]>> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        (known.0 == at)
            .then(|| known.1.get(&day).cloned())
            .flatten()
    }
}

/// List → the version of it in force on `day`, among `versions` (drafts are skipped).
fn pick_in_force(versions: &[list_version::Model], day: NaiveDate) -> HashMap<i32, i32> {
    let mut best: HashMap<i32, &list_version::Model> = HashMap::new();
    let rank = |v: &list_version::Model| (v.effective_from, v.number);
    for v in versions {
        if is_draft(v) || v.effective_from.is_some_and(|from| from > day) {
            continue;
        }
        let slot = best.entry(v.list_id).or_insert(v);
        if rank(v) > rank(slot) {
            *slot = v;
        }
    }
    best.into_iter().map(|(list, v)| (list, v.id)).collect()
}

fn sorted(chosen: HashMap<i32, i32>) -> Vec<i32> {
    let mut ids: Vec<i32> = chosen.into_values().collect();
    ids.sort_unstable();
    ids
}

/// The versions an editor works on: each list's draft `reader` reads, or the version in
/// force on `day` when the list has none open (or its draft is not the reader's).
pub async fn working(
    db: &impl ConnectionTrait,
    reader: &DraftReader,
    day: NaiveDate,
) -> Result<Vec<i32>, DbErr> {
    let all = list_version::Entity::find().all(db).await?;
    let mut chosen = pick_in_force(&all, day);
    for draft in all.iter().filter(|v| is_draft(v) && reader.reads(v)) {
        chosen.insert(draft.list_id, draft.id);
    }
    Ok(sorted(chosen))
}

/// Every version of every list (or of `list_id`), newest first within a list.
pub async fn all(
    db: &impl ConnectionTrait,
    list_id: Option<i32>,
) -> Result<Vec<list_version::Model>, DbErr> {
    let mut select = list_version::Entity::find();
    if let Some(list) = list_id {
        select = select.filter(list_version::Column::ListId.eq(list));
    }
    select
        .order_by_asc(list_version::Column::ListId)
        .order_by_desc(list_version::Column::Id)
        .all(db)
        .await
}

/// The draft of `list_id`, opened now as a copy of its latest published version if there is
/// none. Call inside the edit's transaction: a refused edit leaves no draft behind.
pub async fn draft_of(
    txn: &impl ConnectionTrait,
    list_id: i32,
    clock: &dyn Clock,
) -> Result<i32, DbErr> {
    // Touching the list's row serialises concurrent openers: both would otherwise copy.
    txn.execute_unprepared(&format!(
        "UPDATE responsibility_list SET id = id WHERE id = {list_id}"
    ))
    .await?;
    let versions = list_version::Entity::find()
        .filter(list_version::Column::ListId.eq(list_id))
        .order_by_desc(list_version::Column::Number)
        .all(txn)
        .await?;
    if let Some(draft) = versions.iter().find(|v| is_draft(v)) {
        return Ok(draft.id);
    }
    let latest = versions.iter().find(|v| !is_draft(v));
    let draft = list_version::ActiveModel {
        list_id: Set(list_id),
        based_on_id: Set(latest.map(|v| v.id)),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if let Some(latest) = latest {
        copy(txn, latest.id, draft.id).await?;
    }
    Ok(draft.id)
}

/// Copies every row of version `from` into version `to`, keeping lineages and pointing each
/// copy at the copies of its parents. One statement a table; copies keep the rows' order.
async fn copy(txn: &impl ConnectionTrait, from: i32, to: i32) -> Result<(), DbErr> {
    for t in &TABLES {
        let mut columns = vec![t.columns.to_owned()];
        let mut values = vec![prefixed("r", t.columns)];
        let mut joins = String::new();
        for (i, (column, parent)) in t.parents.iter().enumerate() {
            columns.push((*column).to_owned());
            values.push(format!("n{i}.id"));
            joins.push_str(&format!(
                " LEFT JOIN {parent} o{i} ON o{i}.id = r.{column} \
                 LEFT JOIN {parent} n{i} ON n{i}.version_id = {to} AND n{i}.lineage = o{i}.lineage"
            ));
        }
        txn.execute_unprepared(&format!(
            "INSERT INTO {table} ({columns}, version_id, lineage) \
             SELECT {values}, {to}, r.lineage FROM {table} r{joins} WHERE r.version_id = {from} \
             ORDER BY r.id",
            table = t.table,
            columns = columns.join(", "),
            values = values.join(", "),
        ))
        .await?;
    }
    Ok(())
}

fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Starts the lineage of row `id` of `table`, just created in a draft: it is its own first row.
pub async fn start_lineage(txn: &impl ConnectionTrait, table: &str, id: i32) -> Result<(), DbErr> {
    txn.execute_unprepared(&format!("UPDATE {table} SET lineage = id WHERE id = {id}"))
        .await?;
    Ok(())
}

/// Starts the lineage of every row loaded without one (a list being imported).
pub async fn start_lineages(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    for t in &TABLES {
        txn.execute_unprepared(&format!(
            "UPDATE {} SET lineage = id WHERE lineage = 0",
            t.table
        ))
        .await?;
    }
    Ok(())
}

/// Where an edit addressed to row `id` of `table` lands: the row itself when it is in a
/// draft, else its copy in its list's draft (opened if need be). `None` when the draft
/// no longer has that row (it was removed there).
pub async fn into_draft(
    txn: &impl ConnectionTrait,
    table: &str,
    id: i32,
    clock: &dyn Clock,
) -> Result<Option<i32>, DbErr> {
    let Some((version_id, lineage)) = ids(
        txn,
        &format!("SELECT version_id AS a, lineage AS b FROM {table} WHERE id = {id}"),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(version) = list_version::Entity::find_by_id(version_id)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if is_draft(&version) {
        return Ok(Some(id));
    }
    let draft = draft_of(txn, version.list_id, clock).await?;
    Ok(ids(
        txn,
        &format!(
            "SELECT id AS a, id AS b FROM {table} WHERE version_id = {draft} AND lineage = {lineage}"
        ),
    )
    .await?
    .map(|(copy, _)| copy))
}

async fn ids(txn: &impl ConnectionTrait, sql: &str) -> Result<Option<(i32, i32)>, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await?;
    row.map(|r| Ok((r.try_get("", "a")?, r.try_get("", "b")?)))
        .transpose()
}

/// What publishing needs.
pub struct Publication {
    pub list_id: i32,
    pub effective_from: NaiveDate,
    pub reason: String,
    pub reason_kind: ReasonKind,
}

/// Freezes the list's draft as its next version, in force from `effective_from`.
pub async fn publish(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    p: Publication,
) -> Result<list_version::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let list = owner_check(&txn, viewer, p.list_id).await?;
    let mut checks = Checks::default();
    checks.require_text("reason", &p.reason, "the reason (调整原因)");
    checks.finish()?;
    let versions = all(&txn, Some(list.id)).await?;
    let Some(draft) = versions.iter().find(|v| is_draft(v)).cloned() else {
        return Err(Failure::rule(
            "listId",
            RuleCode::NoDraft,
            "the list has no draft: edit it first",
        ));
    };
    let latest = versions
        .iter()
        .filter(|v| !is_draft(v))
        .max_by_key(|v| v.number);
    if let Some(latest) = latest {
        if let Some(from) = latest
            .effective_from
            .filter(|from| *from > p.effective_from)
        {
            return Err(Failure::rule(
                "effectiveFrom",
                RuleCode::EffectiveBeforePrevious,
                format!(
                    "version {} takes effect on {from}: a later version cannot take effect before it",
                    latest.number.unwrap_or_default()
                ),
            ));
        }
        if diff(&txn, latest.id, draft.id).await?.is_empty() {
            return Err(Failure::rule(
                "listId",
                RuleCode::NoChanges,
                "the draft does not differ from the published list",
            ));
        }
    }
    let number = latest.and_then(|v| v.number).unwrap_or(0) + 1;
    let mut row: list_version::ActiveModel = draft.clone().into();
    row.number = Set(Some(number));
    row.effective_from = Set(Some(p.effective_from));
    row.reason = Set(Some(p.reason.clone()));
    row.reason_kind = Set(Some(p.reason_kind.as_str().to_owned()));
    row.published_at = Set(Some(clock.now()));
    row.published_by = Set(Some(actor.clone()));
    let saved = row.update(&txn).await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "publishListVersion",
        entity: "list_version",
        entity_id: Some(saved.id),
        before: None,
        after: Some(json!({ "list": list.title, "number": number,
            "effectiveFrom": p.effective_from, "reason": p.reason,
            "reasonKind": p.reason_kind.as_str() })),
    };
    audit::record(&txn, clock.now(), entry).await?;
    crate::domain::events::list_version_published(&txn, &saved).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Drops the list's draft and every edit in it.
pub async fn discard(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    list_id: i32,
) -> Result<list_version::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    owner_check(&txn, viewer, list_id).await?;
    let Some(draft) = draft(&txn, list_id).await? else {
        return Err(Failure::rule(
            "listId",
            RuleCode::NoDraft,
            "the list has no draft",
        ));
    };
    for t in TABLES.iter().rev() {
        txn.execute_unprepared(&format!(
            "DELETE FROM {} WHERE version_id = {}",
            t.table, draft.id
        ))
        .await?;
    }
    list_version::Entity::delete_by_id(draft.id)
        .exec(&txn)
        .await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "discardListDraft",
        entity: "list_version",
        entity_id: Some(draft.id),
        before: Some(json!({ "listId": list_id })),
        after: None,
    };
    audit::record(&txn, clock.now(), entry).await?;
    crate::domain::events::list_draft_discarded(&txn, &draft).await?;
    txn.commit().await?;
    Ok(draft)
}

/// The list, when the caller may publish it (or edit it): its owner's EDITOR, or an ADMIN.
pub async fn owner_check(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    list_id: i32,
) -> Result<responsibility_list::Model, Failure> {
    let (code, what) = (RuleCode::ListUnknown, "list");
    let list =
        super::named::<responsibility_list::Entity>(db, list_id, "listId", code, what).await?;
    require_editor_of(db, viewer, list.owner_department_id).await?;
    Ok(list)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn version(id: i32, list: i32, number: i32, from: Option<&str>) -> list_version::Model {
        list_version::Model {
            id,
            list_id: list,
            number: Some(number),
            effective_from: from.map(|d| d.parse().unwrap()),
            reason: None,
            reason_kind: None,
            based_on_id: None,
            created_at: Utc::now(),
            published_at: None,
            published_by: None,
        }
    }

    #[test]
    fn in_force__the_latest_version_that_took_effect_by_the_day() {
        // Given list 1 undated (v1), then v2 from 2019-03-01 and v3 from 2020-01-01
        let versions = [
            version(1, 1, 1, None),
            version(2, 1, 2, Some("2019-03-01")),
            version(3, 1, 3, Some("2020-01-01")),
            version(4, 2, 1, Some("2021-05-01")),
        ];
        let on = |day: &str| sorted(pick_in_force(&versions, day.parse().unwrap()));
        // Then each day sees the version that took effect last by it
        assert_eq!(on("2018-12-31"), vec![1]);
        assert_eq!(on("2019-03-01"), vec![2]);
        assert_eq!(on("2019-12-31"), vec![2]);
        assert_eq!(on("2020-01-01"), vec![3]);
        // And a list whose only version takes effect later has none in force yet
        assert_eq!(on("2021-06-01"), vec![3, 4]);
    }

    #[test]
    fn in_force__the_higher_number_wins_on_the_same_day() {
        let versions = [
            version(1, 1, 1, Some("2020-01-01")),
            version(2, 1, 2, Some("2020-01-01")),
        ];
        assert_eq!(
            sorted(pick_in_force(&versions, "2020-01-01".parse().unwrap())),
            vec![2]
        );
    }
}
