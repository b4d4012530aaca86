//! Divisions of a boundary matter (职责分工): who does what in a shared matter. A matter not
//! marked disputed has exactly one LEAD division after every edit; `set_lead` moves the lead
//! in one step, since demoting the old lead first or promoting the new one first would each
//! break the rule on the way.

use crate::db::Write;
use entity::{
    boundary_case, boundary_matter, department, division, legal_basis, responsibility_list,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};

use super::{Edit, commit, place, require_editor_of, resequence};
use crate::auth::Viewer;
use crate::domain::kinds::DivisionRole;
use crate::domain::rules::Checks;
use crate::domain::versions::start_lineage;
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

fn snapshot(d: &division::Model) -> Value {
    json!({ "matterId": d.matter_id, "departmentId": d.department_id, "seq": d.seq,
            "role": d.role, "text": d.text })
}

/// The matter, once the caller is known to edit the list it belongs to (its owner's editor).
pub(super) async fn editable_matter(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    matter_id: i32,
) -> Result<boundary_matter::Model, Failure> {
    let Some(matter) = boundary_matter::Entity::find_by_id(matter_id)
        .one(db)
        .await?
    else {
        return Err(Failure::rule(
            "matterId",
            RuleCode::MatterUnknown,
            "no such matter",
        ));
    };
    let owner = responsibility_list::Entity::find_by_id(matter.list_id)
        .one(db)
        .await?
        .map(|l| l.owner_department_id)
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("responsibility_list".into()))?;
    require_editor_of(db, viewer, owner).await?;
    Ok(matter)
}

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
    department::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|d| d.name)
        .ok_or_else(|| {
            Failure::rule(
                "departmentId",
                RuleCode::DepartmentUnknown,
                "no such department",
            )
        })
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

/// Adds a division to matter `matter_id` at `position` (default: last).
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    matter_id: i32,
    f: DivisionFields,
) -> Result<division::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let matter = editable_matter(&txn, viewer, matter_id).await?;
    let mut checks = Checks::default();
    checks.require_text(
        "text",
        f.text.as_deref().unwrap_or(""),
        "the division (职责分工)",
    );
    checks.finish()?;
    let Some(department_id) = f.department_id else {
        return Err(Failure::rule(
            "departmentId",
            RuleCode::Required,
            "departmentId is required",
        ));
    };
    let name = department_name(&txn, department_id).await?;
    let role = f.role.unwrap_or(DivisionRole::Assist);
    let matter = in_draft_matter(&txn, clock, "matterId", matter.id).await?;
    let matter_id = matter.id;
    check_one_per_department(&txn, matter_id, department_id, None, &name).await?;
    let order = siblings(&txn, matter_id).await?;
    let saved = division::ActiveModel {
        matter_id: Set(matter_id),
        version_id: Set(matter.version_id),
        department_id: Set(department_id),
        seq: Set(order.len() as i32 + 1),
        published_department_name: Set(name),
        role: Set(role.as_str().to_owned()),
        text: Set(f.text.unwrap_or_default()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    start_lineage(&txn, "division", saved.id).await?;
    place(&txn, "division", order, saved.id, f.position).await?;
    check_one_lead(&txn, &matter).await?;
    let saved = reload(&txn, saved.id).await?;
    commit(
        txn,
        clock,
        Edit::created(
            &actor,
            "createDivision",
            "division",
            saved.id,
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves the division within its matter.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    f: DivisionFields,
) -> Result<division::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    let matter = editable_matter(&txn, viewer, before.matter_id).await?;
    let mut checks = Checks::default();
    if let Some(text) = &f.text {
        checks.require_text("text", text, "the division (职责分工)");
    }
    checks.finish()?;
    let before = in_draft(&txn, clock, before.id).await?;
    let matter = in_draft_matter(&txn, clock, "id", matter.id).await?;
    let id = before.id;
    let mut row: division::ActiveModel = before.clone().into();
    if let Some(department_id) = f.department_id {
        let name = department_name(&txn, department_id).await?;
        check_one_per_department(&txn, matter.id, department_id, Some(id), &name).await?;
        row.published_department_name = Set(name);
        row.department_id = Set(department_id);
    }
    if let Some(role) = f.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(text) = f.text {
        row.text = Set(text);
    }
    row.update(&txn).await?;
    if f.position.is_some() {
        let order = siblings(&txn, before.matter_id).await?;
        place(&txn, "division", order, id, f.position).await?;
    }
    check_one_lead(&txn, &matter).await?;
    let saved = reload(&txn, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            "updateDivision",
            "division",
            id,
            snapshot(&before),
            snapshot(&saved),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes a division. The legal bases and cases printed on its row stay with the matter,
/// cited nowhere, until an editor cites them on another row or removes them: the
/// consistency report lists them, so nothing the list cites disappears unseen.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<division::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    let matter = editable_matter(&txn, viewer, before.matter_id).await?;
    let before = in_draft(&txn, clock, before.id).await?;
    let matter = in_draft_matter(&txn, clock, "id", matter.id).await?;
    let id = before.id;
    let uncited: Option<i32> = None;
    legal_basis::Entity::update_many()
        .col_expr(legal_basis::Column::DivisionId, uncited.into())
        .filter(legal_basis::Column::DivisionId.eq(id))
        .exec(&txn)
        .await?;
    boundary_case::Entity::update_many()
        .col_expr(boundary_case::Column::DivisionId, uncited.into())
        .filter(boundary_case::Column::DivisionId.eq(id))
        .exec(&txn)
        .await?;
    division::Entity::delete_by_id(id).exec(&txn).await?;
    let order = siblings(&txn, before.matter_id).await?;
    resequence(&txn, "division", &order).await?;
    check_one_lead(&txn, &matter).await?;
    commit(
        txn,
        clock,
        Edit::removed(&actor, "removeDivision", "division", id, snapshot(&before)),
    )
    .await?;
    Ok(before)
}

/// Makes division `id` its matter's LEAD and every other division of the matter ASSIST.
pub async fn set_lead(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<division::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    editable_matter(&txn, viewer, before.matter_id).await?;
    let before = in_draft(&txn, clock, before.id).await?;
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

async fn find(db: &impl ConnectionTrait, id: i32) -> Result<division::Model, Failure> {
    super::find::<division::Entity>(db, id, RuleCode::DivisionUnknown, "division").await
}

async fn in_draft(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    id: i32,
) -> Result<division::Model, Failure> {
    super::in_draft::<division::Entity>(txn, clock, "id", id, RuleCode::DivisionUnknown, "division")
        .await
}

pub(super) async fn in_draft_matter(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    field: &str,
    id: i32,
) -> Result<boundary_matter::Model, Failure> {
    super::in_draft::<boundary_matter::Entity>(
        txn,
        clock,
        field,
        id,
        RuleCode::MatterUnknown,
        "matter",
    )
    .await
}

async fn reload(txn: &impl ConnectionTrait, id: i32) -> Result<division::Model, Failure> {
    super::reload::<division::Entity>(txn, id).await
}

/// The matter's divisions in published order.
async fn siblings(txn: &impl ConnectionTrait, matter_id: i32) -> Result<Vec<i32>, Failure> {
    use division::Column;
    super::ordered::<division::Entity>(txn, Column::Id, Column::MatterId, matter_id, Column::Seq)
        .await
}
