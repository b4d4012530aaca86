//! From matched rows to the departments that must act, with their coordinator and evidence.

use std::collections::HashMap;

use arrayvec::ArrayVec;
use chrono::NaiveDate;
use entity::department;

use super::index::{DocKind, Index};
use super::{lexicon, tokenize};
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
    /// Character ranges `[start, end)` of `text` that matched.
    pub highlights: Vec<(usize, usize)>,
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

/// The query's terms after lexicon expansion, and the documents' scores.
fn scored(index: &Index, text: &str) -> (Terms, Vec<(u32, f64)>) {
    let (expanded, _) = lexicon::expand(text, &index.lexicon);
    let terms = tokenize::terms(&expanded);
    let scores = index.score(&terms);
    (terms, scores)
}

/// Row ids of `kind` scoring at least the NO_MATCH threshold, in id order.
pub fn matching_rows(index: &Index, text: &str, kind: DocKind, th: &Thresholds) -> Vec<i32> {
    let (_, scores) = scored(index, text);
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
    fn new(department: i32, first: u32, routed_from: Option<i32>) -> Self {
        Self {
            department,
            score: f64::MIN,
            best: first,
            routed_from,
            top: ArrayVec::new(),
        }
    }

    fn credit(&mut self, score: f64, doc: u32, routed_from: Option<i32>) {
        if score > self.score {
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

/// Ranks the departments that must act on `text`, as of `day` (a department reorganised
/// away by then is its successor, before ties and `first` are decided).
pub fn lookup(index: &Index, text: &str, first: usize, day: NaiveDate, th: &Thresholds) -> Lookup {
    let no_match = Lookup {
        outcome: Outcome::NoMatch,
        candidates: Vec::new(),
    };
    let (terms, scores) = scored(index, text);
    // Each row credits its own department: who acts is whose division, duty, work item or
    // service it is, never the matter's lead on another department's behalf. Rows first meet
    // in their department's slot (a province scores tens of thousands of rows a complaint);
    // then each department's best rows go to whoever holds its duties on `day`.
    let mut by_slot: Vec<Option<Tally>> = Vec::new();
    by_slot.resize_with(index.slots(), || None);
    let mut touched = Vec::new();
    for &(doc_no, s) in &scores {
        let slot = index.slot(doc_no);
        by_slot[slot]
            .get_or_insert_with(|| {
                touched.push(slot);
                Tally::new(index.slot_department(slot), doc_no, None)
            })
            .credit(s, doc_no, None);
    }
    let mut by_dept: HashMap<i32, Tally> = HashMap::new();
    for slot in touched {
        let Some(source) = by_slot[slot].take() else {
            continue;
        };
        let (holder, routed_from) = holder_on(&index.departments, source.department, day);
        let tally = by_dept
            .entry(holder)
            .or_insert_with(|| Tally::new(holder, source.best, routed_from));
        // A department's best rows are the only ones that can be among its holder's best.
        for (doc_no, s) in source.top {
            tally.credit(s, doc_no, routed_from);
        }
    }
    let mut ranked = specific_units_first(index, by_dept.into_values().collect(), th.tie_ratio);
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
    let terms = tokenize::words(&terms);
    // Units of one department are parts of it: they narrow the answer, never tie with it.
    let top_root = index.top_department(top.department);
    let tie = ranked.iter().skip(1).any(|t| {
        index.top_department(t.department) != top_root && t.score >= th.tie_ratio * top.score
    });
    ranked.truncate(first.max(1));
    let model = |id: i32| index.departments.get(&id).cloned();
    // Evidence only for the candidates returned: highlighting is the costly part.
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
                            highlights: tokenize::highlights(&doc.text, &terms),
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
        let departments = [
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
        let mut idx = index(vec![
            duty(1, 2, "负责农村饮水安全工程建设"),
            duty(2, 3, "负责农村饮水安全工程建设"),
            duty(3, 1, "负责城市道路桥梁的养护管理"),
        ]);
        let gone = idx.departments.get_mut(&2).unwrap();
        gone.dissolved_on = NaiveDate::from_ymd_opt(2026, 1, 1);
        gone.successor_id = Some(3);
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
}
