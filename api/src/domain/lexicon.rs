//! Lexicon writes (词库维护, ADMIN): one transaction each, audited, and counted in the data
//! version so every process's search index picks the change up on its next request.

use crate::db::Write;
use entity::lexicon_entry;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::kinds::LexiconKind;
use super::{Failure, audit, clock::Clock};
use crate::auth::{Role, Viewer};

/// Adds `term` or replaces what it stands for. Returns the entry.
pub async fn set_entry(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    term: &str,
    expansion: &str,
    kind: LexiconKind,
) -> Result<lexicon_entry::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let mut checks = super::rules::Checks::default();
    checks.require_text("term", term, "the term");
    checks.require_text("expansion", expansion, "the expansion");
    checks.finish()?;
    let kind = kind.as_str();
    let before = lexicon_entry::Entity::find()
        .filter(lexicon_entry::Column::Term.eq(term))
        .one(&txn)
        .await?;
    let saved = match &before {
        Some(old) => {
            let mut row: lexicon_entry::ActiveModel = old.clone().into();
            row.expansion = Set(expansion.to_owned());
            row.kind = Set(kind.to_owned());
            row.update(&txn).await?
        }
        None => {
            lexicon_entry::ActiveModel {
                term: Set(term.to_owned()),
                expansion: Set(expansion.to_owned()),
                kind: Set(kind.to_owned()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let entry = audit::Entry {
        actor: &actor,
        operation: "setLexiconEntry",
        entity: "lexicon_entry",
        entity_id: Some(saved.id),
        before: before.map(|b| json!({ "term": b.term, "expansion": b.expansion, "kind": b.kind })),
        after: Some(
            json!({ "term": saved.term, "expansion": saved.expansion, "kind": saved.kind }),
        ),
    };
    audit::record(&txn, clock.now(), entry).await?;
    crate::domain::events::lexicon_changed(&txn, &saved, "SET").await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes `term`; false when it was not in the lexicon.
pub async fn remove_entry(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    term: &str,
) -> Result<bool, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let Some(old) = lexicon_entry::Entity::find()
        .filter(lexicon_entry::Column::Term.eq(term))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    lexicon_entry::Entity::delete_by_id(old.id)
        .exec(&txn)
        .await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "removeLexiconEntry",
        entity: "lexicon_entry",
        entity_id: Some(old.id),
        before: Some(json!({ "term": old.term, "expansion": old.expansion, "kind": old.kind })),
        after: None,
    };
    audit::record(&txn, clock.now(), entry).await?;
    crate::domain::events::lexicon_changed(&txn, &old, "REMOVED").await?;
    txn.commit().await?;
    Ok(true)
}

/// Loads the starting lexicon into an empty lexicon table (at first start, with the list).
pub async fn seed(db: &sea_orm::DatabaseConnection, file: &str) -> Result<usize, sea_orm::DbErr> {
    let rows = crate::search::lexicon::parse(file)
        .map_err(|e| sea_orm::DbErr::Custom(format!("lexicon file: {e}")))?;
    if let Some(bad) = rows.iter().find(|r| LexiconKind::parse(&r.kind).is_none()) {
        let kinds: Vec<&str> = LexiconKind::ALL.iter().map(|k| k.as_str()).collect();
        return Err(sea_orm::DbErr::Custom(format!(
            "lexicon file: {}: kind must be one of {kinds:?}",
            bad.term
        )));
    }
    let txn = Write::begin(db).await?;
    if !crate::search::lexicon::is_empty(&txn).await? {
        return Ok(0);
    }
    let n = rows.len();
    lexicon_entry::Entity::insert_many(rows.iter().map(|r| lexicon_entry::ActiveModel {
        term: Set(r.term.clone()),
        expansion: Set(r.expansion.clone()),
        kind: Set(r.kind.clone()),
        ..Default::default()
    }))
    .exec(&txn)
    .await?;
    let entry = audit::Entry {
        actor: "system",
        operation: "seedLexicon",
        entity: "lexicon_entry",
        entity_id: None,
        before: None,
        after: Some(json!({ "entries": n })),
    };
    audit::record(&txn, chrono::Utc::now(), entry).await?;
    txn.commit().await?;
    Ok(n)
}
