//! Boundary matters (管理事项): create (with its lead), update (and move), remove. A matter
//! not marked disputed has exactly one LEAD division, so a new one comes with its lead.

use crate::db::Write;
use entity::{boundary_matter, division, responsibility_list};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

use super::division::{check_one_lead, department_name};
use super::versioned::{Operations, Versioned, versioned_names};
use super::{given_text, require_editor_of};
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
    /// The lead division a new matter comes with (on create only).
    pub lead: Option<Lead>,
}

/// The lead division a new matter comes with.
#[derive(Clone, Debug)]
pub struct Lead {
    pub department_id: i32,
    /// 职责分工.
    pub text: String,
}

const WHAT: &str = "the matter (管理事项)";

/// The matter, once the caller is known to edit the list it belongs to (its owner's editor).
pub(super) async fn editable_matter(
    txn: &Write,
    viewer: &Viewer,
    matter_id: i32,
) -> Result<boundary_matter::Model, Failure> {
    let matter = boundary_matter::Entity::locate(txn, matter_id).await?;
    boundary_matter::Entity::require_editor(txn, viewer, &matter).await?;
    Ok(matter)
}

/// The draft's copy of matter `id`; no copy is refused on input `field`.
pub(super) async fn in_draft_matter(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    field: &str,
    id: i32,
) -> Result<boundary_matter::Model, Failure> {
    let (code, what) = boundary_matter::Entity::UNKNOWN;
    super::in_draft::<boundary_matter::Entity>(txn, clock, field, id, code, what).await
}

impl Versioned for boundary_matter::Entity {
    type Fields = MatterFields;
    /// The list it belongs to.
    type Parent = i32;

    versioned_names!(
        MatterUnknown,
        "matter",
        "createBoundaryMatter",
        "updateBoundaryMatter",
        "removeBoundaryMatter"
    );

    fn snapshot(m: &boundary_matter::Model) -> Value {
        json!({ "seq": m.seq, "publishedSeq": m.published_seq, "title": m.title,
                "disputed": m.disputed })
    }

    /// A matter is named by `matterId` wherever it is edited through.
    async fn locate(txn: &Write, id: i32) -> Result<boundary_matter::Model, Failure> {
        let (code, what) = (RuleCode::MatterUnknown, "matter");
        crate::domain::named::<boundary_matter::Entity>(txn, id, "matterId", code, what).await
    }

    async fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &boundary_matter::Model,
    ) -> Result<(), Failure> {
        let owner = responsibility_list::Entity::find_by_id(row.list_id)
            .one(txn)
            .await?
            .map(|l| l.owner_department_id)
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("responsibility_list".into()))?;
        require_editor_of(txn, viewer, owner).await
    }

    async fn check(
        _: &Write,
        _: &Viewer,
        _: &boundary_matter::Model,
        f: &MatterFields,
    ) -> Result<(), Failure> {
        given_text("title", f.title.as_deref(), WHAT)
    }

    /// Marking it not disputed requires it to have exactly one lead.
    async fn set(
        txn: &Write,
        before: &boundary_matter::Model,
        f: MatterFields,
    ) -> Result<(), Failure> {
        let mut row: boundary_matter::ActiveModel = before.clone().into();
        if let Some(title) = f.title {
            row.title = Set(title);
        }
        if let Some(disputed) = f.disputed {
            row.disputed = Set(disputed);
        }
        let updated = row.update(txn).await?;
        check_one_lead(txn, &updated).await
    }

    async fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        list_id: i32,
        f: &MatterFields,
    ) -> Result<(boundary_matter::ActiveModel, Vec<i32>), Failure> {
        crate::domain::versions::owner_check(txn, viewer, list_id).await?;
        let mut checks = Checks::default();
        checks.require_text("title", f.title.as_deref().unwrap_or(""), WHAT);
        let disputed = f.disputed.unwrap_or(false);
        match &f.lead {
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
        let version = draft_of(txn, list_id, clock).await?;
        let order = siblings(txn, version).await?;
        let seq = order.len() as i32 + 1;
        let row = boundary_matter::ActiveModel {
            list_id: Set(list_id),
            version_id: Set(version),
            seq: Set(seq),
            published_seq: Set(seq.to_string()),
            title: Set(f.title.clone().unwrap_or_default()),
            disputed: Set(disputed),
            ..Default::default()
        };
        Ok((row, order))
    }

    /// Its lead division, unless it is disputed.
    async fn created(
        txn: &Write,
        matter: &boundary_matter::Model,
        f: MatterFields,
    ) -> Result<(), Failure> {
        let Some(lead) = f.lead else {
            return Ok(());
        };
        let division = division::ActiveModel {
            matter_id: Set(matter.id),
            version_id: Set(matter.version_id),
            department_id: Set(lead.department_id),
            seq: Set(1),
            published_department_name: Set(department_name(txn, lead.department_id).await?),
            role: Set(DivisionRole::Lead.as_str().to_owned()),
            text: Set(lead.text),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        start_lineage(txn, "division", division.id).await?;
        Ok(())
    }

    async fn siblings(txn: &Write, row: &boundary_matter::Model) -> Result<Vec<i32>, Failure> {
        siblings(txn, row.version_id).await
    }
}

/// The matters of a version of the list, in published order.
async fn siblings(txn: &Write, version: i32) -> Result<Vec<i32>, Failure> {
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
