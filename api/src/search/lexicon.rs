//! The lexicon as data: `data/lexicon.json` seeds it, administrators maintain it.

use entity::lexicon_entry;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait};
use serde::Deserialize;

/// The starting lexicon for the Anhua list, loaded with the list at first start.
pub const STARTING: &str = include_str!("../../../data/lexicon.json");

/// One entry of a lexicon file.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryRow {
    pub term: String,
    pub expansion: String,
    pub kind: String,
}

/// An entry in force: the query containing `term` is expanded with `expansion`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub term: String,
    pub expansion: String,
}

pub fn parse(file: &str) -> Result<Vec<EntryRow>, serde_json::Error> {
    serde_json::from_str(file)
}

/// Every entry, for the index.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Entry>, DbErr> {
    Ok(lexicon_entry::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| Entry {
            term: m.term,
            expansion: m.expansion,
        })
        .collect())
}

/// Whether the lexicon table is empty (seed only then).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(lexicon_entry::Entity::find().count(db).await? == 0)
}

/// Entries in the order `expand` applies them: longest terms first (stable), so a term
/// inside a longer one that matched is not applied again.
pub fn longest_first(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by_key(|e| std::cmp::Reverse(e.term.chars().count()));
    entries
}

/// Query text expanded with what its lexicon terms stand for; `entries` as `longest_first`
/// orders them (the index keeps them so, instead of sorting on every lookup).
pub fn expand(text: &str, entries: &[Entry]) -> (String, Vec<String>) {
    let mut expanded = text.to_owned();
    let mut rest = text.to_owned();
    let mut applied = Vec::new();
    for entry in entries {
        if !entry.term.is_empty() && rest.contains(&entry.term) {
            rest = rest.replace(&entry.term, " ");
            expanded.push(' ');
            expanded.push_str(&entry.expansion);
            applied.push(entry.expansion.clone());
        }
    }
    (expanded, applied)
}
