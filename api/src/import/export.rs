//! Writing a loaded list back out in the file format: export → import reproduces it. The
//! version exported is the one in force today.

use std::collections::HashMap;

use entity::{
    boundary_case, boundary_matter, department, department_alias, division, duty, legal_basis,
    list_version, public_service, regime_item, regime_section, responsibility_list,
    supervision_regime, work_item,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::format::*;
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::kinds::{DayCount, DepartmentKind, DivisionRole, SectionKind};
use crate::domain::versions;

/// Exports the list titled `title`, or the first list loaded when `title` is `None`: the
/// version in force today.
pub async fn export_list(
    db: &impl ConnectionTrait,
    title: Option<&str>,
) -> Result<Option<ListFile>, DbErr> {
    let mut query =
        responsibility_list::Entity::find().order_by_asc(responsibility_list::Column::Id);
    if let Some(title) = title {
        query = query.filter(responsibility_list::Column::Title.eq(title));
    }
    let Some(list) = query.one(db).await? else {
        return Ok(None);
    };
    let today = SystemClock.today();
    let in_force = versions::in_force(db, today).await?;
    let Some(version) = list_version::Entity::find()
        .filter(list_version::Column::ListId.eq(list.id))
        .filter(list_version::Column::Id.is_in(in_force))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    export_version(db, &list, version.id).await.map(Some)
}

/// Version `version_id` of `list` (published or its draft) in the file format; the
/// departments are every department known, the regimes the list's own (neither is
/// versioned).
pub async fn export_version(
    db: &impl ConnectionTrait,
    list: &responsibility_list::Model,
    version_id: i32,
) -> Result<ListFile, DbErr> {
    let departments = department::Entity::find()
        .order_by_asc(department::Column::Id)
        .all(db)
        .await?;
    let names: HashMap<i32, String> = departments.iter().map(|d| (d.id, d.name.clone())).collect();
    let department_rows = department_rows(db, &departments, &names).await?;
    let mut duties = Vec::new();
    for duty in duty::Entity::find()
        .filter(duty::Column::VersionId.eq(version_id))
        .order_by_asc(duty::Column::Seq)
        .all(db)
        .await?
    {
        let work_items = work_item::Entity::find()
            .filter(work_item::Column::DutyId.eq(duty.id))
            .order_by_asc(work_item::Column::Seq)
            .all(db)
            .await?
            .into_iter()
            .map(|w| WorkItemRow {
                seq: w.seq,
                text: w.text,
                remark: w.remark,
            })
            .collect();
        duties.push(DutyRow {
            seq: duty.seq,
            department: names[&duty.department_id].clone(),
            text: duty.text,
            remark: duty.remark,
            work_items,
        });
    }

    let mut boundary_matters = Vec::new();
    for matter in boundary_matter::Entity::find()
        .filter(boundary_matter::Column::VersionId.eq(version_id))
        .order_by_asc(boundary_matter::Column::Seq)
        .all(db)
        .await?
    {
        let bases = legal_basis::Entity::find()
            .filter(legal_basis::Column::MatterId.eq(matter.id))
            .order_by_asc(legal_basis::Column::Seq)
            .all(db)
            .await?;
        let cases = boundary_case::Entity::find()
            .filter(boundary_case::Column::MatterId.eq(matter.id))
            .order_by_asc(boundary_case::Column::Seq)
            .all(db)
            .await?;
        let divisions = division::Entity::find()
            .filter(division::Column::MatterId.eq(matter.id))
            .order_by_asc(division::Column::Seq)
            .all(db)
            .await?
            .into_iter()
            .map(|d| DivisionRow {
                seq: d.seq,
                department: names[&d.department_id].clone(),
                published_department: d.published_department_name,
                role: DivisionRole::parse(&d.role).unwrap_or(DivisionRole::Assist),
                text: d.text,
                legal_bases: bases
                    .iter()
                    .filter(|b| b.division_id == Some(d.id))
                    .enumerate()
                    .map(|(i, b)| LegalBasisRow {
                        seq: i as i32 + 1,
                        title: b.title.clone(),
                        text: b.text.clone(),
                    })
                    .collect(),
                cases: cases
                    .iter()
                    .filter(|c| c.division_id == Some(d.id))
                    .enumerate()
                    .map(|(i, c)| CaseRow {
                        seq: i as i32 + 1,
                        text: c.text.clone(),
                    })
                    .collect(),
            })
            .collect();
        boundary_matters.push(MatterRow {
            seq: matter.seq,
            published_seq: matter.published_seq,
            title: matter.title,
            disputed: matter.disputed,
            divisions,
        });
    }

    let supervision_regimes = regime_rows(db, list.id).await?;

    let public_services = public_service::Entity::find()
        .filter(public_service::Column::VersionId.eq(version_id))
        .order_by_asc(public_service::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ServiceRow {
            seq: s.seq,
            name: s.name,
            content: s.content,
            unit: names[&s.unit_id].clone(),
            phone: s.phone,
            published_phone: s.published_phone,
        })
        .collect();

    Ok(ListFile {
        format: FORMAT.to_owned(),
        title: list.title.clone(),
        owner: names[&list.owner_department_id].clone(),
        departments: department_rows,
        duties,
        boundary_matters,
        supervision_regimes,
        public_services,
    })
}

/// Every department with its kind, parent and aliases, in the order they were created.
pub(crate) async fn department_rows(
    db: &impl ConnectionTrait,
    departments: &[department::Model],
    names: &HashMap<i32, String>,
) -> Result<Vec<DepartmentRow>, DbErr> {
    let mut aliases: HashMap<i32, Vec<String>> = HashMap::new();
    for alias in department_alias::Entity::find()
        .order_by_asc(department_alias::Column::Id)
        .all(db)
        .await?
    {
        aliases
            .entry(alias.department_id)
            .or_default()
            .push(alias.alias);
    }
    Ok(departments
        .iter()
        .map(|d| DepartmentRow {
            name: d.name.clone(),
            kind: DepartmentKind::parse(&d.kind).unwrap_or(DepartmentKind::Department),
            parent: d.parent_id.and_then(|id| names.get(&id).cloned()),
            aliases: aliases.remove(&d.id).unwrap_or_default(),
        })
        .collect())
}

/// The supervision regimes of list `list_id`, with their sections and items.
pub(crate) async fn regime_rows(
    db: &impl ConnectionTrait,
    list_id: i32,
) -> Result<Vec<RegimeRow>, DbErr> {
    let mut supervision_regimes = Vec::new();
    for regime in supervision_regime::Entity::find()
        .filter(supervision_regime::Column::ListId.eq(list_id))
        .order_by_asc(supervision_regime::Column::Seq)
        .all(db)
        .await?
    {
        let mut sections = Vec::new();
        for section in regime_section::Entity::find()
            .filter(regime_section::Column::RegimeId.eq(regime.id))
            .order_by_asc(regime_section::Column::Seq)
            .all(db)
            .await?
        {
            let items = regime_item::Entity::find()
                .filter(regime_item::Column::SectionId.eq(section.id))
                .order_by_asc(regime_item::Column::Seq)
                .all(db)
                .await?;
            sections.push(SectionRow {
                seq: section.seq,
                label: section.label,
                kind: SectionKind::parse(&section.kind).unwrap_or(SectionKind::Content),
                title: section.title,
                intro: section.intro,
                items: item_tree(&items, None),
            });
        }
        supervision_regimes.push(RegimeRow {
            code: regime.code,
            seq: regime.seq,
            label: regime.label,
            title: regime.title,
            preamble: regime.preamble,
            rules: RegimeRules {
                min_inspectors: regime.min_inspectors,
                min_inspectors_clause: regime.min_inspectors_clause,
                review_request_days: regime.review_request_days,
                review_decision_days: regime.review_decision_days,
                review_clause: regime.review_clause,
                day_count: DayCount::parse(&regime.day_count).unwrap_or(DayCount::Natural),
                fault_situations_path: regime.fault_situations_path,
                accountability_forms_path: regime.accountability_forms_path,
            },
            sections,
        });
    }
    Ok(supervision_regimes)
}

/// Rebuilds the nesting of a section's items (already sorted by `seq`).
fn item_tree(items: &[regime_item::Model], parent: Option<i32>) -> Vec<ItemRow> {
    items
        .iter()
        .filter(|item| item.parent_id == parent)
        .map(|item| ItemRow {
            seq: item.seq,
            label: item.label.clone(),
            text: item.text.clone(),
            items: item_tree(items, Some(item.id)),
        })
        .collect()
}
