//! DataLoaders for every relation of the list, so a nested query costs one SQL statement per
//! relation and level, whatever the number of parents. One loader per request: nothing is
//! cached across requests, so a write is visible to the next request.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{
    accountability, accountability_item, boundary_case, boundary_matter, department,
    department_alias, division, duty, finding, inspection, inspection_method, inspector,
    legal_basis, public_service, rectification, regime_item, regime_section, review_request,
    supervision_document, supervision_regime, work_item,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use chrono::NaiveDate;

use crate::domain::clock::SharedClock;
use crate::domain::supervision::cases::{self, DocumentState, InspectionState};
use crate::domain::versions;

pub struct ListLoader {
    db: DatabaseConnection,
    /// Derived states (status, overdue) are judged as of this clock's today.
    clock: SharedClock,
    /// The list versions in force, by day, shared by the process…
    in_force: Arc<versions::InForce>,
    /// …and as this request first read them, so one request answers from one set.
    read: tokio::sync::Mutex<HashMap<NaiveDate, Vec<i32>>>,
}

impl ListLoader {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        in_force: Arc<versions::InForce>,
    ) -> Self {
        Self {
            db,
            clock,
            in_force,
            read: Default::default(),
        }
    }

    /// The list versions in force on `day` (see `versions::InForce`): read once per data
    /// version and day by the process, and once per request from there.
    pub async fn in_force(&self, day: NaiveDate) -> Result<Vec<i32>, DbErr> {
        let mut read = self.read.lock().await;
        if let Some(ids) = read.get(&day) {
            return Ok(ids.clone());
        }
        let ids = self.in_force.get(&self.db, day).await?.to_vec();
        read.insert(day, ids.clone());
        Ok(ids)
    }
}

/// `$key(parent id)` loads the `$entity` rows whose `$column` is that id, in `$order`.
macro_rules! has_many {
    (@key optional $value:expr, |$parent:ident| $body:expr) => {{ if let Some($parent) = $value { $body; } }};
    (@key $value:expr, |$parent:ident| $body:expr) => {{ let $parent = $value; $body; }};
    ($(#[$doc:meta])* $key:ident => $entity:ident by $column:ident ($field:ident $($opt:ident)?) order $order:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for ListLoader {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(keys.iter().map(|key| key.0)))
                    .order_by_asc($entity::Column::$order)
                    .order_by_asc($entity::Column::Id)
                    .all(&self.db)
                    .await?;
                let mut grouped: HashMap<$key, Self::Value> = HashMap::new();
                for row in rows {
                    has_many!(@key $($opt)? row.$field, |parent| grouped.entry($key(parent)).or_default().push(row));
                }
                Ok(grouped)
            }
        }
    };
}

/// `$key(parent id, day)` loads the `$entity` rows whose `$column` is that id, of the list
/// versions in force on that day, in `$order`: the list as a reader saw it then.
macro_rules! in_force_has_many {
    ($(#[$doc:meta])* $key:ident => $entity:ident by $column:ident ($field:ident) order $order:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32, pub NaiveDate);

        impl Loader<$key> for ListLoader {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let mut grouped: HashMap<$key, Self::Value> = HashMap::new();
                let days: BTreeSet<NaiveDate> = keys.iter().map(|key| key.1).collect();
                for day in days {
                    let in_force = self.in_force(day).await?;
                    let parents = keys.iter().filter(|key| key.1 == day).map(|key| key.0);
                    let rows = $entity::Entity::find()
                        .filter($entity::Column::$column.is_in(parents))
                        .filter($entity::Column::VersionId.is_in(in_force))
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

/// `$key(id)` loads one `$entity` row by primary key.
macro_rules! by_id {
    ($key:ident => $entity:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for ListLoader {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|key| key.0)))
                    .all(&self.db)
                    .await?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }
    };
}

by_id!(DepartmentById => department);
by_id!(DutyById => duty);
by_id!(MatterById => boundary_matter);
by_id!(DivisionById => division);
by_id!(RegimeById => supervision_regime);
by_id!(SectionById => regime_section);

has_many!(AliasesOf => department_alias by DepartmentId (department_id) order Id);
has_many!(/// Internal units of a department.
    UnitsOf => department by ParentId (parent_id optional) order Id);
in_force_has_many!(DutiesOf => duty by DepartmentId (department_id) order Seq);
has_many!(WorkItemsOf => work_item by DutyId (duty_id) order Seq);
in_force_has_many!(DivisionsOfDepartment => division by DepartmentId (department_id) order MatterId);
has_many!(DivisionsOfMatter => division by MatterId (matter_id) order Seq);
has_many!(LegalBasesOfMatter => legal_basis by MatterId (matter_id) order Seq);
has_many!(LegalBasesOfDivision => legal_basis by DivisionId (division_id optional) order Seq);
has_many!(CasesOfMatter => boundary_case by MatterId (matter_id) order Seq);
has_many!(CasesOfDivision => boundary_case by DivisionId (division_id optional) order Seq);
in_force_has_many!(ServicesOfUnit => public_service by UnitId (unit_id) order Seq);
has_many!(SectionsOf => regime_section by RegimeId (regime_id) order Seq);
has_many!(ItemsOfSection => regime_item by SectionId (section_id) order Seq);
has_many!(ChildrenOfItem => regime_item by ParentId (parent_id optional) order Seq);

by_id!(InspectionById => inspection);
by_id!(RegimeItemById => regime_item);
by_id!(DocumentById => supervision_document);

has_many!(InspectorsOf => inspector by InspectionId (inspection_id) order Seq);
has_many!(FindingsOf => finding by InspectionId (inspection_id) order Id);
has_many!(MethodsOf => inspection_method by InspectionId (inspection_id) order Id);
has_many!(DocumentsOf => supervision_document by InspectionId (inspection_id) order Id);
has_many!(RectificationsOf => rectification by DocumentId (document_id) order Id);
has_many!(ReviewsOf => review_request by DocumentId (document_id) order Id);
has_many!(AccountabilitiesOf => accountability by InspectionId (inspection_id) order Id);
has_many!(AccountabilityItemsOf => accountability_item by AccountabilityId (accountability_id) order Id);

/// The derived state of an inspection (status, overdue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InspectionStateOf(pub i32);

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
            .filter(supervision_document::Column::Id.is_in(keys.iter().map(|key| key.0)))
            .all(&self.db)
            .await?;
        let states = cases::document_states(&self.db, &documents, self.clock.today()).await?;
        Ok(states
            .into_iter()
            .map(|(id, state)| (DocumentStateOf(id), state))
            .collect())
    }
}
