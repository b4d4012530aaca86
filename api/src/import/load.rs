//! Writing a validated list file into the database as a new list, its version 1, in one
//! transaction: departments first (new ones created, new aliases added), then the list's rows.

use std::collections::HashMap;

use chrono::Utc;
use entity::{
    boundary_case, boundary_matter, department, department_alias, division, duty, legal_basis,
    list_version, public_service, regime_item, regime_section, responsibility_list,
    supervision_regime, work_item,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::format::{ItemRow, ListFile};
use super::{ImportError, LoadError, LoadSummary, validate};
use crate::domain::{audit, versions};

/// Loads `file` as a new list; a list of its title already loaded is `LIST_ALREADY_LOADED`
/// (see `load_or_revise` for a revision).
pub async fn load(db: &DatabaseConnection, file: &ListFile) -> Result<LoadSummary, LoadError> {
    validate::validate(file)?;
    let txn = crate::db::Write::begin(db).await?;
    let existing = responsibility_list::Entity::find()
        .filter(responsibility_list::Column::Title.eq(&file.title))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(ImportError::new(
            "LIST_ALREADY_LOADED",
            "title",
            format!("a list titled {:?} is already loaded", file.title),
        )
        .into());
    }
    let departments = upsert_departments(&txn, file).await?;
    let department_id = |at: String, name: &str| {
        departments.get(name).copied().ok_or_else(|| {
            ImportError::new(
                "UNKNOWN_DEPARTMENT",
                at,
                format!("no department named {name:?}"),
            )
        })
    };

    let list_id = insert(
        &txn,
        responsibility_list::ActiveModel {
            title: Set(file.title.clone()),
            format: Set(file.format.clone()),
            owner_department_id: Set(department_id("owner".into(), &file.owner)?),
            imported_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    // A list loads as its version 1, published, in force until a later one: the file
    // carries no effective date.
    let version_id = insert(
        &txn,
        list_version::ActiveModel {
            list_id: Set(list_id),
            number: Set(Some(1)),
            created_at: Set(Utc::now()),
            published_at: Set(Some(Utc::now())),
            published_by: Set(Some("qingdan import".to_owned())),
            ..Default::default()
        },
    )
    .await?;
    let mut summary = LoadSummary {
        list_id,
        duties: file.duties.len(),
        work_items: 0,
        matters: file.boundary_matters.len(),
        divisions: 0,
        regime_items: 0,
        services: file.public_services.len(),
    };

    for (i, duty) in file.duties.iter().enumerate() {
        let duty_id = insert(
            &txn,
            duty::ActiveModel {
                list_id: Set(list_id),
                version_id: Set(version_id),
                department_id: Set(department_id(
                    format!("duties[{i}].department"),
                    &duty.department,
                )?),
                seq: Set(duty.seq),
                text: Set(duty.text.clone()),
                remark: Set(duty.remark.clone()),
                ..Default::default()
            },
        )
        .await?;
        summary.work_items += duty.work_items.len();
        insert_all(
            &txn,
            duty.work_items.iter().map(|item| work_item::ActiveModel {
                duty_id: Set(duty_id),
                version_id: Set(version_id),
                seq: Set(item.seq),
                text: Set(item.text.clone()),
                remark: Set(item.remark.clone()),
                ..Default::default()
            }),
        )
        .await?;
    }

    for (i, matter) in file.boundary_matters.iter().enumerate() {
        let matter_id = insert(
            &txn,
            boundary_matter::ActiveModel {
                list_id: Set(list_id),
                version_id: Set(version_id),
                seq: Set(matter.seq),
                published_seq: Set(matter.published_seq.clone()),
                title: Set(matter.title.clone()),
                disputed: Set(matter.disputed),
                ..Default::default()
            },
        )
        .await?;
        // Legal bases and cases are numbered per division in the file, per matter in the table.
        let (mut basis_seq, mut case_seq) = (0, 0);
        for (j, row) in matter.divisions.iter().enumerate() {
            summary.divisions += 1;
            let at = format!("boundaryMatters[{i}].divisions[{j}].department");
            let division_id = insert(
                &txn,
                division::ActiveModel {
                    matter_id: Set(matter_id),
                    version_id: Set(version_id),
                    department_id: Set(department_id(at, &row.department)?),
                    seq: Set(row.seq),
                    published_department_name: Set(row.published_department.clone()),
                    role: Set(row.role.as_str().to_owned()),
                    text: Set(row.text.clone()),
                    ..Default::default()
                },
            )
            .await?;
            insert_all(
                &txn,
                row.legal_bases.iter().map(|basis| {
                    basis_seq += 1;
                    legal_basis::ActiveModel {
                        matter_id: Set(matter_id),
                        version_id: Set(version_id),
                        division_id: Set(Some(division_id)),
                        seq: Set(basis_seq),
                        title: Set(basis.title.clone()),
                        text: Set(basis.text.clone()),
                        ..Default::default()
                    }
                }),
            )
            .await?;
            insert_all(
                &txn,
                row.cases.iter().map(|case| {
                    case_seq += 1;
                    boundary_case::ActiveModel {
                        matter_id: Set(matter_id),
                        version_id: Set(version_id),
                        division_id: Set(Some(division_id)),
                        seq: Set(case_seq),
                        text: Set(case.text.clone()),
                        ..Default::default()
                    }
                }),
            )
            .await?;
        }
    }

    for regime in &file.supervision_regimes {
        let regime_id = insert(
            &txn,
            supervision_regime::ActiveModel {
                list_id: Set(list_id),
                code: Set(regime.code.clone()),
                seq: Set(regime.seq),
                label: Set(regime.label.clone()),
                title: Set(regime.title.clone()),
                preamble: Set(regime.preamble.clone()),
                min_inspectors: Set(regime.rules.min_inspectors),
                min_inspectors_clause: Set(regime.rules.min_inspectors_clause.clone()),
                review_request_days: Set(regime.rules.review_request_days),
                review_decision_days: Set(regime.rules.review_decision_days),
                review_clause: Set(regime.rules.review_clause.clone()),
                day_count: Set(regime.rules.day_count.as_str().to_owned()),
                fault_situations_path: Set(regime.rules.fault_situations_path.clone()),
                accountability_forms_path: Set(regime.rules.accountability_forms_path.clone()),
                ..Default::default()
            },
        )
        .await?;
        for section in &regime.sections {
            let section_id = insert(
                &txn,
                regime_section::ActiveModel {
                    regime_id: Set(regime_id),
                    seq: Set(section.seq),
                    label: Set(section.label.clone()),
                    kind: Set(section.kind.as_str().to_owned()),
                    title: Set(section.title.clone()),
                    intro: Set(section.intro.clone()),
                    ..Default::default()
                },
            )
            .await?;
            summary.regime_items +=
                insert_items(&txn, section_id, None, "", &section.items).await?;
        }
    }

    for (i, service) in file.public_services.iter().enumerate() {
        insert(
            &txn,
            public_service::ActiveModel {
                list_id: Set(list_id),
                version_id: Set(version_id),
                seq: Set(service.seq),
                name: Set(service.name.clone()),
                content: Set(service.content.clone()),
                unit_id: Set(department_id(
                    format!("publicServices[{i}].unit"),
                    &service.unit,
                )?),
                phone: Set(service.phone.clone()),
                published_phone: Set(service.published_phone.clone()),
                ..Default::default()
            },
        )
        .await?;
    }

    versions::start_lineages(&txn).await?;
    let after = serde_json::json!({
        "title": file.title, "owner": file.owner, "duties": summary.duties,
        "workItems": summary.work_items, "matters": summary.matters, "divisions": summary.divisions,
        "regimeItems": summary.regime_items, "services": summary.services,
    });
    let entry = audit::Entry {
        actor: "qingdan import",
        operation: "importList",
        entity: "ResponsibilityList",
        entity_id: Some(list_id),
        before: None,
        after: Some(after),
    };
    audit::record(&txn, Utc::now(), entry).await?;
    txn.commit().await?;
    tracing::info!(title = %file.title, ?summary, "list imported");
    Ok(summary)
}

/// Inserts the file's departments that are new and adds new aliases to known ones.
/// Returns every name and alias the file may refer to, mapped to its department id.
async fn upsert_departments(
    txn: &impl ConnectionTrait,
    file: &ListFile,
) -> Result<HashMap<String, i32>, LoadError> {
    // Only the names this file mentions are looked up: a province holds thousands.
    let mut names: Vec<&str> = vec![file.owner.as_str()];
    for row in &file.departments {
        names.push(&row.name);
        names.extend(row.aliases.iter().map(String::as_str));
        names.extend(row.parent.as_deref());
    }
    names.extend(file.duties.iter().map(|d| d.department.as_str()));
    names.extend(
        file.boundary_matters
            .iter()
            .flat_map(|m| m.divisions.iter().map(|d| d.department.as_str())),
    );
    names.extend(file.public_services.iter().map(|s| s.unit.as_str()));
    names.sort_unstable();
    names.dedup();
    let mut ids = HashMap::new();
    for chunk in names.chunks(500) {
        let by_name = department::Entity::find()
            .filter(department::Column::Name.is_in(chunk.iter().copied()));
        for dept in by_name.all(txn).await? {
            ids.insert(dept.name, dept.id);
        }
        let by_alias = department_alias::Entity::find()
            .filter(department_alias::Column::Alias.is_in(chunk.iter().copied()));
        for alias in by_alias.all(txn).await? {
            ids.insert(alias.alias, alias.department_id);
        }
    }
    let mut created = Vec::new();
    for row in &file.departments {
        if !ids.contains_key(&row.name) {
            let id = insert(
                txn,
                department::ActiveModel {
                    name: Set(row.name.clone()),
                    kind: Set(row.kind.as_str().to_owned()),
                    parent_id: Set(None),
                    ..Default::default()
                },
            )
            .await?;
            ids.insert(row.name.clone(), id);
            created.push(row);
        }
        let id = ids[&row.name];
        for alias in &row.aliases {
            match ids.get(alias) {
                Some(&known) if known == id => {}
                Some(_) => {
                    return Err(ImportError::new(
                        "DUPLICATE_NAME",
                        format!("departments[{}].aliases", row.name),
                        format!("{alias:?} already names another department"),
                    )
                    .into());
                }
                None => {
                    insert(
                        txn,
                        department_alias::ActiveModel {
                            department_id: Set(id),
                            alias: Set(alias.clone()),
                            ..Default::default()
                        },
                    )
                    .await?;
                    ids.insert(alias.clone(), id);
                }
            }
        }
    }
    // Parents are set once every department exists, so rows may come in any order.
    for row in created {
        if let Some(parent) = &row.parent {
            let parent_id = *ids.get(parent).ok_or_else(|| {
                ImportError::new(
                    "UNKNOWN_DEPARTMENT",
                    format!("departments[{}].parent", row.name),
                    format!("no department named {parent:?}"),
                )
            })?;
            department::Entity::update(department::ActiveModel {
                id: Set(ids[&row.name]),
                parent_id: Set(Some(parent_id)),
                ..Default::default()
            })
            .exec(txn)
            .await?;
        }
    }
    Ok(ids)
}

/// Inserts a section's items depth first, so each child knows its parent's id.
async fn insert_items(
    txn: &impl ConnectionTrait,
    section_id: i32,
    parent_id: Option<i32>,
    parent_path: &str,
    items: &[ItemRow],
) -> Result<usize, LoadError> {
    let mut count = 0;
    for item in items {
        let path = if parent_path.is_empty() {
            item.seq.to_string()
        } else {
            format!("{parent_path}.{}", item.seq)
        };
        let id = insert(
            txn,
            regime_item::ActiveModel {
                section_id: Set(section_id),
                parent_id: Set(parent_id),
                seq: Set(item.seq),
                path: Set(path.clone()),
                label: Set(item.label.clone()),
                text: Set(item.text.clone()),
                ..Default::default()
            },
        )
        .await?;
        count += 1 + Box::pin(insert_items(txn, section_id, Some(id), &path, &item.items)).await?;
    }
    Ok(count)
}

async fn insert<A>(txn: &impl ConnectionTrait, model: A) -> Result<i32, sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
    <<A::Entity as EntityTrait>::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: Into<i32>,
{
    let result = <A::Entity as EntityTrait>::insert(model).exec(txn).await?;
    Ok(result.last_insert_id.into())
}

async fn insert_all<A>(
    txn: &impl ConnectionTrait,
    models: impl IntoIterator<Item = A>,
) -> Result<(), sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let models: Vec<A> = models.into_iter().collect();
    if !models.is_empty() {
        <A::Entity as EntityTrait>::insert_many(models)
            .exec(txn)
            .await?;
    }
    Ok(())
}
