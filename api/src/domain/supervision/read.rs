//! Reading supervision results: who may see what, filters over derived status, and the
//! annual assessment (工作考核) figures.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use entity::{
    accountability, finding, inspection, rectification, review_request, supervision_document,
    supervision_regime,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Order,
    QueryFilter, QueryOrder, Select, Statement,
};

use super::along::Along;
use super::cases::document_states;
use super::status::CaseStatus;
use super::status_query::OpenWindows;
use super::submitted::{Pages, ParentRows, Submitted};
use crate::auth::{Role, Viewer};
use crate::db::by_position::{self, ByPosition};
use crate::db::one_of;
use crate::error::ApiError;

/// Whose results a caller may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A unit reads only what concerns its own department.
    Department(i32),
}

impl Scope {
    /// The one department a unit's scope is limited to.
    fn department(self) -> Option<i32> {
        match self {
            Self::All => None,
            Self::Department(dept) => Some(dept),
        }
    }
}

pub fn read_scope(viewer: &Viewer) -> Result<Scope, ApiError> {
    viewer.subject()?;
    if viewer.has(Role::Admin) || viewer.has(Role::Supervisor) {
        return Ok(Scope::All);
    }
    match (viewer.has(Role::Unit), viewer.dept) {
        (true, Some(dept)) => Ok(Scope::Department(dept)),
        _ => Err(ApiError::Forbidden {
            reason: "supervision results are for supervisors and the units concerned".into(),
        }),
    }
}

/// One supervision record, read by id.
pub enum Record {
    Inspection(inspection::Model),
    Document(supervision_document::Model),
    Rectification(rectification::Model),
    Review(review_request::Model),
    Accountability(accountability::Model),
}

/// Which kind of record an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Inspection,
    Document,
    Rectification,
    Review,
    Accountability,
}

/// Record `id` of `kind`, when `scope` may read it: a unit reads only the records of
/// inspections of its own department, whatever it asks for them by.
pub async fn record(
    db: &DatabaseConnection,
    scope: Scope,
    kind: RecordKind,
    id: i32,
) -> Result<Option<Record>, DbErr> {
    async fn document_inspection(db: &DatabaseConnection, id: i32) -> Result<Option<i32>, DbErr> {
        Ok(supervision_document::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|d| d.inspection_id))
    }
    let found = match kind {
        RecordKind::Inspection => inspection::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| (m.id, Record::Inspection(m))),
        RecordKind::Document => supervision_document::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| (m.inspection_id, Record::Document(m))),
        RecordKind::Rectification => match rectification::Entity::find_by_id(id).one(db).await? {
            Some(m) => document_inspection(db, m.document_id)
                .await?
                .map(|of| (of, Record::Rectification(m))),
            None => None,
        },
        RecordKind::Review => match review_request::Entity::find_by_id(id).one(db).await? {
            Some(m) => document_inspection(db, m.document_id)
                .await?
                .map(|of| (of, Record::Review(m))),
            None => None,
        },
        RecordKind::Accountability => accountability::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| (m.inspection_id, Record::Accountability(m))),
    };
    let Some((of, record)) = found else {
        return Ok(None);
    };
    if let Scope::Department(dept) = scope {
        let target = inspection::Entity::find_by_id(of)
            .one(db)
            .await?
            .map(|i| i.target_department_id);
        if target != Some(dept) {
            return Ok(None);
        }
    }
    Ok(Some(record))
}

#[derive(Clone, Debug, Default)]
pub struct InspectionFilter {
    pub target_department_id: Option<i32>,
    pub regime_code: Option<String>,
    pub status: Option<CaseStatus>,
    pub overdue: Option<bool>,
    /// Period overlaps [from, to].
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The inspections `scope` may see that match `filter`, as one query: stored columns through
/// their indexes, the derived status (as of `today`) computed by the database.
pub async fn inspection_query(
    db: &impl ConnectionTrait,
    scope: Scope,
    filter: &InspectionFilter,
    today: NaiveDate,
) -> Result<Select<inspection::Entity>, DbErr> {
    let mut select = inspection::Entity::find();
    if let Scope::Department(dept) = scope {
        select = select.filter(inspection::Column::TargetDepartmentId.eq(dept));
    }
    if let Some(dept) = filter.target_department_id {
        select = select.filter(inspection::Column::TargetDepartmentId.eq(dept));
    }
    if let Some(code) = &filter.regime_code {
        let regimes = Query::select()
            .column(supervision_regime::Column::Id)
            .from(supervision_regime::Entity)
            .and_where(supervision_regime::Column::Code.eq(code.as_str()))
            .to_owned();
        select = select.filter(inspection::Column::RegimeId.in_subquery(regimes));
    }
    if let Some(from) = filter.from {
        select = select.filter(inspection::Column::PeriodEnd.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(inspection::Column::PeriodStart.lte(to));
    }
    if filter.status.is_some() || filter.overdue.is_some() {
        let windows = OpenWindows::load(db, today).await?;
        if let Some(status) = filter.status {
            select = select.filter(windows.inspection_is(status));
        }
        if let Some(overdue) = filter.overdue {
            select = select.filter(windows.inspection_overdue(overdue));
        }
    }
    Ok(select)
}

/// The inspections `scope` may see that match `filter`, oldest first.
pub async fn inspections(
    db: &DatabaseConnection,
    scope: Scope,
    filter: &InspectionFilter,
    today: NaiveDate,
) -> Result<Vec<inspection::Model>, DbErr> {
    inspection_query(db, scope, filter, today)
        .await?
        .order_by_asc(inspection::Column::Id)
        .all(db)
        .await
}

/// The inspections `statement` reads (all of their columns), by id in `order`: those the
/// process holds (`Submitted`) taken from there, by id, and only the others decoded, then
/// held. A page read whole brings along the relations its query selects (`Along`).
pub async fn held_inspections(
    db: &impl ConnectionTrait,
    submitted: &Submitted,
    statement: Statement,
    order: &Order,
    along: Along,
) -> Result<Vec<inspection::Model>, DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let page = postgres.then(|| Pages::key(&statement));
    // A page read lately whose rows are all still held most likely holds only those (or new
    // ones besides): on PostgreSQL it is asked for its ids alone (one row, from the index),
    // then for the rows not held. Any other page is read whole, in one statement.
    let last = page.and_then(|page| Some((page, submitted.pages.ids(page)?)));
    if let Some((page, last)) = last.filter(|(_, last)| submitted.inspections.holds_all(last)) {
        let ids = match db.query_one_raw(ids_of(statement)).await? {
            Some(row) => by_position::array::<i32>(&row, 0)?,
            None => Vec::new(),
        };
        if *last != ids[..] {
            submitted.pages.remember(page, &ids);
        }
        let (held, missing) = submitted.inspections.get_many(&ids);
        let mut read = HashMap::new();
        if !missing.is_empty() {
            let rest = inspection::Entity::find().filter(one_of(
                DbBackend::Postgres,
                inspection::Column::Id,
                missing,
            ));
            read.extend(
                by_position::all(db, rest)
                    .await?
                    .into_iter()
                    .map(|row| (row.id, row)),
            );
        }
        return held_or_decoded(submitted, &ids, held, |at| {
            read.remove(&ids[at])
                .ok_or_else(|| DbErr::RecordNotFound(format!("inspection {}", ids[at])))
        });
    }
    // Relations come along only where arrays exist, and only to be held.
    let along = Some(along).filter(|along| postgres && along.any() && submitted.keeps());
    let statement = match along {
        Some(along) => along.statement(statement, order),
        None => statement,
    };
    let read = db.query_all_raw(statement).await?;
    // `id` is the first of the entity's columns, which the page selects in order.
    let ids = (read.iter())
        .map(|row| by_position::column::<i32>(row, 0))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(page) = page {
        submitted.pages.remember(page, &ids);
    }
    if let Some(along) = along {
        for (row, &id) in read.iter().zip(&ids) {
            along.keep(submitted, id, row, inspection::Model::FIELDS.len())?;
        }
    }
    let held = submitted.inspections.get_many(&ids).0;
    held_or_decoded(submitted, &ids, held, |at| {
        inspection::Model::by_position(&read[at])
    })
}

/// The ids of the inspections `page` reads, in its order, as one PostgreSQL array: the
/// planner drops the columns not asked for, so the page is read from its index alone.
fn ids_of(page: Statement) -> Statement {
    let sql = format!(r#"SELECT array_agg(t."id") FROM ({}) AS t"#, page.sql);
    Statement { sql, ..page }
}

/// The inspections `ids`, in order: those `held` (as `Kept::get_many` found them, in order)
/// from there, the others by `decode` (the row at that position) and held from now on.
fn held_or_decoded(
    submitted: &Submitted,
    ids: &[i32],
    held: Vec<ParentRows<inspection::Model>>,
    mut decode: impl FnMut(usize) -> Result<inspection::Model, DbErr>,
) -> Result<Vec<inspection::Model>, DbErr> {
    let mut held = held.into_iter().peekable();
    let mut rows = Vec::with_capacity(ids.len());
    for (at, &id) in ids.iter().enumerate() {
        if let Some((_, kept)) = held.next_if(|(parent, _)| *parent == id) {
            rows.extend(kept.iter().cloned());
            continue;
        }
        let row = decode(at)?;
        submitted.inspections.keep(id, Arc::from([row.clone()]));
        rows.push(row);
    }
    Ok(rows)
}

/// The supervision documents `scope` may see: of the inspections of `target` when given, and
/// overdue (or not) today when asked.
pub async fn document_query(
    db: &impl ConnectionTrait,
    scope: Scope,
    target: Option<i32>,
    overdue: Option<bool>,
    today: NaiveDate,
) -> Result<Select<supervision_document::Entity>, DbErr> {
    let mut select = supervision_document::Entity::find();
    for dept in [target, scope.department()].into_iter().flatten() {
        let inspections = Query::select()
            .column(inspection::Column::Id)
            .from(inspection::Entity)
            .and_where(inspection::Column::TargetDepartmentId.eq(dept))
            .to_owned();
        select = select.filter(supervision_document::Column::InspectionId.in_subquery(inspections));
    }
    if let Some(overdue) = overdue {
        let windows = OpenWindows::load(db, today).await?;
        select = select.filter(windows.document_overdue(overdue));
    }
    Ok(select)
}

/// Figures for the annual assessment of one unit (or all) over a period.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub inspections: usize,
    /// Findings by outcome (COMPLIANT, NONCOMPLIANT, NOT_CHECKED).
    pub findings_by_outcome: BTreeMap<String, usize>,
    /// Findings per checklist item: item id → outcome → count.
    pub findings_by_item: BTreeMap<i32, BTreeMap<String, usize>>,
    /// Documents by kind (NOTICE, DECISION).
    pub documents_by_kind: BTreeMap<String, usize>,
    pub overdue_rectifications: usize,
    pub rectified: usize,
    /// Reviews by outcome; PENDING for undecided ones.
    pub reviews_by_outcome: BTreeMap<String, usize>,
    pub reviews_decided_late: usize,
}

pub async fn stats(
    db: &DatabaseConnection,
    scope: Scope,
    filter: &InspectionFilter,
    today: NaiveDate,
) -> Result<Stats, DbErr> {
    let rows = inspections(db, scope, filter, today).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut stats = Stats {
        inspections: rows.len(),
        ..Default::default()
    };
    for finding in finding::Entity::find()
        .filter(finding::Column::InspectionId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        *stats
            .findings_by_outcome
            .entry(finding.outcome.clone())
            .or_default() += 1;
        *stats
            .findings_by_item
            .entry(finding.item_id)
            .or_default()
            .entry(finding.outcome)
            .or_default() += 1;
    }
    let documents = supervision_document::Entity::find()
        .filter(supervision_document::Column::InspectionId.is_in(ids))
        .all(db)
        .await?;
    let states = document_states(db, &documents, today).await?;
    for document in &documents {
        *stats
            .documents_by_kind
            .entry(document.kind.clone())
            .or_default() += 1;
        let state = &states[&document.id];
        stats.overdue_rectifications += usize::from(state.overdue);
        stats.rectified += usize::from(state.status == CaseStatus::Rectified);
        stats.reviews_decided_late += usize::from(state.decided_late);
    }
    let reviews: HashMap<i32, review_request::Model> = review_request::Entity::find()
        .filter(review_request::Column::DocumentId.is_in(documents.iter().map(|d| d.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    for review in reviews.values() {
        let outcome = review
            .outcome
            .clone()
            .unwrap_or_else(|| "PENDING".to_owned());
        *stats.reviews_by_outcome.entry(outcome).or_default() += 1;
    }
    Ok(stats)
}
