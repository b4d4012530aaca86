//! Published list versions held in memory (已发布版本): a published version never changes, so
//! a process reads each one once and answers list reads from it without SQL.
//!
//! - A `Version` is one published version's rows, loaded in bulk (one statement a table for
//!   all the versions missing) and kept, within `QINGDAN_LIST_MEMORY_MB`, least recently used
//!   first out.
//! - The `Catalog` is every department with its aliases and units: not versioned, so it is
//!   read again when the published lists' scope of the data version moves (a department's
//!   edit counts there).
//! - A `View` is what a day's readers see: the catalog and the versions in force that day,
//!   indexed by what the loaders ask (a department's duties, a duty's work items…). It is
//!   built once per day and lists count, and shared by every request.
//!
//! Drafts, versions outside the budget and supervision records stay in SQL: a reader asks the
//! view first and the database for what the view does not hold.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;
use entity::{
    boundary_case, boundary_matter, department, department_alias, division, duty, legal_basis,
    public_service, work_item,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::text_index::TextIndex;
use super::versions::InForce;
use crate::data_version::{Scope, Watch};

/// Days whose views a process keeps at one lists count: today and a few asked for with `asOf`.
const VIEW_DAYS: usize = 8;

/// Versions read per statement: well under SQLite's bound on parameters.
const LOAD_CHUNK: usize = 500;

/// One published version's rows, in id order.
#[derive(Default)]
pub struct Version {
    pub duties: Vec<Arc<duty::Model>>,
    pub work_items: Vec<Arc<work_item::Model>>,
    pub matters: Vec<Arc<boundary_matter::Model>>,
    pub divisions: Vec<Arc<division::Model>>,
    pub legal_bases: Vec<Arc<legal_basis::Model>>,
    pub cases: Vec<Arc<boundary_case::Model>>,
    pub services: Vec<Arc<public_service::Model>>,
    /// What it takes in memory, roughly: the rows and their texts.
    bytes: usize,
}

/// Every department, with its aliases and units, in id order.
pub struct Catalog {
    departments: Vec<department::Model>,
    by_id: HashMap<i32, usize>,
    aliases: HashMap<i32, Vec<department_alias::Model>>,
    units: HashMap<i32, Vec<department::Model>>,
}

impl Catalog {
    async fn read(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let departments = department::Entity::find()
            .order_by_asc(department::Column::Id)
            .all(db)
            .await?;
        let mut aliases: HashMap<i32, Vec<department_alias::Model>> = HashMap::new();
        for alias in department_alias::Entity::find()
            .order_by_asc(department_alias::Column::Id)
            .all(db)
            .await?
        {
            aliases.entry(alias.department_id).or_default().push(alias);
        }
        let mut units: HashMap<i32, Vec<department::Model>> = HashMap::new();
        for unit in departments.iter().filter(|d| d.parent_id.is_some()) {
            units
                .entry(unit.parent_id.unwrap_or_default())
                .or_default()
                .push(unit.clone());
        }
        let by_id = departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        Ok(Self {
            departments,
            by_id,
            aliases,
            units,
        })
    }

    /// Every department, in id order.
    pub fn departments(&self) -> &[department::Model] {
        &self.departments
    }

    pub fn department(&self, id: i32) -> Option<&department::Model> {
        self.by_id.get(&id).map(|i| &self.departments[*i])
    }

    pub fn aliases(&self, id: i32) -> &[department_alias::Model] {
        self.aliases.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Its internal units, in id order.
    pub fn units(&self, id: i32) -> &[department::Model] {
        self.units.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The department named `name` or, failing that, one printed under the alias `name`
    /// (as `domain::find_department` finds it).
    pub fn named(&self, name: &str) -> Option<&department::Model> {
        self.departments
            .iter()
            .find(|d| d.name == name)
            .or_else(|| {
                self.aliases
                    .values()
                    .flatten()
                    .filter(|a| a.alias == name)
                    .min_by_key(|a| a.id)
                    .and_then(|a| self.department(a.department_id))
            })
    }
}

type Rows<M> = HashMap<i32, Vec<Arc<M>>>;

/// What a day's readers see: the catalog and the list versions in force, indexed.
pub struct View {
    pub catalog: Arc<Catalog>,
    /// The ids of the versions in force, sorted.
    pub versions: Arc<[i32]>,
    duty: HashMap<i32, Arc<duty::Model>>,
    duties_of: Rows<duty::Model>,
    work_items_of: Rows<work_item::Model>,
    matter: HashMap<i32, Arc<boundary_matter::Model>>,
    division: HashMap<i32, Arc<division::Model>>,
    divisions_of_matter: Rows<division::Model>,
    divisions_of_department: Rows<division::Model>,
    legal_bases_of_matter: Rows<legal_basis::Model>,
    legal_bases_of_division: Rows<legal_basis::Model>,
    cases_of_matter: Rows<boundary_case::Model>,
    cases_of_division: Rows<boundary_case::Model>,
    services_of: Rows<public_service::Model>,
    /// The top-level lists, each in its connection's order.
    duties: Vec<Arc<duty::Model>>,
    matters: Vec<Arc<boundary_matter::Model>>,
    services: Vec<Arc<public_service::Model>>,
    /// Their texts, indexed on the first `textContains` asked of this view.
    duty_text: OnceLock<TextIndex>,
    matter_text: OnceLock<TextIndex>,
    service_text: OnceLock<TextIndex>,
}

/// Groups `rows` by `key`, each group sorted by `order` (then id, as the SQL reads did).
fn grouped<M, K: Ord>(
    rows: &[Arc<M>],
    key: impl Fn(&M) -> Option<i32>,
    order: impl Fn(&M) -> K,
) -> Rows<M> {
    let mut out: Rows<M> = HashMap::new();
    for row in rows {
        if let Some(k) = key(row) {
            out.entry(k).or_default().push(row.clone());
        }
    }
    for group in out.values_mut() {
        group.sort_by_key(|row| order(row));
    }
    out
}

impl View {
    fn build(catalog: Arc<Catalog>, versions: Arc<[i32]>, parts: &[Arc<Version>]) -> Self {
        fn all<M>(parts: &[Arc<Version>], rows: impl Fn(&Version) -> &Vec<Arc<M>>) -> Vec<Arc<M>> {
            parts.iter().flat_map(|p| rows(p).iter().cloned()).collect()
        }
        let duties = all(parts, |p| &p.duties);
        let work_items = all(parts, |p| &p.work_items);
        let mut matters = all(parts, |p| &p.matters);
        let divisions = all(parts, |p| &p.divisions);
        let legal_bases = all(parts, |p| &p.legal_bases);
        let cases = all(parts, |p| &p.cases);
        let services = all(parts, |p| &p.services);
        let mut listed_duties = duties.clone();
        listed_duties.sort_by_key(|d| (d.list_id, d.department_id, d.seq, d.id));
        matters.sort_by_key(|m| m.id);
        let mut listed_services = services.clone();
        listed_services.sort_by_key(|s| (s.list_id, s.seq, s.id));
        Self {
            duty: duties.iter().map(|d| (d.id, d.clone())).collect(),
            duties_of: grouped(&duties, |d| Some(d.department_id), |d| (d.seq, d.id)),
            work_items_of: grouped(&work_items, |w| Some(w.duty_id), |w| (w.seq, w.id)),
            matter: matters.iter().map(|m| (m.id, m.clone())).collect(),
            division: divisions.iter().map(|d| (d.id, d.clone())).collect(),
            divisions_of_matter: grouped(&divisions, |d| Some(d.matter_id), |d| (d.seq, d.id)),
            divisions_of_department: grouped(
                &divisions,
                |d| Some(d.department_id),
                |d| (d.matter_id, d.id),
            ),
            legal_bases_of_matter: grouped(&legal_bases, |l| Some(l.matter_id), |l| (l.seq, l.id)),
            legal_bases_of_division: grouped(&legal_bases, |l| l.division_id, |l| (l.seq, l.id)),
            cases_of_matter: grouped(&cases, |c| Some(c.matter_id), |c| (c.seq, c.id)),
            cases_of_division: grouped(&cases, |c| c.division_id, |c| (c.seq, c.id)),
            services_of: grouped(&services, |s| Some(s.unit_id), |s| (s.seq, s.id)),
            duties: listed_duties,
            matters,
            services: listed_services,
            duty_text: OnceLock::new(),
            matter_text: OnceLock::new(),
            service_text: OnceLock::new(),
            catalog,
            versions,
        }
    }

    /// The duties in force that may contain `text` in their own text or a work item's (all
    /// of them when `text` is `None` or a single character), in published order: a superset
    /// the caller checks.
    pub fn duties_to_check(&self, text: Option<&str>) -> Vec<&duty::Model> {
        to_check(&self.duties, &self.duty_text, text, |d| {
            std::iter::once(d.text.as_str())
                .chain(self.work_items(d.id).iter().map(|w| w.text.as_str()))
        })
    }

    /// The matters in force that may contain `text` in their title or a division's text, by
    /// id; as `duties_to_check`.
    pub fn matters_to_check(&self, text: Option<&str>) -> Vec<&boundary_matter::Model> {
        to_check(&self.matters, &self.matter_text, text, |m| {
            std::iter::once(m.title.as_str())
                .chain(self.divisions(m.id).iter().map(|d| d.text.as_str()))
        })
    }

    /// The services in force that may contain `text` in their name or content, in published
    /// order; as `duties_to_check`.
    pub fn services_to_check(&self, text: Option<&str>) -> Vec<&public_service::Model> {
        to_check(&self.services, &self.service_text, text, |s| {
            [s.name.as_str(), s.content.as_str()]
        })
    }

    pub fn duty(&self, id: i32) -> Option<&duty::Model> {
        self.duty.get(&id).map(|d| d.as_ref())
    }

    pub fn matter(&self, id: i32) -> Option<&boundary_matter::Model> {
        self.matter.get(&id).map(|m| m.as_ref())
    }

    pub fn division(&self, id: i32) -> Option<&division::Model> {
        self.division.get(&id).map(|d| d.as_ref())
    }

    /// A department's duties in force, by number.
    pub fn duties_of(&self, department: i32) -> Vec<duty::Model> {
        cloned(self.duties_of.get(&department))
    }

    /// A duty's work items, when the duty is in this view; `None` sends the caller to SQL.
    pub fn work_items_of(&self, duty: i32) -> Option<Vec<work_item::Model>> {
        self.duty
            .contains_key(&duty)
            .then(|| cloned(self.work_items_of.get(&duty)))
    }

    pub fn divisions_of_department(&self, department: i32) -> Vec<division::Model> {
        cloned(self.divisions_of_department.get(&department))
    }

    pub fn divisions_of_matter(&self, matter: i32) -> Option<Vec<division::Model>> {
        self.matter
            .contains_key(&matter)
            .then(|| cloned(self.divisions_of_matter.get(&matter)))
    }

    pub fn legal_bases_of_matter(&self, matter: i32) -> Option<Vec<legal_basis::Model>> {
        self.matter
            .contains_key(&matter)
            .then(|| cloned(self.legal_bases_of_matter.get(&matter)))
    }

    pub fn legal_bases_of_division(&self, division: i32) -> Option<Vec<legal_basis::Model>> {
        self.division
            .contains_key(&division)
            .then(|| cloned(self.legal_bases_of_division.get(&division)))
    }

    pub fn cases_of_matter(&self, matter: i32) -> Option<Vec<boundary_case::Model>> {
        self.matter
            .contains_key(&matter)
            .then(|| cloned(self.cases_of_matter.get(&matter)))
    }

    pub fn cases_of_division(&self, division: i32) -> Option<Vec<boundary_case::Model>> {
        self.division
            .contains_key(&division)
            .then(|| cloned(self.cases_of_division.get(&division)))
    }

    /// A unit's services in force, by number.
    pub fn services_of(&self, unit: i32) -> Vec<public_service::Model> {
        cloned(self.services_of.get(&unit))
    }

    /// Every duty in force, in published order (list, department, number).
    pub fn duties(&self) -> &[Arc<duty::Model>] {
        &self.duties
    }

    /// The work items of a duty in force (empty for one not in this view).
    pub fn work_items(&self, duty: i32) -> &[Arc<work_item::Model>] {
        self.work_items_of.get(&duty).map_or(&[], Vec::as_slice)
    }

    /// Every boundary matter in force, by id.
    pub fn matters(&self) -> &[Arc<boundary_matter::Model>] {
        &self.matters
    }

    /// The divisions of a matter in force (empty for one not in this view).
    pub fn divisions(&self, matter: i32) -> &[Arc<division::Model>] {
        self.divisions_of_matter
            .get(&matter)
            .map_or(&[], Vec::as_slice)
    }

    /// Every public service in force, in published order (list, number).
    pub fn services(&self) -> &[Arc<public_service::Model>] {
        &self.services
    }

    /// Every division in force, in no order.
    pub fn all_divisions(&self) -> impl Iterator<Item = &division::Model> {
        self.division.values().map(|d| d.as_ref())
    }

    /// Every legal basis in force, in no order.
    pub fn all_legal_bases(&self) -> impl Iterator<Item = &legal_basis::Model> {
        self.legal_bases_of_matter
            .values()
            .flatten()
            .map(|b| b.as_ref())
    }

    /// Every work item in force, in no order.
    pub fn all_work_items(&self) -> impl Iterator<Item = &work_item::Model> {
        self.work_items_of.values().flatten().map(|w| w.as_ref())
    }
}

/// The `rows` that may contain `text` (all of them without one, or for one too short to
/// narrow), in their order: those `index` names, built over `texts` of each row on first use.
fn to_check<'v, M, T>(
    rows: &'v [Arc<M>],
    index: &OnceLock<TextIndex>,
    text: Option<&str>,
    texts: impl Fn(&'v M) -> T,
) -> Vec<&'v M>
where
    T: IntoIterator<Item = &'v str>,
{
    let positions = text.and_then(|text| {
        index
            .get_or_init(|| TextIndex::build(rows.iter().map(|row| texts(row))))
            .candidates(text)
    });
    match positions {
        Some(positions) => positions
            .into_iter()
            .map(|i| rows[i as usize].as_ref())
            .collect(),
        None => rows.iter().map(|row| row.as_ref()).collect(),
    }
}

fn cloned<M: Clone>(rows: Option<&Vec<Arc<M>>>) -> Vec<M> {
    rows.map(|rows| rows.iter().map(|r| r.as_ref().clone()).collect())
        .unwrap_or_default()
}

/// The published versions this process holds, and the views built from them.
pub struct Published {
    data: Arc<Watch>,
    in_force: Arc<InForce>,
    budget: usize,
    state: Mutex<State>,
    /// One build at a time: the callers of a view being built wait for it.
    building: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    /// The lists count the catalog and the views are of.
    lists_at: Option<i64>,
    catalog: Option<Arc<Catalog>>,
    /// Views by day; `None` when the day's versions do not fit the budget (read from SQL).
    views: HashMap<NaiveDate, Option<Arc<View>>>,
    /// Versions by id, with when each was last used.
    versions: HashMap<i32, (Arc<Version>, u64)>,
    held: usize,
    tick: u64,
}

impl Published {
    pub fn new(data: Arc<Watch>, in_force: Arc<InForce>, budget_mb: usize) -> Self {
        Self {
            data,
            in_force,
            budget: budget_mb.saturating_mul(1024 * 1024),
            state: Mutex::default(),
            building: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes of versions held now.
    pub fn held_bytes(&self) -> usize {
        self.state().held
    }

    /// The view of `day` at the data version now; `None` when the versions in force that day
    /// exceed the memory budget.
    pub async fn view(
        &self,
        db: &impl ConnectionTrait,
        day: NaiveDate,
    ) -> Result<Option<Arc<View>>, DbErr> {
        let stamp = self.data.current(db).await?;
        let lists = stamp.of(Scope::Lists);
        if let Some(view) = self.kept(lists, day) {
            return Ok(view);
        }
        let _turn = self.building.lock().await;
        if let Some(view) = self.kept(lists, day) {
            return Ok(view);
        }
        let versions = self.in_force.at(db, &stamp, day).await?;
        let kept = {
            let state = self.state();
            state
                .catalog
                .clone()
                .filter(|_| state.lists_at == Some(lists))
        };
        let catalog = match kept {
            Some(catalog) => catalog,
            None => Arc::new(Catalog::read(db).await?),
        };
        let missing: Vec<i32> = {
            let state = self.state();
            versions
                .iter()
                .copied()
                .filter(|id| !state.versions.contains_key(id))
                .collect()
        };
        let loaded = load(db, &missing).await?;
        let mut state = self.state();
        if state.lists_at != Some(lists) {
            state.lists_at = Some(lists);
            state.views.clear();
        }
        state.catalog = Some(catalog.clone());
        state.tick += 1;
        let tick = state.tick;
        for (id, version) in loaded {
            state.held += version.bytes;
            state.versions.insert(id, (Arc::new(version), tick));
        }
        let mut parts = Vec::with_capacity(versions.len());
        for id in versions.iter() {
            if let Some((version, used)) = state.versions.get_mut(id) {
                *used = tick;
                parts.push(version.clone());
            }
        }
        let needed: usize = parts.iter().map(|p| p.bytes).sum();
        let view =
            (needed <= self.budget).then(|| Arc::new(View::build(catalog, versions, &parts)));
        state.evict(self.budget);
        if state.views.len() >= VIEW_DAYS {
            state.views.clear();
        }
        state.views.insert(day, view.clone());
        Ok(view)
    }

    fn kept(&self, lists: i64, day: NaiveDate) -> Option<Option<Arc<View>>> {
        let state = self.state();
        (state.lists_at == Some(lists))
            .then(|| state.views.get(&day).cloned())
            .flatten()
    }
}

impl State {
    /// Drops the least recently used versions until what is held fits `budget` (a view
    /// still holds those it was built from).
    fn evict(&mut self, budget: usize) {
        if self.held <= budget {
            return;
        }
        let mut by_use: Vec<(u64, i32)> = self
            .versions
            .iter()
            .map(|(id, (_, used))| (*used, *id))
            .collect();
        by_use.sort_unstable();
        for (_, id) in by_use {
            if self.held <= budget {
                break;
            }
            if let Some((version, _)) = self.versions.remove(&id) {
                self.held -= version.bytes;
            }
        }
    }
}

/// Reads the rows of versions `ids`, one statement a table per chunk of versions.
async fn load(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<(i32, Version)>, DbErr> {
    let mut versions: HashMap<i32, Version> =
        ids.iter().map(|id| (*id, Version::default())).collect();
    for chunk in ids.chunks(LOAD_CHUNK) {
        macro_rules! rows {
            ($entity:ident => $field:ident, |$row:ident| $weight:expr) => {
                for $row in $entity::Entity::find()
                    .filter($entity::Column::VersionId.is_in(chunk.iter().copied()))
                    .order_by_asc($entity::Column::Id)
                    .all(db)
                    .await?
                {
                    if let Some(version) = versions.get_mut(&$row.version_id) {
                        version.bytes += std::mem::size_of::<$entity::Model>() + 16 + $weight;
                        version.$field.push(Arc::new($row));
                    }
                }
            };
        }
        rows!(duty => duties, |d| d.text.len() + d.remark.as_ref().map_or(0, String::len));
        rows!(work_item => work_items, |w| w.text.len() + w.remark.as_ref().map_or(0, String::len));
        rows!(boundary_matter => matters, |m| m.title.len() + m.published_seq.len());
        rows!(division => divisions, |d| d.text.len() + d.role.len() + d.published_department_name.len());
        rows!(legal_basis => legal_bases, |l| l.title.len() + l.text.len());
        rows!(boundary_case => cases, |c| c.text.len());
        rows!(public_service => services, |s| s.name.len() + s.content.len() + s.phone.len() + s.published_phone.len());
    }
    let mut out: Vec<(i32, Version)> = versions.into_iter().collect();
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}
