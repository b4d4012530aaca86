//! Which rows may contain a text: a bigram index over the rows' texts, so a `textContains`
//! filter over a province's lists checks the few rows that have every pair of adjacent
//! characters of the text instead of every row. Chinese has no spaces to split words at;
//! adjacent pairs of characters are what narrows it.

use std::collections::HashMap;

/// Row positions by the bigrams their texts hold, each list ascending.
#[derive(Default)]
pub struct TextIndex {
    grams: HashMap<(char, char), Vec<u32>>,
}

impl TextIndex {
    /// Indexes `rows`: each row's texts, by its position. A bigram never spans two texts.
    pub fn build<'a, R, T>(rows: R) -> Self
    where
        R: IntoIterator<Item = T>,
        T: IntoIterator<Item = &'a str>,
    {
        let mut grams: HashMap<(char, char), Vec<u32>> = HashMap::new();
        for (position, texts) in rows.into_iter().enumerate() {
            let position = position as u32;
            for text in texts {
                let mut chars = text.chars();
                let Some(mut previous) = chars.next() else {
                    continue;
                };
                for next in chars {
                    let list = grams.entry((previous, next)).or_default();
                    if list.last() != Some(&position) {
                        list.push(position);
                    }
                    previous = next;
                }
            }
        }
        Self { grams }
    }

    /// The positions, ascending, of the rows holding every bigram of `needle`: a superset of
    /// the rows that contain it (the caller checks each). `None` when `needle` is too short to
    /// narrow anything (under two characters): every row may contain it.
    pub fn candidates(&self, needle: &str) -> Option<Vec<u32>> {
        let chars: Vec<char> = needle.chars().collect();
        if chars.len() < 2 {
            return None;
        }
        let mut lists: Vec<&[u32]> = Vec::with_capacity(chars.len() - 1);
        for pair in chars.windows(2) {
            match self.grams.get(&(pair[0], pair[1])) {
                Some(list) => lists.push(list),
                None => return Some(Vec::new()),
            }
        }
        lists.sort_by_key(|list| list.len());
        let (shortest, rest) = lists.split_first()?;
        Some(
            shortest
                .iter()
                .copied()
                .filter(|position| rest.iter().all(|list| list.binary_search(position).is_ok()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates__are_the_rows_with_every_bigram_in_order() {
        let rows = [
            vec!["户籍登记", "办理"],
            vec!["流动人口", "户籍"],
            vec!["户口", "籍贯"],
            vec!["生育登记"],
        ];
        let index = TextIndex::build(rows.iter().map(|texts| texts.iter().copied()));
        assert_eq!(index.candidates("户籍"), Some(vec![0, 1]));
        assert_eq!(index.candidates("登记"), Some(vec![0, 3]));
        // Every bigram must be there; a bigram never spans two texts of a row
        assert_eq!(index.candidates("户籍登记"), Some(vec![0]));
        assert_eq!(index.candidates("口籍"), Some(vec![]));
        assert_eq!(index.candidates("理流"), Some(vec![]));
        // One character narrows nothing
        assert_eq!(index.candidates("户"), None);
        assert_eq!(index.candidates(""), None);
    }
}
