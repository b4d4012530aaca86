//! What a submitted inspection recorded, held by the process. An inspection's row, findings,
//! inspectors and methods are written once, in the transaction that submits it, and no use
//! case updates or deletes them: once read, they are the same for as long as the inspection
//! exists. So a page of inspections, whose members SQL decides, decodes only the rows not
//! held here and reads their relations from here, within a memory budget
//! (`QINGDAN_SUPERVISION_MEMORY_MB`, shared evenly), the least recently read dropped first.
//! What changes after submission (documents, rectification, reviews, the derived status) is
//! always read from SQL.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use entity::{finding, inspection, inspection_method, inspector};
use lru::LruCache;
use sea_orm::Statement;

/// The relations of submitted inspections, by inspection id.
pub struct Submitted {
    /// An inspection's own row, as a set of one.
    pub inspections: Kept<inspection::Model>,
    pub findings: Kept<finding::Model>,
    pub inspectors: Kept<inspector::Model>,
    pub methods: Kept<inspection_method::Model>,
    /// Pages of inspections read lately.
    pub pages: Pages,
}

impl Submitted {
    /// Holds at most `budget_mb` MiB of rows across the four (0: none held).
    pub fn new(budget_mb: usize) -> Self {
        let share = budget_mb.saturating_mul(1024 * 1024) / 4;
        Self {
            inspections: Kept::new(share),
            findings: Kept::new(share),
            inspectors: Kept::new(share),
            methods: Kept::new(share),
            pages: Pages::new(if budget_mb == 0 { 0 } else { PAGES }),
        }
    }

    /// Whether anything is held (a budget of 0 holds nothing).
    pub fn keeps(&self) -> bool {
        self.inspections.budget > 0
    }
}

/// Pages `Pages` remembers.
const PAGES: usize = 4_096;

/// The pages of inspections read lately, by the hash of their statement, with the ids they
/// held then: read again while those are all held, a page is asked for its ids first
/// (`read::held_inspections`); a page whose rows are no longer held is read whole.
pub struct Pages {
    read: Option<Mutex<LruCache<u64, Arc<[i32]>>>>,
}

impl Pages {
    /// Remembers at most `count` pages (0: none).
    fn new(count: usize) -> Self {
        Self {
            read: NonZeroUsize::new(count).map(|count| Mutex::new(LruCache::new(count))),
        }
    }

    /// The key `statement`'s page is remembered by.
    pub fn key(statement: &Statement) -> u64 {
        let mut hasher = DefaultHasher::new();
        statement.sql.hash(&mut hasher);
        format!("{:?}", statement.values).hash(&mut hasher);
        hasher.finish()
    }

    fn read(&self) -> Option<std::sync::MutexGuard<'_, LruCache<u64, Arc<[i32]>>>> {
        let read = self.read.as_ref()?;
        Some(read.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The ids the page `key` held when it was last read, if it was read lately.
    pub fn ids(&self, key: u64) -> Option<Arc<[i32]>> {
        self.read()?.get(&key).cloned()
    }

    /// Remembers that the page `key` held `ids`.
    pub fn remember(&self, key: u64, ids: &[i32]) {
        if let Some(mut read) = self.read() {
            read.put(key, ids.into());
        }
    }
}

/// Bytes a row holds, near enough to keep a budget.
pub trait Weight {
    fn weight(&self) -> usize;
}

impl Weight for inspection::Model {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.record.capacity() + self.submitted_by.capacity()
    }
}

impl Weight for finding::Model {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.outcome.capacity() + self.note.as_ref().map_or(0, String::capacity)
    }
}

impl Weight for inspector::Model {
    fn weight(&self) -> usize {
        size_of::<Self>() + self.name.capacity() + self.certificate_no.capacity()
    }
}

impl Weight for inspection_method::Model {
    fn weight(&self) -> usize {
        size_of::<Self>()
    }
}

/// One relation's rows by parent id, least recently read dropped first past the budget.
pub struct Kept<M> {
    budget: usize,
    held: Mutex<Held<M>>,
}

struct Held<M> {
    rows: LruCache<i32, Arc<[M]>>,
    bytes: usize,
}

/// A parent's id and its rows, shared with what holds them.
pub type ParentRows<M> = (i32, Arc<[M]>);

/// What an entry costs beyond its rows: the key, the slice's header and the list's links.
const ENTRY_BYTES: usize = 64;

impl<M: Weight + Clone> Kept<M> {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            held: Mutex::new(Held {
                rows: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held<M>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rows held for each of `parents` (shared, not copied), and the parents not held.
    pub fn get_many(&self, parents: &[i32]) -> (Vec<ParentRows<M>>, Vec<i32>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        if self.budget == 0 {
            return (found, parents.to_vec());
        }
        let mut held = self.held();
        for &parent in parents {
            match held.rows.get(&parent) {
                Some(rows) => found.push((parent, rows.clone())),
                None => missing.push(parent),
            }
        }
        (found, missing)
    }

    /// Holds the rows read from SQL for `parent`. An empty set is never held: an inspection
    /// is read with its relations in one transaction, so an id with none may be one whose
    /// submission has not committed yet.
    pub fn keep(&self, parent: i32, rows: Arc<[M]>) {
        let bytes = ENTRY_BYTES + rows.iter().map(Weight::weight).sum::<usize>();
        if rows.is_empty() || bytes > self.budget {
            return;
        }
        let mut held = self.held();
        if let Some(old) = held.rows.put(parent, rows) {
            held.bytes -= ENTRY_BYTES + old.iter().map(Weight::weight).sum::<usize>();
        }
        held.bytes += bytes;
        while held.bytes > self.budget {
            let Some((_, dropped)) = held.rows.pop_lru() else {
                break;
            };
            held.bytes -= ENTRY_BYTES + dropped.iter().map(Weight::weight).sum::<usize>();
        }
    }

    /// Whether every one of `parents` is held; none is counted as read.
    pub fn holds_all(&self, parents: &[i32]) -> bool {
        if self.budget == 0 {
            return parents.is_empty();
        }
        let held = self.held();
        parents.iter().all(|parent| held.rows.contains(parent))
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.held().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: i32, inspection_id: i32) -> finding::Model {
        finding::Model {
            id,
            inspection_id,
            item_id: 1,
            outcome: "COMPLIANT".into(),
            note: None,
        }
    }

    #[test]
    fn rows_read_once_are_answered_and_the_rest_asked_for() {
        let kept = Kept::new(1 << 20);
        kept.keep(1, [finding(10, 1), finding(11, 1)].into());
        let (found, missing) = kept.get_many(&[1, 2]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 1);
        assert_eq!(
            found[0].1.iter().map(|f| f.id).collect::<Vec<_>>(),
            [10, 11]
        );
        assert_eq!(missing, [2]);
    }

    #[test]
    fn an_empty_set_is_never_held() {
        let kept = Kept::<finding::Model>::new(1 << 20);
        kept.keep(3, Arc::from([]));
        assert_eq!(kept.get_many(&[3]).1, [3]);
        assert_eq!(kept.bytes(), 0);
    }

    #[test]
    fn the_least_recently_read_go_first_past_the_budget() {
        let one = ENTRY_BYTES + finding(1, 1).weight();
        let kept = Kept::new(2 * one);
        kept.keep(1, [finding(1, 1)].into());
        kept.keep(2, [finding(2, 2)].into());
        // Reading 1 makes 2 the least recently read.
        assert_eq!(kept.get_many(&[1]).1, Vec::<i32>::new());
        kept.keep(3, [finding(3, 3)].into());
        let (found, missing) = kept.get_many(&[1, 2, 3]);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(missing, [2]);
        assert!(kept.bytes() <= 2 * one);
    }

    #[test]
    fn a_page_read_lately_is_remembered_with_its_ids() {
        let pages = Pages::new(2);
        let page = |department: i32| {
            Pages::key(&Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT id FROM inspection WHERE target_department_id = $1",
                [department.into()],
            ))
        };
        assert_eq!(pages.ids(page(1)), None);
        pages.remember(page(1), &[4, 7]);
        assert_eq!(pages.ids(page(1)).as_deref(), Some(&[4, 7][..]));
        // Another value is another page.
        assert_eq!(pages.ids(page(2)), None);
        // Past the bound the least recently read is forgotten.
        pages.remember(page(2), &[5]);
        pages.remember(page(3), &[6]);
        assert_eq!(pages.ids(page(1)), None);
        let none = Pages::new(0);
        none.remember(page(3), &[6]);
        assert_eq!(none.ids(page(3)), None);
    }

    #[test]
    fn holds_all__only_when_every_parent_is_held() {
        let kept = Kept::new(1 << 20);
        kept.keep(1, [finding(10, 1)].into());
        kept.keep(2, [finding(20, 2)].into());
        assert!(kept.holds_all(&[1, 2]));
        assert!(kept.holds_all(&[]));
        assert!(!kept.holds_all(&[1, 3]));
        assert!(!Kept::<finding::Model>::new(0).holds_all(&[1]));
    }

    #[test]
    fn a_budget_of_nothing_holds_nothing() {
        let kept = Kept::new(0);
        kept.keep(1, [finding(1, 1)].into());
        assert_eq!(kept.get_many(&[1]).1, [1]);
    }
}
