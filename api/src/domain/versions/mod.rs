//! List versions (清单版本, 动态调整): editors change a draft; publishing freezes it with the
//! day it takes effect and a reason; readers get the version in force on a day.
//!
//! Every row of a list belongs to one version (`version_id`). Opening a draft copies the
//! latest published version row by row; each copy keeps the `lineage` of the row it was
//! copied from, so an edit addressed to a published row lands on its copy in the draft, and
//! two versions compare row by row. Published versions are never written again.
//!
//! Here: reading (drafts' readers, the versions in force). Beside it: `draft` (opening a
//! draft and landing edits in it), `publish` (publishing and discarding) and `diff`
//! (comparing two versions row by row).

mod diff;
mod draft;
mod publish;

pub use diff::{Change, RowChange, diff, pair};
pub use draft::{draft_of, into_draft, start_lineage, start_lineages};
pub use publish::{Publication, discard, owner_check, publish};

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use entity::{department, list_version, responsibility_list};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Viewer;

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
