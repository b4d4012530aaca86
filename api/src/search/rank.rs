//! From matched documents to ranked departments with role, score and evidence.

use std::collections::HashMap;

use super::index::{DocKind, Index};
use super::{lexicon, tokenize};

/// The explicit answer of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    Ambiguous,
    NoMatch,
}

/// A department's part in the matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Lead,
    Assist,
}

pub type EvidenceKind = DocKind;

/// A row that made a candidate.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: DocKind,
    pub row_id: i32,
    /// The row's department: for a division, whose division it is (a matter's LEAD is
    /// credited through every division of the matter, and shows which one matched).
    pub department_id: i32,
    pub title: Option<String>,
    pub text: String,
    /// Character ranges `[start, end)` of `text` that matched.
    pub highlights: Vec<(usize, usize)>,
    pub legal_bases: Vec<(String, String)>,
    pub score: f64,
}

#[derive(Debug, Clone)]
pub struct Candidate {
    pub department_id: i32,
    pub department_name: String,
    pub role: Role,
    pub score: f64,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct Lookup {
    pub outcome: Outcome,
    pub candidates: Vec<Candidate>,
}

/// Where NO_MATCH and AMBIGUOUS begin. `min_score` is chosen on the dev half of `tests/eval`
/// only: its unrelated complaints score at most 2.24 and its related ones at least 2.77
/// (`eval -- --tune`), and the threshold sits between them.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Below this top score the answer is NO_MATCH.
    pub min_score: f64,
    /// A second LEAD candidate at or above this share of the top score makes it AMBIGUOUS.
    pub tie_ratio: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_score: 2.5,
            tie_ratio: 0.92,
        }
    }
}

/// Share of its score an ASSIST department of a matched matter receives.
const ASSIST_SHARE: f64 = 0.6;
const EVIDENCE_PER_CANDIDATE: usize = 3;

/// The query's terms after lexicon expansion, and the documents' scores.
fn scored(index: &Index, text: &str) -> (Vec<String>, Vec<(u32, f64)>) {
    let (expanded, _) = lexicon::expand(text, &index.lexicon);
    let terms = tokenize::terms(&expanded);
    let scores = index.score(&terms);
    (tokenize::words(&terms), scores)
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

/// What one department has gathered from the matched rows: its best score, in the role that
/// row gives it, and its best rows (at most `EVIDENCE_PER_CANDIDATE`, kept as they come so
/// a lookup over a province's rows stays linear).
struct Tally {
    score: f64,
    role: Role,
    /// (document, score it credited), best first.
    top: Vec<(u32, f64)>,
}

impl Tally {
    fn credit(&mut self, score: f64, role: Role, doc: u32) {
        if score > self.score || (score == self.score && role == Role::Lead) {
            self.score = score;
            self.role = role;
        }
        if self.top.iter().any(|&(d, _)| d == doc) {
            return;
        }
        let at = self
            .top
            .iter()
            .position(|&(d, s)| score > s || (score == s && doc < d))
            .unwrap_or(self.top.len());
        if at < EVIDENCE_PER_CANDIDATE {
            self.top.insert(at, (doc, score));
            self.top.truncate(EVIDENCE_PER_CANDIDATE);
        }
    }
}

/// Ranks departments for `text`.
pub fn lookup(index: &Index, text: &str, first: usize, th: &Thresholds) -> Lookup {
    let (terms, scores) = scored(index, text);
    let mut by_dept: HashMap<i32, Tally> = HashMap::new();
    let mut credit = |dept: i32, score: f64, role: Role, doc: u32| {
        by_dept
            .entry(dept)
            .or_insert(Tally {
                score: 0.0,
                role,
                top: Vec::new(),
            })
            .credit(score, role, doc);
    };
    for &(doc_no, s) in &scores {
        let doc = &index.docs[doc_no as usize];
        match (doc.kind, doc.matter_id) {
            (DocKind::Division, Some(matter)) => {
                for &(dept, lead) in index.matters.get(&matter).into_iter().flatten() {
                    if lead {
                        credit(dept, s, Role::Lead, doc_no);
                    } else if dept == doc.department_id {
                        credit(dept, s * ASSIST_SHARE, Role::Assist, doc_no);
                    }
                }
            }
            _ => credit(doc.department_id, s, Role::Lead, doc_no),
        }
    }
    let mut ranked: Vec<(i32, Tally)> = by_dept.into_iter().collect();
    ranked.sort_by(|(a_id, a), (b_id, b)| b.score.total_cmp(&a.score).then(a_id.cmp(b_id)));
    let Some((top_id, top)) = ranked.first() else {
        return Lookup {
            outcome: Outcome::NoMatch,
            candidates: Vec::new(),
        };
    };
    if top.score < th.min_score {
        return Lookup {
            outcome: Outcome::NoMatch,
            candidates: Vec::new(),
        };
    }
    let top_root = index.top_department(*top_id);
    let tie = ranked.iter().skip(1).any(|(id, t)| {
        t.role == Role::Lead
            && index.top_department(*id) != top_root
            && t.score >= th.tie_ratio * top.score
    });
    ranked.truncate(first.max(1));
    // Evidence only for the candidates returned: highlighting is the costly part.
    let candidates = ranked
        .into_iter()
        .map(|(dept, tally)| Candidate {
            department_id: dept,
            department_name: index
                .departments
                .get(&dept)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            role: tally.role,
            score: tally.score,
            evidence: tally
                .top
                .into_iter()
                .map(|(doc_no, s)| {
                    let doc = &index.docs[doc_no as usize];
                    Evidence {
                        kind: doc.kind,
                        row_id: doc.row_id,
                        department_id: doc.department_id,
                        title: doc.title.clone(),
                        text: doc.text.clone(),
                        highlights: tokenize::highlights(&doc.text, &terms),
                        legal_bases: doc.legal_bases.clone(),
                        score: s,
                    }
                })
                .collect(),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::search::index::{Dept, Doc};

    fn duty(row_id: i32, department_id: i32, text: &str) -> Doc {
        Doc {
            kind: DocKind::Duty,
            row_id,
            department_id,
            lead: true,
            matter_id: None,
            title: None,
            text: text.to_owned(),
            legal_bases: Vec::new(),
        }
    }

    fn index(docs: Vec<Doc>) -> Index {
        let departments: HashMap<i32, Dept> = [(1, "甲局"), (2, "乙局"), (3, "丙局")]
            .into_iter()
            .map(|(id, name)| {
                let dept = Dept {
                    name: name.to_owned(),
                    parent_id: None,
                };
                (id, dept)
            })
            .collect();
        Index::build(docs, departments, Vec::new())
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
        let found = lookup(&idx, "城市道路桥梁养护", 5, &TH);
        // Then both are returned and the caller is told to decide
        assert_eq!(found.outcome, Outcome::Ambiguous);
        let ids: Vec<i32> = found.candidates.iter().map(|c| c.department_id).collect();
        assert_eq!(&ids[..2], &[1, 2]);
    }

    #[test]
    fn lookup__one_clear_department_is_matched_and_noise_is_no_match() {
        let idx = index(vec![
            duty(1, 1, "负责城市道路桥梁的养护管理"),
            duty(2, 2, "负责农村饮水安全工程建设和饮水水质监测"),
            duty(3, 3, "负责森林防火和林业有害生物防治"),
        ]);
        let th = TH;
        // When the complaint fits one department's duty
        let found = lookup(&idx, "农村饮水水质有问题", 5, &th);
        // Then that department is matched, as LEAD
        assert_eq!(found.outcome, Outcome::Matched);
        assert_eq!(found.candidates[0].department_id, 2);
        assert_eq!(found.candidates[0].role, Role::Lead);
        // When nothing in the list is about it, the answer is NO_MATCH with no candidates
        let none = lookup(&idx, "楼上邻居半夜装修太吵", 5, &th);
        assert_eq!(none.outcome, Outcome::NoMatch);
        assert!(none.candidates.is_empty());
    }
}
