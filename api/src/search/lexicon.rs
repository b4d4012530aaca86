//! The lexicon as data: `data/lexicon.json` seeds it, administrators maintain it.

use aho_corasick::AhoCorasick;
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

/// The entries in force, ready to expand queries: longest terms first (stable), so a term
/// inside a longer one that matched is not applied again.
pub struct Lexicon {
    entries: Vec<Entry>,
    /// Every entry's term, by the entry's position: one pass over a query finds the entries
    /// that can apply, where testing each entry in turn cost a pass per entry. `None` past
    /// the automaton's size limits (far beyond a lexicon people write): every entry is tried.
    terms: Option<AhoCorasick>,
    /// Entries whose term holds a space: an earlier entry's replacement (a space) can make
    /// them appear, so they are always tried.
    spaced: Vec<usize>,
}

impl Lexicon {
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.retain(|e| !e.term.is_empty());
        entries.sort_by_key(|e| std::cmp::Reverse(e.term.chars().count()));
        let terms = AhoCorasick::new(entries.iter().map(|e| &e.term)).ok();
        let spaced = (0..entries.len())
            .filter(|&i| entries[i].term.contains(' '))
            .collect();
        Self {
            entries,
            terms,
            spaced,
        }
    }

    /// The entries, longest terms first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Query text expanded with what its lexicon terms stand for: each entry in turn whose
    /// term is still in the text (outside the terms replaced so far) is replaced by a space
    /// and its expansion appended.
    pub fn expand(&self, text: &str) -> String {
        let Some(terms) = &self.terms else {
            return apply(text, self.entries.iter());
        };
        let mut found = vec![false; self.entries.len()];
        for hit in terms.find_overlapping_iter(text) {
            found[hit.pattern().as_usize()] = true;
        }
        for &i in &self.spaced {
            found[i] = true;
        }
        // A term with no space that is in the text once some terms are replaced was in it
        // before: a replacement only ever puts a space between what was there.
        let tried = self.entries.iter().zip(found).filter(|(_, found)| *found);
        apply(text, tried.map(|(entry, _)| entry))
    }
}

/// `text` with each of `entries` in turn applied where its term is still in it.
fn apply<'a>(text: &str, entries: impl Iterator<Item = &'a Entry>) -> String {
    let mut expanded = text.to_owned();
    let mut rest = text.to_owned();
    for entry in entries {
        if rest.contains(&entry.term) {
            rest = rest.replace(&entry.term, " ");
            expanded.push(' ');
            expanded.push_str(&entry.expansion);
        }
    }
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: &str, expansion: &str) -> Entry {
        Entry {
            term: term.into(),
            expansion: expansion.into(),
        }
    }

    /// Every entry tried in turn, longest first, none passed over: what `expand` must answer.
    fn tried_in_turn(text: &str, entries: &[Entry]) -> String {
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| std::cmp::Reverse(e.term.chars().count()));
        apply(text, entries.iter().filter(|e| !e.term.is_empty()))
    }

    #[test]
    fn expand__applies_what_trying_every_entry_in_turn_applies() {
        // Given terms inside others, a term with a space and an empty term
        let entries = vec![
            entry("计生", "计划生育"),
            entry(
                "两非",
                "非医学需要的胎儿性别鉴定 非医学需要的选择性别人工终止妊娠",
            ),
            entry("计生办", "计划生育办公室"),
            entry("超生", "违法生育"),
            entry("生办", "不该用到"),
            entry("堕胎药", "终止妊娠药物"),
            entry("药", "药品"),
            entry("A B", "空格相连"),
            entry("非法鉴定", "非医学需要的胎儿性别鉴定"),
            entry("", "空词"),
        ];
        let lexicon = Lexicon::new(entries.clone());
        let without_automaton = Lexicon {
            terms: None,
            ..Lexicon::new(entries.clone())
        };
        for text in [
            "邻居家超生了想举报",
            "乡镇计生办不给办独生子女证",
            "有人卖堕胎药还搞两非",
            "计生计生计生",
            "AxB 与 A 药 B",
            "A两非B",
            "A非法鉴定B",
            "没有一个词条",
            "",
        ] {
            // When a text is expanded, Then it comes out as trying every entry in turn
            // makes it, expansions in the same order, with the automaton or without
            assert_eq!(
                lexicon.expand(text),
                tried_in_turn(text, &entries),
                "{text}"
            );
            assert_eq!(
                without_automaton.expand(text),
                tried_in_turn(text, &entries),
                "{text}"
            );
        }
        // And a term found is replaced and its expansion appended
        assert_eq!(lexicon.expand("邻居家超生了"), "邻居家超生了 违法生育");
        // And a longer term takes its text before a term inside it
        assert_eq!(
            lexicon.expand("计生办"),
            "计生办 计划生育办公室",
            "生办 and 计生 are inside 计生办"
        );
        // And a term that a longer one's replacement made appear is applied
        assert!(lexicon.expand("A非法鉴定B").ends_with("空格相连"));
    }
}
