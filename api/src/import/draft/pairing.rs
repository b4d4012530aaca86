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

/// The order of rows numbered across groups whose order between groups a table cannot show
/// (a matter's legal bases, numbered per matter, listed per division): `new[j]` is in group
/// `groups[j]` and was paired with the row `pairs[j]` whose place was `old_places[k]`.
/// Paired rows keep the places their group held, taken by the group's rows in the file's
/// order; a new row goes before the next row of its group in the file, or after its group's
/// last. So an upload that changes nothing keeps every place, and a clerk's order within a
/// group is kept. Returns the indexes of `new` in their order.
pub fn arrange(pairs: &[Option<usize>], old_places: &[i32], groups: &[i32]) -> Vec<usize> {
    let mut members: Vec<(i32, Vec<usize>)> = Vec::new();
    for (j, group) in groups.iter().enumerate() {
        match members.iter_mut().find(|(g, _)| g == group) {
            Some((_, list)) => list.push(j),
            None => members.push((*group, vec![j])),
        }
    }
    let mut places: Vec<usize> = (0..pairs.len()).filter(|&j| pairs[j].is_some()).collect();
    places.sort_by_key(|&j| pairs[j].map(|k| old_places[k]));
    let mut next = vec![0usize; members.len()];
    let mut order = Vec::with_capacity(pairs.len());
    for j in places {
        let g = members
            .iter()
            .position(|(g, _)| *g == groups[j])
            .unwrap_or_default();
        let list = &members[g].1;
        while next[g] < list.len() {
            let k = list[next[g]];
            next[g] += 1;
            order.push(k);
            if pairs[k].is_some() {
                break;
            }
        }
    }
    for (g, (_, list)) in members.iter().enumerate() {
        order.extend(&list[next[g]..]);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrange__groups_interleaved_in_the_draft_keep_their_places() {
        // Given rows of group 1 at places 1 and 3, of group 2 at place 2, uploaded by group
        let (pairs, places, groups) = ([Some(0), Some(2), Some(1)], [1, 2, 3], [1, 1, 2]);
        // Then each keeps its place
        assert_eq!(arrange(&pairs, &places, &groups), [0, 2, 1]);
    }

    #[test]
    fn arrange__a_new_row_goes_where_the_file_puts_it_within_its_group() {
        // Given group 1 (a, new, b) and group 2 (c), a and b at places 1 and 2, c at 3
        let pairs = [Some(0), None, Some(1), Some(2)];
        assert_eq!(arrange(&pairs, &[1, 2, 3], &[1, 1, 1, 2]), [0, 1, 2, 3]);
        // And a group with no paired row goes last
        let pairs = [Some(0), None];
        assert_eq!(arrange(&pairs, &[1], &[1, 2]), [0, 1]);
    }

    #[test]
    fn arrange__rows_swapped_within_a_group_swap_places() {
        let pairs = [Some(1), Some(0)];
        assert_eq!(arrange(&pairs, &[1, 2], &[1, 1]), [0, 1]);
    }

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
