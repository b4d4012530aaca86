//! The in-memory BM25 index over the list's rows.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{boundary_matter, department, division, duty, legal_basis, public_service, work_item};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::lexicon::{self, Entry};
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

pub struct Index {
    pub docs: Vec<Doc>,
    /// Every department, as stored when the index was built (never changed after: which slots
    /// can route is taken from it then): candidates are answered and routed from here, no SQL.
    pub departments: HashMap<i32, department::Model>,
    /// Divisions by matter: (department, lead).
    pub matters: HashMap<i32, Vec<(i32, bool)>>,
    /// Lexicon entries, longest terms first (as `lexicon::expand` applies them).
    pub lexicon: Vec<Entry>,
    /// Term → (document, BM25's term-frequency factor for the document: its frequency
    /// saturated by `K1` and normalised by the document's length with `B`). Computed once
    /// here, so scoring a posting is one multiply-add with no look-up of the document's length.
    /// `f32` and trimmed to size: a province's index holds millions of postings, and they are
    /// most of its memory.
    postings: HashMap<String, Vec<(u32, f32)>>,
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
}

const K1: f64 = 1.2;
/// At most this many rows hold a rare word.
const RARE: usize = 1;
const B: f64 = 0.75;

impl Index {
    /// Builds the index over `docs`.
    pub fn build(
        docs: Vec<Doc>,
        departments: HashMap<i32, department::Model>,
        lexicon: Vec<Entry>,
    ) -> Self {
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
        for list in postings.values_mut() {
            for (doc, tf) in list.iter_mut() {
                let (f, length) = (f64::from(*tf), lengths[*doc as usize]);
                *tf = (f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * length / avg_len))) as f32;
            }
            list.shrink_to_fit();
        }
        postings.shrink_to_fit();
        let slot_dissolved = slot_departments
            .iter()
            .map(|id| departments.get(id).and_then(|d| d.dissolved_on))
            .collect();
        Self {
            docs,
            departments,
            matters,
            lexicon: lexicon::longest_first(lexicon),
            postings,
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

    /// BM25 scores of the documents sharing a term with `query_terms`, each distinct term
    /// counted once at its highest weight in the query. Sums into one slot per document
    /// (no hashing: a common term of a province's index touches tens of thousands of rows).
    pub fn score(&self, query_terms: &[(String, f64)]) -> Vec<(u32, f64)> {
        let n = self.docs.len() as f64;
        // In the query's order, so the same complaint sums its terms in the same order and
        // scores the same to the last bit every time.
        let mut weights: Vec<(&str, f64)> = Vec::new();
        for (term, w) in query_terms {
            match weights.iter_mut().find(|(t, _)| t == term) {
                Some((_, e)) => *e = e.max(*w),
                None => weights.push((term, *w)),
            }
        }
        SUMS.with_borrow_mut(|sums| {
            if sums.len() < self.docs.len() {
                sums.resize(self.docs.len(), 0.0);
            }
            let mut touched: Vec<u32> = Vec::new();
            for (term, qw) in weights {
                let Some(list) = self.postings.get(term) else {
                    continue;
                };
                let df = list.len() as f64;
                let weight = qw * ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                for &(doc, tf_factor) in list {
                    let slot = &mut sums[doc as usize];
                    if *slot == 0.0 {
                        touched.push(doc);
                    }
                    *slot += weight * f64::from(tf_factor);
                }
            }
            // Taking each sum leaves the buffer all zero for the next complaint.
            touched
                .into_iter()
                .map(|doc| (doc, std::mem::take(&mut sums[doc as usize])))
                .collect()
        })
    }

    /// Whether `doc` holds one of `query_terms`' whole words that at most `RARE` rows hold: a
    /// word specific to one row of the list (弃婴), not a common one (管理, 服务).
    pub fn has_rare_word(&self, doc: u32, query_terms: &[(String, f64)]) -> bool {
        query_terms.iter().any(|(term, w)| {
            *w >= 1.0
                && self
                    .postings
                    .get(term)
                    .is_some_and(|list| list.len() <= RARE && list.iter().any(|&(d, _)| d == doc))
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
    let departments = view
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
