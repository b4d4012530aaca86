//! Limits checked before a query reaches the schema: the token cap (counted by a linear scan,
//! before any parsing), then on the parsed document the alias cap (fragments once each and
//! multiplied by their spreads), the cap on selecting one field again and again, the nesting
//! bound that keeps the schema's recursive passes shallow and the directives a place may
//! carry. Depth and complexity need the schema's types: `graphql::cost` checks them.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::config::Limits;
use crate::graphql::cost::{MAX_DIRECTIVES, MAX_NESTING};

/// The first limit `query` passes (before parsing), as the refusal's message.
pub fn check_text(limits: &Limits, query: &str) -> Result<(), String> {
    if count_tokens(query, limits.max_tokens) > limits.max_tokens {
        return Err(format!(
            "the query holds more than {} tokens",
            limits.max_tokens
        ));
    }
    Ok(())
}

/// The first limit the parsed `document` passes, as the refusal's message.
pub fn check_document(limits: &Limits, document: &ExecutableDocument) -> Result<(), String> {
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(format!(
            "the query uses {aliases} aliases, more than {}",
            limits.max_aliases
        ));
    }
    if let Some((field, repeats)) = most_repeated(document)
        && repeats > MAX_REPEATS
    {
        return Err(format!(
            "the query selects {field} {repeats} times in one selection set, more than {MAX_REPEATS}"
        ));
    }
    if nested_past(document, MAX_NESTING) {
        return Err(format!(
            "the query nests selections more than {MAX_NESTING} levels deep, fragments included"
        ));
    }
    if most_directives(document) > MAX_DIRECTIVES {
        return Err(format!(
            "a field, fragment or operation of the query carries more than {MAX_DIRECTIVES} directives"
        ));
    }
    Ok(())
}

/// True when a selection set of `document` lies more than `max` levels down, counting as
/// the schema does (fields with selections, spreads and inline fragments each a level).
fn nested_past(document: &ExecutableDocument, max: usize) -> bool {
    fn past(document: &ExecutableDocument, set: &SelectionSet, depth: usize, max: usize) -> bool {
        if depth > max {
            return true;
        }
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => {
                let inner = &field.node.selection_set.node;
                !inner.items.is_empty() && past(document, inner, depth + 1, max)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|fragment| {
                    past(document, &fragment.node.selection_set.node, depth + 1, max)
                }),
            Selection::InlineFragment(fragment) => {
                past(document, &fragment.node.selection_set.node, depth + 1, max)
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| past(document, &operation.node.selection_set.node, 0, max))
}

/// The most directives one place of `document` carries: an operation, a fragment, a field,
/// a spread or an inline fragment.
fn most_directives(document: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => field
                    .node
                    .directives
                    .len()
                    .max(in_set(&field.node.selection_set.node)),
                Selection::FragmentSpread(spread) => spread.node.directives.len(),
                Selection::InlineFragment(fragment) => fragment
                    .node
                    .directives
                    .len()
                    .max(in_set(&fragment.node.selection_set.node)),
            })
            .max()
            .unwrap_or(0)
    }
    let operations = document.operations.iter().map(|(_, operation)| {
        operation
            .node
            .directives
            .len()
            .max(in_set(&operation.node.selection_set.node))
    });
    let fragments = document.fragments.values().map(|fragment| {
        fragment
            .node
            .directives
            .len()
            .max(in_set(&fragment.node.selection_set.node))
    });
    operations.chain(fragments).max().unwrap_or(0)
}

/// Lexical tokens of a GraphQL document, per the spec's lexical grammar (ignored: whitespace,
/// commas, comments; one token per punctuator, name, number or string). Counting stops once
/// past `cap`, so the scan costs at most what the cap allows.
pub fn count_tokens(source: &str, cap: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    while i < bytes.len() && tokens <= cap {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                tokens += 1;
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                tokens += 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            b if b == b'_' || b == b'-' || b.is_ascii_alphanumeric() => {
                tokens += 1;
                i += 1;
                while i < bytes.len()
                    && (bytes[i] == b'_'
                        || bytes[i].is_ascii_alphanumeric()
                        || (bytes[i] == b'.' && !bytes[i..].starts_with(b"..."))
                        || ((bytes[i] == b'+' || bytes[i] == b'-')
                            && matches!(bytes[i - 1], b'e' | b'E')))
                {
                    i += 1;
                }
            }
            _ => {
                // A punctuator, or a character the parser will refuse: one token either way.
                tokens += 1;
                i += source[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    tokens
}

/// Aliased fields the document selects, each fragment's counted once and added per spread.
pub fn count_aliases(document: &ExecutableDocument) -> usize {
    let mut counter = AliasCounter {
        document,
        fragments: HashMap::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| counter.selection_set(&operation.node.selection_set.node))
        .fold(0, usize::saturating_add)
}

struct AliasCounter<'a> {
    document: &'a ExecutableDocument,
    /// Aliases per fragment; `None` while it is being counted (a cycle counts nothing more:
    /// validation refuses it anyway).
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> AliasCounter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> usize {
        let mut count = 0usize;
        for selection in &set.items {
            let more = match &selection.node {
                Selection::Field(field) => usize::from(field.node.alias.is_some())
                    .saturating_add(self.selection_set(&field.node.selection_set.node)),
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            count = count.saturating_add(more);
        }
        count
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(known) = self.fragments.get(name) {
            return known.unwrap_or(0);
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert(name, None);
        let count = self.selection_set(&fragment.node.selection_set.node);
        self.fragments.insert(name, Some(count));
        count
    }
}

/// How often one field may be selected under the same response key in one selection set,
/// fragments included. Identical selections merge, so `{ __typename ×1000 }` executes one
/// field, but the document still costs its validation (which compares fields pairwise): a
/// query has no need to ask for a field more than a few times.
pub const MAX_REPEATS: usize = 20;

/// The response key selected most often in one selection set (fields of inline fragments
/// and fragment spreads count in the set they are spread into), and how often.
pub fn most_repeated(document: &ExecutableDocument) -> Option<(String, usize)> {
    let mut counter = RepeatCounter {
        document,
        fragments: HashMap::new(),
        worst: None,
    };
    for (_, operation) in document.operations.iter() {
        counter.check(&operation.node.selection_set.node);
    }
    counter.worst.map(|(key, count)| (key.to_owned(), count))
}

/// Selections per response key of one selection set.
type KeyCounts<'a> = HashMap<&'a str, usize>;

struct RepeatCounter<'a> {
    document: &'a ExecutableDocument,
    /// The keys each fragment contributes; `None` while it is being counted (a cycle is
    /// refused by validation; here it contributes nothing more).
    fragments: HashMap<&'a str, Option<std::rc::Rc<KeyCounts<'a>>>>,
    worst: Option<(&'a str, usize)>,
}

impl<'a> RepeatCounter<'a> {
    /// Counts the keys of `set` and of every selection set under it, keeping the worst.
    fn check(&mut self, set: &'a SelectionSet) {
        let counts = self.keys(set);
        for (key, count) in counts {
            if self.worst.is_none_or(|(_, worst)| count > worst) {
                self.worst = Some((key, count));
            }
        }
    }

    /// The keys `set` selects, with the fragments spread into it; the sets under its fields
    /// are checked on the way (a fragment's once, however often it is spread).
    fn keys(&mut self, set: &'a SelectionSet) -> KeyCounts<'a> {
        let mut counts = KeyCounts::new();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
                    let count = counts.entry(key).or_default();
                    *count = count.saturating_add(1);
                    if !field.selection_set.node.items.is_empty() {
                        self.check(&field.selection_set.node);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let inner = self.keys(&fragment.node.selection_set.node);
                    add(&mut counts, &inner);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(inner) = self.fragment(spread.node.fragment_name.node.as_str()) {
                        add(&mut counts, &inner);
                    }
                }
            }
        }
        counts
    }

    fn fragment(&mut self, name: &'a str) -> Option<std::rc::Rc<KeyCounts<'a>>> {
        if let Some(known) = self.fragments.get(name) {
            return known.clone();
        }
        let fragment = self.document.fragments.get(name)?;
        self.fragments.insert(name, None);
        let counts = std::rc::Rc::new(self.keys(&fragment.node.selection_set.node));
        self.fragments.insert(name, Some(counts.clone()));
        Some(counts)
    }
}

fn add<'a>(counts: &mut KeyCounts<'a>, more: &KeyCounts<'a>) {
    for (key, count) in more {
        let total = counts.entry(key).or_default();
        *total = total.saturating_add(*count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aliases(query: &str) -> usize {
        count_aliases(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn count_tokens__follows_the_lexical_grammar() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(count_tokens("{ a(x: -1.5e+3, y: \"a b,c\") }", 100), 11);
        assert_eq!(count_tokens("# comment { } \n{ ...F }", 100), 4);
        assert_eq!(count_tokens("{ a(s: \"\"\"x \\\"\"\" y\"\"\") }", 100), 8);
        assert_eq!(count_tokens("{ 部门 }", 100), 4);
        // Counting stops past the cap
        assert_eq!(count_tokens(&"{ a } ".repeat(1_000), 10), 11);
    }

    fn repeated(query: &str) -> Option<(String, usize)> {
        most_repeated(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn most_repeated__counts_merged_selections_through_fragments() {
        let thousand = format!("{{ {} }}", "__typename ".repeat(1_000));
        assert_eq!(repeated(&thousand), Some(("__typename".to_owned(), 1_000)));
        assert_eq!(repeated("{ a b c }").map(|(_, n)| n), Some(1));
        // An alias is its own key
        assert_eq!(repeated("{ x: a y: a a }").map(|(_, n)| n), Some(1));
        // Spreads and inline fragments add to the set they are spread into
        assert_eq!(
            repeated("{ a ...F ...F ... on Q { a } } fragment F on Q { a }"),
            Some(("a".to_owned(), 4))
        );
        // Nested sets are counted on their own
        assert_eq!(
            repeated("{ a { b b b } a { b } }"),
            Some(("b".to_owned(), 3))
        );
        // A cycle (refused later by validation) does not loop
        assert_eq!(
            repeated("{ ...F } fragment F on Q { a ...F }"),
            Some(("a".to_owned(), 1))
        );
    }

    #[test]
    fn count_aliases__multiplies_fragments_by_their_spreads() {
        assert_eq!(aliases("{ a: x b: x c { d: y } }"), 3);
        assert_eq!(
            aliases("{ ...F ...F } fragment F on Q { a: x ... on Q { b: x } }"),
            4
        );
        assert_eq!(aliases("{ x { y } }"), 0);
        // A cycle (refused later by validation) does not loop
        assert_eq!(aliases("{ ...F } fragment F on Q { a: x ...F }"), 1);
    }
}
