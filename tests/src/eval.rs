//! The lookup's evaluation: complaints as citizens phone them in, each labelled with the
//! department that must act (or NONE), scored for the matcher and for two baselines over the
//! same rows: a plain substring filter (what a generic engine's `like '%text%'` gives) and a
//! character-bigram BM25.

use std::collections::HashMap;

use chrono::NaiveDate;
use qingdan::search::index::Index;
use qingdan::search::rank::{self, Outcome, Thresholds};

/// One labelled complaint.
#[derive(Debug, Clone)]
pub struct Case {
    pub split: String,
    /// The department (or unit) that must act; `None` when no row of the list covers it.
    pub acting: Option<String>,
    pub text: String,
    /// The matter's lead, when another department acts on a shared matter.
    pub coordinator: Option<String>,
    /// The row the complaint was written about (`division:…`, `service:…`, `duty:N`, `none`).
    pub row: String,
}

/// Parses the TSV: `split<TAB>acting|NONE<TAB>complaint[<TAB>coordinator[<TAB>row]]`; `#`
/// lines are comments.
pub fn parse(tsv: &str) -> Vec<Case> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split('\t').map(str::trim);
            let split = parts.next()?.to_owned();
            let acting = parts.next()?;
            let text = parts.next()?.to_owned();
            let coordinator = parts.next().filter(|c| !c.is_empty()).map(str::to_owned);
            let row = parts.next().unwrap_or("").to_owned();
            Some(Case {
                split,
                acting: (acting != "NONE").then(|| acting.to_owned()),
                text,
                coordinator,
                row,
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
    /// Labelled coordinators, and how many the top candidate named when it was right.
    pub coordinators: usize,
    pub coordinators_named: usize,
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
    pub fn coordinator_rate(&self) -> f64 {
        ratio(self.coordinators_named, self.coordinators)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// What a system answers for one complaint.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// Acting departments and units, best first (empty = NO_MATCH).
    pub acting: Vec<String>,
    /// The coordinator the first candidate names.
    pub coordinator: Option<String>,
}

pub type System<'a> = dyn Fn(&str) -> Answer + 'a;

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

/// The matcher, as the API answers on `day`.
pub fn matcher<'a>(
    index: &'a Index,
    day: NaiveDate,
    th: Thresholds,
) -> impl Fn(&str) -> Answer + 'a {
    move |text| {
        let found = rank::lookup(index, text, 10, day, &th);
        let mut answer = Answer::default();
        if found.outcome == Outcome::NoMatch {
            return answer;
        }
        for c in &found.candidates {
            push_unique(&mut answer.acting, c.department.name.clone());
        }
        answer.coordinator = found
            .candidates
            .first()
            .and_then(|c| c.coordinator.as_ref().map(|d| d.name.clone()));
        answer
    }
}

/// The substring baseline: rows whose text contains the complaint verbatim, their owners in
/// row order.
pub fn substring<'a>(index: &'a Index) -> impl Fn(&str) -> Answer + 'a {
    move |text| {
        let text = text.trim();
        let mut answer = Answer::default();
        for doc in &index.docs {
            let hay = match &doc.title {
                Some(t) => format!("{} {}", t, doc.text),
                None => doc.text.clone(),
            };
            if !text.is_empty() && hay.contains(text) {
                push_unique(&mut answer.acting, name_of(index, doc.department_id));
            }
        }
        answer
    }
}

/// Character pairs of the word characters of `text`.
fn bigrams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// The character-bigram BM25 baseline: every row scored by the complaint's character pairs
/// (no segmentation, no lexicon), owners by their best row; NO_MATCH only when no pair meets.
pub fn bigram_bm25(index: &Index) -> impl Fn(&str) -> Answer + '_ {
    let docs: Vec<Vec<String>> = index
        .docs
        .iter()
        .map(|d| {
            bigrams(&format!(
                "{}{}",
                d.title.clone().unwrap_or_default(),
                d.text
            ))
        })
        .collect();
    let mut df: HashMap<String, f64> = HashMap::new();
    for d in &docs {
        let mut seen: Vec<&String> = d.iter().collect();
        seen.sort();
        seen.dedup();
        for t in seen {
            *df.entry(t.clone()).or_default() += 1.0;
        }
    }
    let avg = docs.iter().map(Vec::len).sum::<usize>() as f64 / docs.len().max(1) as f64;
    move |text| {
        let mut query = bigrams(text);
        query.sort();
        query.dedup();
        let n = docs.len() as f64;
        let mut scored: Vec<(f64, usize)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let s: f64 = query
                    .iter()
                    .map(|t| {
                        let tf = d.iter().filter(|x| *x == t).count() as f64;
                        if tf == 0.0 {
                            return 0.0;
                        }
                        let df = df.get(t).copied().unwrap_or(0.0);
                        let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                        idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * d.len() as f64 / avg))
                    })
                    .sum();
                (s, i)
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut answer = Answer::default();
        for (_, i) in scored {
            push_unique(
                &mut answer.acting,
                name_of(index, index.docs[i].department_id),
            );
        }
        answer
    }
}

/// Scores `system` on the cases of `split` (all when `None`).
pub fn score(cases: &[Case], split: Option<&str>, system: &System<'_>) -> Figures {
    let mut f = Figures::default();
    for case in cases.iter().filter(|c| split.is_none_or(|s| c.split == s)) {
        let answer = system(&case.text);
        match &case.acting {
            Some(acting) => {
                f.related += 1;
                let first = answer.acting.first() == Some(acting);
                f.top1 += usize::from(first);
                f.top3 += usize::from(answer.acting.iter().take(3).any(|n| n == acting));
                if let Some(coordinator) = &case.coordinator {
                    f.coordinators += 1;
                    f.coordinators_named +=
                        usize::from(first && answer.coordinator.as_ref() == Some(coordinator));
                }
            }
            None => {
                f.unrelated += 1;
                f.no_match += usize::from(answer.acting.is_empty());
            }
        }
    }
    f
}

/// Complaints per labelled row, for the coverage check.
pub fn coverage(cases: &[Case]) -> HashMap<&str, usize> {
    let mut rows: HashMap<&str, usize> = HashMap::new();
    for c in cases.iter().filter(|c| c.acting.is_some()) {
        *rows.entry(c.row.as_str()).or_default() += 1;
    }
    rows
}
