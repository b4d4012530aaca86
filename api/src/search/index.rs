//! The in-memory BM25 index over the list's rows.

use std::cell::RefCell;

use chrono::NaiveDate;
use entity::{boundary_matter, department, division, duty, legal_basis, public_service, work_item};
// What a lookup reads per term and per department: foldhash, not the standard SipHash, whose
// per-key cost showed in a lookup's profile and whose flooding resistance buys nothing for
// keys that are the list's own words and ids.
use foldhash::{HashMap, HashMapExt};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::lexicon::{self, Entry, Lexicon};
use super::tokenize;
use crate::domain::kinds::DivisionRole;
use crate::domain::published::View;

/// Which row a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Division,
    WorkItem,
    Duty,
    Service,
}

/// One searchable row.
#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: DocKind,
    pub row_id: i32,
    /// The department the row belongs to (a service: its responsible unit).
    pub department_id: i32,
    /// Division: whether the row's department leads the matter.
    pub lead: bool,
    pub matter_id: Option<i32>,
    /// Matter title, service name; none for duties and work items.
    pub title: Option<String>,
    pub text: String,
    pub legal_bases: Vec<(String, String)>,
}

/// A term's documents, in document order, each with its term-frequency factor, and the
/// largest factor: what bounds the term's share of any document's score.
struct Postings {
    rows: Box<[(u32, f32)]>,
    peak: f32,
}

/// One distinct term of a query as this index weighs it: its documents and its weight
/// (the query's weight × the term's IDF here).
pub struct Weighed<'a> {
    rows: &'a [(u32, f32)],
    weight: f64,
    /// The most the term adds to any document's score.
    bound: f64,
}

impl Weighed<'_> {
    /// The term's share of `doc`'s score (0 when `doc` lacks it).
    fn share_of(&self, doc: u32) -> f64 {
        self.rows
            .binary_search_by_key(&doc, |&(d, _)| d)
            .map_or(0.0, |at| self.weight * f64::from(self.rows[at].1))
    }
}

/// The documents of a query that can matter, each scored as [`Index::score`] scores it.
pub struct Scored {
    /// (document, score).
    pub rows: Vec<(u32, f64)>,
    /// No document left out of `rows` scores above this (0 when none was left out).
    pub others_at_most: f64,
    /// Which of the query's terms `rows` holds every document of; the others were only
    /// added up for documents that hold one of these.
    essential: Vec<bool>,
}

pub struct Index {
    pub docs: Vec<Doc>,
    /// Every department, as stored when the index was built (never changed after: which slots
    /// can route is taken from it then): candidates are answered and routed from here, no SQL.
    pub departments: HashMap<i32, department::Model>,
    /// Divisions by matter: (department, lead).
    pub matters: HashMap<i32, Vec<(i32, bool)>>,
    /// The lexicon the queries are expanded with.
    pub lexicon: Lexicon,
    /// Term → (document, BM25's term-frequency factor for the document: its frequency
    /// saturated by `K1` and normalised by the document's length with `B`). Computed once
    /// here, so scoring a posting is one multiply-add with no look-up of the document's length.
    /// `f32` and trimmed to size: a province's index holds millions of postings, and they are
    /// most of its memory.
    postings: HashMap<String, Postings>,
    /// Each slot's documents, in document order: `slot_docs[slot_starts[s]..slot_starts[s + 1]]`.
    /// A candidate's evidence may be rows a pruned lookup left unscored; they are found here.
    slot_starts: Vec<u32>,
    slot_docs: Vec<u32>,
    /// Each document's department as a dense slot (`slot_departments` maps it back): what
    /// the ranking reads for every scored row, so it stays 4 bytes a row and needs no hash.
    /// Reading it from `docs` (a row's whole text beside it) made a province's lookup wait on
    /// memory for most of its time.
    doc_slots: Vec<u32>,
    slot_departments: Vec<i32>,
    /// Each department's slot, and each slot's department's dissolution day: only those
    /// departments can route to a successor, so a lookup follows the chain for them alone.
    department_slots: HashMap<i32, u32>,
    slot_dissolved: Vec<Option<NaiveDate>>,
}

thread_local! {
    /// Each thread's score sums, one slot per document and all zero between complaints, so
    /// that a complaint does not allocate and zero a slot for each of a province's hundreds of
    /// thousands of documents, most of which it never touches.
    static SUMS: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// Each thread's marks of the documents a pruned lookup scores, all unset between
    /// complaints.
    static MARKS: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
}

/// A term's documents are searched one by one for the marked documents, instead of walked,
/// when there are more than this many of them for each marked document (≈ the comparisons
/// one binary search of a province's longest lists makes).
const SEARCH_OVER_WALK: usize = 24;

/// Adds `term`'s share to each of its documents' sums, noting those it is the first to touch;
/// returns the highest sum it left.
fn add_all(sums: &mut [f64], touched: &mut Vec<u32>, term: &Weighed<'_>) -> f64 {
    let mut best = 0.0_f64;
    for &(doc, tf_factor) in term.rows.iter() {
        let slot = &mut sums[doc as usize];
        if *slot == 0.0 {
            touched.push(doc);
        }
        *slot += term.weight * f64::from(tf_factor);
        best = best.max(*slot);
    }
    best
}

/// Slack on a bound that sums rounded products: a document's computed score may exceed the
/// exact sum of its terms' bounds by a few units in the last place.
const BOUND_SLACK: f64 = 1.0 + 1e-9;

const K1: f64 = 1.2;
/// At most this many rows hold a rare word.
const RARE: usize = 1;
const B: f64 = 0.75;

impl Index {
    /// Builds the index over `docs`.
    pub fn build(
        docs: Vec<Doc>,
        departments: impl IntoIterator<Item = (i32, department::Model)>,
        lexicon: Vec<Entry>,
    ) -> Self {
        let departments: HashMap<i32, department::Model> = departments.into_iter().collect();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        let mut matters: HashMap<i32, Vec<(i32, bool)>> = HashMap::new();
        let mut slots: HashMap<i32, u32> = HashMap::new();
        let mut slot_departments = Vec::new();
        let mut doc_slots = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let slot = *slots.entry(doc.department_id).or_insert_with(|| {
                slot_departments.push(doc.department_id);
                (slot_departments.len() - 1) as u32
            });
            doc_slots.push(slot);
            let mut text = doc.text.clone();
            if let Some(title) = &doc.title {
                text.push(' ');
                text.push_str(title);
            }
            let terms = tokenize::terms(&text);
            lengths.push(terms.iter().map(|(_, w)| w).sum());
            let mut tf: HashMap<String, f64> = HashMap::new();
            for (t, w) in terms {
                *tf.entry(t).or_default() += w;
            }
            for (t, n) in tf {
                postings.entry(t).or_default().push((i as u32, n as f32));
            }
            if let (DocKind::Division, Some(m)) = (doc.kind, doc.matter_id) {
                matters
                    .entry(m)
                    .or_default()
                    .push((doc.department_id, doc.lead));
            }
        }
        let avg_len = if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().sum::<f64>() / lengths.len() as f64
        };
        let mut postings: HashMap<String, Postings> = postings
            .into_iter()
            .map(|(term, mut list)| {
                let mut peak = 0.0_f32;
                for (doc, tf) in list.iter_mut() {
                    let (f, length) = (f64::from(*tf), lengths[*doc as usize]);
                    *tf = (f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * length / avg_len))) as f32;
                    peak = peak.max(*tf);
                }
                let rows = list.into_boxed_slice();
                (term, Postings { rows, peak })
            })
            .collect();
        postings.shrink_to_fit();
        let mut slot_starts = vec![0_u32; slot_departments.len() + 1];
        for &slot in &doc_slots {
            slot_starts[slot as usize + 1] += 1;
        }
        for s in 1..slot_starts.len() {
            slot_starts[s] += slot_starts[s - 1];
        }
        let mut slot_docs = vec![0_u32; doc_slots.len()];
        let mut next = slot_starts.clone();
        for (doc, &slot) in doc_slots.iter().enumerate() {
            slot_docs[next[slot as usize] as usize] = doc as u32;
            next[slot as usize] += 1;
        }
        let slot_dissolved = slot_departments
            .iter()
            .map(|id| departments.get(id).and_then(|d| d.dissolved_on))
            .collect();
        Self {
            docs,
            departments,
            matters,
            lexicon: Lexicon::new(lexicon),
            postings,
            slot_starts,
            slot_docs,
            doc_slots,
            slot_departments,
            department_slots: slots,
            slot_dissolved,
        }
    }

    /// The dense slot of `doc`'s department.
    pub fn slot(&self, doc: u32) -> usize {
        self.doc_slots[doc as usize] as usize
    }

    /// The department of a slot, and how many slots there are.
    pub fn slot_department(&self, slot: usize) -> i32 {
        self.slot_departments[slot]
    }

    pub fn slots(&self) -> usize {
        self.slot_departments.len()
    }

    /// The slot of department `id`, when it has rows.
    pub fn department_slot(&self, id: i32) -> Option<usize> {
        self.department_slots.get(&id).map(|&slot| slot as usize)
    }

    /// Whether a slot's department was dissolved by `day` (its rows are its successor's).
    pub fn slot_dissolved_by(&self, slot: usize, day: NaiveDate) -> bool {
        self.slot_dissolved[slot].is_some_and(|on| on <= day)
    }

    /// The distinct terms of `query_terms` this index holds, in the query's order, each at
    /// its highest weight in the query.
    pub fn weigh(&self, query_terms: &[(String, f64)]) -> Vec<Weighed<'_>> {
        let n = self.docs.len() as f64;
        let mut weights: Vec<(&str, f64)> = Vec::new();
        for (term, w) in query_terms {
            match weights.iter_mut().find(|(t, _)| t == term) {
                Some((_, e)) => *e = e.max(*w),
                None => weights.push((term, *w)),
            }
        }
        weights
            .into_iter()
            .filter_map(|(term, qw)| {
                let list = self.postings.get(term)?;
                let df = list.rows.len() as f64;
                let weight = qw * ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                Some(Weighed {
                    rows: &list.rows,
                    weight,
                    bound: weight * f64::from(list.peak),
                })
            })
            .collect()
    }

    /// BM25 scores of the documents sharing a term with `query_terms`.
    pub fn score(&self, query_terms: &[(String, f64)]) -> Vec<(u32, f64)> {
        self.score_above(&self.weigh(query_terms), 0.0, |_, _| false)
            .rows
    }

    /// BM25 scores of the documents of `terms` that can matter: those that `can_skip` allows
    /// to leave out are not scored.
    ///
    /// A query's common terms (管理, 工作) are in tens of thousands of a province's documents
    /// and weigh little. The terms that weigh most are summed first, over all their
    /// documents, into partial scores; once the terms left could add no more than
    /// `can_skip(partial scores, what they could add)` allows, a document none of the
    /// summed terms holds is left out, and the terms left are summed over the others alone.
    /// `can_skip` is asked only once what is left is below `share` × the best partial score.
    ///
    /// A document's score is the same to the last bit whether others were left out or not:
    /// every score is summed in the query's order.
    pub fn score_above(
        &self,
        terms: &[Weighed<'_>],
        share: f64,
        mut can_skip: impl FnMut(&[(u32, f64)], f64) -> bool,
    ) -> Scored {
        let postings: usize = terms.iter().map(|t| t.rows.len()).sum();
        // Heaviest first; on equal bounds, in the query's order.
        let mut order: Vec<usize> = (0..terms.len()).collect();
        order.sort_by(|&a, &b| terms[b].bound.total_cmp(&terms[a].bound));
        // What the terms from each place in `order` on could add, at most.
        let mut left = vec![0.0; terms.len() + 1];
        for k in (0..terms.len()).rev() {
            left[k] = left[k + 1] + terms[order[k]].bound;
        }
        SUMS.with_borrow_mut(|sums| {
            if sums.len() < self.docs.len() {
                sums.resize(self.docs.len(), 0.0);
            }
            let mut touched: Vec<u32> = Vec::new();
            let mut essential = None;
            let (mut walked, mut best) = (0, 0.0_f64);
            for (k, &t) in order.iter().enumerate() {
                let term = &terms[t];
                // Past half the postings, pruning would save less than it has cost.
                if share <= 0.0 || left[k + 1] == 0.0 || (walked + term.rows.len()) * 2 > postings {
                    break;
                }
                best = best.max(add_all(sums, &mut touched, term));
                walked += term.rows.len();
                let rest = left[k + 1] * BOUND_SLACK;
                // Asking costs a pass over the documents touched so far: worth it only while
                // the terms left hold more.
                if rest < share * best && postings - walked > touched.len() {
                    let partial: Vec<(u32, f64)> =
                        touched.iter().map(|&d| (d, sums[d as usize])).collect();
                    if can_skip(&partial, rest) {
                        essential = Some((k + 1, rest));
                        break;
                    }
                }
            }
            // Start again from zero, in the query's order.
            for &doc in &touched {
                sums[doc as usize] = 0.0;
            }
            let Some((summed, others_at_most)) = essential else {
                touched.clear();
                for term in terms {
                    add_all(sums, &mut touched, term);
                }
                let rows = touched
                    .into_iter()
                    .map(|doc| (doc, std::mem::take(&mut sums[doc as usize])))
                    .collect();
                return Scored {
                    rows,
                    others_at_most: 0.0,
                    essential: vec![true; terms.len()],
                };
            };
            let mut essential = vec![false; terms.len()];
            for &t in &order[..summed] {
                essential[t] = true;
            }
            MARKS.with_borrow_mut(|marks| {
                if marks.len() < self.docs.len() {
                    marks.resize(self.docs.len(), false);
                }
                for &doc in &touched {
                    marks[doc as usize] = true;
                }
                for (term, &all) in terms.iter().zip(&essential) {
                    if all {
                        // Every document it holds is marked.
                        for &(doc, tf_factor) in term.rows.iter() {
                            sums[doc as usize] += term.weight * f64::from(tf_factor);
                        }
                    } else if term.rows.len() > touched.len() * SEARCH_OVER_WALK {
                        for &doc in &touched {
                            sums[doc as usize] += term.share_of(doc);
                        }
                    } else {
                        for &(doc, tf_factor) in term.rows.iter() {
                            if marks[doc as usize] {
                                sums[doc as usize] += term.weight * f64::from(tf_factor);
                            }
                        }
                    }
                }
                for &doc in &touched {
                    marks[doc as usize] = false;
                }
            });
            let rows = touched
                .into_iter()
                .map(|doc| (doc, std::mem::take(&mut sums[doc as usize])))
                .collect();
            Scored {
                rows,
                others_at_most,
                essential,
            }
        })
    }

    /// `doc`'s score when [`Index::score_above`] left it out; `None` when it was scored.
    /// It was left out when it holds none of the terms summed over all their documents, and
    /// then its score is the other terms' shares, in the query's order.
    pub fn score_left_out(&self, scored: &Scored, terms: &[Weighed<'_>], doc: u32) -> Option<f64> {
        if scored.others_at_most == 0.0 {
            return None;
        }
        let mut score = 0.0;
        for (term, &all) in terms.iter().zip(&scored.essential) {
            let share = term.share_of(doc);
            if all && share > 0.0 {
                return None;
            }
            score += share;
        }
        Some(score)
    }

    /// The documents of a slot, in document order.
    pub fn slot_docs(&self, slot: usize) -> &[u32] {
        let (from, to) = (self.slot_starts[slot], self.slot_starts[slot + 1]);
        &self.slot_docs[from as usize..to as usize]
    }

    /// Whether `doc` holds one of `query_terms`' whole words that at most `RARE` rows hold: a
    /// word specific to one row of the list (弃婴), not a common one (管理, 服务).
    pub fn has_rare_word(&self, doc: u32, query_terms: &[(String, f64)]) -> bool {
        query_terms.iter().any(|(term, w)| {
            *w >= 1.0
                && self.postings.get(term).is_some_and(|list| {
                    list.rows.len() <= RARE && list.rows.iter().any(|&(d, _)| d == doc)
                })
        })
    }

    /// The top department of `id`'s chain (an internal unit's department).
    pub fn top_department(&self, mut id: i32) -> i32 {
        while let Some(parent) = self.departments.get(&id).and_then(|d| d.parent_id) {
            id = parent;
        }
        id
    }
}

/// The rows of the list versions an index holds, however they were read.
pub struct Rows<'a> {
    pub matters: Vec<&'a boundary_matter::Model>,
    pub divisions: Vec<&'a division::Model>,
    pub legal_bases: Vec<&'a legal_basis::Model>,
    pub duties: Vec<&'a duty::Model>,
    pub work_items: Vec<&'a work_item::Model>,
    pub services: Vec<&'a public_service::Model>,
}

impl Rows<'_> {
    /// The searchable documents: divisions (with their matter's title and legal bases),
    /// duties, work items (as their duty's department's) and services (their unit's), each
    /// kind in id order, whichever way the rows were read.
    pub fn docs(mut self) -> Vec<Doc> {
        self.divisions.sort_by_key(|d| d.id);
        self.duties.sort_by_key(|d| d.id);
        self.work_items.sort_by_key(|w| w.id);
        self.services.sort_by_key(|s| s.id);
        self.legal_bases.sort_by_key(|b| b.id);
        let titles: HashMap<i32, &str> = self
            .matters
            .iter()
            .map(|m| (m.id, m.title.as_str()))
            .collect();
        let mut bases_by_matter: HashMap<i32, Vec<&legal_basis::Model>> = HashMap::new();
        for b in &self.legal_bases {
            bases_by_matter.entry(b.matter_id).or_default().push(b);
        }
        let duty_dept: HashMap<i32, i32> = self
            .duties
            .iter()
            .map(|d| (d.id, d.department_id))
            .collect();
        let mut docs = Vec::new();
        for d in &self.divisions {
            let legal_bases = bases_by_matter
                .get(&d.matter_id)
                .map(|bs| {
                    bs.iter()
                        .filter(|b| b.division_id.is_none() || b.division_id == Some(d.id))
                        .map(|b| (b.title.clone(), b.text.clone()))
                        .collect()
                })
                .unwrap_or_default();
            docs.push(Doc {
                kind: DocKind::Division,
                row_id: d.id,
                department_id: d.department_id,
                lead: DivisionRole::parse(&d.role) == Some(DivisionRole::Lead),
                matter_id: Some(d.matter_id),
                title: titles.get(&d.matter_id).map(|t| (*t).to_owned()),
                text: d.text.clone(),
                legal_bases,
            });
        }
        for d in &self.duties {
            docs.push(Doc {
                kind: DocKind::Duty,
                row_id: d.id,
                department_id: d.department_id,
                lead: true,
                matter_id: None,
                title: None,
                text: d.text.clone(),
                legal_bases: Vec::new(),
            });
        }
        for w in &self.work_items {
            let Some(&dept) = duty_dept.get(&w.duty_id) else {
                continue;
            };
            docs.push(Doc {
                kind: DocKind::WorkItem,
                row_id: w.id,
                department_id: dept,
                lead: true,
                matter_id: None,
                title: None,
                text: w.text.clone(),
                legal_bases: Vec::new(),
            });
        }
        for s in &self.services {
            docs.push(Doc {
                kind: DocKind::Service,
                row_id: s.id,
                department_id: s.unit_id,
                lead: true,
                matter_id: None,
                title: Some(s.name.clone()),
                text: s.content.clone(),
                legal_bases: Vec::new(),
            });
        }
        docs
    }
}

impl<'a> Rows<'a> {
    /// The rows a view of the published lists holds.
    pub fn of(view: &'a View) -> Self {
        Self {
            matters: view.matters().iter().map(|m| m.as_ref()).collect(),
            divisions: view.all_divisions().collect(),
            legal_bases: view.all_legal_bases().collect(),
            duties: view.duties().iter().map(|d| d.as_ref()).collect(),
            work_items: view.all_work_items().collect(),
            services: view.services().iter().map(|s| s.as_ref()).collect(),
        }
    }
}

/// Builds the index of the published lists a view holds (no SQL but the lexicon's).
pub async fn of_view(db: &impl ConnectionTrait, view: &View) -> Result<Index, DbErr> {
    let rows = Rows::of(view);
    let departments: HashMap<i32, department::Model> = view
        .catalog
        .departments()
        .iter()
        .map(|d| (d.id, d.clone()))
        .collect();
    let lexicon = lexicon::all(db).await?;
    Ok(Index::build(rows.docs(), departments, lexicon))
}

/// Reads list versions `versions` and the lexicon and builds the index.
pub async fn load(db: &impl ConnectionTrait, versions: &[i32]) -> Result<Index, DbErr> {
    let versions = versions.to_vec();
    let departments = crate::domain::departments_by_id(db).await?;
    macro_rules! rows {
        ($entity:ident) => {
            $entity::Entity::find()
                .filter($entity::Column::VersionId.is_in(versions.clone()))
                .all(db)
                .await?
        };
    }
    let (matters, divisions, legal_bases) =
        (rows!(boundary_matter), rows!(division), rows!(legal_basis));
    let (duties, work_items, services) = (rows!(duty), rows!(work_item), rows!(public_service));
    let rows = Rows {
        matters: matters.iter().collect(),
        divisions: divisions.iter().collect(),
        legal_bases: legal_bases.iter().collect(),
        duties: duties.iter().collect(),
        work_items: work_items.iter().collect(),
        services: services.iter().collect(),
    };
    let lexicon = lexicon::all(db).await?;
    Ok(Index::build(rows.docs(), departments, lexicon))
}
