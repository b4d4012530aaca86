//! Divisions of a boundary matter (职责分工): who does what in a shared matter. A matter not
//! marked disputed has exactly one LEAD division after every edit; `set_lead` moves the lead
//! in one step, since demoting the old lead first or promoting the new one first would each
//! break the rule on the way.

use crate::db::Write;
use entity::{boundary_case, boundary_matter, division, legal_basis};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};

use super::matter::{editable_matter, in_draft_matter};
use super::versioned::{Operations, Versioned, in_draft, versioned_names};
use super::{Edit, commit};
use super::{given_text, required_text};
use crate::auth::Viewer;
use crate::domain::kinds::DivisionRole;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets on a division; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct DivisionFields {
    pub department_id: Option<i32>,
    pub role: Option<DivisionRole>,
    /// 职责分工.
    pub text: Option<String>,
    /// 1-based place among the matter's divisions.
    pub position: Option<i32>,
}

const WHAT: &str = "the division (职责分工)";

/// Refuses the edit (the caller then drops the transaction) when it leaves a matter that is
/// not disputed without exactly one LEAD division.
pub(super) async fn check_one_lead(
    txn: &impl ConnectionTrait,
    matter: &boundary_matter::Model,
) -> Result<(), Failure> {
    if matter.disputed {
        return Ok(());
    }
    let leads = division::Entity::find()
        .filter(division::Column::MatterId.eq(matter.id))
        .filter(division::Column::Role.eq(DivisionRole::Lead.as_str()))
        .count(txn)
        .await?;
    if leads == 1 {
        return Ok(());
    }
    Err(Failure::rule(
        "role",
        RuleCode::LeadCount,
        format!(
            "「{}」 would have {leads} LEAD divisions: a matter has exactly one unless marked \
             disputed (setMatterLead moves the lead)",
            matter.title
        ),
    ))
}

pub(super) async fn department_name(db: &impl ConnectionTrait, id: i32) -> Result<String, Failure> {
    let found = crate::domain::department_named(db, id, "departmentId").await?;
    Ok(found.name)
}

/// DIVISION_EXISTS when department `department_id` already has a division (other than
/// `except`) on the draft's matter `matter_id`: a department has one row per matter.
async fn check_one_per_department(
    txn: &impl ConnectionTrait,
    matter_id: i32,
    department_id: i32,
    except: Option<i32>,
    name: &str,
) -> Result<(), Failure> {
    let mut query = division::Entity::find()
        .filter(division::Column::MatterId.eq(matter_id))
        .filter(division::Column::DepartmentId.eq(department_id));
    if let Some(id) = except {
        query = query.filter(division::Column::Id.ne(id));
    }
    if query.count(txn).await? > 0 {
        return Err(Failure::rule(
            "departmentId",
            RuleCode::DivisionExists,
            format!("{name} already has a division on this matter: change that one instead"),
        ));
    }
    Ok(())
}

impl Versioned for division::Entity {
    type Fields = DivisionFields;
    /// The boundary matter it divides.
    type Parent = i32;

    versioned_names!(
        DivisionUnknown,
        "division",
        "createDivision",
        "updateDivision",
        "removeDivision"
    );

    fn snapshot(d: &division::Model) -> Value {
        json!({ "matterId": d.matter_id, "departmentId": d.department_id, "seq": d.seq,
                "role": d.role, "text": d.text })
    }

    async fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &division::Model,
    ) -> Result<(), Failure> {
        editable_matter(txn, viewer, row.matter_id).await?;
        Ok(())
    }

    async fn check(
        _: &Write,
        _: &Viewer,
        _: &division::Model,
        f: &DivisionFields,
    ) -> Result<(), Failure> {
        given_text("text", f.text.as_deref(), WHAT)
    }

    async fn set(txn: &Write, before: &division::Model, f: DivisionFields) -> Result<(), Failure> {
        let mut row: division::ActiveModel = before.clone().into();
        if let Some(department_id) = f.department_id {
            let name = department_name(txn, department_id).await?;
            let (matter, id) = (before.matter_id, Some(before.id));
            check_one_per_department(txn, matter, department_id, id, &name).await?;
            row.published_department_name = Set(name);
            row.department_id = Set(department_id);
        }
        if let Some(role) = f.role {
            row.role = Set(role.as_str().to_owned());
        }
        if let Some(text) = f.text {
            row.text = Set(text);
        }
        row.update(txn).await?;
        Ok(())
    }

    async fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        matter_id: i32,
        f: &DivisionFields,
    ) -> Result<(division::ActiveModel, Vec<i32>), Failure> {
        let matter = editable_matter(txn, viewer, matter_id).await?;
        required_text("text", f.text.as_deref(), WHAT)?;
        let Some(department_id) = f.department_id else {
            return Err(Failure::rule(
                "departmentId",
                RuleCode::Required,
                "departmentId is required",
            ));
        };
        let name = department_name(txn, department_id).await?;
        let role = f.role.unwrap_or(DivisionRole::Assist);
        let matter = in_draft_matter(txn, clock, "matterId", matter.id).await?;
        check_one_per_department(txn, matter.id, department_id, None, &name).await?;
        let order = siblings(txn, matter.id).await?;
        let row = division::ActiveModel {
            matter_id: Set(matter.id),
            version_id: Set(matter.version_id),
            department_id: Set(department_id),
            seq: Set(order.len() as i32 + 1),
            published_department_name: Set(name),
            role: Set(role.as_str().to_owned()),
            text: Set(f.text.clone().unwrap_or_default()),
            ..Default::default()
        };
        Ok((row, order))
    }

    async fn siblings(txn: &Write, row: &division::Model) -> Result<Vec<i32>, Failure> {
        siblings(txn, row.matter_id).await
    }

    /// The legal bases and cases printed on its row stay with the matter, cited nowhere,
    /// until an editor cites them on another row or removes them: the consistency report
    /// lists them, so nothing the list cites disappears unseen.
    async fn release(txn: &Write, row: &division::Model) -> Result<(), Failure> {
        let uncited: Option<i32> = None;
        legal_basis::Entity::update_many()
            .col_expr(legal_basis::Column::DivisionId, uncited.into())
            .filter(legal_basis::Column::DivisionId.eq(row.id))
            .exec(txn)
            .await?;
        boundary_case::Entity::update_many()
            .col_expr(boundary_case::Column::DivisionId, uncited.into())
            .filter(boundary_case::Column::DivisionId.eq(row.id))
            .exec(txn)
            .await?;
        Ok(())
    }

    /// A matter not marked disputed keeps its one LEAD division.
    async fn settled(txn: &Write, clock: &dyn Clock, row: &division::Model) -> Result<(), Failure> {
        let matter = in_draft_matter(txn, clock, "id", row.matter_id).await?;
        check_one_lead(txn, &matter).await
    }
}

/// Makes division `id` its matter's LEAD and every other division of the matter ASSIST.
pub async fn set_lead(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<division::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let found = division::Entity::locate(&txn, id).await?;
    division::Entity::require_editor(&txn, viewer, &found).await?;
    let before = in_draft::<division::Entity>(&txn, clock, found.id).await?;
    let id = before.id;
    let leads_before: Vec<i32> = division::Entity::find()
        .filter(division::Column::MatterId.eq(before.matter_id))
        .filter(division::Column::Role.eq(DivisionRole::Lead.as_str()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    division::Entity::update_many()
        .col_expr(division::Column::Role, DivisionRole::Assist.as_str().into())
        .filter(division::Column::MatterId.eq(before.matter_id))
        .exec(&txn)
        .await?;
    let mut row: division::ActiveModel = before.clone().into();
    row.role = Set(DivisionRole::Lead.as_str().to_owned());
    let saved = row.update(&txn).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "setMatterLead",
            "division",
            id,
            json!({ "matterId": before.matter_id, "leads": leads_before }),
            json!({ "matterId": before.matter_id, "leads": [id] }),
        ),
    )
    .await?;
    Ok(saved)
}

/// The matter's divisions in published order.
async fn siblings(txn: &impl ConnectionTrait, matter_id: i32) -> Result<Vec<i32>, Failure> {
    use division::Column;
    super::ordered::<division::Entity>(txn, Column::Id, Column::MatterId, matter_id, Column::Seq)
        .await
}
