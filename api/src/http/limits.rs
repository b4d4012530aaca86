//! Limits checked before a query reaches the schema: the token cap (counted by a linear scan,
//! before any parsing) and the alias cap (counted on the parsed document, fragments once each
//! and multiplied by their spreads).

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

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
