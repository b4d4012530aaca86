//! Boundary matters with their divisions, legal bases and cases, uploaded into the draft.
//! Every row of a matter is the list owner's editors' to change (as `editing::matter`
//! rules). A division is told by its department (one per matter); legal bases and cases,
//! numbered per matter, by their text. A legal basis or case the draft cites on no
//! division has no place in the tables: it is left as it is, numbered after the others.

use std::collections::HashMap;

use entity::{boundary_matter, division};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::citations::{Kind, sync_citations};
use super::pairing::{pair, unpaired};
use super::{Change, Sync, parked_seq};
use crate::domain::editing::resequence;
use crate::domain::versions::start_lineage;
use crate::import::LoadError;
use crate::import::format::{ListFile, MatterRow};

pub(super) async fn sync(s: &mut Sync<'_>, file: &ListFile) -> Result<(), LoadError> {
    let old = boundary_matter::Entity::find()
        .filter(boundary_matter::Column::VersionId.eq(s.draft))
        .order_by_asc(boundary_matter::Column::Seq)
        .all(s.txn)
        .await?;
    let titles: Vec<&str> = old.iter().map(|m| m.title.as_str()).collect();
    let new = &file.boundary_matters;
    let pairs = pair(
        &titles,
        &new.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(),
    );
    let owner = s.owner;
    let mut order = Vec::with_capacity(new.len());
    let mut renumber = false;
    for (i, (row, paired)) in new.iter().zip(&pairs).enumerate() {
        let at = format!("boundaryMatters[{i}]");
        let seq = i as i32 + 1;
        let id = match paired.map(|k| &old[k]) {
            Some(before) => {
                if before.title != row.title
                    || before.published_seq != row.published_seq
                    || before.disputed != row.disputed
                    || before.seq != seq
                {
                    s.change(
                        "boundary_matter",
                        Change::Changed,
                        owner,
                        at.clone(),
                        || format!("changing the matter 「{}」", before.title),
                    )
                    .await?;
                    let mut update: boundary_matter::ActiveModel = before.clone().into();
                    update.title = Set(row.title.clone());
                    update.published_seq = Set(row.published_seq.clone());
                    update.disputed = Set(row.disputed);
                    update.update(s.txn).await?;
                    renumber |= before.seq != seq;
                }
                before.id
            }
            None => {
                s.change("boundary_matter", Change::Added, owner, at.clone(), || {
                    format!("adding the matter 「{}」", row.title)
                })
                .await?;
                let saved = boundary_matter::ActiveModel {
                    list_id: Set(s.list_id),
                    version_id: Set(s.draft),
                    seq: Set(parked_seq(i)),
                    published_seq: Set(row.published_seq.clone()),
                    title: Set(row.title.clone()),
                    disputed: Set(row.disputed),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?;
                start_lineage(s.txn, "boundary_matter", saved.id).await?;
                renumber = true;
                saved.id
            }
        };
        sync_rows(s, &at, id, row).await?;
        order.push(id);
    }
    for k in unpaired(old.len(), &pairs) {
        let gone = &old[k];
        // Its divisions, legal bases and cases go with it, those cited nowhere too.
        sync_rows(s, "boundaryMatters", gone.id, &without_divisions(gone)).await?;
        for kind in [Kind::Basis, Kind::Case] {
            for left in kind.rows(s, gone.id).await? {
                s.change(
                    kind.table(),
                    Change::Removed,
                    owner,
                    "boundaryMatters".into(),
                    || format!("removing 「{}」 with its matter", left.text),
                )
                .await?;
                kind.remove(s, left.id).await?;
            }
        }
        s.remove::<boundary_matter::Entity>(owner, "boundaryMatters".into(), gone.id, || {
            format!("removing the matter 「{}」", gone.title)
        })
        .await?;
        renumber = true;
    }
    if renumber {
        resequence(s.txn, "boundary_matter", &order).await?;
    }
    Ok(())
}

/// A matter as uploaded with no division: what is left of a matter being removed.
fn without_divisions(matter: &boundary_matter::Model) -> MatterRow {
    MatterRow {
        seq: matter.seq,
        published_seq: matter.published_seq.clone(),
        title: matter.title.clone(),
        disputed: matter.disputed,
        divisions: Vec::new(),
    }
}

/// The divisions of matter `matter_id` (in the draft), then its legal bases and cases.
async fn sync_rows(
    s: &mut Sync<'_>,
    at: &str,
    matter_id: i32,
    row: &MatterRow,
) -> Result<(), LoadError> {
    let owner = s.owner;
    let old = division::Entity::find()
        .filter(division::Column::MatterId.eq(matter_id))
        .order_by_asc(division::Column::Seq)
        .all(s.txn)
        .await?;
    // A division is its department's: the department is its identity within the matter.
    let mut depts = Vec::with_capacity(row.divisions.len());
    for (j, d) in row.divisions.iter().enumerate() {
        depts.push(
            s.departments
                .resolve(format!("{at}.divisions[{j}].department"), &d.department)?,
        );
    }
    let by_dept: HashMap<i32, usize> = old
        .iter()
        .enumerate()
        .map(|(k, d)| (d.department_id, k))
        .collect();
    let mut ids = Vec::with_capacity(row.divisions.len());
    let mut kept = vec![false; old.len()];
    let mut renumber = false;
    for (j, (d, dept)) in row.divisions.iter().zip(&depts).enumerate() {
        let at = format!("{at}.divisions[{j}]");
        let seq = j as i32 + 1;
        let id = match by_dept.get(dept).map(|&k| (k, &old[k])) {
            Some((k, before)) => {
                kept[k] = true;
                if before.published_department_name != d.published_department
                    || before.role != d.role.as_str()
                    || before.text != d.text
                    || before.seq != seq
                {
                    s.change("division", Change::Changed, owner, at, || {
                        format!("changing the division 「{}」", before.text)
                    })
                    .await?;
                    let mut update: division::ActiveModel = before.clone().into();
                    update.published_department_name = Set(d.published_department.clone());
                    update.role = Set(d.role.as_str().to_owned());
                    update.text = Set(d.text.clone());
                    update.update(s.txn).await?;
                    renumber |= before.seq != seq;
                }
                before.id
            }
            None => {
                s.change("division", Change::Added, owner, at, || {
                    format!("adding the division 「{}」", d.text)
                })
                .await?;
                let saved = division::ActiveModel {
                    matter_id: Set(matter_id),
                    version_id: Set(s.draft),
                    department_id: Set(*dept),
                    seq: Set(parked_seq(j)),
                    published_department_name: Set(d.published_department.clone()),
                    role: Set(d.role.as_str().to_owned()),
                    text: Set(d.text.clone()),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?;
                start_lineage(s.txn, "division", saved.id).await?;
                renumber = true;
                saved.id
            }
        };
        ids.push(id);
    }
    // Legal bases and cases, as uploaded: (citing division, title, text) in matter order.
    let bases: Vec<(i32, &str, &str)> = row
        .divisions
        .iter()
        .zip(&ids)
        .flat_map(|(d, id)| {
            d.legal_bases
                .iter()
                .map(move |b| (*id, b.title.as_str(), b.text.as_str()))
        })
        .collect();
    let cases: Vec<(i32, &str, &str)> = row
        .divisions
        .iter()
        .zip(&ids)
        .flat_map(|(d, id)| d.cases.iter().map(move |c| (*id, "", c.text.as_str())))
        .collect();
    sync_citations(s, Kind::Basis, at, matter_id, &bases).await?;
    sync_citations(s, Kind::Case, at, matter_id, &cases).await?;
    let gone: Vec<&division::Model> = old
        .iter()
        .zip(&kept)
        .filter(|(_, kept)| !**kept)
        .map(|(d, _)| d)
        .collect();
    for d in gone {
        s.remove::<division::Entity>(owner, at.to_owned(), d.id, || {
            format!("removing the division 「{}」", d.text)
        })
        .await?;
        renumber = true;
    }
    if renumber {
        resequence(s.txn, "division", &ids).await?;
    }
    Ok(())
}
