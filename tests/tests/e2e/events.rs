//! Events to integrations: the outbox is written with the write or not at all.

use qingdan_tests::{TestApp, assert_first_error};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::supervision::{SUBMIT, codes, setup};

/// The outbox as the database holds it: (id, kind, subject type, departments), oldest first.
async fn outbox(app: &TestApp) -> Vec<(i64, String, String, Value)> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id, kind, subject_type, CAST(departments AS TEXT) AS departments FROM event ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let id: i32 = row.try_get("", "id").unwrap();
            let departments: String = row.try_get("", "departments").unwrap();
            (
                i64::from(id),
                row.try_get("", "kind").unwrap(),
                row.try_get("", "subject_type").unwrap(),
                serde_json::from_str(&departments).unwrap(),
            )
        })
        .collect()
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.unwrap();
}

/// Makes every insert into `table` fail inside the database, as a constraint would.
async fn refuse_inserts(app: &TestApp, table: &str) {
    match app.db.get_database_backend() {
        DbBackend::Postgres => {
            exec(app, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$").await;
            exec(app, &format!("CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()")).await;
        }
        _ => {
            exec(app, &format!("CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")).await;
        }
    }
}

#[tokio::test]
async fn outbox__a_write_appends_its_event_and_a_failed_one_none() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    assert_eq!(outbox(&app).await, vec![], "loading the list is no event");

    // Given a submission that commits
    let stored = s.submit(&app, s.inspection()).await;
    assert_eq!(codes(&stored), Vec::<String>::new());
    let events = outbox(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let target = qingdan::ids::decode_department(&s.target).unwrap();
    assert_eq!(events[0].1, "INSPECTION_SUBMITTED");
    assert_eq!(events[0].2, "Inspection");
    assert_eq!(events[0].3, json!([target]));

    // When a rule is broken (one inspector), then nothing is appended
    let mut input = s.inspection();
    input["inspectors"] = json!([{ "name": "张三", "certificateNo": "湘执43092001" }]);
    let refused = s.submit(&app, input).await;
    assert_eq!(codes(&refused), vec!["INSPECTORS_BELOW_MINIMUM"]);
    assert_eq!(outbox(&app).await.len(), 1);

    // When the database refuses a row written after the event (its delivery to an endpoint),
    // then the write fails whole: no inspection, no event
    exec(&app, "INSERT INTO webhook (url, event_types, description, secret, enabled, created_by, created_at, lease_until, next_attempt_at) VALUES ('http://127.0.0.1:9/', '[\"INSPECTION_SUBMITTED\"]', '', 'secret', TRUE, 'test', CURRENT_TIMESTAMP, 0, 0)").await;
    refuse_inserts(&app, "webhook_delivery").await;
    let before = s.inspection_count(&app).await;
    let body = app
        .post_as(&s.supervisor, SUBMIT, json!({ "input": s.inspection() }))
        .await;
    assert!(body.get("errors").is_some(), "{body:#}");
    assert_eq!(s.inspection_count(&app).await, before);
    assert_eq!(outbox(&app).await, events);
}

// ---------------------------------------------------------------------------------------
// Webhooks

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qingdan::auth::Role;
use qingdan_tests::Options;

/// A request a receiver got: its headers, raw body and when it arrived.
#[derive(Clone, Debug)]
struct Received {
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
    at: chrono::DateTime<chrono::Utc>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap().to_str().unwrap()
    }

    fn sequence(&self) -> i64 {
        self.json()["sequence"].as_i64().unwrap()
    }

    /// Milliseconds from the event's commit to its arrival here.
    fn lag_ms(&self) -> f64 {
        let occurred: chrono::DateTime<chrono::Utc> =
            self.json()["occurredAt"].as_str().unwrap().parse().unwrap();
        (self.at - occurred).num_microseconds().unwrap() as f64 / 1000.0
    }
}

/// A webhook receiver on a random local port. It answers `status` (200 when healthy) and
/// keeps what it accepted (2xx) apart from every attempt it saw.
#[derive(Clone)]
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    accepted: Arc<Mutex<Vec<Received>>>,
    attempts: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(status: u16) -> Self {
        Self::start_with(status, None).await
    }

    /// `location`: answer with this redirect target when the status is 3xx.
    async fn start_with(status: u16, location: Option<String>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            status: Arc::new(AtomicU16::new(status)),
            accepted: Arc::default(),
            attempts: Arc::default(),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = state.clone();
                    let location = location.clone();
                    async move {
                        let got = Received {
                            headers,
                            body: body.to_vec(),
                            at: chrono::Utc::now(),
                        };
                        let status = state.status.load(Ordering::SeqCst);
                        state.attempts.lock().unwrap().push(got.clone());
                        if (200..300).contains(&status) {
                            state.accepted.lock().unwrap().push(got);
                        }
                        let mut response = axum::response::Response::new(axum::body::Body::empty());
                        *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                        if let Some(location) = location {
                            response
                                .headers_mut()
                                .insert("location", location.parse().unwrap());
                        }
                        response
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    fn attempts(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }

    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        while self.accepted().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.accepted()
    }
}

/// Delivery settings that make retries quick enough for a test.
fn quick(max_attempts: u32, backoff_ms: u64, backoff_max_ms: u64) -> Options {
    Options {
        events: qingdan::config::Events {
            webhook_max_attempts: max_attempts,
            webhook_backoff: Duration::from_millis(backoff_ms),
            webhook_backoff_max: Duration::from_millis(backoff_max_ms),
            ..qingdan::config::Events::default()
        },
        ..Options::default()
    }
}

const CREATE_WEBHOOK: &str = r#"mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url eventTypes enabled } secret
    userErrors { field code message } } }"#;

const DELIVERIES: &str = r#"query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) {
  totalCount nodes { id status attempts lastResponseCode lastError deliveredAt event { id sequence type } } } }"#;

/// Registers `url` for `types` as an administrator; returns its id and secret.
async fn create_webhook(app: &TestApp, url: &str, types: &[&str]) -> (String, String) {
    let admin = app.token("管理员", &[Role::Admin], None);
    let input = json!({ "url": url, "eventTypes": types, "description": "12345 平台" });
    let body = app
        .post_as(&admin, CREATE_WEBHOOK, json!({ "input": input }))
        .await;
    let created = &body["data"]["createWebhook"];
    assert_eq!(created["userErrors"], json!([]), "{body:#}");
    (
        created["webhook"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(app: &TestApp, webhook: &str) -> Value {
    let admin = app.token("管理员", &[Role::Admin], None);
    let body = app
        .post_as(&admin, DELIVERIES, json!({ "id": webhook }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["webhookDeliveries"]["nodes"].clone()
}

/// The signature a receiver computes: HMAC-SHA256 over "timestamp.body", here with ring
/// directly rather than through the server's own code.
fn expected_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let message = [timestamp.as_bytes(), b".", body].concat();
    let tag = ring::hmac::sign(&key, &message);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Submits `n` valid inspections as the setup's supervisor.
async fn submit_inspections(app: &TestApp, s: &crate::supervision::Setup, n: usize) {
    for _ in 0..n {
        let stored = s.submit(app, s.inspection()).await;
        assert_eq!(codes(&stored), Vec::<String>::new());
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test]
async fn webhooks__each_event_arrives_once_signed_and_in_order() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let receiver = Receiver::start(200).await;
    let (webhook, secret) = create_webhook(&app, &receiver.url, &["INSPECTION_SUBMITTED"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    submit_inspections(&app, &s, 5).await;
    // A lexicon change is not among the types asked for: never sent
    let admin = app.token("管理员", &[Role::Admin], None);
    let set = r#"mutation($input: SetLexiconEntryInput!) { setLexiconEntry(input: $input) { userErrors { code } } }"#;
    let input = json!({ "term": "捡到小孩", "expansion": "弃婴", "kind": "COLLOQUIAL" });
    app.post_as(&admin, set, json!({ "input": input })).await;

    let got = receiver.wait_for(5, Duration::from_secs(10)).await;
    // Duplicates would arrive by now too
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_all = receiver.accepted();
    assert_eq!(got_all.len(), 5, "each event once: {got_all:?}");
    let sequences: Vec<i64> = got.iter().map(Received::sequence).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    let lags: Vec<f64> = got.iter().map(Received::lag_ms).collect();
    println!("commit → webhook receipt (ms): {lags:?}");
    for r in &got {
        let body = r.json();
        assert_eq!(r.header("x-qingdan-event-type"), "INSPECTION_SUBMITTED");
        assert_eq!(body["type"], "INSPECTION_SUBMITTED");
        assert_eq!(r.header("x-qingdan-event-id"), body["id"].as_str().unwrap());
        assert_eq!(body["subject"]["type"], "Inspection");
        assert_eq!(body["departmentIds"], json!([s.target]));
        assert_eq!(body["payload"]["regimeCode"], "TERRITORIAL_ENFORCEMENT");
        let timestamp = r.header("x-qingdan-timestamp");
        let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
        assert!((0..60).contains(&age), "{timestamp}");
        let signature = r.header("x-qingdan-signature");
        assert_eq!(signature, expected_signature(&secret, timestamp, &r.body));
        // A receiver holding another secret (or an attacker's) cannot produce it
        assert_ne!(
            signature,
            expected_signature("whsec_wrong", timestamp, &r.body)
        );
    }
    let nodes = deliveries(&app, &webhook).await;
    assert_eq!(nodes.as_array().unwrap().len(), 5);
    for node in nodes.as_array().unwrap() {
        assert_eq!(node["status"], "DELIVERED", "{node}");
        assert_eq!(node["attempts"], 1);
        assert_eq!(node["lastResponseCode"], 200);
        assert!(node["lastError"].is_null());
    }
}

/// An event is queued for exactly the endpoints that asked for it: enabled, naming its
/// type, and for any department or one the event concerns.
#[tokio::test]
async fn webhooks__an_event_is_queued_for_exactly_the_endpoints_that_asked_for_it() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let other = app.department_id("药具站").await;
    let register = async |name: &str, types: &[&str], department: Option<&str>| {
        let input = json!({ "url": format!("https://{name}.example.gov.cn/hook"),
            "eventTypes": types, "departmentId": department });
        let body = app
            .post_as(&admin, CREATE_WEBHOOK, json!({ "input": input }))
            .await;
        let created = &body["data"]["createWebhook"];
        assert_eq!(created["userErrors"], json!([]), "{body:#}");
        created["webhook"]["id"].as_str().unwrap().to_owned()
    };
    let any_unit = register("any", &["LEXICON_CHANGED", "INSPECTION_SUBMITTED"], None).await;
    let this_unit = register("this", &["INSPECTION_SUBMITTED"], Some(&s.target)).await;
    let other_unit = register("other", &["INSPECTION_SUBMITTED"], Some(&other)).await;
    let other_type = register("lexicon", &["LEXICON_CHANGED"], None).await;
    let disabled = register("off", &["INSPECTION_SUBMITTED"], None).await;
    let update = r#"mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) {
        userErrors { code } } }"#;
    let input = json!({ "id": disabled, "enabled": false });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    assert_eq!(codes(&body["data"]["updateWebhook"]), Vec::<String>::new());
    // Types stored as something other than a list (by hand) name no type, and fail no write
    let scalar = register("scalar", &["INSPECTION_SUBMITTED"], None).await;
    let sql = "UPDATE webhook SET event_types = '\"INSPECTION_SUBMITTED\"' WHERE url LIKE 'https://scalar.%'";
    exec(&app, sql).await;

    submit_inspections(&app, &s, 2).await;
    let queued = async |webhook: &str| {
        let nodes = deliveries(&app, webhook).await;
        let nodes = nodes.as_array().unwrap().clone();
        assert!(
            nodes
                .iter()
                .all(|d| d["event"]["type"] == "INSPECTION_SUBMITTED"),
            "{nodes:?}"
        );
        nodes.len()
    };
    assert_eq!(
        queued(&any_unit).await,
        2,
        "any department, the type among others"
    );
    assert_eq!(queued(&this_unit).await, 2, "the inspected unit");
    assert_eq!(queued(&other_unit).await, 0, "another department");
    assert_eq!(queued(&other_type).await, 0, "another type");
    assert_eq!(queued(&disabled).await, 0, "disabled");
    assert_eq!(queued(&scalar).await, 0, "types not a list");
}

#[tokio::test]
async fn webhooks__an_endpoint_down_for_10_s_gets_every_event_in_order() {
    let app = TestApp::spawn_with(quick(50, 200, 1000)).await;
    let s = setup(&app).await;
    let receiver = Receiver::start(503).await;
    let (webhook, _) = create_webhook(&app, &receiver.url, &["INSPECTION_SUBMITTED"]).await;

    // While it is down, events keep coming
    let down = Instant::now();
    for _ in 0..5 {
        submit_inspections(&app, &s, 1).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let remaining = Duration::from_secs(10).saturating_sub(down.elapsed());
    tokio::time::sleep(remaining).await;
    assert!(receiver.attempts() >= 3, "retried while down");
    assert_eq!(receiver.accepted().len(), 0);
    let waiting = deliveries(&app, &webhook).await;
    assert_eq!(waiting[0]["status"], "PENDING");
    assert_eq!(waiting[0]["lastResponseCode"], 503);
    assert!(waiting[0]["attempts"].as_i64().unwrap() >= 2, "{waiting}");
    // The later events waited behind the first: never tried before it
    assert_eq!(waiting[4]["attempts"], 0, "{waiting}");

    receiver.status.store(200, Ordering::SeqCst);
    let got = receiver.wait_for(5, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = if receiver.accepted().len() > got.len() {
        receiver.accepted()
    } else {
        got
    };
    assert_eq!(got.len(), 5, "nothing lost, nothing twice: {got:?}");
    let sequences: Vec<i64> = got.iter().map(Received::sequence).collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "in order: {sequences:?}"
    );
    let events = outbox(&app).await;
    let expected: Vec<i64> = events.iter().map(|e| e.0).collect();
    assert_eq!(sequences, expected);
}

#[tokio::test]
async fn webhooks__dead_letter_after_the_bound_then_redelivered() {
    let app = TestApp::spawn_with(quick(3, 50, 200)).await;
    let s = setup(&app).await;
    let receiver = Receiver::start(500).await;
    let (webhook, _) = create_webhook(&app, &receiver.url, &["INSPECTION_SUBMITTED"]).await;
    submit_inspections(&app, &s, 1).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let dead = loop {
        let nodes = deliveries(&app, &webhook).await;
        if nodes[0]["status"] == "DEAD" || Instant::now() > deadline {
            break nodes[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dead["status"], "DEAD", "{dead}");
    assert_eq!(dead["attempts"], 3);
    assert_eq!(dead["lastResponseCode"], 500);
    assert!(
        dead["lastError"].as_str().unwrap().contains("500"),
        "{dead}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.attempts(), 3, "no attempt past the bound");

    // A dead letter does not hold the endpoint back
    receiver.status.store(200, Ordering::SeqCst);
    submit_inspections(&app, &s, 1).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_ne!(got[0].json()["id"], dead["event"]["id"]);

    // Redelivered on request
    let admin = app.token("管理员", &[Role::Admin], None);
    let redeliver = r#"mutation($input: RedeliverWebhookEventInput!) { redeliverWebhookEvent(input: $input) {
        delivery { status attempts } userErrors { field code } } }"#;
    let input = json!({ "webhookId": webhook, "eventId": dead["event"]["id"] });
    let body = app
        .mutate_as(&admin, redeliver, "redeliverWebhookEvent", input)
        .await;
    assert_eq!(body["delivery"]["status"], "PENDING");
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["id"], dead["event"]["id"]);
    let unknown = json!({ "webhookId": webhook, "eventId": "RXZlbnQ6OTk5OTk" }); // Event:99999
    let body = app
        .post_as(&admin, redeliver, json!({ "input": unknown }))
        .await;
    assert_eq!(
        codes(&body["data"]["redeliverWebhookEvent"]),
        vec!["EVENT_UNKNOWN"]
    );
}

#[tokio::test]
async fn webhooks__redirects_are_not_followed() {
    let app = TestApp::spawn_with(quick(1, 50, 50)).await;
    let s = setup(&app).await;
    let elsewhere = Receiver::start(200).await;
    let moved = Receiver::start_with(302, Some(elsewhere.url.clone())).await;
    let (webhook, _) = create_webhook(&app, &moved.url, &["INSPECTION_SUBMITTED"]).await;
    submit_inspections(&app, &s, 1).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while deliveries(&app, &webhook).await[0]["status"] != "DEAD" && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let node = deliveries(&app, &webhook).await[0].clone();
    assert_eq!(node["status"], "DEAD", "{node}");
    assert_eq!(node["lastResponseCode"], 302);
    assert_eq!(moved.attempts(), 1);
    assert_eq!(elsewhere.attempts(), 0, "the redirect's target never asked");
}

#[tokio::test]
async fn webhooks__management_is_for_administrators_and_checks_its_input() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let supervisor = app.token("监督员", &[Role::Supervisor], None);
    let good = json!({ "url": "https://cases.example.gov.cn/hook", "eventTypes": ["INSPECTION_SUBMITTED"] });
    assert_eq!(
        app.gql_error_code_as(&supervisor, CREATE_WEBHOOK, json!({ "input": good }))
            .await,
        "FORBIDDEN"
    );
    for (url, types, code) in [
        (
            "ftp://cases.example.gov.cn/hook",
            json!(["INSPECTION_SUBMITTED"]),
            "URL_INVALID",
        ),
        (
            "file:///etc/passwd",
            json!(["INSPECTION_SUBMITTED"]),
            "URL_INVALID",
        ),
        ("not a url", json!(["INSPECTION_SUBMITTED"]), "URL_INVALID"),
        ("https://cases.example.gov.cn/hook", json!([]), "REQUIRED"),
    ] {
        let input = json!({ "url": url, "eventTypes": types });
        let body = app
            .post_as(&admin, CREATE_WEBHOOK, json!({ "input": input }))
            .await;
        assert_eq!(codes(&body["data"]["createWebhook"]), vec![code], "{body}");
        assert!(body["data"]["createWebhook"]["secret"].is_null());
    }
    let (id, _) = create_webhook(
        &app,
        "https://cases.example.gov.cn/hook",
        &["LEXICON_CHANGED"],
    )
    .await;
    let update = r#"mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) {
        webhook { url eventTypes enabled description } userErrors { field code } } }"#;
    let input = json!({ "id": id, "enabled": false, "url": "gopher://x" });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    assert_eq!(codes(&body["data"]["updateWebhook"]), vec!["URL_INVALID"]);
    let input = json!({ "id": id, "enabled": false, "eventTypes": ["LEXICON_CHANGED", "LIST_VERSION_PUBLISHED"] });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    let updated = &body["data"]["updateWebhook"]["webhook"];
    assert_eq!(updated["enabled"], false, "{body}");
    assert_eq!(
        updated["eventTypes"],
        json!(["LEXICON_CHANGED", "LIST_VERSION_PUBLISHED"])
    );
    assert_eq!(updated["description"], "12345 平台");
    let list = app
        .query_as(
            &admin,
            "{ webhooks(first: 10) { totalCount nodes { id url } } }",
        )
        .await;
    assert_eq!(list["data"]["webhooks"]["totalCount"], 1, "{list}");
    let remove = r#"mutation($input: RemoveWebhookInput!) { removeWebhook(input: $input) { removedWebhookId userErrors { code } } }"#;
    let body = app
        .post_as(&admin, remove, json!({ "input": { "id": id } }))
        .await;
    assert_eq!(body["data"]["removeWebhook"]["removedWebhookId"], id);
    let body = app
        .post_as(&admin, remove, json!({ "input": { "id": id } }))
        .await;
    assert_eq!(
        codes(&body["data"]["removeWebhook"]),
        vec!["WEBHOOK_UNKNOWN"]
    );
    let audit = app.query_as(&admin, r#"{ auditEvents(first: 100, filter: { entity: "webhook" }) { nodes { operation after } } }"#).await;
    let operations: Vec<&str> = audit["data"]["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        vec!["createWebhook", "updateWebhook", "removeWebhook"]
    );
    assert!(
        !audit.to_string().contains("whsec_"),
        "the secret is never audited"
    );
}

#[tokio::test]
async fn events__old_events_are_pruned_with_their_deliveries() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    create_webhook(&app, "http://127.0.0.1:9/hook", &["INSPECTION_SUBMITTED"]).await;
    submit_inspections(&app, &s, 2).await;
    let old = chrono::Utc::now() - chrono::Duration::days(40);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "UPDATE event SET occurred_at = $1 WHERE id = (SELECT MIN(id) FROM event)",
            [old.into()],
        ))
        .await
        .unwrap();
    let pruned = qingdan::events::prune(&app.db, Duration::from_secs(30 * 86_400))
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(outbox(&app).await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// Subscriptions

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const EVENTS: &str = "subscription($types: [EventType!], $after: ID, $dept: ID) {
  events(types: $types, after: $after, departmentId: $dept) { id sequence type occurredAt subject { id type } departmentIds payload } }";

/// A graphql-transport-ws connection to `app`, initialised with `token` (none: anonymous).
async fn connect(app: &TestApp, token: Option<&str>) -> Result<Socket, String> {
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = receive(&mut socket, Duration::from_secs(5)).await?;
    if ack["type"] != "connection_ack" {
        return Err(ack.to_string());
    }
    Ok(socket)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message (pings answered on the way), or why there is none.
async fn receive(socket: &mut Socket, within: Duration) -> Result<Value, String> {
    loop {
        let message = tokio::time::timeout(within, socket.next())
            .await
            .map_err(|_| "timed out".to_owned())?;
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    send(socket, json!({ "type": "pong" })).await;
                    continue;
                }
                return Ok(value);
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("ended".into()),
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, variables: Value) {
    send(
        socket,
        json!({ "id": id, "type": "subscribe", "payload": { "query": EVENTS, "variables": variables } }),
    )
    .await;
}

/// Subscribes, then waits until the subscription is live: once the server has read its
/// arguments, which takes it a moment.
async fn subscribe_live(socket: &mut Socket, id: &str, variables: Value) {
    subscribe(socket, id, variables).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// A socket of the bearer of `token`, subscribed (as "1") to submitted inspections and live.
async fn subscribed_to_submissions(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(app, Some(token)).await.unwrap();
    let types = json!({ "types": ["INSPECTION_SUBMITTED"] });
    subscribe_live(&mut socket, "1", types).await;
    socket
}

/// The next event of subscription `id`.
async fn next_event(socket: &mut Socket, within: Duration) -> Result<Value, String> {
    let message = receive(socket, within).await?;
    if message["type"] != "next" {
        return Err(message.to_string());
    }
    assert!(message["payload"].get("errors").is_none(), "{message}");
    Ok(message["payload"]["data"]["events"].clone())
}

/// Milliseconds from an event's commit to now.
fn lag_ms(event: &Value) -> f64 {
    let occurred: chrono::DateTime<chrono::Utc> =
        event["occurredAt"].as_str().unwrap().parse().unwrap();
    (chrono::Utc::now() - occurred).num_microseconds().unwrap() as f64 / 1000.0
}

#[tokio::test]
async fn subscriptions__events_arrive_in_order_and_resume_after_the_last_id() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let mut socket = subscribed_to_submissions(&app, &s.supervisor).await;
    submit_inspections(&app, &s, 3).await;
    let mut seen = Vec::new();
    let mut lags = Vec::new();
    for _ in 0..3 {
        let event = next_event(&mut socket, Duration::from_secs(5))
            .await
            .unwrap();
        lags.push(lag_ms(&event));
        assert_eq!(event["type"], "INSPECTION_SUBMITTED");
        assert_eq!(event["subject"]["type"], "Inspection");
        assert_eq!(event["departmentIds"], json!([s.target]));
        seen.push(event);
    }
    println!("commit → subscriber (ms): {lags:?}");
    let sequences: Vec<i64> = seen
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    drop(socket);

    // Disconnected, two more commit; resuming after the second event gets 3, 4, 5
    submit_inspections(&app, &s, 2).await;
    let mut socket = connect(&app, Some(&s.supervisor)).await.unwrap();
    subscribe(&mut socket, "2", json!({ "after": seen[1]["id"] })).await;
    let mut resumed = Vec::new();
    for _ in 0..3 {
        let event = next_event(&mut socket, Duration::from_secs(5))
            .await
            .unwrap();
        resumed.push(event["sequence"].as_i64().unwrap());
    }
    let all: Vec<i64> = outbox(&app).await.iter().map(|e| e.0).collect();
    assert_eq!(resumed, all[2..].to_vec());
    // Then live again
    submit_inspections(&app, &s, 1).await;
    let live = next_event(&mut socket, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(live["sequence"].as_i64().unwrap() > *resumed.last().unwrap());
}

#[tokio::test]
async fn subscriptions__each_caller_hears_what_it_may_read() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let other_unit = app.unit_token("公安局", "安化县公安局").await;
    let mut anonymous = connect(&app, None).await.unwrap();
    let mut own_unit = connect(&app, Some(&s.unit)).await.unwrap();
    let mut stranger = connect(&app, Some(&other_unit)).await.unwrap();
    for socket in [&mut anonymous, &mut own_unit, &mut stranger] {
        subscribe(socket, "1", json!({})).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    submit_inspections(&app, &s, 1).await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let set = r#"mutation($input: SetLexiconEntryInput!) { setLexiconEntry(input: $input) { userErrors { code } } }"#;
    let input = json!({ "term": "捡到小孩", "expansion": "弃婴", "kind": "COLLOQUIAL" });
    app.post_as(&admin, set, json!({ "input": input })).await;

    // The unit the inspection concerns hears both; the others only the public lexicon change
    let first = next_event(&mut own_unit, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(first["type"], "INSPECTION_SUBMITTED");
    let second = next_event(&mut own_unit, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(second["type"], "LEXICON_CHANGED");
    for socket in [&mut anonymous, &mut stranger] {
        let event = next_event(socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(event["type"], "LEXICON_CHANGED");
        assert_eq!(event["payload"]["term"], "捡到小孩");
    }
    // A token that does not verify is refused at connection_init
    let refused = connect(&app, Some("not-a-token")).await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test]
#[cfg_attr(
    not(qingdan_postgres),
    ignore = "needs PostgreSQL: set QINGDAN_TEST_DATABASE_URL (replicas share one database)"
)]
async fn replicas__a_write_through_one_reaches_a_subscriber_on_another_and_each_webhook_once() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_beside(&a).await;
    let s = setup(&a).await;
    let receiver = Receiver::start(200).await;
    create_webhook(&a, &receiver.url, &["INSPECTION_SUBMITTED"]).await;
    let mut socket = subscribed_to_submissions(&b, &s.supervisor).await;

    let n = 40;
    let mut lags = Vec::new();
    let mut sequences = Vec::new();
    for _ in 0..n {
        submit_inspections(&a, &s, 1).await;
        let event = next_event(&mut socket, Duration::from_secs(5))
            .await
            .unwrap();
        lags.push(lag_ms(&event));
        sequences.push(event["sequence"].as_i64().unwrap());
    }
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    let got = receiver.wait_for(n, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.accepted().len().max(got.len());
    assert_eq!(
        got, n,
        "each event delivered once by the two replicas together"
    );
    let received: Vec<i64> = receiver.accepted().iter().map(Received::sequence).collect();
    assert_eq!(received, sequences, "in commit order");
    let mut webhook_lags: Vec<f64> = receiver.accepted().iter().map(Received::lag_ms).collect();
    lags.sort_by(f64::total_cmp);
    webhook_lags.sort_by(f64::total_cmp);
    println!(
        "replica A → subscriber on B: p50 {:.1} ms, p99 {:.1} ms; → webhook: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&lags, 50.0),
        percentile(&lags, 99.0),
        percentile(&webhook_lags, 50.0),
        percentile(&webhook_lags, 99.0)
    );
}

/// The errors the socket answered operation `id` with, once its stream has completed.
async fn refusal(socket: &mut Socket, id: &str) -> Value {
    let message = receive(socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(message["id"], id, "{message}");
    let errors = match message["type"].as_str() {
        Some("error") => message["payload"].clone(),
        Some("next") => {
            assert!(message["payload"]["data"].is_null(), "{message}");
            let complete = receive(socket, Duration::from_secs(5)).await.unwrap();
            assert_eq!(complete, json!({ "id": id, "type": "complete" }));
            message["payload"]["errors"].clone()
        }
        _ => panic!("not a refusal: {message}"),
    };
    assert!(errors.is_array(), "{message}");
    errors
}

#[tokio::test]
async fn subscriptions__past_the_schemas_depth_is_refused_with_its_code() {
    // Given a server that allows a depth of 1
    let app = TestApp::spawn_with_limits(qingdan::config::Limits {
        max_depth: 1,
        ..qingdan::config::Limits::default()
    })
    .await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let mut socket = connect(&app, Some(&admin)).await.unwrap();
    // When a subscription two levels deep is sent
    send(
        &mut socket,
        json!({ "id": "d", "type": "subscribe", "payload": { "query": "subscription { events { id } }" } }),
    )
    .await;
    // Then the schema's refusal comes coded LIMIT_EXCEEDED, naming the bound
    let errors = refusal(&mut socket, "d").await;
    assert_first_error(&errors, "LIMIT_EXCEEDED", "deep, more than 1");
}

#[tokio::test]
async fn subscriptions__a_socket_runs_subscriptions_only_within_the_limits() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let mut socket = connect(&app, Some(&admin)).await.unwrap();
    // When a query and a mutation are sent over the socket, Then each is refused with a
    // code, pointing at POST, and nothing is written
    for (id, document) in [
        ("q", "{ departments(first: 1) { totalCount } }"),
        (
            "m",
            "mutation { loadCalendar(input: { days: [] }) { loaded } }",
        ),
    ] {
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": document } }),
        )
        .await;
        let errors = refusal(&mut socket, id).await;
        assert_first_error(&errors, "METHOD_NOT_ALLOWED", "POST");
    }
    // When a subscription breaks a front-door limit, Then it is refused with LIMIT_EXCEEDED
    let repeated = format!("subscription {{ events {{ {} }} }}", "id ".repeat(30));
    send(
        &mut socket,
        json!({ "id": "r", "type": "subscribe", "payload": { "query": repeated } }),
    )
    .await;
    let errors = refusal(&mut socket, "r").await;
    assert_eq!(
        errors[0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{errors}"
    );
    // And a subscription on the same socket still streams
    subscribe_live(&mut socket, "s", json!({ "types": ["LEXICON_CHANGED"] })).await;
    let set = r#"mutation($input: SetLexiconEntryInput!) { setLexiconEntry(input: $input) { userErrors { code } } }"#;
    let input = json!({ "term": "捡到小孩", "expansion": "弃婴", "kind": "COLLOQUIAL" });
    app.mutate_as(&admin, set, "setLexiconEntry", input).await;
    let event = next_event(&mut socket, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(event["type"], "LEXICON_CHANGED", "{event}");
}
