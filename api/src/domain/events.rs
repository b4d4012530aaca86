//! The outbox: what a write did, for integrations. Every write use case appends its event
//! here on its own transaction, next to its audit entry, so an event exists exactly when
//! its write committed. Webhook deliveries are queued in the same transaction (one row per
//! endpoint that asked for the event); subscriptions read the table itself.
//!
//! Ids follow commit order: the append runs while the write holds the data version's row
//! lock (`db::Write`), so no later-committing write can have handed out a smaller id.

use chrono::Utc;
use entity::{event, inspection, responsibility_list, review_request, supervision_document};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, DbErr, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::auth::{Role, Viewer};

/// The closed vocabulary of events — 事件类型.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    ListVersionPublished,
    ListDraftDiscarded,
    DepartmentReorganised,
    InspectionSubmitted,
    SupervisionDocumentIssued,
    RectificationReported,
    ReviewRequested,
    ReviewDecided,
    AccountabilityRecorded,
    LexiconChanged,
    MisrouteReported,
}

/// Who may hear of an event: the readers of what it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The published list, departments and the lexicon: anyone.
    Public,
    /// Supervision results: supervisors, administrators, and the units concerned.
    Supervision,
    /// Drafts: their editors and administrators.
    Drafts,
    /// Dispatchers' corrections: dispatchers and administrators.
    Misroutes,
}

impl EventType {
    pub const ALL: [Self; 11] = [
        Self::ListVersionPublished,
        Self::ListDraftDiscarded,
        Self::DepartmentReorganised,
        Self::InspectionSubmitted,
        Self::SupervisionDocumentIssued,
        Self::RectificationReported,
        Self::ReviewRequested,
        Self::ReviewDecided,
        Self::AccountabilityRecorded,
        Self::LexiconChanged,
        Self::MisrouteReported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListVersionPublished => "LIST_VERSION_PUBLISHED",
            Self::ListDraftDiscarded => "LIST_DRAFT_DISCARDED",
            Self::DepartmentReorganised => "DEPARTMENT_REORGANISED",
            Self::InspectionSubmitted => "INSPECTION_SUBMITTED",
            Self::SupervisionDocumentIssued => "SUPERVISION_DOCUMENT_ISSUED",
            Self::RectificationReported => "RECTIFICATION_REPORTED",
            Self::ReviewRequested => "REVIEW_REQUESTED",
            Self::ReviewDecided => "REVIEW_DECIDED",
            Self::AccountabilityRecorded => "ACCOUNTABILITY_RECORDED",
            Self::LexiconChanged => "LEXICON_CHANGED",
            Self::MisrouteReported => "MISROUTE_REPORTED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    pub fn audience(self) -> Audience {
        match self {
            Self::ListVersionPublished | Self::DepartmentReorganised | Self::LexiconChanged => {
                Audience::Public
            }
            Self::ListDraftDiscarded => Audience::Drafts,
            Self::MisrouteReported => Audience::Misroutes,
            _ => Audience::Supervision,
        }
    }
}

/// The departments an event concerns (row ids), as stored.
pub fn departments(row: &event::Model) -> Vec<i32> {
    serde_json::from_value(row.departments.clone()).unwrap_or_default()
}

/// Whether `viewer` may hear of `row`: as they may read what it is about.
pub fn visible(viewer: &Viewer, row: &event::Model) -> bool {
    let Some(kind) = EventType::parse(&row.kind) else {
        return false;
    };
    let admin = viewer.sub.is_some() && viewer.has(Role::Admin);
    let concerns_own = || {
        viewer
            .dept
            .is_some_and(|dept| departments(row).contains(&dept))
    };
    match kind.audience() {
        Audience::Public => true,
        _ if admin => true,
        Audience::Supervision => {
            viewer.sub.is_some()
                && (viewer.has(Role::Supervisor) || (viewer.has(Role::Unit) && concerns_own()))
        }
        Audience::Drafts => viewer.sub.is_some() && viewer.has(Role::Editor) && concerns_own(),
        Audience::Misroutes => {
            viewer.sub.is_some() && viewer.require_any(super::misroute::READERS).is_ok()
        }
    }
}

/// The opaque global id clients know a row by: `ids`, the one encoding every layer uses.
pub use crate::ids::encode as global_id;

/// The channel each replica listens on for new events; the payload is the event's id.
pub const CHANNEL: &str = "qingdan_events";

/// What a write appends.
pub struct NewEvent {
    pub kind: EventType,
    /// The GraphQL type and row id of what it is about.
    pub subject: (&'static str, i32),
    pub departments: Vec<i32>,
    pub payload: Value,
}

/// Appends `new` and queues its delivery to every enabled endpoint that asked for it, in
/// `txn`; on PostgreSQL every replica hears of it when `txn` commits.
///
/// Every write pays for this, so it costs one statement on PostgreSQL (the event, its
/// deliveries and the announcement) and two on SQLite: the endpoints are chosen by the
/// database (`APPEND_PG`, `QUEUE_SQLITE`), never read into the writer.
pub async fn append(txn: &impl ConnectionTrait, new: NewEvent) -> Result<i32, DbErr> {
    let now = Utc::now();
    let mut departments = new.departments;
    departments.sort_unstable();
    departments.dedup();
    let listed = json!(departments);
    let backend = txn.get_database_backend();
    let kind = new.kind.as_str();
    if backend == DbBackend::Postgres {
        let values: [sea_orm::Value; 9] = [
            kind.into(),
            now.into(),
            new.subject.0.into(),
            new.subject.1.into(),
            listed.into(),
            new.payload.into(),
            departments.into(),
            PENDING.into(),
            CHANNEL.into(),
        ];
        let appended = txn
            .query_one_raw(Statement::from_sql_and_values(backend, APPEND_PG, values))
            .await?
            .ok_or(DbErr::RecordNotInserted)?;
        return appended.try_get_by_index::<i32>(0);
    }
    let id = event::Entity::insert(event::ActiveModel {
        kind: Set(kind.to_owned()),
        occurred_at: Set(now),
        subject_type: Set(new.subject.0.to_owned()),
        subject_id: Set(new.subject.1),
        departments: Set(listed.clone()),
        payload: Set(new.payload),
        ..Default::default()
    })
    .exec(txn)
    .await?
    .last_insert_id;
    let values: [sea_orm::Value; 5] = [
        id.into(),
        PENDING.into(),
        now.into(),
        kind.into(),
        listed.to_string().into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        QUEUE_SQLITE,
        values,
    ))
    .await?;
    Ok(id)
}

/// The event appended, a delivery queued for each endpoint that asked for it, and its id
/// announced, on PostgreSQL. An endpoint asked for it when it is enabled, its event types name
/// the event's (stored types that are not an array name none, rather than fail the write), and it
/// is for any department or one the event concerns. $1 the event's type, $2 its time, $3–$6
/// the rest of its row, $7 its departments, $8 the delivery's first status, $9 the channel.
/// The event's id comes back.
const APPEND_PG: &str = r#"WITH appended AS (
    INSERT INTO "event" ("kind", "occurred_at", "subject_type", "subject_id", "departments", "payload")
    VALUES ($1, $2, $3, $4, $5, $6) RETURNING "id"
), queued AS (
    INSERT INTO "webhook_delivery" ("webhook_id", "event_id", "status", "attempts", "created_at")
    SELECT w."id", a."id", $8, 0, $2 FROM "webhook" w, appended a
    WHERE w."enabled"
      AND EXISTS (SELECT 1 FROM json_array_elements_text(
          CASE json_typeof(w."event_types") WHEN 'array' THEN w."event_types" ELSE '[]' END) t
        WHERE t = $1)
      AND (w."department_id" IS NULL OR w."department_id" = ANY($7))
)
SELECT "id", pg_notify($9, "id"::text) FROM appended"#;

/// The same choice of endpoints on SQLite, for an event already appended: the event's id, the
/// delivery's first status, the time, the event's type and its departments (a JSON array).
const QUEUE_SQLITE: &str = r#"INSERT INTO "webhook_delivery" ("webhook_id", "event_id", "status", "attempts", "created_at")
SELECT w."id", ?1, ?2, 0, ?3 FROM "webhook" w
WHERE w."enabled"
  AND EXISTS (SELECT 1 FROM json_each(
      CASE json_type(w."event_types") WHEN 'array' THEN w."event_types" ELSE '[]' END) t
    WHERE t.value = ?4)
  AND (w."department_id" IS NULL OR w."department_id" IN (SELECT value FROM json_each(?5)))"#;

/// A delivery not yet made (first attempt or a retry).
pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
/// Attempts exhausted: left for an administrator to redeliver.
pub const DEAD: &str = "DEAD";

// One constructor per use case, called next to its audit entry.

pub async fn list_version_published(
    txn: &impl ConnectionTrait,
    version: &entity::list_version::Model,
) -> Result<i32, DbErr> {
    let owner = list_owner(txn, version.list_id).await?;
    append(
        txn,
        NewEvent {
            kind: EventType::ListVersionPublished,
            subject: ("ListVersion", version.id),
            departments: owner.into_iter().collect(),
            payload: json!({
                "listId": global_id("ResponsibilityList", version.list_id),
                "number": version.number, "effectiveFrom": version.effective_from,
                "reasonKind": version.reason_kind,
            }),
        },
    )
    .await
}

pub async fn list_draft_discarded(
    txn: &impl ConnectionTrait,
    draft: &entity::list_version::Model,
) -> Result<i32, DbErr> {
    let owner = list_owner(txn, draft.list_id).await?;
    append(
        txn,
        NewEvent {
            kind: EventType::ListDraftDiscarded,
            subject: ("ListVersion", draft.id),
            departments: owner.into_iter().collect(),
            payload: json!({ "listId": global_id("ResponsibilityList", draft.list_id) }),
        },
    )
    .await
}

pub async fn department_reorganised(
    txn: &impl ConnectionTrait,
    department: &entity::department::Model,
    kind: &str,
    effective_from: chrono::NaiveDate,
) -> Result<i32, DbErr> {
    let mut concerned = vec![department.id];
    concerned.extend(department.successor_id);
    concerned.extend(department.parent_id);
    append(
        txn,
        NewEvent {
            kind: EventType::DepartmentReorganised,
            subject: ("Department", department.id),
            departments: concerned,
            payload: json!({
                "kind": kind, "effectiveFrom": effective_from, "name": department.name,
                "successorId": department.successor_id.map(|id| global_id("Department", id)),
            }),
        },
    )
    .await
}

pub async fn inspection_submitted(
    txn: &impl ConnectionTrait,
    row: &inspection::Model,
    regime_code: &str,
) -> Result<i32, DbErr> {
    append(
        txn,
        NewEvent {
            kind: EventType::InspectionSubmitted,
            subject: ("Inspection", row.id),
            departments: vec![row.target_department_id],
            payload: json!({
                "regimeCode": regime_code,
                "targetDepartmentId": global_id("Department", row.target_department_id),
                "periodStart": row.period_start, "periodEnd": row.period_end,
            }),
        },
    )
    .await
}

pub async fn supervision_document_issued(
    txn: &impl ConnectionTrait,
    row: &supervision_document::Model,
) -> Result<i32, DbErr> {
    let target = inspection_target(txn, row.inspection_id).await?;
    append(
        txn,
        NewEvent {
            kind: EventType::SupervisionDocumentIssued,
            subject: ("SupervisionDocument", row.id),
            departments: target.into_iter().collect(),
            payload: json!({
                "inspectionId": global_id("Inspection", row.inspection_id),
                "kind": row.kind, "measure": row.measure, "issuedOn": row.issued_on,
                "executionDeadline": row.execution_deadline,
                "targetDepartmentId": target.map(|id| global_id("Department", id)),
            }),
        },
    )
    .await
}

pub async fn rectification_reported(
    txn: &impl ConnectionTrait,
    row: &entity::rectification::Model,
) -> Result<i32, DbErr> {
    let target = document_target(txn, row.document_id).await?;
    append(
        txn,
        NewEvent {
            kind: EventType::RectificationReported,
            subject: ("Rectification", row.id),
            departments: target.into_iter().collect(),
            payload: json!({
                "documentId": global_id("SupervisionDocument", row.document_id),
                "reportedOn": row.reported_on,
            }),
        },
    )
    .await
}

pub async fn review_requested(
    txn: &impl ConnectionTrait,
    row: &review_request::Model,
) -> Result<i32, DbErr> {
    review(txn, EventType::ReviewRequested, row).await
}

pub async fn review_decided(
    txn: &impl ConnectionTrait,
    row: &review_request::Model,
) -> Result<i32, DbErr> {
    review(txn, EventType::ReviewDecided, row).await
}

async fn review(
    txn: &impl ConnectionTrait,
    kind: EventType,
    row: &review_request::Model,
) -> Result<i32, DbErr> {
    let target = document_target(txn, row.document_id).await?;
    append(txn, NewEvent {
        kind,
        subject: ("ReviewRequest", row.id),
        departments: target.into_iter().collect(),
        payload: json!({
            "documentId": global_id("SupervisionDocument", row.document_id),
            "requestedOn": row.requested_on, "outcome": row.outcome, "decidedOn": row.decided_on,
        }),
    })
    .await
}

pub async fn accountability_recorded(
    txn: &impl ConnectionTrait,
    row: &entity::accountability::Model,
) -> Result<i32, DbErr> {
    let mut concerned: Vec<i32> = inspection_target(txn, row.inspection_id)
        .await?
        .into_iter()
        .collect();
    concerned.extend(row.department_id);
    append(
        txn,
        NewEvent {
            kind: EventType::AccountabilityRecorded,
            subject: ("Accountability", row.id),
            departments: concerned,
            payload: json!({
                "inspectionId": global_id("Inspection", row.inspection_id),
                "subjectKind": row.subject_kind,
                "departmentId": row.department_id.map(|id| global_id("Department", id)),
            }),
        },
    )
    .await
}

/// A lexicon entry set (`change` SET) or removed (REMOVED).
pub async fn lexicon_changed(
    txn: &impl ConnectionTrait,
    row: &entity::lexicon_entry::Model,
    change: &str,
) -> Result<i32, DbErr> {
    append(
        txn,
        NewEvent {
            kind: EventType::LexiconChanged,
            subject: ("LexiconEntry", row.id),
            departments: vec![],
            payload: json!({ "term": row.term, "change": change }),
        },
    )
    .await
}

pub async fn misroute_reported(
    txn: &impl ConnectionTrait,
    row: &entity::misroute::Model,
) -> Result<i32, DbErr> {
    let mut concerned = vec![row.correct_department_id];
    concerned.extend(row.suggested_department_id);
    append(txn, NewEvent {
        kind: EventType::MisrouteReported,
        subject: ("Misroute", row.id),
        departments: concerned,
        payload: json!({
            "correctDepartmentId": global_id("Department", row.correct_department_id),
            "suggestedDepartmentId": row.suggested_department_id.map(|id| global_id("Department", id)),
        }),
    })
    .await
}

async fn list_owner(db: &impl ConnectionTrait, list_id: i32) -> Result<Option<i32>, DbErr> {
    Ok(responsibility_list::Entity::find_by_id(list_id)
        .one(db)
        .await?
        .map(|list| list.owner_department_id))
}

async fn inspection_target(
    db: &impl ConnectionTrait,
    inspection_id: i32,
) -> Result<Option<i32>, DbErr> {
    Ok(inspection::Entity::find_by_id(inspection_id)
        .one(db)
        .await?
        .map(|row| row.target_department_id))
}

async fn document_target(
    db: &impl ConnectionTrait,
    document_id: i32,
) -> Result<Option<i32>, DbErr> {
    match supervision_document::Entity::find_by_id(document_id)
        .one(db)
        .await?
    {
        Some(document) => inspection_target(db, document.inspection_id).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type__names_round_trip() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::parse("list_version_published"), None);
    }
}
