//! The lookup's evaluation: complaints as citizens phone them in, each labelled with the lead
//! department (or NONE), scored for the matcher and for a plain-substring baseline (what a
//! generic GraphQL engine's `like '%text%'` filter over the same texts gives).

use super::index::Index;
use super::rank::{self, Outcome, Role, Thresholds};

/// One labelled complaint.
#[derive(Debug, Clone)]
pub struct Case {
    pub split: String,
    /// Lead department's name; `None` when no department of the list handles it.
    pub lead: Option<String>,
    pub text: String,
    /// Units or assisting departments a dispatcher also needs named among the candidates
    /// (捡到婴儿: 安化县公安局, whose division 查处弃婴).
    pub also: Vec<String>,
}

/// Parses the TSV (`split<TAB>lead|NONE<TAB>complaint[<TAB>also|also…]`; `#` lines are
/// comments).
pub fn parse(tsv: &str) -> Vec<Case> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.splitn(4, '\t');
            let split = parts.next()?.trim().to_owned();
            let lead = parts.next()?.trim();
            let text = parts.next()?.trim().to_owned();
            let also = parts
                .next()
                .map(|a| {
                    a.split('|')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(Case {
                split,
                lead: (lead != "NONE").then(|| lead.to_owned()),
                text,
                also,
            })
        })
        .collect()
}

/// Figures of one system on one set of cases.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub related: usize,
    pub top1: usize,
    pub top3: usize,
    pub unrelated: usize,
    pub no_match: usize,
    /// Labelled units and assisting departments, and how many were named.
    pub also: usize,
    pub also_named: usize,
}

impl Figures {
    pub fn top1_rate(&self) -> f64 {
        ratio(self.top1, self.related)
    }
    pub fn top3_rate(&self) -> f64 {
        ratio(self.top3, self.related)
    }
    pub fn no_match_rate(&self) -> f64 {
        ratio(self.no_match, self.unrelated)
    }
    pub fn also_rate(&self) -> f64 {
        ratio(self.also_named, self.also)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// What a system answers for one complaint.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// LEAD departments, best first (empty = NO_MATCH).
    pub leads: Vec<String>,
    /// Every department and unit named among the first five candidates, any role.
    pub named: Vec<String>,
}

pub type System<'a> = dyn Fn(&str) -> Answer + 'a;

const NAMED: usize = 5;

fn push_unique(names: &mut Vec<String>, name: String) {
    if !names.contains(&name) {
        names.push(name);
    }
}

fn name_of(index: &Index, id: i32) -> String {
    index
        .departments
        .get(&id)
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

/// The matcher: LEAD candidates' top departments, best first (an internal unit counts as its
/// department: the hotline routes to departments).
pub fn matcher<'a>(index: &'a Index, th: Thresholds) -> impl Fn(&str) -> Answer + 'a {
    move |text| {
        let found = rank::lookup(index, text, 10, &th);
        let mut answer = Answer::default();
        if found.outcome == Outcome::NoMatch {
            return answer;
        }
        for c in found.candidates.iter().filter(|c| c.role == Role::Lead) {
            push_unique(
                &mut answer.leads,
                name_of(index, index.top_department(c.department_id)),
            );
        }
        for c in found.candidates.iter().take(NAMED) {
            push_unique(&mut answer.named, name_of(index, c.department_id));
        }
        answer
    }
}

/// The baseline: rows whose text contains the complaint verbatim, their departments in
/// row order (LEAD of a division's matter; the owner of any other row).
pub fn substring<'a>(index: &'a Index) -> impl Fn(&str) -> Answer + 'a {
    move |text| {
        let text = text.trim();
        let mut answer = Answer::default();
        for doc in &index.docs {
            let hay = match &doc.title {
                Some(t) => format!("{} {}", t, doc.text),
                None => doc.text.clone(),
            };
            if text.is_empty() || !hay.contains(text) {
                continue;
            }
            let dept = match doc.matter_id {
                Some(m) => index
                    .matters
                    .get(&m)
                    .and_then(|ds| ds.iter().find(|(_, lead)| *lead).map(|(d, _)| *d))
                    .unwrap_or(doc.department_id),
                None => doc.department_id,
            };
            push_unique(
                &mut answer.leads,
                name_of(index, index.top_department(dept)),
            );
            if answer.named.len() < NAMED {
                push_unique(&mut answer.named, name_of(index, doc.department_id));
            }
        }
        answer
    }
}

/// Scores `system` on the cases of `split` (all when `None`).
pub fn score(cases: &[Case], split: Option<&str>, system: &System<'_>) -> Figures {
    let mut f = Figures::default();
    for case in cases.iter().filter(|c| split.is_none_or(|s| c.split == s)) {
        let answer = system(&case.text);
        match &case.lead {
            Some(lead) => {
                f.related += 1;
                if answer.leads.first() == Some(lead) {
                    f.top1 += 1;
                }
                if answer.leads.iter().take(3).any(|n| n == lead) {
                    f.top3 += 1;
                }
            }
            None => {
                f.unrelated += 1;
                if answer.leads.is_empty() {
                    f.no_match += 1;
                }
            }
        }
        f.also += case.also.len();
        f.also_named += case
            .also
            .iter()
            .filter(|n| answer.named.contains(n))
            .count();
    }
    f
}
