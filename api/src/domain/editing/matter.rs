//! Boundary matters (管理事项): create (with its lead), update (and move), remove. A matter
//! not marked disputed has exactly one LEAD division, so a new one comes with its lead.

use crate::db::Write;
use entity::{boundary_matter, division, responsibility_list};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::division::{check_one_lead, department_name, editable_matter, in_draft_matter};
use super::{Edit, commit, place, require_editor_of, resequence};
use crate::auth::Viewer;
use crate::domain::kinds::DivisionRole;
use crate::domain::rules::Checks;
use crate::domain::versions::{draft_of, start_lineage};
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a matter; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct MatterFields {
    /// 管理事项.
    pub title: Option<String>,
    /// Shared without a single lead (争议事项).
    pub disputed: Option<bool>,
    /// 1-based place among the list's matters.
    pub position: Option<i32>,
}

/// The lead division a new matter comes with.
#[derive(Clone, Debug)]
pub struct Lead {
    pub department_id: i32,
    /// 职责分工.
    pub text: String,
}

fn snapshot(m: &boundary_matter::Model) -> Value {
    json!({ "seq": m.seq, "publishedSeq": m.published_seq, "title": m.title, "disputed": m.disputed })
}

/// Adds a matter to list `list_id` at `position` (default: last), with its `lead` division
/// unless it is disputed.
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    list_id: i32,
    f: MatterFields,
    lead: Option<Lead>,
) -> Result<boundary_matter::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let Some(list) = responsibility_list::Entity::find_by_id(list_id)
        .one(&txn)
        .await?
    else {
        return Err(Failure::rule(
            "listId",
            RuleCode::ListUnknown,
            "no such list",
        ));
    };
    require_editor_of(&txn, viewer, list.owner_department_id).await?;
    let mut checks = Checks::default();
    checks.require_text(
        "title",
        f.title.as_deref().unwrap_or(""),
        "the matter (管理事项)",
    );
    let disputed = f.disputed.unwrap_or(false);
    match &lead {
        Some(lead) => {
            checks.require_text("lead.text", &lead.text, "the lead's division (职责分工)")
        }
        None if !disputed => checks.add(
            "lead",
            RuleCode::LeadCount,
            "a matter not marked disputed needs its LEAD division",
        ),
        None => {}
    }
    checks.finish()?;
    let lead_name = match &lead {
        Some(lead) => Some(department_name(&txn, lead.department_id).await?),
        None => None,
    };
    let version = draft_of(&txn, list_id, clock).await?;
    let order = siblings(&txn, version).await?;
    let seq = order.len() as i32 + 1;
    let saved = boundary_matter::ActiveModel {
        list_id: Set(list_id),
        version_id: Set(version),
        seq: Set(seq),
        published_seq: Set(seq.to_string()),
        title: Set(f.title.unwrap_or_default()),
        disputed: Set(disputed),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    start_lineage(&txn, "boundary_matter", saved.id).await?;
    if let (Some(lead), Some(name)) = (lead, lead_name) {
        let division = division::ActiveModel {
            matter_id: Set(saved.id),
            version_id: Set(version),
            department_id: Set(lead.department_id),
            seq: Set(1),
            published_department_name: Set(name),
            role: Set(DivisionRole::Lead.as_str().to_owned()),
            text: Set(lead.text),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        start_lineage(&txn, "division", division.id).await?;
    }
    place(&txn, "boundary_matter", order, saved.id, f.position).await?;
    let saved = reload(&txn, saved.id).await?;
    commit(
        txn,
        clock,
        Edit::created(
            &actor,
            "createBoundaryMatter",
            "boundary_matter",
            saved.id,
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves the matter. Marking it not disputed
/// requires it to have exactly one lead.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: MatterFields,
) -> Result<boundary_matter::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = editable_matter(&txn, viewer, id).await?;
    let mut checks = Checks::default();
    if let Some(title) = &f.title {
        checks.require_text("title", title, "the matter (管理事项)");
    }
    checks.finish()?;
    let before = in_draft_matter(&txn, clock, "id", before.id).await?;
    let id = before.id;
    let mut row: boundary_matter::ActiveModel = before.clone().into();
    if let Some(title) = f.title {
        row.title = Set(title);
    }
    if let Some(disputed) = f.disputed {
        row.disputed = Set(disputed);
    }
    let updated = row.update(&txn).await?;
    check_one_lead(&txn, &updated).await?;
    if f.position.is_some() {
        let order = siblings(&txn, before.version_id).await?;
        place(&txn, "boundary_matter", order, id, f.position).await?;
    }
    let saved = reload(&txn, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updateBoundaryMatter",
            "boundary_matter",
            id,
            snapshot(&before),
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a matter with its divisions, legal bases and cases; later matters move up one.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<boundary_matter::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = editable_matter(&txn, viewer, id).await?;
    let before = in_draft_matter(&txn, clock, "id", before.id).await?;
    boundary_matter::Entity::delete_by_id(before.id)
        .exec(&txn)
        .await?;
    let order = siblings(&txn, before.version_id).await?;
    resequence(&txn, "boundary_matter", &order).await?;
    commit(
        txn,
        clock,
        Edit::removed(
            &actor,
            "removeBoundaryMatter",
            "boundary_matter",
            before.id,
            snapshot(&before),
        ),
    )
    .await?;
    Ok(before)
}

async fn reload(txn: &impl ConnectionTrait, id: i32) -> Result<boundary_matter::Model, Failure> {
    super::reload::<boundary_matter::Entity>(txn, id).await
}

/// The matters of a version of the list, in published order.
async fn siblings(txn: &impl ConnectionTrait, version: i32) -> Result<Vec<i32>, Failure> {
    use boundary_matter::Column;
    super::ordered::<boundary_matter::Entity>(
        txn,
        Column::Id,
        Column::VersionId,
        version,
        Column::Seq,
    )
    .await
}
