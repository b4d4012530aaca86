//! Events benchmark against a running server: inspection submissions at a steady rate with
//! webhook endpoints and open subscriptions attached, then how many events reached them, how
//! fast, and how late (from the event's commit to its arrival).
//!
//! Usage: eventbench URL [--rate R] [--seconds S] [--endpoints E] [--subscriptions N]
//!                       [--closed C]
//!   (defaults: 50 submissions a second for 20 s, 3 endpoints, 100 subscriptions; tokens are
//!   signed with `QINGDAN_JWT_SECRET` or the development secret)
//!
//! `--closed C` measures write throughput instead: C submitters send one after the other as
//! fast as the server answers. Against a server without events, give `--endpoints 0
//! --subscriptions 0`. Endpoints it registers are removed at the end.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use qingdan::auth::{Claims, Role, Verifier};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

const SUBMIT: &str = r#"mutation($input: SubmitInspectionInput!) { submitInspection(input: $input) {
  inspection { id } userErrors { code } } }"#;
const SUBSCRIBE: &str =
    "subscription { events(types: [INSPECTION_SUBMITTED]) { sequence occurredAt } }";

struct Args {
    url: String,
    rate: f64,
    seconds: u64,
    endpoints: usize,
    subscriptions: usize,
    closed: Option<usize>,
}

fn args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        url: String::new(),
        rate: 50.0,
        seconds: 20,
        endpoints: 3,
        subscriptions: 100,
        closed: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value");
        match arg.as_str() {
            "--rate" => parsed.rate = value()?.parse()?,
            "--seconds" => parsed.seconds = value()?.parse()?,
            "--endpoints" => parsed.endpoints = value()?.parse()?,
            "--subscriptions" => parsed.subscriptions = value()?.parse()?,
            "--closed" => parsed.closed = Some(value()?.parse()?),
            url if parsed.url.is_empty() => parsed.url = url.trim_end_matches('/').to_owned(),
            other => bail!("unexpected argument {other:?}"),
        }
    }
    if parsed.url.is_empty() || parsed.rate <= 0.0 {
        bail!(
            "usage: eventbench URL [--rate R] [--seconds S] [--endpoints E] [--subscriptions N] [--closed C]"
        );
    }
    Ok(parsed)
}

/// Lags (ms from commit to arrival) seen by one kind of receiver, with the arrival times.
#[derive(Default)]
struct Arrivals {
    lags: Vec<f64>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Arrivals {
    fn add(&mut self, event: &Value) {
        let Some(occurred) = event["occurredAt"]
            .as_str()
            .and_then(|at| at.parse::<chrono::DateTime<chrono::Utc>>().ok())
        else {
            return;
        };
        let lag = (chrono::Utc::now() - occurred)
            .num_microseconds()
            .unwrap_or(0) as f64
            / 1e3;
        self.lags.push(lag);
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    fn report(&self, what: &str, expected: usize) {
        let mut lags = self.lags.clone();
        lags.sort_by(f64::total_cmp);
        let span = match (self.first, self.last) {
            (Some(first), Some(last)) => (last - first).as_secs_f64().max(1e-3),
            _ => 1.0,
        };
        println!(
            "{what}: {} of {expected} received, {:.0}/s; lag p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lags.len(),
            lags.len() as f64 / span,
            percentile(&lags, 50.0),
            percentile(&lags, 99.0),
            lags.last().copied().unwrap_or(0.0),
        );
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Fixture {
    http: reqwest::Client,
    url: String,
    supervisor: String,
    admin: String,
    input: Value,
}

impl Fixture {
    async fn post(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(format!("{}/graphql", self.url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if body.get("errors").is_some() {
            bail!("{body}");
        }
        Ok(body["data"].clone())
    }

    /// One submission; its latency when it was stored.
    async fn submit(&self) -> Option<Duration> {
        let started = Instant::now();
        let data = self
            .post(&self.supervisor, SUBMIT, json!({ "input": self.input }))
            .await
            .ok()?;
        data["submitInspection"]["inspection"]["id"]
            .is_string()
            .then(|| started.elapsed())
    }
}

async fn fixture(url: &str) -> anyhow::Result<Fixture> {
    let secret = std::env::var("QINGDAN_JWT_SECRET")
        .unwrap_or_else(|_| qingdan::auth::DEV_SECRET.to_owned());
    let verifier = Verifier::hs256(secret.as_bytes())?;
    let sign = |sub: &str, role: Role| {
        verifier.sign(&Claims {
            sub: sub.to_owned(),
            dept: None,
            roles: vec![role],
            exp: jsonwebtoken::get_current_timestamp() + 3600,
        })
    };
    let mut fixture = Fixture {
        http: reqwest::Client::new(),
        url: url.to_owned(),
        supervisor: sign("事件压测监督员", Role::Supervisor)?,
        admin: sign("事件压测管理员", Role::Admin)?,
        input: Value::Null,
    };
    let data = fixture
        .post(
            &fixture.admin,
            r#"{ department(name: "政策法规股") { id }
                 supervisionRegime(code: "TERRITORIAL_ENFORCEMENT") { sections { kind items { id } } } }"#,
            json!({}),
        )
        .await?;
    let items = |kinds: &[&str]| -> Vec<Value> {
        data["supervisionRegime"]["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| kinds.iter().any(|kind| s["kind"] == *kind))
            .flat_map(|s| s["items"].as_array().cloned().unwrap_or_default())
            .map(|item| item["id"].clone())
            .collect()
    };
    let checklist = items(&["CONTENT"]);
    let methods = items(&["METHOD", "METHOD_AND_PROCEDURE"]);
    if checklist.is_empty() || methods.is_empty() {
        bail!("the server holds no TERRITORIAL_ENFORCEMENT regime with a checklist and methods");
    }
    fixture.input = json!({
        "regimeCode": "TERRITORIAL_ENFORCEMENT",
        "targetDepartmentId": data["department"]["id"],
        "inspectors": [{ "name": "张三", "certificateNo": "湘执001" }, { "name": "李四", "certificateNo": "湘执002" }],
        "methodItemIds": [methods[0]],
        "periodStart": "2016-07-01", "periodEnd": "2016-07-15",
        "findings": [{ "itemId": checklist[0], "outcome": "COMPLIANT" }],
        "record": "压测书面记录",
    });
    Ok(fixture)
}

/// A receiver on a random local port, registered as a webhook; returns its id.
async fn endpoint(fixture: &Fixture, arrivals: Arc<Mutex<Arrivals>>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let arrivals = arrivals.clone();
            async move {
                if let Ok(event) = serde_json::from_slice::<Value>(&body) {
                    arrivals.lock().unwrap().add(&event);
                }
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let input =
        json!({ "url": url, "eventTypes": ["INSPECTION_SUBMITTED"], "description": "eventbench" });
    let data = fixture
        .post(
            &fixture.admin,
            "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } userErrors { code } } }",
            json!({ "input": input }),
        )
        .await?;
    data["createWebhook"]["webhook"]["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("createWebhook: {data}"))
}

/// An open subscription recording what it receives.
async fn subscription(fixture: &Fixture, arrivals: Arc<Mutex<Arrivals>>) -> anyhow::Result<()> {
    let ws = fixture.url.replacen("http", "ws", 1);
    let mut request = format!("{ws}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init",
                       "payload": { "Authorization": format!("Bearer {}", fixture.supervisor) } });
    socket.send(Message::Text(init.to_string().into())).await?;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIBE } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            match value["type"].as_str() {
                Some("next") => arrivals
                    .lock()
                    .unwrap()
                    .add(&value["payload"]["data"]["events"]),
                Some("ping") => {
                    let pong = json!({ "type": "pong" }).to_string();
                    let _ = socket.send(Message::Text(pong.into())).await;
                }
                _ => {}
            }
        }
    });
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args()?;
    let fixture = Arc::new(fixture(&args.url).await?);
    let hooks = Arc::new(Mutex::new(Arrivals::default()));
    let subs = Arc::new(Mutex::new(Arrivals::default()));
    let mut webhook_ids = Vec::new();
    for _ in 0..args.endpoints {
        webhook_ids.push(endpoint(&fixture, hooks.clone()).await?);
    }
    for _ in 0..args.subscriptions {
        subscription(&fixture, subs.clone()).await?;
    }
    // Let every subscription reach its live stream before the first write.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    match args.closed {
        Some(submitters) => {
            for _ in 0..submitters {
                let (fixture, latencies) = (fixture.clone(), latencies.clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < until {
                        if let Some(latency) = fixture.submit().await {
                            latencies.lock().unwrap().push(latency.as_secs_f64() * 1e3);
                        }
                    }
                }));
            }
        }
        None => {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
            while Instant::now() < until {
                tick.tick().await;
                let (fixture, latencies) = (fixture.clone(), latencies.clone());
                tasks.push(tokio::spawn(async move {
                    if let Some(latency) = fixture.submit().await {
                        latencies.lock().unwrap().push(latency.as_secs_f64() * 1e3);
                    }
                }));
            }
        }
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut writes = latencies.lock().unwrap().clone();
    writes.sort_by(f64::total_cmp);
    println!(
        "writes: {} stored in {elapsed:.1} s, {:.1}/s; latency p50 {:.1} ms, p99 {:.1} ms",
        writes.len(),
        writes.len() as f64 / elapsed,
        percentile(&writes, 50.0),
        percentile(&writes, 99.0),
    );
    let (expect_hooks, expect_subs) = (
        writes.len() * args.endpoints,
        writes.len() * args.subscriptions,
    );
    let drain = Instant::now() + Duration::from_secs(20);
    while Instant::now() < drain
        && (hooks.lock().unwrap().lags.len() < expect_hooks
            || subs.lock().unwrap().lags.len() < expect_subs)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if args.endpoints > 0 {
        hooks
            .lock()
            .unwrap()
            .report("webhook deliveries", expect_hooks);
    }
    if args.subscriptions > 0 {
        subs.lock()
            .unwrap()
            .report("subscription events", expect_subs);
    }
    for id in webhook_ids {
        let remove = "mutation($input: RemoveWebhookInput!) { removeWebhook(input: $input) { userErrors { code } } }";
        fixture
            .post(&fixture.admin, remove, json!({ "input": { "id": id } }))
            .await?;
    }
    Ok(())
}
