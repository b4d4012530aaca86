//! A revised list file loaded into its list's **draft** (草稿), as an editor's edits would
//! be: what `PUT /lists/{id}/draft` and `qingdan import` of a list already loaded do.
//!
//! Each uploaded row is paired with the draft's row it is (`pairing`: same text, alike
//! text, same place), so an unchanged row stays as it is, an edited one keeps its lineage,
//! and `listVersionDiff` shows exactly what the clerk changed. The rules are the editing
//! mutations': the caller must be an EDITOR or ADMIN who may edit the list, every row added,
//! changed or removed must be one they may edit (`editing::require_editor_of`: their own
//! department's and its units'; a boundary matter's rows the list owner's), and the draft is
//! opened as they open it (`versions::draft_of`). Departments and supervision regimes are not
//! versioned and not edited by an upload: their sheets must say what the database says.
//! Everything happens in one transaction; an upload that changes nothing writes nothing.

mod citations;
mod duties;
mod matters;
mod pairing;
mod services;

use std::collections::{BTreeMap, HashMap, HashSet};

use entity::{department, department_alias, list_version, responsibility_list};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PrimaryKeyTrait};
use serde::Serialize;

use super::format::ListFile;
use super::{ImportError, LoadError, export, validate};
use crate::auth::{Role, Viewer};
use crate::db::Write;
use crate::domain::clock::Clock;
use crate::domain::editing::require_editor_of;
use crate::domain::{Failure, audit, versions};
use crate::error::ApiError;

/// Rows added, changed and removed in one table of the draft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// What an upload did to the list's draft.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftChanges {
    pub list_id: i32,
    /// The draft after the upload; `None` when nothing changed and the list has no draft.
    pub draft_id: Option<i32>,
    /// By table (`duty`, `work_item`, `boundary_matter`, `division`, `legal_basis`,
    /// `boundary_case`, `public_service`), only those with a change.
    pub tables: BTreeMap<&'static str, Counts>,
}

impl DraftChanges {
    pub fn total(&self) -> Counts {
        self.tables.values().fold(Counts::default(), |a, c| Counts {
            added: a.added + c.added,
            changed: a.changed + c.changed,
            removed: a.removed + c.removed,
        })
    }
}

/// What `qingdan import` tells the person who ran it.
impl std::fmt::Display for DraftChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self.total();
        match self.draft_id {
            _ if total == Counts::default() => write!(f, "no change to the list's draft"),
            Some(draft) => write!(
                f,
                "draft {draft}, rows added {}, changed {}, removed {}; compare it with listVersionDiff and publish it with publishListVersion",
                total.added, total.changed, total.removed
            ),
            None => write!(f, "no draft"),
        }
    }
}

/// Loads `file`, a revision of list `list_id`, into the list's draft on behalf of `viewer`.
/// Errors name the field at fault by its path in the file (`duties[2].text`), with a stable
/// code: the validator's, `UNAUTHENTICATED`, `FORBIDDEN`, `LIST_UNKNOWN`, `TITLE_MISMATCH`,
/// `READ_ONLY` (a department or regime that differs from the database's).
pub async fn into_draft(
    db: &DatabaseConnection,
    viewer: &Viewer,
    clock: &dyn Clock,
    list_id: i32,
    file: &ListFile,
) -> Result<DraftChanges, LoadError> {
    validate::validate(file)?;
    viewer
        .require_any(&[Role::Editor])
        .map_err(|err| refusal(err, ""))?;
    let actor = viewer.subject().map_err(|err| refusal(err, ""))?.to_owned();
    let txn = Write::begin(db).await?;
    let Some(list) = responsibility_list::Entity::find_by_id(list_id)
        .one(&txn)
        .await?
    else {
        return Err(ImportError::new("LIST_UNKNOWN", "", format!("no list {list_id}")).into());
    };
    let reader = versions::DraftReader::of(&txn, viewer).await?;
    if !reader.reads(&draft_of_list(list.id, clock)) {
        return Err(ImportError::new(
            "FORBIDDEN",
            "",
            format!(
                "forbidden: an editor revises the lists of their own department only, not 「{}」",
                list.title
            ),
        )
        .into());
    }
    if file.title != list.title {
        return Err(ImportError::new(
            "TITLE_MISMATCH",
            "title",
            format!(
                "the file is the list 「{}」, not 「{}」",
                file.title, list.title
            ),
        )
        .into());
    }
    let departments = Departments::load(&txn).await?;
    if departments.id(&file.owner) != Some(list.owner_department_id) {
        return Err(ImportError::new(
            "TITLE_MISMATCH",
            "owner",
            format!("{:?} is not the department whose list this is", file.owner),
        )
        .into());
    }
    departments.check_unchanged(&txn, file).await?;
    check_regimes_unchanged(&txn, list.id, file).await?;

    let before = versions::draft(&txn, list.id).await?.map(|d| d.id);
    let draft = versions::draft_of(&txn, list.id, clock).await?;
    let mut sync = Sync {
        txn: &txn,
        viewer,
        list_id: list.id,
        owner: list.owner_department_id,
        draft,
        departments,
        allowed: HashMap::new(),
        tables: BTreeMap::new(),
    };
    duties::sync(&mut sync, file).await?;
    matters::sync(&mut sync, file).await?;
    services::sync(&mut sync, file).await?;
    let tables = std::mem::take(&mut sync.tables);
    let mut changes = DraftChanges {
        list_id: list.id,
        draft_id: Some(draft),
        tables,
    };
    if changes.total() == Counts::default() {
        // Nothing changed: the transaction, and any draft it opened, goes.
        changes.draft_id = before;
        return Ok(changes);
    }
    let entry = audit::Entry {
        actor: &actor,
        operation: "uploadListDraft",
        entity: "list_version",
        entity_id: Some(draft),
        before: None,
        after: Some(serde_json::json!({ "list": list.title, "tables": changes.tables })),
    };
    audit::record(&txn, clock.now(), entry).await?;
    txn.commit().await?;
    tracing::info!(list = %list.title, draft, total = ?changes.total(), "list file loaded into the draft");
    Ok(changes)
}

/// The caller of the command line: it holds the database, so it acts as an administrator.
pub fn command_line() -> Viewer {
    Viewer {
        sub: Some("qingdan import".to_owned()),
        dept: None,
        roles: vec![Role::Admin],
    }
}

/// A stand-in for the draft of list `list_id`, to ask `DraftReader` about a draft that may
/// not be open yet.
fn draft_of_list(list_id: i32, clock: &dyn Clock) -> list_version::Model {
    list_version::Model {
        id: 0,
        list_id,
        number: None,
        effective_from: None,
        reason: None,
        reason_kind: None,
        based_on_id: None,
        created_at: clock.now(),
        published_at: None,
        published_by: None,
    }
}

/// An authentication or authorization refusal as a coded error at `at`.
fn refusal(err: ApiError, at: &str) -> LoadError {
    match err {
        ApiError::Db(err) => LoadError::Db(
            std::sync::Arc::try_unwrap(err).unwrap_or_else(|err| DbErr::Custom(err.to_string())),
        ),
        err => ImportError::new(err.code().as_str(), at, err.message()).into(),
    }
}

/// The database's departments by name and alias.
struct Departments {
    by_name: HashMap<String, i32>,
    rows: Vec<department::Model>,
}

impl Departments {
    async fn load(txn: &Write) -> Result<Self, DbErr> {
        let rows = department::Entity::find().all(txn).await?;
        let mut by_name: HashMap<String, i32> =
            rows.iter().map(|d| (d.name.clone(), d.id)).collect();
        for alias in department_alias::Entity::find().all(txn).await? {
            by_name.entry(alias.alias).or_insert(alias.department_id);
        }
        Ok(Self { by_name, rows })
    }

    fn id(&self, name: &str) -> Option<i32> {
        self.by_name.get(name).copied()
    }

    /// The id of the department a row of the file names (by name or alias).
    fn resolve(&self, at: String, name: &str) -> Result<i32, ImportError> {
        self.id(name).ok_or_else(|| {
            ImportError::new(
                "UNKNOWN_DEPARTMENT",
                at,
                format!("no department named {name:?}"),
            )
        })
    }

    /// Every department of the file's 部门 sheet as the database holds it: an upload edits
    /// the list, not the departments (createDepartment and updateDepartment do).
    async fn check_unchanged(&self, txn: &Write, file: &ListFile) -> Result<(), LoadError> {
        let names: HashMap<i32, String> =
            self.rows.iter().map(|d| (d.id, d.name.clone())).collect();
        let stored = export::department_rows(txn, &self.rows, &names).await?;
        let stored: HashMap<&str, _> = stored.iter().map(|d| (d.name.as_str(), d)).collect();
        for (i, row) in file.departments.iter().enumerate() {
            let Some(known) = stored.get(row.name.as_str()) else {
                return Err(read_only(
                    format!("departments[{i}].name"),
                    format!(
                        "no department is named {:?}; departments are added with createDepartment, not by an upload",
                        row.name
                    ),
                ));
            };
            let aliases = |list: &[String]| list.iter().cloned().collect::<HashSet<_>>();
            let differs = if known.kind != row.kind {
                Some(format!("departments[{i}].kind"))
            } else if known.parent != row.parent {
                Some(format!("departments[{}].parent", row.name))
            } else if aliases(&known.aliases) != aliases(&row.aliases) {
                Some(format!("departments[{}].aliases", row.name))
            } else {
                None
            };
            if let Some(at) = differs {
                return Err(read_only(
                    at,
                    format!(
                        "{} differs from the database; departments are changed with updateDepartment, not by an upload",
                        row.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The file's supervision regimes as the list's: they are reference data, not versioned.
async fn check_regimes_unchanged(
    txn: &Write,
    list_id: i32,
    file: &ListFile,
) -> Result<(), LoadError> {
    let stored = export::regime_rows(txn, list_id).await?;
    let message = "the supervision regimes are reference data an upload does not change; keep the 监管制度 and 监管条目 sheets as downloaded";
    for (i, regime) in file.supervision_regimes.iter().enumerate() {
        if stored.get(i) != Some(regime) {
            return Err(read_only(
                format!("supervisionRegimes[{i}]"),
                message.into(),
            ));
        }
    }
    if stored.len() != file.supervision_regimes.len() {
        return Err(read_only("supervisionRegimes".into(), message.into()));
    }
    Ok(())
}

fn read_only(at: String, message: String) -> LoadError {
    ImportError::new("READ_ONLY", at, message).into()
}

/// One upload in progress: its transaction, whom for, and what it changed so far.
pub(super) struct Sync<'a> {
    txn: &'a Write,
    viewer: &'a Viewer,
    list_id: i32,
    /// The list owner's department: boundary matters and their rows are its editors'.
    owner: i32,
    draft: i32,
    departments: Departments,
    /// Departments whose rows the caller may change: `None` yes, `Some(reason)` no.
    allowed: HashMap<i32, Option<String>>,
    tables: BTreeMap<&'static str, Counts>,
}

/// What happened to one row.
#[derive(Clone, Copy)]
enum Change {
    Added,
    Changed,
    Removed,
}

impl Sync<'_> {
    /// Counts a change to a row of `table` of department `dept`, refused (`FORBIDDEN` at
    /// `at`) unless the caller may edit that department's rows.
    async fn change(
        &mut self,
        table: &'static str,
        change: Change,
        dept: i32,
        at: String,
        what: impl FnOnce() -> String,
    ) -> Result<(), LoadError> {
        self.allow(dept, &at, what).await?;
        let counts = self.tables.entry(table).or_default();
        match change {
            Change::Added => counts.added += 1,
            Change::Changed => counts.changed += 1,
            Change::Removed => counts.removed += 1,
        }
        Ok(())
    }

    /// Counts the removal of row `id` of `E` (as `change` does) and deletes it.
    async fn remove<E>(
        &mut self,
        dept: i32,
        at: String,
        id: i32,
        what: impl FnOnce() -> String,
    ) -> Result<(), LoadError>
    where
        E: EntityTrait,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
    {
        let table = E::default().table_name();
        self.change(table, Change::Removed, dept, at, what).await?;
        E::delete_by_id(id).exec(self.txn).await?;
        Ok(())
    }

    /// Refuses (`FORBIDDEN` at `at`, saying `what` was refused) a change to a row of
    /// department `dept` the caller may not edit, as the editing mutations do.
    async fn allow(
        &mut self,
        dept: i32,
        at: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), LoadError> {
        if !self.allowed.contains_key(&dept) {
            let verdict = match require_editor_of(self.txn, self.viewer, dept).await {
                Ok(()) => None,
                Err(Failure::Api(ApiError::Forbidden { reason })) => Some(reason),
                Err(Failure::Api(err)) => return Err(refusal(err, at)),
                Err(Failure::Rules(violations)) => Some(
                    violations
                        .into_iter()
                        .map(|v| v.message)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            };
            self.allowed.insert(dept, verdict);
        }
        match &self.allowed[&dept] {
            Some(reason) => Err(ImportError::new(
                "FORBIDDEN",
                at,
                format!("forbidden: {} of {}: {reason}", what(), self.name(dept)),
            )
            .into()),
            None => Ok(()),
        }
    }

    fn name(&self, dept: i32) -> String {
        self.departments
            .rows
            .iter()
            .find(|d| d.id == dept)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    }
}

/// A sequence number no row holds, for a row inserted before its scope is renumbered
/// (`editing::resequence` steps rows aside to `-seq - 1000000`, which never meets these).
fn parked_seq(index: usize) -> i32 {
    -3_000_000 - index as i32
}
