//! Public services, uploaded into the draft: told by their name, then their place. A
//! service is its unit's editors' to change (as `editing::service` rules): both the unit it
//! had and the one it gets.

use entity::public_service;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::pairing::{pair, unpaired};
use super::{Change, Sync, parked_seq};
use crate::domain::editing::resequence;
use crate::domain::versions::start_lineage;
use crate::import::LoadError;
use crate::import::format::ListFile;

const TABLE: &str = "public_service";

pub(super) async fn sync(s: &mut Sync<'_>, file: &ListFile) -> Result<(), LoadError> {
    let old = public_service::Entity::find()
        .filter(public_service::Column::VersionId.eq(s.draft))
        .order_by_asc(public_service::Column::Seq)
        .all(s.txn)
        .await?;
    let new = &file.public_services;
    let names: Vec<&str> = old.iter().map(|p| p.name.as_str()).collect();
    let pairs = pair(
        &names,
        &new.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
    );
    let mut order = Vec::with_capacity(new.len());
    let mut renumber = false;
    for (i, (row, paired)) in new.iter().zip(&pairs).enumerate() {
        let at = format!("publicServices[{i}]");
        let unit = s.departments.resolve(format!("{at}.unit"), &row.unit)?;
        let seq = i as i32 + 1;
        let id = match paired.map(|k| &old[k]) {
            Some(before) => {
                let differs = before.name != row.name
                    || before.content != row.content
                    || before.unit_id != unit
                    || before.phone != row.phone
                    || before.published_phone != row.published_phone
                    || before.seq != seq;
                if differs {
                    // A service moved to another unit is both units' editors' to move.
                    let what = || format!("changing the service 「{}」", before.name);
                    s.allow(before.unit_id, &at, what).await?;
                    s.change(TABLE, Change::Changed, unit, at.clone(), what)
                        .await?;
                    let mut update: public_service::ActiveModel = before.clone().into();
                    update.name = Set(row.name.clone());
                    update.content = Set(row.content.clone());
                    update.unit_id = Set(unit);
                    update.phone = Set(row.phone.clone());
                    update.published_phone = Set(row.published_phone.clone());
                    update.update(s.txn).await?;
                    renumber |= before.seq != seq;
                }
                before.id
            }
            None => {
                s.change(TABLE, Change::Added, unit, at, || {
                    format!("adding the service 「{}」", row.name)
                })
                .await?;
                let saved = public_service::ActiveModel {
                    list_id: Set(s.list_id),
                    version_id: Set(s.draft),
                    seq: Set(parked_seq(i)),
                    name: Set(row.name.clone()),
                    content: Set(row.content.clone()),
                    unit_id: Set(unit),
                    phone: Set(row.phone.clone()),
                    published_phone: Set(row.published_phone.clone()),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?;
                start_lineage(s.txn, TABLE, saved.id).await?;
                renumber = true;
                saved.id
            }
        };
        order.push(id);
    }
    for k in unpaired(old.len(), &pairs) {
        let gone = &old[k];
        s.remove::<public_service::Entity>(gone.unit_id, "publicServices".into(), gone.id, || {
            format!("removing the service 「{}」", gone.name)
        })
        .await?;
        renumber = true;
    }
    if renumber {
        resequence(s.txn, TABLE, &order).await?;
    }
    Ok(())
}
