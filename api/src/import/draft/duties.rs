//! Main duties (numbered per department) and their work items, uploaded into the draft.

use std::collections::{BTreeMap, BTreeSet};

use entity::{duty, work_item};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::pairing::{pair, unpaired};
use super::{Change, Sync, parked_seq};
use crate::domain::editing::resequence;
use crate::domain::versions::start_lineage;
use crate::import::LoadError;
use crate::import::format::{DutyRow, ListFile, WorkItemRow};

pub(super) async fn sync(s: &mut Sync<'_>, file: &ListFile) -> Result<(), LoadError> {
    let stored = duty::Entity::find()
        .filter(duty::Column::VersionId.eq(s.draft))
        .order_by_asc(duty::Column::Seq)
        .all(s.txn)
        .await?;
    let mut items: BTreeMap<i32, Vec<work_item::Model>> = BTreeMap::new();
    for item in work_item::Entity::find()
        .filter(work_item::Column::VersionId.eq(s.draft))
        .order_by_asc(work_item::Column::Seq)
        .all(s.txn)
        .await?
    {
        items.entry(item.duty_id).or_default().push(item);
    }
    // The file's duties by department, each with its index in the file.
    let mut uploaded: BTreeMap<i32, Vec<(usize, &DutyRow)>> = BTreeMap::new();
    for (i, row) in file.duties.iter().enumerate() {
        let dept = s
            .departments
            .resolve(format!("duties[{i}].department"), &row.department)?;
        uploaded.entry(dept).or_default().push((i, row));
    }
    let departments: BTreeSet<i32> = stored
        .iter()
        .map(|d| d.department_id)
        .chain(uploaded.keys().copied())
        .collect();
    for dept in departments {
        let old: Vec<&duty::Model> = stored.iter().filter(|d| d.department_id == dept).collect();
        let new = uploaded.remove(&dept).unwrap_or_default();
        let texts: Vec<&str> = old.iter().map(|d| d.text.as_str()).collect();
        let pairs = pair(
            &texts,
            &new.iter().map(|(_, d)| d.text.as_str()).collect::<Vec<_>>(),
        );
        let mut order = Vec::with_capacity(new.len());
        let mut renumber = false;
        for (j, ((i, row), paired)) in new.iter().zip(&pairs).enumerate() {
            let at = format!("duties[{i}]");
            let seq = j as i32 + 1;
            let id = match paired.map(|k| old[k]) {
                Some(before) => {
                    if before.text != row.text || before.remark != row.remark || before.seq != seq {
                        s.change("duty", Change::Changed, dept, at.clone(), || {
                            format!("changing the duty 「{}」", before.text)
                        })
                        .await?;
                        let mut update: duty::ActiveModel = (*before).clone().into();
                        update.text = Set(row.text.clone());
                        update.remark = Set(row.remark.clone());
                        update.update(s.txn).await?;
                        renumber |= before.seq != seq;
                    }
                    before.id
                }
                None => {
                    s.change("duty", Change::Added, dept, at.clone(), || {
                        format!("adding the duty 「{}」", row.text)
                    })
                    .await?;
                    let saved = duty::ActiveModel {
                        list_id: Set(s.list_id),
                        version_id: Set(s.draft),
                        department_id: Set(dept),
                        seq: Set(parked_seq(j)),
                        text: Set(row.text.clone()),
                        remark: Set(row.remark.clone()),
                        ..Default::default()
                    }
                    .insert(s.txn)
                    .await?;
                    start_lineage(s.txn, "duty", saved.id).await?;
                    renumber = true;
                    saved.id
                }
            };
            let before_items = paired
                .and_then(|k| items.remove(&old[k].id))
                .unwrap_or_default();
            sync_items(s, &at, dept, id, before_items, &row.work_items).await?;
            order.push(id);
        }
        for k in unpaired(old.len(), &pairs) {
            let gone = old[k];
            for item in items.remove(&gone.id).unwrap_or_default() {
                s.remove::<work_item::Entity>(dept, "duties".into(), item.id, || {
                    format!("removing the work item 「{}」", item.text)
                })
                .await?;
            }
            s.remove::<duty::Entity>(dept, "duties".into(), gone.id, || {
                format!("removing the duty 「{}」", gone.text)
            })
            .await?;
            renumber = true;
        }
        if renumber {
            resequence(s.txn, "duty", &order).await?;
        }
    }
    Ok(())
}

/// The work items of one duty (`duty_id` in the draft), at `at` in the file.
async fn sync_items(
    s: &mut Sync<'_>,
    at: &str,
    dept: i32,
    duty_id: i32,
    old: Vec<work_item::Model>,
    new: &[WorkItemRow],
) -> Result<(), LoadError> {
    let texts: Vec<&str> = old.iter().map(|w| w.text.as_str()).collect();
    let pairs = pair(
        &texts,
        &new.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
    );
    let mut order = Vec::with_capacity(new.len());
    let mut renumber = false;
    for (j, (row, paired)) in new.iter().zip(&pairs).enumerate() {
        let at = format!("{at}.workItems[{j}]");
        let seq = j as i32 + 1;
        let id = match paired.map(|k| &old[k]) {
            Some(before) => {
                if before.text != row.text || before.remark != row.remark || before.seq != seq {
                    s.change("work_item", Change::Changed, dept, at, || {
                        format!("changing the work item 「{}」", before.text)
                    })
                    .await?;
                    let mut update: work_item::ActiveModel = before.clone().into();
                    update.text = Set(row.text.clone());
                    update.remark = Set(row.remark.clone());
                    update.update(s.txn).await?;
                    renumber |= before.seq != seq;
                }
                before.id
            }
            None => {
                s.change("work_item", Change::Added, dept, at, || {
                    format!("adding the work item 「{}」", row.text)
                })
                .await?;
                let saved = work_item::ActiveModel {
                    duty_id: Set(duty_id),
                    version_id: Set(s.draft),
                    seq: Set(parked_seq(j)),
                    text: Set(row.text.clone()),
                    remark: Set(row.remark.clone()),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?;
                start_lineage(s.txn, "work_item", saved.id).await?;
                renumber = true;
                saved.id
            }
        };
        order.push(id);
    }
    for k in unpaired(old.len(), &pairs) {
        let gone = &old[k];
        s.remove::<work_item::Entity>(dept, at.to_owned(), gone.id, || {
            format!("removing the work item 「{}」", gone.text)
        })
        .await?;
        renumber = true;
    }
    if renumber {
        resequence(s.txn, "work_item", &order).await?;
    }
    Ok(())
}
