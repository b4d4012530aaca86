//! Which uploaded row is which row of the draft, within one scope (a duty's work items, a
//! department's duties, the list's services…): the row a clerk left alone, edited, moved,
//! added or deleted. Rows are told apart by their text and their place (序号):
//!
//! 1. the same text is the same row, the nearest place first (a row moved, or others around
//!    it added or deleted);
//! 2. then a text mostly like one of the draft's (character pairs shared, Dice ≥ 0.5) is that
//!    row edited, the most alike first;
//! 3. then a row at the place of a draft row nothing else matched is that row rewritten;
//! 4. what is left is added (uploaded) or removed (the draft's).
//!
//! So an edit keeps the row's lineage, and `listVersionDiff` shows it as a change of that row
//! rather than as one row removed and another added.

use std::collections::HashSet;

/// How alike two texts must be to be one row edited.
const ALIKE: f64 = 0.5;

/// For each of `new`, the index in `old` of the row it is, if any; every `old` row is
/// matched at most once.
pub fn pair(old: &[&str], new: &[&str]) -> Vec<Option<usize>> {
    let mut matched: Vec<Option<usize>> = vec![None; new.len()];
    let mut taken = vec![false; old.len()];
    // 1. The same text, the nearest place first.
    for (j, text) in new.iter().enumerate() {
        let nearest = (0..old.len())
            .filter(|&i| !taken[i] && old[i] == *text)
            .min_by_key(|&i| i.abs_diff(j));
        if let Some(i) = nearest {
            matched[j] = Some(i);
            taken[i] = true;
        }
    }
    // 2. Alike texts, the most alike first.
    let mut candidates = Vec::new();
    for (j, text) in new.iter().enumerate() {
        if matched[j].is_some() {
            continue;
        }
        for i in (0..old.len()).filter(|&i| !taken[i]) {
            let score = dice(old[i], text);
            if score >= ALIKE {
                candidates.push((score, i.abs_diff(j), i, j));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, i, j) in candidates {
        if !taken[i] && matched[j].is_none() {
            matched[j] = Some(i);
            taken[i] = true;
        }
    }
    // 3. The same place.
    for (j, slot) in matched.iter_mut().enumerate() {
        if slot.is_none() && j < old.len() && !taken[j] {
            *slot = Some(j);
            taken[j] = true;
        }
    }
    matched
}

/// Sørensen–Dice coefficient over the texts' character pairs (single characters for texts
/// of one character): 1 for the same text, 0 for texts sharing nothing.
fn dice(a: &str, b: &str) -> f64 {
    let grams = |text: &str| -> Vec<(char, char)> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() == 1 {
            return vec![(chars[0], chars[0])];
        }
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (a, b) = (grams(a), grams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut pool: Vec<Option<&(char, char)>> = b.iter().map(Some).collect();
    let mut shared = 0;
    for gram in &a {
        if let Some(slot) = pool.iter_mut().find(|slot| **slot == Some(gram)) {
            *slot = None;
            shared += 1;
        }
    }
    2.0 * shared as f64 / (a.len() + b.len()) as f64
}

/// The indexes of `old` no row of `new` was paired with (the rows removed).
pub fn unpaired(old_len: usize, pairs: &[Option<usize>]) -> Vec<usize> {
    let taken: HashSet<usize> = pairs.iter().flatten().copied().collect();
    (0..old_len).filter(|i| !taken.contains(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair__unchanged_rows_pair_in_place() {
        assert_eq!(
            pair(&["甲", "乙", "丙"], &["甲", "乙", "丙"]),
            [Some(0), Some(1), Some(2)]
        );
    }

    #[test]
    fn pair__an_inserted_row_is_new_and_an_edited_one_keeps_its_row() {
        // Given 乙 edited and a row inserted before it
        let old = [
            "负责计划生育技术服务",
            "负责流动人口管理工作",
            "负责宣传教育",
        ];
        let new = [
            "负责计划生育技术服务",
            "负责新增的工作事项内容",
            "负责流动人口服务管理工作",
            "负责宣传教育",
        ];
        // Then the inserted row pairs with nothing and the edited one with its old row
        assert_eq!(pair(&old, &new), [Some(0), None, Some(1), Some(2)]);
    }

    #[test]
    fn pair__moved_rows_follow_their_text_and_a_deleted_one_is_left() {
        let pairs = pair(&["甲乙", "丙丁", "戊己"], &["戊己", "甲乙"]);
        assert_eq!(pairs, [Some(2), Some(0)]);
        assert_eq!(unpaired(3, &pairs), [1]);
    }

    #[test]
    fn pair__a_row_rewritten_in_place_keeps_its_row() {
        assert_eq!(
            pair(&["甲乙丙", "丁戊己"], &["甲乙丙", "完全不同"]),
            [Some(0), Some(1)]
        );
    }

    #[test]
    fn pair__twin_texts_pair_nearest_first() {
        assert_eq!(pair(&["同", "异", "同"], &["同", "同"]), [Some(0), Some(2)]);
    }

    #[test]
    fn dice__counts_shared_character_pairs() {
        assert_eq!(dice("甲乙丙", "甲乙丙"), 1.0);
        assert_eq!(dice("甲乙", "丙丁"), 0.0);
        assert!((dice("甲乙丙丁", "甲乙丙戊") - 2.0 * 2.0 / 6.0).abs() < 1e-9);
    }
}
