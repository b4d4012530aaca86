//! The responsibility lookup's evaluation and latency benchmark, in process.
//!
//! Usage: `cargo run -p qingdan-tests --bin eval -- [tests/eval/complaints.tsv] [--floor TOP1,TOP3,NOMATCH]
//! [--lexicon FILE] [--verbose] [--tune] [--coverage] [--bench]`, or `-- --misroutes [DATABASE_URL]`.
//!
//! Prints top-1, top-3 (the acting department), NO_MATCH and coordinator rates of the matcher
//! and of the character-bigram BM25 and substring baselines on the dev split, the test split
//! and all; with `--floor` exits 1 when the matcher's figures on all cases fall below it; with
//! `--bench` prints lookup latency p50/p99 on the Anhua list and on deterministic county-scale
//! (≈3,000 rows) and province-scale (≈200,000 rows) corpora. `--misroutes` prints the
//! dispatchers' corrections (派单异议) stored in a database as rows of the set. `--lexicon` scores
//! with another lexicon file (the format of `data/lexicon.json`) in place of the seeded one.

use std::time::Instant;

use qingdan::search::{
    index::{Doc, DocKind, Index},
    rank::{self, Thresholds},
};
use qingdan_tests::eval;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--misroutes") {
        let url = args
            .get(i + 1)
            .cloned()
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .unwrap_or_else(|| qingdan::config::DEFAULT_DATABASE_URL.to_owned());
        return export_misroutes(&url).await;
    }
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

    let (db, _) =
        qingdan::db::connect(&qingdan::db::PoolSettings::for_url("sqlite::memory:")).await?;
    qingdan::db::migrate(&db).await?;
    qingdan::import::seed_if_empty(&db).await?;
    let today = qingdan::domain::clock::Clock::today(&qingdan::domain::clock::SystemClock);
    let in_force = qingdan::domain::versions::in_force(&db, today).await?;
    let mut index = qingdan::search::index::load(&db, &in_force).await?;
    if let Some(file) = args
        .iter()
        .position(|a| a == "--lexicon")
        .and_then(|i| args.get(i + 1))
    {
        // A candidate lexicon, weighed against the one the server seeds.
        let rows = qingdan::search::lexicon::parse(&std::fs::read_to_string(file)?)?;
        let entries = rows
            .into_iter()
            .map(|r| qingdan::search::lexicon::Entry {
                term: r.term,
                expansion: r.expansion,
            })
            .collect();
        index = Index::build(index.docs, index.departments, entries);
    }

    let matcher = eval::matcher(&index, today, Thresholds::default());
    let bigram = eval::bigram_bm25(&index);
    let substring = eval::substring(&index);
    println!("system     split  related  top-1    top-3    unrelated  NO_MATCH  coordinator named");
    let mut all = eval::Figures::default();
    for (name, system) in [
        ("matcher", &matcher as &eval::System),
        ("bigram", &bigram as &eval::System),
        ("substring", &substring as &eval::System),
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
                f.coordinators_named,
                f.coordinators,
                100.0 * f.coordinator_rate()
            );
            if name == "matcher" && split.is_none() {
                all = f;
            }
        }
    }
    if args.iter().any(|a| a == "--verbose") {
        let loose = Thresholds {
            min_score: 0.0,
            tie_ratio: 1.0,
        };
        for c in &cases {
            let top = rank::lookup(&index, &c.text, 3, today, &loose);
            let s = top.candidates.first().map_or(0.0, |c| c.score);
            let answer = matcher(&c.text);
            let ok = answer.acting.first() == c.acting.as_ref()
                || (c.acting.is_none() && answer.acting.is_empty());
            let ranked: Vec<String> = top
                .candidates
                .iter()
                .map(|c| format!("{}:{:.2}", c.department.name, c.score))
                .collect();
            println!(
                "{}\t{s:.2}\t{}\t{:?}\t{}\t{}",
                if ok { "ok" } else { "MISS" },
                c.acting.as_deref().unwrap_or("NONE"),
                ranked,
                c.split,
                c.text
            );
        }
    }
    if args.iter().any(|a| a == "--tune") {
        // The thresholds are chosen here, on the dev split only.
        for tenth in 0..=80 {
            for tie in [0.85, 0.9, 0.92, 0.95] {
                let th = Thresholds {
                    min_score: tenth as f64 / 10.0,
                    tie_ratio: tie,
                };
                let m = eval::matcher(&index, today, th);
                let f = eval::score(&cases, Some("dev"), &m);
                println!(
                    "min_score={:.1} tie={tie} dev top-1={} / {} no_match={} / {}",
                    th.min_score, f.top1, f.related, f.no_match, f.unrelated
                );
            }
        }
    }
    if args.iter().any(|a| a == "--coverage") {
        let mut rows: Vec<(&str, usize)> = eval::coverage(&cases).into_iter().collect();
        rows.sort();
        for (row, n) in rows {
            println!("{n:>3}  {row}");
        }
    }
    if args.iter().any(|a| a == "--bench") {
        let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
        bench("anhua", &index, &texts, today);
        bench("county", &scaled(&index, 1, 3_000), &texts, today);
        bench("province", &scaled(&index, 100, 200_000), &texts, today);
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

/// Prints the dispatchers' corrections stored in the database at `url` as evaluation rows
/// (`split` `test`, the correct department as the label), ready to append to the set.
async fn export_misroutes(url: &str) -> anyhow::Result<()> {
    let (db, _) = qingdan::db::connect(&qingdan::db::PoolSettings::for_url(url)).await?;
    for row in qingdan::domain::misroute::as_eval_rows(&db).await? {
        println!("{row}");
    }
    Ok(())
}

fn bench(label: &str, index: &Index, texts: &[&str], day: chrono::NaiveDate) {
    let th = Thresholds::default();
    let mut times = Vec::new();
    for round in 0..20 {
        for t in texts {
            let start = Instant::now();
            let found = rank::lookup(index, t, 5, day, &th);
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
    Index::build(
        docs,
        county.departments.clone(),
        county.lexicon.entries().to_vec(),
    )
}
