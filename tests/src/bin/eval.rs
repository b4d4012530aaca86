//! The responsibility lookup's evaluation and latency benchmark, in process.
//!
//! Usage: `cargo run -p qingdan-tests --bin eval -- [tests/eval/complaints.tsv] [--floor TOP1,TOP3,NOMATCH] [--bench]`
//! Prints top-1, top-3 and NO_MATCH rates of the matcher and of the substring baseline on the
//! dev split, the test split and all; with `--floor` exits 1 when the matcher's figures on all
//! cases fall below it; with `--bench` prints lookup latency p50/p99 on the Anhua list and on
//! deterministic county-scale (≈3,000 rows) and province-scale (≈200,000 rows) corpora.

use std::time::Instant;

use qingdan::search::{
    eval,
    index::{Doc, DocKind, Index},
    rank::{self, Thresholds},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| a.ends_with(".tsv"))
        .cloned()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/eval/complaints.tsv").into());
    let floor: Option<Vec<f64>> = args
        .iter()
        .position(|a| a == "--floor")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect());
    let cases = eval::parse(&std::fs::read_to_string(&path)?);

    let (db, _) = qingdan::db::connect("sqlite::memory:").await?;
    qingdan::db::migrate(&db).await?;
    qingdan::import::seed_if_empty(&db).await?;
    let today = qingdan::domain::clock::Clock::today(&qingdan::domain::clock::SystemClock);
    let in_force = qingdan::domain::versions::in_force(&db, today).await?;
    let index = qingdan::search::index::load(&db, &in_force).await?;

    let matcher = eval::matcher(&index, Thresholds::default());
    let baseline = eval::substring(&index);
    println!(
        "system     split  related  top-1    top-3    unrelated  NO_MATCH  units/assists named"
    );
    let mut all = eval::Figures::default();
    for (name, system) in [
        ("matcher", &matcher as &eval::System),
        ("substring", &baseline as &eval::System),
    ] {
        for split in [Some("dev"), Some("test"), None] {
            let f = eval::score(&cases, split, system);
            println!(
                "{name:<10} {:<6} {:>7}  {:>6.1}%  {:>6.1}%  {:>9}  {:>6.1}%  {:>3}/{:<3} {:>5.1}%",
                split.unwrap_or("all"),
                f.related,
                100.0 * f.top1_rate(),
                100.0 * f.top3_rate(),
                f.unrelated,
                100.0 * f.no_match_rate(),
                f.also_named,
                f.also,
                100.0 * f.also_rate()
            );
            if name == "matcher" && split.is_none() {
                all = f;
            }
        }
    }
    if args.iter().any(|a| a == "--verbose") {
        for c in &cases {
            let top = rank::lookup(
                &index,
                &c.text,
                1,
                &Thresholds {
                    min_score: 0.0,
                    tie_ratio: 1.0,
                },
            );
            let s = top.candidates.first().map_or(0.0, |c| c.score);
            let answer = matcher(&c.text);
            println!(
                "{s:.2}\t{:?}\t{:?}\t{:?}\t{}",
                c.lead, answer.leads, answer.named, c.text
            );
        }
    }
    if args.iter().any(|a| a == "--tune") {
        // The NO_MATCH threshold is chosen here, on the dev split only.
        for tenth in 0..=80 {
            let th = Thresholds {
                min_score: tenth as f64 / 10.0,
                ..Thresholds::default()
            };
            let m = eval::matcher(&index, th);
            let f = eval::score(&cases, Some("dev"), &m);
            println!(
                "min_score={:.1} dev top-1={} / {} no_match={} / {}",
                th.min_score, f.top1, f.related, f.no_match, f.unrelated
            );
        }
    }
    if args.iter().any(|a| a == "--bench") {
        let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
        bench("anhua", &index, &texts);
        bench("county", &scaled(&index, 1, 3_000), &texts);
        bench("province", &scaled(&index, 100, 200_000), &texts);
    }
    if let Some(floor) = floor {
        let got = [all.top1_rate(), all.top3_rate(), all.no_match_rate()];
        if floor.iter().zip(got).any(|(f, g)| g + 1e-9 < *f) {
            eprintln!("below floor {floor:?}: {got:?}");
            std::process::exit(1);
        }
    }
    Ok(())
}

fn bench(label: &str, index: &Index, texts: &[&str]) {
    let th = Thresholds::default();
    let mut times = Vec::new();
    for round in 0..20 {
        for t in texts {
            let start = Instant::now();
            let found = rank::lookup(index, t, 5, &th);
            let took = start.elapsed();
            std::hint::black_box(found);
            if round > 0 {
                times.push(took);
            }
        }
    }
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "latency {label:<8} docs={:>7} lookups={} p50={:?} p99={:?}",
        index.docs.len(),
        times.len(),
        p(0.50),
        p(0.99)
    );
}

/// A deterministic corpus of `docs` rows: the list's rows repeated `copies` times, topped up
/// with work items recombined from the list's phrases. A county (≈2,000 work items, 400
/// duties, 250 divisions, 300 services) is ≈3,000 rows; a province of 100 counties, 200,000.
fn scaled(county: &Index, copies: i32, target: usize) -> Index {
    let phrases: Vec<String> = county
        .docs
        .iter()
        .flat_map(|d| d.text.split(['，', '；', '。', '、']).map(str::to_owned))
        .filter(|p| p.chars().count() >= 4)
        .collect();
    let mut docs = Vec::with_capacity(target);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for county_no in 0..copies {
        for d in &county.docs {
            let mut d = d.clone();
            d.row_id += county_no * 100_000;
            docs.push(d);
        }
    }
    let depts: Vec<i32> = county.departments.keys().copied().collect();
    let mut i = 0;
    while docs.len() < target {
        let a = &phrases[(next() % phrases.len() as u64) as usize];
        let b = &phrases[(next() % phrases.len() as u64) as usize];
        docs.push(Doc {
            kind: DocKind::WorkItem,
            row_id: 10_000_000 + i,
            department_id: depts[(next() % depts.len() as u64) as usize],
            lead: true,
            matter_id: None,
            title: None,
            text: format!("{a}，{b}"),
            legal_bases: Vec::new(),
        });
        i += 1;
    }
    Index::build(docs, county.departments.clone(), county.lexicon.clone())
}
