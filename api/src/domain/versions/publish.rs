//! Publishing a draft as the list's next version, or discarding it.

use chrono::NaiveDate;
use entity::{list_version, responsibility_list};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;

use super::{TABLES, all, diff, draft, is_draft};
use crate::auth::Viewer;
use crate::db::Write;
use crate::domain::editing::require_editor_of;
use crate::domain::kinds::ReasonKind;
use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode, audit, clock::Clock};

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
        crate::domain::named::<responsibility_list::Entity>(db, list_id, "listId", code, what)
            .await?;
    require_editor_of(db, viewer, list.owner_department_id).await?;
    Ok(list)
}
