//! From matched rows to the departments that must act, with their coordinator and evidence.

use std::sync::Arc;

use arrayvec::ArrayVec;
use chrono::NaiveDate;
use entity::department;
use foldhash::{HashMap, HashMapExt};

use super::index::{DocKind, Index, Scored, Weighed};
use super::tokenize;
use crate::domain::editing::reorganisation::holder_on;
use crate::domain::kinds::DivisionRole;

/// The explicit answer of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    Ambiguous,
    NoMatch,
}

/// A department's published part in a boundary matter (its division's role).
pub type Role = DivisionRole;

pub type EvidenceKind = DocKind;

/// A row that made a candidate.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: DocKind,
    pub row_id: i32,
    /// The department whose row it is, as the list names it (a service: its unit).
    pub department: department::Model,
    pub title: Option<String>,
    pub text: String,
    pub legal_bases: Vec<(String, String)>,
    pub score: f64,
}

/// A department that must act (承办): the owner of the rows the complaint falls under.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Who acts on the day asked about.
    pub department: department::Model,
    /// The department the list names, when it was reorganised away by then.
    pub routed_from: Option<department::Model>,
    /// Its published role on the matched matter; `None` when its best row is a duty, work
    /// item or service.
    pub role: Option<Role>,
    /// The matched matter's lead (牵头), when that is not the candidate itself.
    pub coordinator: Option<department::Model>,
    pub score: f64,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct Lookup {
    pub outcome: Outcome,
    pub candidates: Vec<Candidate>,
    /// The complaint's words as matched (after the lexicon), which `tokenize::highlights`
    /// marks in the evidence: only when asked for, since highlighting is the costly part.
    pub words: Arc<[String]>,
}

/// Where NO_MATCH and AMBIGUOUS begin, chosen on the dev half of `tests/eval` only
/// (`eval -- --tune`): at 3.4 the dev half's unrelated complaints are all NO_MATCH while its
/// related ones keep their best top-1.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Below this top score the answer is NO_MATCH.
    pub min_score: f64,
    /// A second acting department at or above this share of the top score makes the answer
    /// AMBIGUOUS; a unit at or above it of its own department's score is the more specific
    /// answer and goes first.
    pub tie_ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_score: 3.4,
            tie_ratio: 0.92,
        }
    }
}

const EVIDENCE_PER_CANDIDATE: usize = 3;
/// Share of `min_score` a complaint naming a word only one row holds needs (chosen on the dev
/// half).
const RARE_SHARE: f64 = 0.7;

/// Weighted query terms.
type Terms = Vec<(String, f64)>;

/// The query's terms after lexicon expansion.
fn query_terms(index: &Index, text: &str) -> Terms {
    tokenize::terms(&index.lexicon.expand(text))
}

/// The scores of the rows of `terms` that can reach one of the `first` candidates or tie with
/// the top one, as of `day`: a row none of the terms summed so far holds is left out once
/// what the terms left could add is under the floor of the scores so far
/// ([`Index::score_above`], [`Holders::floor`]).
fn score_pruned(
    index: &Index,
    terms: &[Weighed<'_>],
    first: usize,
    day: NaiveDate,
    th: &Thresholds,
) -> Scored {
    // Below tie_ratio² × the best score no holder can tie or be among the first.
    let share = th.tie_ratio * th.tie_ratio;
    index.score_above(terms, share, |partial, rest| {
        Holders::of(index, partial, day).floor(first, th.tie_ratio) > rest
    })
}

/// Row ids of `kind` scoring at least the NO_MATCH threshold, in id order.
pub fn matching_rows(index: &Index, text: &str, kind: DocKind, th: &Thresholds) -> Vec<i32> {
    let scores = index.score(&query_terms(index, text));
    let mut ids: Vec<i32> = scores
        .into_iter()
        .filter(|&(doc, s)| s >= th.min_score && index.docs[doc as usize].kind == kind)
        .map(|(doc, _)| index.docs[doc as usize].row_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What one acting department has gathered from the matched rows: its best score and the
/// row that gave it, the department its best row names (when routed), and its best rows
/// (at most `EVIDENCE_PER_CANDIDATE`, kept as they come so a province's lookup stays linear).
struct Tally {
    department: i32,
    score: f64,
    best: u32,
    routed_from: Option<i32>,
    /// (document, score), best first. In place, not on the heap: a province's complaint
    /// touches thousands of departments.
    top: ArrayVec<(u32, f64), EVIDENCE_PER_CANDIDATE>,
}

impl Tally {
    fn new(department: i32, first: u32) -> Self {
        Self {
            department,
            score: f64::MIN,
            best: first,
            routed_from: None,
            top: ArrayVec::new(),
        }
    }

    /// Counts a row: the best row (on equal scores, the first in the index) gives the score.
    fn credit(&mut self, score: f64, doc: u32, routed_from: Option<i32>) {
        if score > self.score || (score == self.score && doc < self.best) {
            self.score = score;
            self.best = doc;
            self.routed_from = routed_from;
        }
        let at = self
            .top
            .iter()
            .position(|&(d, s)| score > s || (score == s && doc < d))
            .unwrap_or(self.top.len());
        if at < EVIDENCE_PER_CANDIDATE {
            if self.top.is_full() {
                self.top.pop();
            }
            self.top.insert(at, (doc, score));
        }
    }
}

/// The departments that must act on a complaint, before ranking: whoever holds each scored
/// department's duties on the day, with its score (its best row's, whichever department the
/// list names on it).
struct Holders {
    /// By scored slot: its holder's place in `departments`/`scores` (`NONE` where unscored).
    of_slot: Vec<u32>,
    departments: Vec<i32>,
    scores: Vec<f64>,
}

const NONE: u32 = u32::MAX;

impl Holders {
    /// One pass over the scored rows for each slot's best, then one per scored slot. A
    /// department's rows and its holder's usually share a slot; only one dissolved by `day`
    /// follows its successors.
    fn of(index: &Index, scores: &[(u32, f64)], day: NaiveDate) -> Self {
        let mut best = vec![0.0_f64; index.slots()];
        let mut scored = Vec::new();
        for &(doc, s) in scores {
            let slot = index.slot(doc);
            // Scores are sums of positive BM25 terms: 0 is "not yet scored".
            if best[slot] == 0.0 {
                scored.push(slot);
            }
            best[slot] = best[slot].max(s);
        }
        let mut holders = Self {
            of_slot: vec![NONE; index.slots()],
            departments: Vec::new(),
            scores: Vec::new(),
        };
        // The holder's place by the holder's own slot, or (a successor with no rows) its id.
        let mut at_slot = vec![NONE; index.slots()];
        let mut without_slot: HashMap<i32, u32> = HashMap::new();
        for slot in scored {
            let holder = holder_of_slot(index, slot, day);
            let place = match index.department_slot(holder) {
                Some(own) => &mut at_slot[own],
                None => without_slot.entry(holder).or_insert(NONE),
            };
            if *place == NONE {
                *place = holders.departments.len() as u32;
                holders.departments.push(holder);
                holders.scores.push(0.0);
            }
            let score = &mut holders.scores[*place as usize];
            *score = score.max(best[slot]);
            holders.of_slot[slot] = *place;
        }
        holders
    }

    /// The score under which a holder can neither be among the `first` candidates nor tie
    /// with the top one, whatever units are moved ahead of their departments.
    ///
    /// A unit moves ahead only to a department's score that its own is within `tie_ratio`
    /// of, so a holder's sort score is at most its score / `tie_ratio`. Below `tie_ratio` ×
    /// the `first`-th best score, `first` holders sort ahead of it; and the top candidate
    /// scores at least `tie_ratio` × the best score, so a tie needs `tie_ratio`² × the best.
    fn floor(&self, first: usize, tie_ratio: f64) -> f64 {
        if self.scores.len() <= first {
            return 0.0;
        }
        let ratio = tie_ratio.clamp(0.0, 1.0);
        let mut scores = self.scores.clone();
        let (_, &mut nth, _) = scores.select_nth_unstable_by(first - 1, |a, b| b.total_cmp(a));
        let best = self.scores.iter().copied().fold(0.0, f64::max);
        // A hair under, so rounding in the ratios never drops a holder on the line.
        (ratio * nth).min(ratio * ratio * best) * (1.0 - 1e-9)
    }
}

/// Who holds the duties of a slot's department on `day`: itself, or (dissolved by then) its
/// successor.
fn holder_of_slot(index: &Index, slot: usize, day: NaiveDate) -> i32 {
    if index.slot_dissolved_by(slot, day) {
        holder_on(&index.departments, index.slot_department(slot), day).0
    } else {
        index.slot_department(slot)
    }
}

/// Makes `tally`'s evidence its best rows among all of its department's, when rows left
/// unscored could be among them: its best row was scored, but a weaker one may hold only the
/// query's common terms.
fn complete_evidence(
    index: &Index,
    terms: &[Weighed<'_>],
    scored: &Scored,
    tally: &mut Tally,
    day: NaiveDate,
) {
    let weakest = tally.top.last().map_or(f64::MIN, |&(_, s)| s);
    if scored.others_at_most == 0.0 || (tally.top.is_full() && weakest > scored.others_at_most) {
        return;
    }
    for slot in 0..index.slots() {
        if holder_of_slot(index, slot, day) != tally.department {
            continue;
        }
        let named = index.slot_department(slot);
        for &doc in index.slot_docs(slot) {
            if let Some(score) = index.score_left_out(scored, terms, doc)
                && score > 0.0
            {
                tally.credit(score, doc, (named != tally.department).then_some(named));
            }
        }
    }
}

/// Ranks the departments that must act on `text`, as of `day` (a department reorganised
/// away by then is its successor, before ties and `first` are decided).
pub fn lookup(index: &Index, text: &str, first: usize, day: NaiveDate, th: &Thresholds) -> Lookup {
    rank(index, text, first, day, th, Pruning::On)
}

/// Whether a lookup leaves out rows that cannot reach its candidates ([`Index::score_above`]).
/// Always on in service; off, a lookup scores every row, which is what pruning must answer
/// the same as.
#[derive(Clone, Copy, PartialEq)]
enum Pruning {
    On,
    #[cfg(test)]
    Off,
}

fn rank(
    index: &Index,
    text: &str,
    first: usize,
    day: NaiveDate,
    th: &Thresholds,
    pruning: Pruning,
) -> Lookup {
    let no_match = Lookup {
        outcome: Outcome::NoMatch,
        candidates: Vec::new(),
        words: Arc::new([]),
    };
    let first = first.max(1);
    let terms = query_terms(index, text);
    let weighed = index.weigh(&terms);
    // Each row credits its own department: who acts is whose division, duty, work item or
    // service it is, never the matter's lead on another department's behalf, and a
    // department reorganised away by `day` is whoever holds its duties. A province's
    // complaint scores tens of thousands of rows over thousands of departments: only those
    // that can be answered or tie are tallied and ranked, and rows that cannot reach them
    // are not scored at all. The floor of the rows scored so far is never above the final
    // one (scores only grow as terms are added), so a row that cannot reach it cannot be a
    // candidate's best row.
    let scoring = match pruning {
        Pruning::On => score_pruned(index, &weighed, first, day, th),
        #[cfg(test)]
        Pruning::Off => index.score_above(&weighed, 0.0, |_, _| false),
    };
    let scores = &scoring.rows;
    let holders = Holders::of(index, scores, day);
    let floor = holders.floor(first, th.tie_ratio);
    let mut tallies: Vec<Option<Tally>> = Vec::new();
    tallies.resize_with(holders.departments.len(), || None);
    for &(doc_no, s) in scores {
        let slot = index.slot(doc_no);
        let place = holders.of_slot[slot] as usize;
        if holders.scores[place] < floor {
            continue;
        }
        let holder = holders.departments[place];
        let named = index.slot_department(slot);
        tallies[place]
            .get_or_insert_with(|| Tally::new(holder, doc_no))
            .credit(s, doc_no, (named != holder).then_some(named));
    }
    let tallies = tallies.into_iter().flatten().collect();
    let mut ranked = specific_units_first(index, tallies, th.tie_ratio);
    for tally in ranked.iter_mut().take(first) {
        complete_evidence(index, &weighed, &scoring, tally, day);
    }
    let Some(top) = ranked.first() else {
        return no_match;
    };
    // A short complaint scores low even when it names a word of one row only (捡到孩子 →
    // 弃婴): that word is evidence enough at a lower threshold.
    let specific = top.score >= RARE_SHARE * th.min_score
        && top
            .top
            .iter()
            .any(|&(doc, _)| index.has_rare_word(doc, &terms));
    if top.score < th.min_score && !specific {
        return no_match;
    }
    // Units of one department are parts of it: they narrow the answer, never tie with it.
    let top_root = index.top_department(top.department);
    let tie = ranked.iter().skip(1).any(|t| {
        index.top_department(t.department) != top_root && t.score >= th.tie_ratio * top.score
    });
    ranked.truncate(first);
    let model = |id: i32| index.departments.get(&id).cloned();
    // Evidence only for the candidates returned.
    let candidates = ranked
        .into_iter()
        .filter_map(|tally| {
            let best = &index.docs[tally.best as usize];
            let (role, coordinator) = match (best.kind, best.matter_id) {
                (DocKind::Division, Some(matter)) => {
                    let role = if best.lead { Role::Lead } else { Role::Assist };
                    let lead = index
                        .matters
                        .get(&matter)
                        .and_then(|ds| ds.iter().find(|(_, lead)| *lead))
                        .map(|&(lead, _)| holder_on(&index.departments, lead, day).0)
                        .filter(|&lead| lead != tally.department);
                    (Some(role), lead.and_then(model))
                }
                _ => (None, None),
            };
            Some(Candidate {
                department: model(tally.department)?,
                routed_from: tally.routed_from.and_then(model),
                role,
                coordinator,
                score: tally.score,
                evidence: tally
                    .top
                    .into_iter()
                    .filter_map(|(doc_no, s)| {
                        let doc = &index.docs[doc_no as usize];
                        Some(Evidence {
                            kind: doc.kind,
                            row_id: doc.row_id,
                            department: model(doc.department_id)?,
                            title: doc.title.clone(),
                            text: doc.text.clone(),
                            legal_bases: doc.legal_bases.clone(),
                            score: s,
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    Lookup {
        outcome: if tie {
            Outcome::Ambiguous
        } else {
            Outcome::Matched
        },
        candidates,
        words: tokenize::words(&terms).into(),
    }
}

/// Moves each unit (股/站) whose own row scores within the tie margin of a department it
/// belongs to ahead of that department: the unit's service or work item is the more specific
/// answer, and the unit is who acts. Linear in the candidates (a province has thousands):
/// such a unit takes its department's score as its sort score, and on equal sort scores the
/// deeper unit goes first.
fn specific_units_first(index: &Index, ranked: Vec<Tally>, tie_ratio: f64) -> Vec<Tally> {
    let scores: HashMap<i32, f64> = ranked.iter().map(|t| (t.department, t.score)).collect();
    let key = |t: &Tally| {
        let mut sort_score = t.score;
        let mut depth = 0usize;
        let mut at = t.department;
        for _ in 0..index.departments.len() {
            let Some(parent) = index.departments.get(&at).and_then(|d| d.parent_id) else {
                break;
            };
            depth += 1;
            if let Some(&above) = scores.get(&parent)
                && t.score >= tie_ratio * above
            {
                sort_score = sort_score.max(above);
            }
            at = parent;
        }
        (sort_score, depth)
    };
    let mut keyed: Vec<((f64, usize), Tally)> = ranked.into_iter().map(|t| (key(&t), t)).collect();
    keyed.sort_by(|((a_score, a_depth), a), ((b_score, b_depth), b)| {
        b_score
            .total_cmp(a_score)
            .then(b_depth.cmp(a_depth))
            .then(b.score.total_cmp(&a.score))
            .then(a.department.cmp(&b.department))
    });
    keyed.into_iter().map(|(_, tally)| tally).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::search::index::Doc;

    fn row(kind: DocKind, row_id: i32, department_id: i32, text: &str) -> Doc {
        Doc {
            kind,
            row_id,
            department_id,
            lead: false,
            matter_id: None,
            title: None,
            text: text.to_owned(),
            legal_bases: Vec::new(),
        }
    }

    fn duty(row_id: i32, department_id: i32, text: &str) -> Doc {
        row(DocKind::Duty, row_id, department_id, text)
    }

    fn division(row_id: i32, department_id: i32, lead: bool, text: &str) -> Doc {
        Doc {
            lead,
            matter_id: Some(1),
            title: Some("流动人口管理".to_owned()),
            ..row(DocKind::Division, row_id, department_id, text)
        }
    }

    /// 甲局 (1) with its unit 甲股 (4), 乙局 (2) and 丙局 (3).
    fn index(docs: Vec<Doc>) -> Index {
        index_after(docs, |_| {})
    }

    /// The same departments, after `reorganise` has changed them.
    fn index_after(
        docs: Vec<Doc>,
        reorganise: impl FnOnce(&mut HashMap<i32, department::Model>),
    ) -> Index {
        let mut departments = [
            (1, "甲局", None),
            (2, "乙局", None),
            (3, "丙局", None),
            (4, "甲股", Some(1)),
        ]
        .into_iter()
        .map(|(id, name, parent_id)| {
            let dept = department::Model {
                id,
                name: name.to_owned(),
                kind: "DEPARTMENT".to_owned(),
                parent_id,
                dissolved_on: None,
                successor_id: None,
            };
            (id, dept)
        })
        .collect::<HashMap<_, _>>();
        reorganise(&mut departments);
        Index::build(docs, departments, Vec::new())
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn ids(found: &Lookup) -> Vec<i32> {
        found.candidates.iter().map(|c| c.department.id).collect()
    }

    /// BM25 scores of a three-row index are small: the tie rule under test, a low floor.
    const TH: Thresholds = Thresholds {
        min_score: 0.1,
        tie_ratio: 0.92,
    };

    /// Departments 1 to `count`, those after `whole` units of the department `whole` before
    /// them.
    fn numbered_departments(count: i32, whole: i32) -> HashMap<i32, department::Model> {
        (1..=count)
            .map(|id| {
                let dept = department::Model {
                    id,
                    name: format!("部门{id}"),
                    kind: "DEPARTMENT".to_owned(),
                    parent_id: (id > whole).then_some(id - whole),
                    dissolved_on: None,
                    successor_id: None,
                };
                (id, dept)
            })
            .collect()
    }

    /// Twelve departments, six of them units (7 of 1, 8 of 2, …), with 96 rows drawn from
    /// eight phrases: many candidates on close scores, units on their departments' heels.
    fn crowded() -> Index {
        let departments = numbered_departments(12, 6);
        // Rows of one to three phrases and some filler, picked by a fixed sequence: lengths
        // and words vary, so do scores.
        let mut seed = 7_u32;
        let mut pick = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        let docs = (0..96)
            .map(|n| {
                let mut text = "负责".to_owned();
                for _ in 0..=pick(3) {
                    text.push_str(PHRASES[pick(8) as usize]);
                    text.push('、');
                }
                text.push_str(&"相关工作".repeat(pick(4) as usize));
                let kind = [DocKind::Duty, DocKind::WorkItem, DocKind::Service][n % 3];
                row(kind, n as i32, 1 + pick(12) as i32, &text)
            })
            .collect();
        Index::build(docs, departments, Vec::new())
    }

    const PHRASES: [&str; 8] = [
        "流动人口",
        "计划生育",
        "奖励扶助",
        "出生登记",
        "避孕药具",
        "技术服务",
        "药具发放",
        "信息管理",
    ];

    #[test]
    fn lookup__fewer_candidates_asked_for_are_the_first_of_more_with_the_same_outcome() {
        // Given many departments and units whose rows share words
        let idx = crowded();
        let summary = |found: &Lookup| {
            let candidates: Vec<_> = found
                .candidates
                .iter()
                .map(|c| {
                    let rows: Vec<i32> = c.evidence.iter().map(|e| e.row_id).collect();
                    (c.department.id, c.score, rows)
                })
                .collect();
            (found.outcome, candidates)
        };
        let mut moved_ahead = 0;
        for (i, a) in PHRASES.iter().enumerate() {
            for b in &PHRASES[i..] {
                let text = format!("{a}{b}");
                // Every department asked for
                let all = summary(&lookup(&idx, &text, 12, today(), &TH));
                moved_ahead += all
                    .1
                    .windows(2)
                    .filter(|pair| pair[0].1 < pair[1].1)
                    .count();
                // When fewer are asked for, they are the first of the longer answer, with
                // its outcome, scores and evidence
                for first in 1..=6 {
                    let (outcome, candidates) = summary(&lookup(&idx, &text, first, today(), &TH));
                    assert_eq!(outcome, all.0, "{text} first {first}");
                    let n = first.min(all.1.len());
                    assert_eq!(candidates, all.1[..n], "{text} first {first}");
                }
            }
        }
        // And the texts put units ahead of better-scoring departments, which the cut must allow for
        assert!(moved_ahead > 0);
    }

    /// A province in small: 40 departments (ten of them units, one dissolved into another)
    /// and 3,000 rows, nearly all holding the list's common words, some a few phrases, a few
    /// a rare one: the shape in which a lookup leaves rows out.
    fn province_like() -> Index {
        let mut departments = numbered_departments(40, 30);
        let gone = departments.get_mut(&7).unwrap();
        gone.dissolved_on = NaiveDate::from_ymd_opt(2026, 1, 1);
        gone.successor_id = Some(8);
        let mut seed = 11_u32;
        let mut pick = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as usize % n
        };
        let docs = (0..3000)
            .map(|n| {
                let mut text = "负责".to_owned();
                for word in COMMON {
                    if pick(5) > 0 {
                        text.push_str(word);
                        text.push('、');
                    }
                }
                for _ in 0..pick(3) {
                    text.push_str(PHRASES[pick(PHRASES.len())]);
                    text.push('、');
                }
                if pick(60) == 0 {
                    text.push_str(RARE[pick(RARE.len())]);
                }
                let department = 1 + pick(40) as i32;
                match n % 4 {
                    0 => division(n, department, pick(4) == 0, &text),
                    1 => duty(n, department, &text),
                    2 => row(DocKind::WorkItem, n, department, &text),
                    _ => row(DocKind::Service, n, department, &text),
                }
            })
            .collect();
        Index::build(docs, departments, Vec::new())
    }

    const COMMON: [&str; 4] = ["管理", "工作", "服务", "监督检查"];
    const RARE: [&str; 4] = [
        "弃婴收养",
        "胎儿性别鉴定",
        "独生子女证补办",
        "病残儿医学鉴定",
    ];

    #[test]
    fn lookup__leaving_out_rows_that_cannot_reach_a_candidate_answers_as_scoring_every_row() {
        // Given a large index whose rows nearly all hold the common words
        let idx = province_like();
        let mut texts: Vec<String> = Vec::new();
        for phrase in PHRASES.iter().chain(&RARE) {
            texts.push(format!("{phrase}{}", COMMON[0]));
            texts.push(format!(
                "我要反映{phrase}的问题，{}{}不到位",
                COMMON[1], COMMON[3]
            ));
        }
        for (a, b) in PHRASES.iter().zip(RARE.iter().cycle()) {
            texts.push(format!("{a}和{b}，{}", COMMON.concat()));
        }
        texts.push(COMMON.concat());
        let (mut pruned, mut restored) = (0, 0);
        let days = [today(), NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()];
        for text in &texts {
            for first in [1, 3, 5, 20] {
                for day in days {
                    // When it is looked up leaving rows out, and scoring every row
                    let on = rank(&idx, text, first, day, &TH, Pruning::On);
                    let off = rank(&idx, text, first, day, &TH, Pruning::Off);
                    // Then the answers are the same to the last bit of every score
                    assert_eq!(
                        format!("{on:?}"),
                        format!("{off:?}"),
                        "{text} first {first}"
                    );
                    // (and rows were left out, some of them a candidate's evidence)
                    let terms = idx.weigh(&query_terms(&idx, text));
                    let scored = score_pruned(&idx, &terms, first, day, &TH);
                    if scored.others_at_most > 0.0 {
                        pruned += 1;
                        restored += on
                            .candidates
                            .iter()
                            .flat_map(|c| &c.evidence)
                            .filter(|e| e.score <= scored.others_at_most)
                            .count();
                    }
                }
            }
        }
        let asked = texts.len() * 4 * days.len();
        assert!(
            pruned * 2 > asked,
            "rows were left out in {pruned} of {asked}"
        );
        assert!(restored > 0, "no evidence came from rows left out");
    }

    #[test]
    fn lookup__two_departments_with_the_same_duty_are_ambiguous() {
        // Given two departments whose duties say the same thing
        let idx = index(vec![
            duty(1, 1, "负责城市道路桥梁的养护管理"),
            duty(2, 2, "负责城市道路桥梁的养护管理"),
            duty(3, 3, "负责农村饮水安全工程建设"),
        ]);
        // When a complaint about it is looked up
        let found = lookup(&idx, "城市道路桥梁养护", 5, today(), &TH);
        // Then both are returned and the caller is told to decide
        assert_eq!(found.outcome, Outcome::Ambiguous);
        assert_eq!(&ids(&found)[..2], &[1, 2]);
    }

    #[test]
    fn lookup__one_clear_department_is_matched_and_noise_is_no_match() {
        let idx = index(vec![
            duty(1, 1, "负责城市道路桥梁的养护管理"),
            duty(2, 2, "负责农村饮水安全工程建设和饮水水质监测"),
            duty(3, 3, "负责森林防火和林业有害生物防治"),
        ]);
        // When the complaint fits one department's duty
        let found = lookup(&idx, "农村饮水水质有问题", 5, today(), &TH);
        // Then that department is matched, with no role (a duty is no matter's division)
        assert_eq!(found.outcome, Outcome::Matched);
        assert_eq!(found.candidates[0].department.id, 2);
        assert_eq!(found.candidates[0].role, None);
        assert!(found.candidates[0].coordinator.is_none());
        // When nothing in the list is about it, the answer is NO_MATCH with no candidates
        let none = lookup(&idx, "楼上邻居半夜装修太吵", 5, today(), &TH);
        assert_eq!(none.outcome, Outcome::NoMatch);
        assert!(none.candidates.is_empty());
    }

    #[test]
    fn lookup__the_department_whose_division_covers_it_acts_and_the_lead_coordinates() {
        // Given a matter led by 甲局, on which 乙局's own division handles schooling
        let idx = index(vec![
            division(1, 1, true, "负责流动人口的计划生育信息管理，开展宣传教育"),
            division(2, 2, false, "保障流动人口子女平等接受义务教育"),
            division(3, 3, false, "负责流动人口暂住登记"),
        ]);
        // When a complaint falls under 乙局's division
        let found = lookup(&idx, "流动人口子女义务教育", 5, today(), &TH);
        // Then 乙局 acts, as ASSIST on the matter, and 甲局 is named as its coordinator
        let top = &found.candidates[0];
        assert_eq!(top.department.id, 2, "{found:?}");
        assert_eq!(top.role, Some(Role::Assist));
        assert_eq!(top.coordinator.as_ref().map(|c| c.id), Some(1));
        // When the complaint is about the lead's own division, the lead acts, coordinating no one
        let found = lookup(&idx, "流动人口计划生育信息管理", 5, today(), &TH);
        let top = &found.candidates[0];
        assert_eq!(top.department.id, 1, "{found:?}");
        assert_eq!(top.role, Some(Role::Lead));
        assert!(top.coordinator.is_none());
    }

    #[test]
    fn lookup__a_units_service_makes_the_unit_the_candidate_ahead_of_its_department() {
        // Given a department's duty and its unit's service saying nearly the same
        let idx = index(vec![
            duty(1, 1, "负责全县避孕药具的发放和管理"),
            row(DocKind::Service, 2, 4, "避孕药具免费发放"),
            duty(3, 2, "负责城市道路桥梁的养护管理"),
        ]);
        let found = lookup(&idx, "免费避孕药具发放", 5, today(), &TH);
        // Then the unit acts, first, and it does not tie with its own department
        assert_eq!(ids(&found)[..2], [4, 1], "{found:?}");
        assert_eq!(found.outcome, Outcome::Matched);
    }

    #[test]
    fn lookup__a_department_reorganised_away_is_its_successor_before_first_is_applied() {
        // Given 乙局 dissolved into 丙局, each with a row about the same thing
        let docs = vec![
            duty(1, 2, "负责农村饮水安全工程建设"),
            duty(2, 3, "负责农村饮水安全工程建设"),
            duty(3, 1, "负责城市道路桥梁的养护管理"),
        ];
        let idx = index_after(docs, |departments| {
            let gone = departments.get_mut(&2).unwrap();
            gone.dissolved_on = NaiveDate::from_ymd_opt(2026, 1, 1);
            gone.successor_id = Some(3);
        });
        // When looked up for a day after the dissolution, with room for one candidate
        let found = lookup(&idx, "农村饮水安全", 1, today(), &TH);
        // Then 丙局 is the one answer, not a tie with the department it absorbed
        assert_eq!(ids(&found), [3], "{found:?}");
        assert_eq!(found.outcome, Outcome::Matched);
        // And before the dissolution the two tie
        let before = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let found = lookup(&idx, "农村饮水安全", 5, before, &TH);
        assert_eq!(found.outcome, Outcome::Ambiguous);
    }

    #[test]
    fn lookup__two_departments_merged_into_a_new_one_answer_as_it() {
        // Given 乙局 and 丙局 merged into 新局 (5), which has no rows of its own yet
        let docs = vec![
            duty(1, 2, "负责农村饮水安全工程建设"),
            duty(2, 3, "负责农村饮水水质监测"),
            duty(3, 1, "负责城市道路桥梁的养护管理"),
        ];
        let idx = index_after(docs, |departments| {
            let new = department::Model {
                id: 5,
                name: "新局".to_owned(),
                ..departments[&3].clone()
            };
            departments.insert(5, new);
            for id in [2, 3] {
                let gone = departments.get_mut(&id).unwrap();
                gone.dissolved_on = NaiveDate::from_ymd_opt(2026, 1, 1);
                gone.successor_id = Some(5);
            }
        });
        // When a complaint meets both merged departments' rows
        let found = lookup(&idx, "农村饮水安全水质", 5, today(), &TH);
        // Then 新局 is the one candidate, routed from the department whose row scored best,
        // with both rows as its evidence
        assert_eq!(ids(&found), [5], "{found:?}");
        assert_eq!(found.outcome, Outcome::Matched);
        let top = &found.candidates[0];
        let best_row_of = top.evidence[0].department.id;
        assert!([2, 3].contains(&best_row_of));
        assert_eq!(top.routed_from.as_ref().map(|d| d.id), Some(best_row_of));
        let mut rows: Vec<i32> = top.evidence.iter().map(|e| e.row_id).collect();
        rows.sort_unstable();
        assert_eq!(rows, [1, 2]);
    }
}
