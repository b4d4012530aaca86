//! The consistency report (清单问题): the checks an editor runs before publishing a list.
//! Each finding names the rows involved, so an editor can go straight to them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use entity::{
    boundary_matter, division, duty, legal_basis, public_service, responsibility_list, work_item,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::editing::reorganisation::holder_on;
use super::kinds::DivisionRole;

/// What is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IssueKind {
    /// A matter not marked disputed with no LEAD division (无牵头部门).
    MatterWithoutLead,
    /// A matter not marked disputed with more than one LEAD division (多个牵头部门).
    MatterWithSeveralLeads,
    /// A legal basis printed on no division's row, e.g. after its division was removed
    /// (依据未被引用).
    LegalBasisCitedNowhere,
    /// The same work item text under duties of different departments (事项重复).
    DuplicateWorkItem,
    /// A service whose unit is neither the list's department nor one of its units, e.g. a
    /// unit moved elsewhere (承办机构不在本部门).
    ServiceUnitOutsideList,
    /// One phone number published for services of different units (电话共用).
    PhoneSharedByUnits,
    /// The list's department was merged or dissolved: its list is to be republished under
    /// the successor (清单主体已撤销).
    ListOwnerDissolved,
    /// A service's unit was itself merged or dissolved (承办机构已撤销).
    ServiceUnitDissolved,
}

/// A row an issue is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowRef {
    /// GraphQL type name: BoundaryMatter, WorkItem, PublicService.
    pub kind: &'static str,
    pub id: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListIssue {
    pub kind: IssueKind,
    pub list_id: i32,
    pub message: String,
    pub rows: Vec<RowRef>,
}

/// The report an editor runs before publishing: on each list's draft (or, without one, the
/// version in force `today`), or on the versions in force on `as_of` when given.
pub async fn report(
    db: &impl ConnectionTrait,
    reader: &super::versions::DraftReader,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<ListIssue>, DbErr> {
    let versions = match as_of {
        Some(day) => super::versions::in_force(db, day).await?,
        None => super::versions::working(db, reader, today).await?,
    };
    check(db, &versions).await
}

/// Every issue of list versions `versions`, by list then kind.
async fn check(db: &impl ConnectionTrait, versions: &[i32]) -> Result<Vec<ListIssue>, DbErr> {
    let versions = versions.to_vec();
    let lists = responsibility_list::Entity::find().all(db).await?;
    let departments = super::departments_by_id(db).await?;
    let name = |id: i32| departments.get(&id).map_or("?", |d| d.name.as_str());
    let mut issues = Vec::new();

    let mut divisions_of: HashMap<i32, Vec<division::Model>> = HashMap::new();
    for d in division::Entity::find()
        .filter(division::Column::VersionId.is_in(versions.clone()))
        .all(db)
        .await?
    {
        divisions_of.entry(d.matter_id).or_default().push(d);
    }
    let matters = boundary_matter::Entity::find()
        .filter(boundary_matter::Column::VersionId.is_in(versions.clone()))
        .all(db)
        .await?;
    for matter in &matters {
        if matter.disputed {
            continue;
        }
        let leads: Vec<&division::Model> = divisions_of
            .get(&matter.id)
            .into_iter()
            .flatten()
            .filter(|d| d.role == DivisionRole::Lead.as_str())
            .collect();
        let (kind, message) = match leads.len() {
            1 => continue,
            0 => (
                IssueKind::MatterWithoutLead,
                format!(
                    "「{}」 has no LEAD division and is not marked disputed",
                    matter.title
                ),
            ),
            _ => (
                IssueKind::MatterWithSeveralLeads,
                format!(
                    "「{}」 has {} LEAD divisions ({}) and is not marked disputed",
                    matter.title,
                    leads.len(),
                    leads
                        .iter()
                        .map(|d| name(d.department_id))
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            ),
        };
        issues.push(ListIssue {
            kind,
            list_id: matter.list_id,
            message,
            rows: vec![RowRef {
                kind: "BoundaryMatter",
                id: matter.id,
            }],
        });
    }

    let matter_of: HashMap<i32, &boundary_matter::Model> =
        matters.iter().map(|m| (m.id, m)).collect();
    for basis in legal_basis::Entity::find()
        .filter(legal_basis::Column::VersionId.is_in(versions.clone()))
        .filter(legal_basis::Column::DivisionId.is_null())
        .all(db)
        .await?
    {
        let Some(matter) = matter_of.get(&basis.matter_id) else {
            continue;
        };
        issues.push(ListIssue {
            kind: IssueKind::LegalBasisCitedNowhere,
            list_id: matter.list_id,
            message: format!(
                "「{}」 of 「{}」 is printed on no division's row: cite it on one or remove it",
                basis.text, matter.title
            ),
            rows: vec![RowRef {
                kind: "LegalBasis",
                id: basis.id,
            }],
        });
    }

    let duties: HashMap<i32, duty::Model> = duty::Entity::find()
        .filter(duty::Column::VersionId.is_in(versions.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    // (list, text) → work items; BTreeMap so findings come out in a stable order.
    let mut by_text: BTreeMap<(i32, String), Vec<work_item::Model>> = BTreeMap::new();
    for item in work_item::Entity::find()
        .filter(work_item::Column::VersionId.is_in(versions.clone()))
        .all(db)
        .await?
    {
        if let Some(duty) = duties.get(&item.duty_id) {
            by_text
                .entry((duty.list_id, item.text.clone()))
                .or_default()
                .push(item);
        }
    }
    for ((list_id, text), items) in by_text {
        let owners: HashSet<i32> = items
            .iter()
            .map(|i| duties[&i.duty_id].department_id)
            .collect();
        if owners.len() < 2 {
            continue;
        }
        let mut owners: Vec<&str> = owners.into_iter().map(name).collect();
        owners.sort_unstable();
        issues.push(ListIssue {
            kind: IssueKind::DuplicateWorkItem,
            list_id,
            message: format!("work item 「{text}」 is listed under {}", owners.join("、")),
            rows: sorted_refs("WorkItem", items.iter().map(|i| i.id)),
        });
    }

    // A list's department and, when it was reorganised away, the one holding its duties now:
    // the units of either are the list's units.
    let successor_of = |id: i32| holder_on(&departments, id, NaiveDate::MAX).0;
    let mut owners_of: HashMap<i32, [i32; 2]> = HashMap::new();
    for list in &lists {
        let holder = successor_of(list.owner_department_id);
        owners_of.insert(list.id, [list.owner_department_id, holder]);
        if holder != list.owner_department_id {
            issues.push(ListIssue {
                kind: IssueKind::ListOwnerDissolved,
                list_id: list.id,
                message: format!(
                    "「{}」 belongs to {}, which was reorganised away; its duties passed to {}",
                    list.title,
                    name(list.owner_department_id),
                    name(holder)
                ),
                rows: Vec::new(),
            });
        }
    }
    let services = public_service::Entity::find()
        .filter(public_service::Column::VersionId.is_in(versions))
        .all(db)
        .await?;
    for service in &services {
        let owners = owners_of.get(&service.list_id).copied().unwrap_or_default();
        let unit = departments.get(&service.unit_id);
        if unit.is_some_and(|u| u.dissolved_on.is_some()) {
            issues.push(ListIssue {
                kind: IssueKind::ServiceUnitDissolved,
                list_id: service.list_id,
                message: format!(
                    "service 「{}」 is assigned to {}, which was reorganised away",
                    service.name,
                    name(service.unit_id)
                ),
                rows: vec![RowRef {
                    kind: "PublicService",
                    id: service.id,
                }],
            });
            continue;
        }
        let inside = owners.contains(&service.unit_id)
            || unit.is_some_and(|u| u.parent_id.is_some_and(|p| owners.contains(&p)));
        if !inside {
            issues.push(ListIssue {
                kind: IssueKind::ServiceUnitOutsideList,
                list_id: service.list_id,
                message: format!(
                    "service 「{}」 is assigned to {}, which is not {} or one of its units",
                    service.name,
                    name(service.unit_id),
                    name(owners[0])
                ),
                rows: vec![RowRef {
                    kind: "PublicService",
                    id: service.id,
                }],
            });
        }
    }
    let mut by_phone: BTreeMap<(i32, &str), Vec<&public_service::Model>> = BTreeMap::new();
    for service in &services {
        if !service.phone.is_empty() {
            by_phone
                .entry((service.list_id, service.phone.as_str()))
                .or_default()
                .push(service);
        }
    }
    for ((list_id, phone), sharing) in by_phone {
        let units: HashSet<i32> = sharing.iter().map(|s| s.unit_id).collect();
        if units.len() < 2 {
            continue;
        }
        let mut units: Vec<&str> = units.into_iter().map(name).collect();
        units.sort_unstable();
        issues.push(ListIssue {
            kind: IssueKind::PhoneSharedByUnits,
            list_id,
            message: format!("phone {phone} is published for {}", units.join("、")),
            rows: sorted_refs("PublicService", sharing.iter().map(|s| s.id)),
        });
    }

    issues.sort_by(|a, b| (a.list_id, a.kind, &a.rows).cmp(&(b.list_id, b.kind, &b.rows)));
    Ok(issues)
}

fn sorted_refs(kind: &'static str, ids: impl Iterator<Item = i32>) -> Vec<RowRef> {
    let mut refs: Vec<RowRef> = ids.map(|id| RowRef { kind, id }).collect();
    refs.sort();
    refs
}
