//! A matter's legal bases (相关依据) and cases (案例), uploaded into the draft. They are
//! numbered per matter but listed per division in the tables, so their places between
//! divisions are kept (`pairing::arrange`); one the draft cites on no division has no place in
//! the tables and is left as it is, numbered after the others.

use entity::{boundary_case, legal_basis};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::pairing::{arrange, pair, unpaired};
use super::{Change, Sync, parked_seq};
use crate::domain::editing::resequence;
use crate::domain::versions::start_lineage;
use crate::import::LoadError;

/// Legal bases (`legal_basis`) or cases (`boundary_case`) of a matter: a row cited by a
/// division is one of the tables' entries; those cited nowhere are kept, after them.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Basis,
    Case,
}

/// A legal basis or case as stored (a case has no title).
pub(super) struct Cited {
    pub(super) id: i32,
    seq: i32,
    division: Option<i32>,
    title: String,
    pub(super) text: String,
}

impl Kind {
    pub(super) fn table(self) -> &'static str {
        match self {
            Self::Basis => "legal_basis",
            Self::Case => "boundary_case",
        }
    }

    pub(super) async fn rows(self, s: &Sync<'_>, matter: i32) -> Result<Vec<Cited>, LoadError> {
        Ok(match self {
            Self::Basis => legal_basis::Entity::find()
                .filter(legal_basis::Column::MatterId.eq(matter))
                .order_by_asc(legal_basis::Column::Seq)
                .all(s.txn)
                .await?
                .into_iter()
                .map(|b| Cited {
                    id: b.id,
                    seq: b.seq,
                    division: b.division_id,
                    title: b.title,
                    text: b.text,
                })
                .collect(),
            Self::Case => boundary_case::Entity::find()
                .filter(boundary_case::Column::MatterId.eq(matter))
                .order_by_asc(boundary_case::Column::Seq)
                .all(s.txn)
                .await?
                .into_iter()
                .map(|c| Cited {
                    id: c.id,
                    seq: c.seq,
                    division: c.division_id,
                    title: String::new(),
                    text: c.text,
                })
                .collect(),
        })
    }

    /// Cites row `id` on division `cited` with `title` and `text`.
    async fn set(
        self,
        s: &Sync<'_>,
        id: i32,
        cited: i32,
        title: &str,
        text: &str,
    ) -> Result<(), LoadError> {
        match self {
            Self::Basis => {
                legal_basis::ActiveModel {
                    id: Unchanged(id),
                    division_id: Set(Some(cited)),
                    title: Set(title.to_owned()),
                    text: Set(text.to_owned()),
                    ..Default::default()
                }
                .update(s.txn)
                .await?;
            }
            Self::Case => {
                boundary_case::ActiveModel {
                    id: Unchanged(id),
                    division_id: Set(Some(cited)),
                    text: Set(text.to_owned()),
                    ..Default::default()
                }
                .update(s.txn)
                .await?;
            }
        }
        Ok(())
    }

    /// Adds a row to `matter`, cited on division `cited`; its id.
    async fn add(
        self,
        s: &Sync<'_>,
        matter: i32,
        seq: i32,
        cited: i32,
        title: &str,
        text: &str,
    ) -> Result<i32, LoadError> {
        Ok(match self {
            Self::Basis => {
                legal_basis::ActiveModel {
                    matter_id: Set(matter),
                    version_id: Set(s.draft),
                    division_id: Set(Some(cited)),
                    seq: Set(seq),
                    title: Set(title.to_owned()),
                    text: Set(text.to_owned()),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?
                .id
            }
            Self::Case => {
                boundary_case::ActiveModel {
                    matter_id: Set(matter),
                    version_id: Set(s.draft),
                    division_id: Set(Some(cited)),
                    seq: Set(seq),
                    text: Set(text.to_owned()),
                    ..Default::default()
                }
                .insert(s.txn)
                .await?
                .id
            }
        })
    }

    pub(super) async fn remove(self, s: &Sync<'_>, id: i32) -> Result<(), LoadError> {
        match self {
            Self::Basis => legal_basis::Entity::delete_by_id(id).exec(s.txn).await?,
            Self::Case => boundary_case::Entity::delete_by_id(id).exec(s.txn).await?,
        };
        Ok(())
    }
}

pub(super) async fn sync_citations(
    s: &mut Sync<'_>,
    kind: Kind,
    at: &str,
    matter: i32,
    new: &[(i32, &str, &str)],
) -> Result<(), LoadError> {
    let owner = s.owner;
    let table = kind.table();
    let stored = kind.rows(s, matter).await?;
    let (old, uncited): (Vec<&Cited>, Vec<&Cited>) =
        stored.iter().partition(|c| c.division.is_some());
    let key = |title: &str, text: &str| format!("{title}\n{text}");
    let old_keys: Vec<String> = old.iter().map(|c| key(&c.title, &c.text)).collect();
    let new_keys: Vec<String> = new
        .iter()
        .map(|(_, title, text)| key(title, text))
        .collect();
    let pairs = pair(
        &old_keys.iter().map(String::as_str).collect::<Vec<_>>(),
        &new_keys.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // Numbered per matter but listed per division: places between divisions stay.
    let places: Vec<i32> = old.iter().map(|c| c.seq).collect();
    let divisions: Vec<i32> = new.iter().map(|(cited, _, _)| *cited).collect();
    let arranged = arrange(&pairs, &places, &divisions);
    let mut seq_of = vec![0; new.len()];
    for (place, j) in arranged.iter().enumerate() {
        seq_of[*j] = place as i32 + 1;
    }
    let mut ids = vec![0; new.len()];
    let mut renumber = false;
    for (j, ((cited, title, text), paired)) in new.iter().zip(&pairs).enumerate() {
        let seq = seq_of[j];
        ids[j] = match paired.map(|k| old[k]) {
            Some(before) => {
                if before.division != Some(*cited)
                    || before.title != *title
                    || before.text != *text
                    || before.seq != seq
                {
                    s.change(table, Change::Changed, owner, at.to_owned(), || {
                        format!("changing 「{}」", before.text)
                    })
                    .await?;
                    kind.set(s, before.id, *cited, title, text).await?;
                    renumber |= before.seq != seq;
                }
                before.id
            }
            None => {
                s.change(table, Change::Added, owner, at.to_owned(), || {
                    format!("adding 「{text}」")
                })
                .await?;
                let id = kind
                    .add(s, matter, parked_seq(j), *cited, title, text)
                    .await?;
                start_lineage(s.txn, table, id).await?;
                renumber = true;
                id
            }
        };
    }
    for k in unpaired(old.len(), &pairs) {
        let gone = old[k];
        s.change(table, Change::Removed, owner, at.to_owned(), || {
            format!("removing 「{}」", gone.text)
        })
        .await?;
        kind.remove(s, gone.id).await?;
        renumber = true;
    }
    if renumber {
        // Those cited nowhere follow, in their order; a place they lose is a change too.
        for (n, c) in uncited.iter().enumerate() {
            if c.seq != (new.len() + n) as i32 + 1 {
                s.change(table, Change::Changed, owner, at.to_owned(), || {
                    format!("renumbering 「{}」", c.text)
                })
                .await?;
            }
        }
        let mut order: Vec<i32> = arranged.iter().map(|j| ids[*j]).collect();
        order.extend(uncited.iter().map(|c| c.id));
        resequence(s.txn, table, &order).await?;
    }
    Ok(())
}
