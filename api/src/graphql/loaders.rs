//! DataLoaders for every relation of the list. The published lists in force are answered from
//! memory (`domain::published`), without SQL, and so are an inspection's findings, inspectors
//! and methods once read (`domain::supervision::submitted`); drafts, versions not held and
//! the rest of the supervision records cost one SQL statement per relation and level,
//! whatever the number of parents. One loader per request: the views it reads follow the
//! data version, so a write is visible to the next request.

use std::any::{Any, TypeId};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{
    accountability, accountability_item, boundary_case, boundary_matter, department,
    department_alias, division, duty, finding, inspection, inspection_method, inspector,
    legal_basis, public_service, rectification, regime_item, regime_section, review_request,
    supervision_document, supervision_regime, work_item,
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, Statement};

use chrono::NaiveDate;

use crate::db::one_of;
use crate::domain::clock::SharedClock;
use crate::domain::published::{Published, View};
use crate::domain::supervision::along::Along;
use crate::domain::supervision::cases::{self, DocumentState, InspectionState};
use crate::domain::supervision::submitted::Submitted;
use crate::domain::versions;

pub struct ListLoader {
    db: DatabaseConnection,
    /// Derived states (status, overdue) are judged as of this clock's today.
    clock: SharedClock,
    /// The list versions in force, by day, shared by the process…
    in_force: Arc<versions::InForce>,
    /// …the published versions held in memory (`None`: every read from SQL, as a mutation's
    /// reads after its own write are)…
    published: Option<Arc<Published>>,
    /// …and as this request first read them, so one request answers from one set (a plain
    /// lock: every field held in memory looks here)…
    read: std::sync::Mutex<HashMap<NaiveDate, Reading>>,
    /// …opened one day at a time.
    opening: tokio::sync::Mutex<()>,
    /// What submitted inspections recorded, shared by the process.
    submitted: Arc<Submitted>,
    /// Relations a page loaded ahead for all its rows (`prime`), by key type: a `HashMap<K,
    /// V>` each.
    primed: std::sync::Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

/// What one request reads for a day: the versions in force and, when held, their view.
#[derive(Clone)]
struct Reading {
    versions: Arc<[i32]>,
    view: Option<Arc<View>>,
}

impl ListLoader {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        in_force: Arc<versions::InForce>,
        published: Option<Arc<Published>>,
        submitted: Arc<Submitted>,
    ) -> Self {
        Self {
            db,
            clock,
            in_force,
            published,
            submitted,
            read: Default::default(),
            opening: Default::default(),
            primed: Default::default(),
        }
    }

    fn read(&self) -> std::sync::MutexGuard<'_, HashMap<NaiveDate, Reading>> {
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn reading(&self, day: NaiveDate) -> Result<Reading, DbErr> {
        if let Some(reading) = self.read().get(&day) {
            return Ok(reading.clone());
        }
        let _opening = self.opening.lock().await;
        if let Some(reading) = self.read().get(&day) {
            return Ok(reading.clone());
        }
        let view = match &self.published {
            Some(published) => published.view(&self.db, day).await?,
            None => None,
        };
        let versions = match &view {
            Some(view) => view.versions.clone(),
            None => self.in_force.get(&self.db, day).await?,
        };
        let reading = Reading { versions, view };
        self.read().insert(day, reading.clone());
        Ok(reading)
    }

    /// The list versions in force on `day` (see `versions::InForce`): read once per data
    /// version and day by the process, and once per request from there.
    pub async fn in_force(&self, day: NaiveDate) -> Result<Vec<i32>, DbErr> {
        Ok(self.reading(day).await?.versions.to_vec())
    }

    /// The published lists in force on `day`, held in memory; `None` when they are read from
    /// SQL instead.
    pub async fn view(&self, day: NaiveDate) -> Result<Option<Arc<View>>, DbErr> {
        Ok(self.reading(day).await?.view)
    }

    /// A view for rows asked for by id: one this request already reads, else today's. A
    /// published row is the same in every view that holds it.
    async fn any_view(&self) -> Result<Option<Arc<View>>, DbErr> {
        let first = self
            .read()
            .values()
            .find_map(|reading| reading.view.clone());
        match first {
            Some(view) => Ok(Some(view)),
            None => self.view(self.clock.today()).await,
        }
    }
}

/// A key the published lists held in memory may answer at once: no batch to wait for (a
/// DataLoader batch waits a millisecond for its siblings) and no SQL. `None` sends the key
/// to its loader.
pub trait Held: Sized {
    type Value;
    /// The day whose view answers it; `None` for a row asked for by id (any view holds it).
    fn day(&self) -> Option<NaiveDate> {
        None
    }
    fn held(&self, view: &View) -> Option<Self::Value>;
}

impl ListLoader {
    /// Loads the relation `K` of every row of a page at once, as one batch, before the rows'
    /// fields ask for it: they then read it from here (`primed`) without the DataLoader's
    /// batch machinery (a task, a timer and a channel a key, which cost a page of 100
    /// inspections more CPU than its SQL). A key the batch does not answer reads as absent.
    pub async fn prime<K>(&self, keys: Vec<K>) -> Result<(), Arc<DbErr>>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        Self: Loader<K, Error = Arc<DbErr>>,
        <Self as Loader<K>>::Value: Send + 'static,
    {
        if keys.is_empty() {
            return Ok(());
        }
        let loaded = self.load(&keys).await?;
        let mut primed = self.primed.lock().unwrap_or_else(|e| e.into_inner());
        let entry = primed
            .entry(TypeId::of::<K>())
            .or_insert_with(|| Box::new(HashMap::<K, Option<<Self as Loader<K>>::Value>>::new()));
        if let Some(map) = entry.downcast_mut::<HashMap<K, Option<<Self as Loader<K>>::Value>>>() {
            let mut loaded = loaded;
            map.reserve(keys.len());
            for key in keys {
                let value = loaded.remove(&key);
                map.insert(key, value);
            }
        }
        Ok(())
    }

    /// What `prime` loaded for `key`: `None` when it was not primed, `Some(None)` when the
    /// batch found nothing for it.
    pub fn primed<K>(&self, key: &K) -> Option<Option<<Self as Loader<K>>::Value>>
    where
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        Self: Loader<K>,
        <Self as Loader<K>>::Value: Clone + 'static,
    {
        let primed = self.primed.lock().unwrap_or_else(|e| e.into_inner());
        primed
            .get(&TypeId::of::<K>())?
            .downcast_ref::<HashMap<K, Option<<Self as Loader<K>>::Value>>>()?
            .get(key)
            .cloned()
    }

    /// The inspections `statement` reads by id in `order`, those the process holds not
    /// decoded again, with the relations the query selects `along` (`read::held_inspections`).
    pub async fn inspections(
        &self,
        statement: Statement,
        order: &Order,
        along: Along,
    ) -> Result<Vec<inspection::Model>, DbErr> {
        let (db, submitted) = (&self.db, &self.submitted);
        crate::domain::supervision::read::held_inspections(db, submitted, statement, order, along)
            .await
    }

    /// What the views held in memory answer for `key`, without SQL.
    pub async fn held<K: Held>(&self, key: &K) -> Result<Option<K::Value>, DbErr> {
        let view = match key.day() {
            Some(day) => self.view(day).await?,
            None => self.any_view().await?,
        };
        Ok(view.and_then(|view| key.held(&view)))
    }
}

/// `$key(parent id)` loads the `$entity` rows whose `$column` is that id, in `$order`; with
/// `memory`, from the view first (`None` for a parent the view does not hold); with `kept`,
/// from what submitted inspections recorded (`Submitted`) first, keeping what SQL answers.
/// A kept relation's rows are shared with the process (`Arc<[Model]>`), not copied per read.
macro_rules! has_many {
    (@key optional $value:expr, |$parent:ident| $body:expr) => {{ if let Some($parent) = $value { $body; } }};
    (@key $value:expr, |$parent:ident| $body:expr) => {{ let $parent = $value; $body; }};
    (@rows $entity:ident) => { Vec<$entity::Model> };
    (@rows $entity:ident $kept:ident) => { Arc<[$entity::Model]> };
    // What a submitted inspection recorded is read in batches of a page: decoded by position.
    (@read $db:expr, $select:expr) => { $select.all($db).await? };
    (@read $db:expr, $select:expr, $kept:ident) => { crate::db::by_position::all($db, $select).await? };
    ($(#[$doc:meta])* $key:ident => $entity:ident by $column:ident ($field:ident $($opt:ident)?) order $order:ident $(, memory |$view:ident, $id:ident| $memory:expr)? $(, kept $kept:ident)?) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Held for $key {
            type Value = has_many!(@rows $entity $($kept)?);
            #[allow(unused_variables)]
            fn held(&self, view: &View) -> Option<Self::Value> {
                $( let ($view, $id) = (view, &self.0); return $memory; )?
                #[allow(unreachable_code)]
                None
            }
        }

        impl Loader<$key> for ListLoader {
            type Value = has_many!(@rows $entity $($kept)?);
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let mut answered: HashMap<$key, Self::Value> = HashMap::new();
                #[allow(unused_mut)]
                let mut rest: Vec<i32> = keys.iter().map(|key| key.0).collect();
                $(
                    if let Some($view) = self.any_view().await? {
                        rest.retain(|$id| match $memory {
                            Some(rows) => {
                                answered.insert($key(*$id), rows);
                                false
                            }
                            None => true,
                        });
                    }
                )?
                $(
                    let (held, missing) = self.submitted.$kept.get_many(&rest);
                    answered.extend(held.into_iter().map(|(parent, rows)| ($key(parent), rows)));
                    rest = missing;
                )?
                if rest.is_empty() {
                    return Ok(answered);
                }
                let select = $entity::Entity::find()
                    .filter(one_of(self.db.get_database_backend(), $entity::Column::$column, rest.iter().copied()))
                    .order_by_asc($entity::Column::$order)
                    .order_by_asc($entity::Column::Id);
                let rows = has_many!(@read &self.db, select $(, $kept)?);
                let mut read: HashMap<i32, Vec<$entity::Model>> = HashMap::new();
                for row in rows {
                    has_many!(@key $($opt)? row.$field, |parent| read.entry(parent).or_default().push(row));
                }
                for (parent, rows) in read {
                    let rows: Self::Value = rows.into();
                    $( self.submitted.$kept.keep(parent, rows.clone()); )?
                    answered.insert($key(parent), rows);
                }
                Ok(answered)
            }
        }
    };
}

/// `$key(parent id, day)` loads the `$entity` rows whose `$column` is that id, of the list
/// versions in force on that day, in `$order`: the list as a reader saw it then. From the
/// day's view when it is held (`$memory`), else from SQL.
macro_rules! in_force_has_many {
    ($(#[$doc:meta])* $key:ident => $entity:ident by $column:ident ($field:ident) order $order:ident, memory |$view:ident, $id:ident| $memory:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32, pub NaiveDate);

        impl Held for $key {
            type Value = Vec<$entity::Model>;
            fn day(&self) -> Option<NaiveDate> {
                Some(self.1)
            }
            fn held(&self, $view: &View) -> Option<Self::Value> {
                let $id = self.0;
                Some($memory)
            }
        }

        impl Loader<$key> for ListLoader {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let mut grouped: HashMap<$key, Self::Value> = HashMap::new();
                let days: BTreeSet<NaiveDate> = keys.iter().map(|key| key.1).collect();
                for day in days {
                    let reading = self.reading(day).await?;
                    let parents = keys.iter().filter(|key| key.1 == day).map(|key| key.0);
                    if let Some($view) = &reading.view {
                        for $id in parents {
                            grouped.insert($key($id, day), $memory);
                        }
                        continue;
                    }
                    let rows = $entity::Entity::find()
                        .filter(one_of(self.db.get_database_backend(), $entity::Column::$column, parents))
                        .filter(one_of(self.db.get_database_backend(), $entity::Column::VersionId, reading.versions.iter().copied()))
                        .order_by_asc($entity::Column::$order)
                        .order_by_asc($entity::Column::Id)
                        .all(&self.db)
                        .await?;
                    for row in rows {
                        grouped.entry($key(row.$field, day)).or_default().push(row);
                    }
                }
                Ok(grouped)
            }
        }
    };
}

/// `$key(id)` loads one `$entity` row by primary key; with `memory`, from the view first.
macro_rules! by_id {
    ($key:ident => $entity:ident $(, memory |$view:ident, $id:ident| $memory:expr)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Held for $key {
            type Value = $entity::Model;
            #[allow(unused_variables)]
            fn held(&self, view: &View) -> Option<Self::Value> {
                $( let ($view, $id) = (view, &self.0); return $memory.cloned(); )?
                #[allow(unreachable_code)]
                None
            }
        }

        impl Loader<$key> for ListLoader {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let mut found: HashMap<$key, Self::Value> = HashMap::new();
                #[allow(unused_mut)]
                let mut rest: Vec<i32> = keys.iter().map(|key| key.0).collect();
                $(
                    if let Some($view) = self.any_view().await? {
                        rest.retain(|$id| match $memory {
                            Some(row) => {
                                found.insert($key(*$id), row.clone());
                                false
                            }
                            None => true,
                        });
                    }
                )?
                if rest.is_empty() {
                    return Ok(found);
                }
                let rows = $entity::Entity::find()
                    .filter(one_of(self.db.get_database_backend(), $entity::Column::Id, rest))
                    .all(&self.db)
                    .await?;
                found.extend(rows.into_iter().map(|row| ($key(row.id), row)));
                Ok(found)
            }
        }
    };
}

by_id!(DepartmentById => department, memory |view, id| view.catalog.department(*id));
by_id!(DutyById => duty, memory |view, id| view.duty(*id));
by_id!(MatterById => boundary_matter, memory |view, id| view.matter(*id));
by_id!(DivisionById => division, memory |view, id| view.division(*id));
by_id!(RegimeById => supervision_regime);
by_id!(SectionById => regime_section);

// The catalog holds every department: what it lacks does not exist.
has_many!(AliasesOf => department_alias by DepartmentId (department_id) order Id,
    memory |view, id| Some(view.catalog.aliases(*id).to_vec()));
has_many!(/// Internal units of a department.
    UnitsOf => department by ParentId (parent_id optional) order Id,
    memory |view, id| Some(view.catalog.units(*id).to_vec()));
in_force_has_many!(DutiesOf => duty by DepartmentId (department_id) order Seq,
    memory |view, id| view.duties_of(id));
has_many!(WorkItemsOf => work_item by DutyId (duty_id) order Seq,
    memory |view, id| view.work_items_of(*id));
in_force_has_many!(DivisionsOfDepartment => division by DepartmentId (department_id) order MatterId,
    memory |view, id| view.divisions_of_department(id));
has_many!(DivisionsOfMatter => division by MatterId (matter_id) order Seq,
    memory |view, id| view.divisions_of_matter(*id));
has_many!(LegalBasesOfMatter => legal_basis by MatterId (matter_id) order Seq,
    memory |view, id| view.legal_bases_of_matter(*id));
has_many!(LegalBasesOfDivision => legal_basis by DivisionId (division_id optional) order Seq,
    memory |view, id| view.legal_bases_of_division(*id));
has_many!(CasesOfMatter => boundary_case by MatterId (matter_id) order Seq,
    memory |view, id| view.cases_of_matter(*id));
has_many!(CasesOfDivision => boundary_case by DivisionId (division_id optional) order Seq,
    memory |view, id| view.cases_of_division(*id));
in_force_has_many!(ServicesOfUnit => public_service by UnitId (unit_id) order Seq,
    memory |view, id| view.services_of(id));
has_many!(SectionsOf => regime_section by RegimeId (regime_id) order Seq);
has_many!(ItemsOfSection => regime_item by SectionId (section_id) order Seq);
has_many!(ChildrenOfItem => regime_item by ParentId (parent_id optional) order Seq);

by_id!(InspectionById => inspection);
by_id!(RegimeItemById => regime_item);
by_id!(DocumentById => supervision_document);

has_many!(InspectorsOf => inspector by InspectionId (inspection_id) order Seq, kept inspectors);
has_many!(FindingsOf => finding by InspectionId (inspection_id) order Id, kept findings);
has_many!(MethodsOf => inspection_method by InspectionId (inspection_id) order Id, kept methods);
has_many!(DocumentsOf => supervision_document by InspectionId (inspection_id) order Id);
has_many!(RectificationsOf => rectification by DocumentId (document_id) order Id);
has_many!(ReviewsOf => review_request by DocumentId (document_id) order Id);
has_many!(AccountabilitiesOf => accountability by InspectionId (inspection_id) order Id);
has_many!(AccountabilityItemsOf => accountability_item by AccountabilityId (accountability_id) order Id);

/// The derived state of an inspection (status, overdue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InspectionStateOf(pub i32);

/// Supervision records are read from SQL.
impl Held for InspectionStateOf {
    type Value = InspectionState;
    fn held(&self, _: &View) -> Option<Self::Value> {
        None
    }
}

impl Held for DocumentStateOf {
    type Value = DocumentState;
    fn held(&self, _: &View) -> Option<Self::Value> {
        None
    }
}

impl Loader<InspectionStateOf> for ListLoader {
    type Value = InspectionState;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[InspectionStateOf],
    ) -> Result<HashMap<InspectionStateOf, Self::Value>, Self::Error> {
        let ids: Vec<i32> = keys.iter().map(|key| key.0).collect();
        let states = cases::inspection_states(&self.db, &ids, self.clock.today()).await?;
        Ok(states
            .into_iter()
            .map(|(id, state)| (InspectionStateOf(id), state))
            .collect())
    }
}

/// The derived state of a document (status, deadlines, overdue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DocumentStateOf(pub i32);

impl Loader<DocumentStateOf> for ListLoader {
    type Value = DocumentState;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[DocumentStateOf],
    ) -> Result<HashMap<DocumentStateOf, Self::Value>, Self::Error> {
        let documents = supervision_document::Entity::find()
            .filter(one_of(
                self.db.get_database_backend(),
                supervision_document::Column::Id,
                keys.iter().map(|key| key.0),
            ))
            .all(&self.db)
            .await?;
        let states = cases::document_states(&self.db, &documents, self.clock.today()).await?;
        Ok(states
            .into_iter()
            .map(|(id, state)| (DocumentStateOf(id), state))
            .collect())
    }
}
