//! Load test against a running server: mixed reads, lookups, list edits and inspection
//! submissions from many connections at once, then a check of what was written.
//!
//! Usage: loadtest URL [--connections N] [--seconds S]
//!   (defaults: 20 connections, 20 seconds; tokens are signed with `QINGDAN_JWT_SECRET`, or
//!   the development secret, as the server under test must verify them)
//!
//! Each connection loops over a weighted mix: 45 % reads of the list, 20 % responsibility
//! lookups, 25 % edits by the bureau's editor (create a duty, rename a public service,
//! remove a duty it created) and 10 % inspection submissions with an idempotency key (every
//! fifth sent twice: the retry must return the same inspection). Every answer is classed by
//! its `userErrors` or `extensions.code`. Afterwards, as an administrator, it checks that the
//! draft's duties and services are numbered 1, 2, 3… with no gap, that every duty whose
//! creation was acknowledged is there (unless its removal was acknowledged), that no removed
//! duty is, and that every acknowledged inspection exists. Exit status 1 when any request
//! answered INTERNAL or UNAVAILABLE, or a check failed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use qingdan::auth::{Claims, Role, Verifier};
use serde_json::{Value, json};

const READS: [&str; 4] = [
    "{ departments(first: 50) { totalCount nodes { name units { name } } } }",
    r#"{ department(name: "县人口计生局") { duties { seq text workItems { seq text } } publicServices { name phone } } }"#,
    "{ boundaryMatters(first: 10) { nodes { title lead { department { name } } divisions { role text } } } }",
    "{ publicServices(first: 50) { totalCount nodes { seq name phone unit { name } } } }",
];
const LOOKUPS: [&str; 6] = [
    "我在桥洞下面捡到孩子了，该找哪个部门",
    "有人卖堕胎药",
    "两非案件找谁",
    "租房的流动人口要办什么证明",
    "计生服务站电话多少",
    "隔壁在装修很吵",
];
const CREATE_DUTY: &str = r#"mutation($input: CreateDutyInput!) { createDuty(input: $input) {
  duty { id seq } userErrors { code } } }"#;
const REMOVE_DUTY: &str = r#"mutation($input: RemoveInput!) { removeDuty(input: $input) {
  duty { id } userErrors { code } } }"#;
const UPDATE_SERVICE: &str = r#"mutation($input: UpdatePublicServiceInput!) {
  updatePublicService(input: $input) { publicService { id } userErrors { code } } }"#;
const SUBMIT: &str = r#"mutation($input: SubmitInspectionInput!) { submitInspection(input: $input) {
  inspection { id } userErrors { code } } }"#;

struct Args {
    url: String,
    connections: usize,
    seconds: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        url: String::new(),
        connections: 20,
        seconds: 20,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--connections" => parsed.connections = args.next().context("N")?.parse()?,
            "--seconds" => parsed.seconds = args.next().context("S")?.parse()?,
            url if parsed.url.is_empty() => parsed.url = url.trim_end_matches('/').to_owned(),
            other => bail!("unexpected argument {other:?}"),
        }
    }
    if parsed.url.is_empty() {
        bail!("usage: loadtest URL [--connections N] [--seconds S]");
    }
    Ok(parsed)
}

/// What the run needs to know of the data, read once at the start.
struct Fixture {
    bureau: String,
    services: Vec<String>,
    target: String,
    methods: Vec<String>,
    checklist: Vec<String>,
    editor: String,
    supervisor: String,
    admin: String,
}

/// Outcomes by kind of request and class (`ok`, a `userErrors` code, an error code…).
#[derive(Default)]
struct Tally {
    counts: BTreeMap<(&'static str, String), u64>,
    created: HashMap<String, String>,
    removed: Vec<String>,
    inspections: Vec<String>,
    retries_differing: u64,
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    /// Posts one operation; the class of its answer and its `data`.
    async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (String, Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => return (format!("transport: {err}"), Value::Null),
        };
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(_) => return (format!("HTTP {status} (not JSON)"), Value::Null),
        };
        if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
            return (code.to_owned(), body["data"].clone());
        }
        if body.get("errors").is_some() {
            return ("error without code".to_owned(), Value::Null);
        }
        let payload = body["data"]
            .as_object()
            .and_then(|data| data.values().next())
            .cloned()
            .unwrap_or(Value::Null);
        match payload["userErrors"][0]["code"].as_str() {
            Some(code) => (format!("userError {code}"), body["data"].clone()),
            None => ("ok".to_owned(), body["data"].clone()),
        }
    }
}

/// xorshift64*: the mix needs no more than this, and no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let secret = std::env::var("QINGDAN_JWT_SECRET")
        .unwrap_or_else(|_| qingdan::auth::DEV_SECRET.to_owned());
    let verifier = Verifier::hs256(secret.as_bytes())?;
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        url: args.url.clone(),
    });
    let fixture = Arc::new(fixture(&client, &verifier).await?);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let workers: Vec<_> = (0..args.connections)
        .map(|worker| {
            let (client, fixture, tally) = (client.clone(), fixture.clone(), tally.clone());
            tokio::spawn(async move { work(worker, until, &client, &fixture, &tally).await })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let tally = Arc::into_inner(tally).unwrap().into_inner().unwrap();
    let failures = report(&tally, elapsed, &args);
    let problems = check(&client, &fixture, &tally).await?;
    for problem in &problems {
        println!("CHECK FAILED: {problem}");
    }
    if problems.is_empty() {
        println!(
            "checks: duties and services densely numbered; {} acknowledged duties present, {} removed absent, {} inspections present",
            tally.created.len() - tally.removed.len(),
            tally.removed.len(),
            tally.inspections.len()
        );
    }
    if failures > 0 || !problems.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn token(verifier: &Verifier, sub: &str, role: Role, dept: Option<&str>) -> anyhow::Result<String> {
    let claims = Claims {
        sub: sub.to_owned(),
        dept: dept.map(str::to_owned),
        roles: vec![role],
        exp: jsonwebtoken_exp(),
    };
    verifier.sign(&claims)
}

/// A day from now, in seconds since the epoch.
fn jsonwebtoken_exp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| now.as_secs())
        + 86_400
}

async fn fixture(client: &Client, verifier: &Verifier) -> anyhow::Result<Fixture> {
    let (class, data) = client
        .post(
            None,
            r#"{ department(name: "安化县人口和计划生育局") { id }
                 target: department(name: "政策法规股") { id }
                 publicServices(first: 100) { nodes { id } }
                 supervisionRegime(code: "TERRITORIAL_ENFORCEMENT") { sections { kind items { id items { id } } } } }"#,
            json!({}),
        )
        .await;
    if class != "ok" {
        bail!("reading the fixture: {class}");
    }
    let bureau = data["department"]["id"]
        .as_str()
        .context("bureau")?
        .to_owned();
    let mut methods = Vec::new();
    let mut checklist = Vec::new();
    for section in data["supervisionRegime"]["sections"]
        .as_array()
        .context("regime")?
    {
        let mut ids = Vec::new();
        for item in section["items"].as_array().unwrap() {
            ids.push(item["id"].as_str().unwrap().to_owned());
            for child in item["items"].as_array().unwrap() {
                ids.push(child["id"].as_str().unwrap().to_owned());
            }
        }
        match section["kind"].as_str() {
            Some("CONTENT") => checklist.extend(ids),
            Some("METHOD" | "METHOD_AND_PROCEDURE") => methods.extend(ids),
            _ => {}
        }
    }
    Ok(Fixture {
        editor: token(verifier, "压测编辑", Role::Editor, Some(&bureau))?,
        supervisor: token(verifier, "压测监督员", Role::Supervisor, None)?,
        admin: token(verifier, "压测管理员", Role::Admin, None)?,
        bureau,
        services: data["publicServices"]["nodes"]
            .as_array()
            .context("services")?
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect(),
        target: data["target"]["id"].as_str().context("target")?.to_owned(),
        methods,
        checklist,
    })
}

async fn work(worker: usize, until: Instant, client: &Client, f: &Fixture, tally: &Mutex<Tally>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((worker as u64 + 1) * 0x1000_0000_01b3));
    let mut mine: Vec<String> = Vec::new();
    let mut n = 0u64;
    let count = |kind: &'static str, class: &str| {
        *tally
            .lock()
            .unwrap()
            .counts
            .entry((kind, class.to_owned()))
            .or_default() += 1;
    };
    while Instant::now() < until {
        n += 1;
        let roll = rng.below(100);
        if roll < 45 {
            let query = READS[rng.below(READS.len() as u64) as usize];
            let (class, _) = client.post(None, query, json!({})).await;
            count("read", &class);
        } else if roll < 65 {
            let text = LOOKUPS[rng.below(LOOKUPS.len() as u64) as usize];
            let query = "query($t: String!) { responsibilityLookup(text: $t, first: 5) { outcome candidates { department { name } score } } }";
            let (class, _) = client.post(None, query, json!({ "t": text })).await;
            count("lookup", &class);
        } else if roll < 90 {
            let pick = rng.below(10);
            if pick < 5 || mine.is_empty() && pick >= 8 {
                let text = format!("压测职责 {worker}-{n}");
                let input = json!({ "departmentId": f.bureau, "text": text });
                let (class, data) = client
                    .post(Some(&f.editor), CREATE_DUTY, json!({ "input": input }))
                    .await;
                if class == "ok" {
                    let id = data["createDuty"]["duty"]["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    tally.lock().unwrap().created.insert(id.clone(), text);
                    mine.push(id);
                }
                count("createDuty", &class);
            } else if pick < 8 {
                let id = &f.services[rng.below(f.services.len() as u64) as usize];
                let input = json!({ "id": id, "name": format!("压测服务名称 {worker}-{n}") });
                let (class, _) = client
                    .post(Some(&f.editor), UPDATE_SERVICE, json!({ "input": input }))
                    .await;
                count("updatePublicService", &class);
            } else {
                let id = mine.swap_remove(rng.below(mine.len() as u64) as usize);
                let (class, _) = client
                    .post(
                        Some(&f.editor),
                        REMOVE_DUTY,
                        json!({ "input": { "id": id } }),
                    )
                    .await;
                if class == "ok" {
                    tally.lock().unwrap().removed.push(id);
                }
                count("removeDuty", &class);
            }
        } else {
            let input = json!({
                "regimeCode": "TERRITORIAL_ENFORCEMENT",
                "targetDepartmentId": f.target,
                "inspectors": [{ "name": "张三", "certificateNo": "湘执001" },
                               { "name": "李四", "certificateNo": "湘执002" }],
                "methodItemIds": [f.methods[0]],
                "periodStart": "2016-07-01", "periodEnd": "2016-07-15",
                "findings": [{ "itemId": f.checklist[0], "outcome": "NONCOMPLIANT", "note": "压测" }],
                "record": "压测书面记录",
                "idempotencyKey": format!("loadtest-{worker}-{n}"),
            });
            let vars = json!({ "input": input });
            let (class, data) = client.post(Some(&f.supervisor), SUBMIT, vars.clone()).await;
            count("submitInspection", &class);
            if class == "ok" {
                let id = data["submitInspection"]["inspection"]["id"].clone();
                tally
                    .lock()
                    .unwrap()
                    .inspections
                    .push(id.as_str().unwrap().to_owned());
                if n.is_multiple_of(5) {
                    let (class, again) = client.post(Some(&f.supervisor), SUBMIT, vars).await;
                    count("submitInspection (retry)", &class);
                    if class == "ok" && again["submitInspection"]["inspection"]["id"] != id {
                        tally.lock().unwrap().retries_differing += 1;
                    }
                }
            }
        }
    }
}

/// Prints the tally; the number of INTERNAL and UNAVAILABLE answers.
fn report(tally: &Tally, elapsed: f64, args: &Args) -> u64 {
    let total: u64 = tally.counts.values().sum();
    println!(
        "{} connections, {elapsed:.1} s: {total} requests ({:.0}/s)",
        args.connections,
        total as f64 / elapsed
    );
    let mut by_class: BTreeMap<&str, u64> = BTreeMap::new();
    for ((kind, class), n) in &tally.counts {
        println!("  {kind:<26} {class:<36} {n}");
        *by_class.entry(class.as_str()).or_default() += n;
    }
    let bad = |class: &str| by_class.get(class).copied().unwrap_or(0);
    let failures = bad("INTERNAL") + bad("UNAVAILABLE");
    let other: u64 = by_class
        .iter()
        .filter(|(class, _)| {
            class.starts_with("transport")
                || class.starts_with("HTTP")
                || class.starts_with("error")
        })
        .map(|(_, n)| n)
        .sum();
    println!(
        "INTERNAL {}  UNAVAILABLE {}  CONFLICT {}  TIMEOUT {}  uncoded/transport {}  retries answered differently {}",
        bad("INTERNAL"),
        bad("UNAVAILABLE"),
        bad("CONFLICT"),
        bad("TIMEOUT"),
        other,
        tally.retries_differing
    );
    failures + other + tally.retries_differing
}

/// What must hold afterwards; each failure described.
async fn check(client: &Client, f: &Fixture, tally: &Tally) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let (class, data) = client
        .post(
            Some(&f.admin),
            "{ responsibilityLists { draft { duties { id seq text department { id } } publicServices { seq } } } }",
            json!({}),
        )
        .await;
    if class != "ok" {
        bail!("reading the draft: {class}");
    }
    let draft = &data["responsibilityLists"][0]["draft"];
    let mut present: HashMap<String, String> = HashMap::new();
    if draft.is_null() {
        if !tally.created.is_empty() {
            problems.push("no draft, yet duties were created".to_owned());
        }
    } else {
        let mut seqs: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for duty in draft["duties"].as_array().unwrap() {
            seqs.entry(duty["department"]["id"].as_str().unwrap().to_owned())
                .or_default()
                .push(duty["seq"].as_i64().unwrap());
            present.insert(
                duty["id"].as_str().unwrap().to_owned(),
                duty["text"].as_str().unwrap().to_owned(),
            );
        }
        for (department, mut numbers) in seqs {
            numbers.sort_unstable();
            if numbers != (1..=numbers.len() as i64).collect::<Vec<_>>() {
                problems.push(format!("duties of {department} numbered {numbers:?}"));
            }
        }
        let mut numbers: Vec<i64> = draft["publicServices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["seq"].as_i64().unwrap())
            .collect();
        numbers.sort_unstable();
        if numbers != (1..=numbers.len() as i64).collect::<Vec<_>>() {
            problems.push(format!("services numbered {numbers:?}"));
        }
    }
    for (id, text) in &tally.created {
        let removed = tally.removed.contains(id);
        match (present.get(id), removed) {
            (Some(found), false) if found == text => {}
            (Some(found), false) => {
                problems.push(format!("duty {id} reads {found:?}, not {text:?}"))
            }
            (None, false) => problems.push(format!("acknowledged duty {id} ({text}) is missing")),
            (Some(_), true) => problems.push(format!("removed duty {id} is still there")),
            (None, true) => {}
        }
    }
    let mut missing = 0;
    for id in &tally.inspections {
        let (class, data) = client
            .post(
                Some(&f.admin),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        if class != "ok" || data["node"].is_null() {
            missing += 1;
        }
    }
    if missing > 0 {
        problems.push(format!("{missing} acknowledged inspections are missing"));
    }
    Ok(problems)
}
