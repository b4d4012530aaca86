//! Operations: request ids and security headers on every response, health and readiness,
//! metrics, request logs, graceful shutdown, and a database outage.

use std::time::Duration;

use qingdan::auth::Role;
use qingdan_tests::{Options, TestApp, query_row};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[tokio::test]
async fn request_id__echoed_when_given_and_made_when_absent() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.url);
    let body = json!({ "query": "{ __typename }" });

    // Given a caller's request id, When it posts, Then the answer carries the same id.
    let given = app
        .client
        .post(&url)
        .header("x-request-id", "hotline-12345.7")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "hotline-12345.7");

    // Given no id, When two requests are made, Then each answer carries its own fresh id.
    let mut made = Vec::new();
    for _ in 0..2 {
        let response = app.client.post(&url).json(&body).send().await.unwrap();
        made.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(!made[0].is_empty());
    assert_ne!(made[0], made[1]);

    // Given an id that could forge log lines, When it posts, Then the id is replaced.
    let odd = app
        .client
        .post(&url)
        .header("x-request-id", "a\tb")
        .json(&body)
        .send()
        .await
        .unwrap();
    let id = odd.headers()["x-request-id"].to_str().unwrap();
    assert!(!id.is_empty() && id != "a\tb");
}

#[tokio::test]
async fn security_headers__on_every_response() {
    let app = TestApp::spawn().await;
    // Given answers of every kind: data, a refusal, health, a redirect, an unknown path.
    let responses = [
        app.graphql_request()
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap(),
        app.graphql_request()
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap(),
        app.get("/healthz").await,
        app.get("/readyz").await,
        app.get("/nowhere").await,
    ];
    // Then each carries the security headers and a content policy that allows nothing.
    for response in &responses {
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                response.headers()[name],
                value,
                "{name} on {}",
                response.url()
            );
        }
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert!(response.headers().contains_key("x-request-id"));
    }
    assert_eq!(responses[1].status(), 415);
}

#[tokio::test]
async fn health__alive_and_ready_on_a_migrated_database() {
    // Given a server on a migrated database, When probed, Then both probes answer 200.
    let app = TestApp::spawn().await;
    let healthz = app.get("/healthz").await;
    assert_eq!(healthz.status(), 200);
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), 200);
}

#[tokio::test]
async fn readyz__unready_while_a_migration_is_unapplied() {
    // Given a ready server
    let app = TestApp::spawn().await;
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), 200);
    let body: Value = readyz.json().await.unwrap();
    assert_eq!(body["checks"]["migrations"]["ok"], true, "{body}");
    let latest = sql_text(
        &app,
        "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
    )
    .await;
    // When the database no longer records its latest migration as applied
    app.db
        .execute_unprepared(&format!(
            "UPDATE seaql_migrations SET version = 'x' || version WHERE version = '{latest}'"
        ))
        .await
        .unwrap();
    // Then /readyz answers 503 and names it, while the database itself is fine
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), 503);
    let body: Value = readyz.json().await.unwrap();
    assert_eq!(body["checks"]["migrations"]["pending"], json!([latest]));
    assert_eq!(body["checks"]["database"]["ok"], true);
    // When it is recorded again, Then the server is ready again
    app.db
        .execute_unprepared(&format!(
            "UPDATE seaql_migrations SET version = '{latest}' WHERE version = 'x{latest}'"
        ))
        .await
        .unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
}

async fn sql_text(app: &TestApp, sql: &str) -> String {
    let row = query_row(&app.db, sql).await;
    row.try_get_by_index::<String>(0).unwrap()
}

/// The value of the sample `series` (name and labels, as written) in an exposition.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

const NESTED: &str = "query Units($first: Int) { departments(first: $first) { nodes { name duties { text workItems { text } } } } }";

#[tokio::test]
async fn metrics__requests_by_operation_and_outcome_latency_statements_and_pool() {
    // Given a server reading the lists from SQL (from memory, where they are held by
    // default, they cost no statement to count)
    let app = TestApp::spawn_with_limits(qingdan::config::Limits {
        list_memory_mb: 0,
        ..Default::default()
    })
    .await;
    let before = app.statements.get();
    // When a named nested read is made twice (the second served from the cache), a request
    // that fails validation once, and an anonymous read once, one after another
    app.gql(NESTED, json!({ "first": 3 })).await;
    app.gql(NESTED, json!({ "first": 3 })).await;
    let invalid = app.post("query Broken { nonsense }", json!({})).await;
    assert!(invalid["errors"].is_array());
    app.gql("{ departments(first: 1) { totalCount } }", json!({}))
        .await;
    let sent = app.statements.get() - before;
    // Then /metrics counts each by operation name and outcome, in the Prometheus format
    let response = app.get("/metrics").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let count = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series}\n{text}"));
    assert_eq!(
        count(r#"qingdan_requests_total{operation="Units",outcome="ok"}"#),
        2.0
    );
    assert_eq!(
        count(r#"qingdan_requests_total{operation="Broken",outcome="refused"}"#),
        1.0
    );
    assert_eq!(
        count(r#"qingdan_requests_total{operation="anonymous",outcome="ok"}"#),
        1.0
    );
    // And the latency histogram holds both reads, under every bucket at +Inf
    assert_eq!(
        count(r#"qingdan_request_duration_seconds_count{operation="Units"}"#),
        2.0
    );
    assert_eq!(
        count(r#"qingdan_request_duration_seconds_bucket{operation="Units",le="+Inf"}"#),
        2.0
    );
    // And the per-request statement histogram accounts for every statement sent, including
    // those of the DataLoaders' batch loads
    assert_eq!(count("qingdan_request_sql_statements_count"), 4.0);
    assert_eq!(count("qingdan_request_sql_statements_sum"), sent as f64);
    assert!(sent > 4, "{sent}");
    // And the pool's use is reported
    assert!(count("qingdan_db_pool_max_connections") >= 1.0);
    assert!(count(r#"qingdan_db_pool_connections{state="idle"}"#) >= 0.0);
    assert!(count(r#"qingdan_db_pool_connections{state="in_use"}"#) >= 0.0);
    assert_eq!(count("qingdan_requests_in_flight"), 0.0);
}

#[tokio::test]
async fn logs__one_line_per_request_with_id_operation_outcome_and_subject_only() {
    // Given this test's log lines captured, and a server
    let (_capturing, logs) = qingdan::telemetry::capture();
    let app = TestApp::spawn().await;
    let token = app.token("监督员甲", &[Role::Supervisor], None);
    // When a caller with a token posts a named query with a variable and a request id (a
    // read of supervision records, which come from SQL)
    let response = app.graphql_request()
        .bearer_auth(&token)
        .header("x-request-id", "hotline-42")
        .json(&json!({
            "query": "query Lookup($n: String) { department(name: $n) { id } inspections(first: 1) { totalCount } }",
            "variables": { "n": "秘密变量值" }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Then exactly one request line carries its id, operation, outcome, status, duration and
    // the token's subject
    let lines: Vec<Value> = logs
        .lines()
        .into_iter()
        .filter(|line| line["target"] == "qingdan::request")
        .filter(|line| line["fields"]["request_id"] == "hotline-42")
        .collect();
    assert_eq!(lines.len(), 1, "{}", logs.text());
    let fields = &lines[0]["fields"];
    assert_eq!(fields["operation"], "Lookup");
    assert_eq!(fields["outcome"], "ok");
    assert_eq!(fields["status"], 200);
    assert_eq!(fields["subject"], "监督员甲");
    assert!(fields["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(fields["statements"].as_u64().unwrap() >= 1);
    // And no log line holds the token or the variable's value
    let text = logs.text();
    assert!(!text.contains(&token), "the token was logged");
    assert!(!text.contains("秘密变量值"), "a variable was logged");
    // When an anonymous caller is refused, Then its line has an outcome and no subject
    app.graphql_request()
        .header("x-request-id", "anon-1")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    let refused = logs
        .lines()
        .into_iter()
        .find(|line| line["fields"]["request_id"] == "anon-1")
        .expect("a line for the refused request");
    assert_eq!(refused["fields"]["outcome"], "refused");
    assert!(refused["fields"].get("subject").is_none());
}

/// Waits until the server counts `n` GraphQL requests in flight.
async fn until_in_flight(app: &TestApp, n: u32) {
    for _ in 0..500 {
        let text = app.get("/metrics").await.text().await.unwrap();
        if sample(&text, "qingdan_requests_in_flight") == Some(f64::from(n)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never {n} requests in flight");
}

/// A POST whose head and first half of the body are sent, the rest held back.
async fn half_sent_request(app: &TestApp) -> (tokio::net::TcpStream, Vec<u8>) {
    let body = json!({ "query": "{ departments(first: 1) { totalCount } }" }).to_string();
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: qingdan\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(first).await.unwrap();
    (stream, rest.to_vec())
}

/// A server that lets requests in flight run for `grace` once told to shut down.
async fn spawn_with_shutdown_grace(grace: Duration) -> TestApp {
    TestApp::spawn_with(Options {
        shutdown_grace: Some(grace),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn shutdown__stops_accepting_and_finishes_requests_in_flight() {
    // Given a request in flight (half its body sent) and a long grace period
    let app = spawn_with_shutdown_grace(Duration::from_secs(600)).await;
    let (mut stream, rest) = half_sent_request(&app).await;
    until_in_flight(&app, 1).await;
    // When the server is told to shut down
    app.shut_down();
    // Then it stops accepting connections
    let mut refused = false;
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(app.addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "still accepting after the shutdown signal");
    // And the request in flight is still answered in full
    stream.write_all(&rest).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("totalCount"), "{answer}");
    // And then the server stops, well before its grace period is over
    tokio::time::timeout(Duration::from_secs(60), app.stopped())
        .await
        .expect("stopped once the request was answered")
        .unwrap();
}

#[tokio::test]
async fn shutdown__gives_up_on_requests_still_running_at_the_deadline() {
    // Given a short grace period and a request whose body never finishes
    let app = spawn_with_shutdown_grace(Duration::from_millis(200)).await;
    let (_stream, _rest) = half_sent_request(&app).await;
    until_in_flight(&app, 1).await;
    // When the server is told to shut down, Then it stops anyway once the grace is over
    app.shut_down();
    tokio::time::timeout(Duration::from_secs(60), app.stopped())
        .await
        .expect("stopped at the deadline")
        .unwrap();
}

/// Holds the database's write lock from outside the server, as another process's long
/// write would: on PostgreSQL the data version's row, which every write takes first; on
/// SQLite the database file's write lock. Released when the transaction is dropped.
async fn hold_the_write_lock(
    app: &TestApp,
) -> (sea_orm::DatabaseConnection, sea_orm::DatabaseTransaction) {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let other = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let txn = if qingdan::db::is_postgres(&other) {
        let txn = other.begin().await.unwrap();
        txn.execute_unprepared("SELECT version FROM data_version WHERE id = 1 FOR UPDATE")
            .await
            .unwrap();
        txn
    } else {
        other
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .unwrap()
    };
    (other, txn)
}

#[tokio::test]
async fn shutdown__the_deadline_cancels_a_blocked_write_which_never_commits() {
    // Given a one-second deadline and a write blocked behind another writer's lock
    let grace = Duration::from_secs(1);
    let app = std::sync::Arc::new(spawn_with_shutdown_grace(grace).await);
    let admin = app.token("管理员", &[Role::Admin], None);
    let service = app
        .gql(
            "{ publicServices(first: 1) { nodes { id name } } }",
            json!({}),
        )
        .await["publicServices"]["nodes"][0]
        .clone();
    let audit_before = audit_count(&app.database_url).await;
    let (_other, lock) = hold_the_write_lock(&app).await;
    let write = {
        let (app, admin, id) = (app.clone(), admin.clone(), service["id"].clone());
        tokio::spawn(async move {
            let update = r#"mutation($input: UpdatePublicServiceInput!) { updatePublicService(input: $input) {
                publicService { name } userErrors { code } } }"#;
            app.graphql_request()
                .bearer_auth(admin)
                .json(&json!({ "query": update, "variables": { "input": { "id": id, "name": "关机后不应出现" } } }))
                .send()
                .await
        })
    };
    until_in_flight(&app, 1).await;
    // When the server is told to shut down
    let signalled = std::time::Instant::now();
    app.shut_down();
    // Then it has stopped within one second past the deadline
    tokio::time::timeout(grace + Duration::from_secs(1), app.stopped())
        .await
        .expect("stopped within a second of the deadline")
        .unwrap();
    assert!(signalled.elapsed() >= grace, "stopped before the deadline");
    // And the blocked request was answered 503 UNAVAILABLE (or its connection closed)
    if let Ok(response) = write.await.unwrap() {
        assert_eq!(response.status(), 503);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{body}"
        );
    }
    // When the lock is released after the deadline
    drop(lock);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Then the write never commits: no changed row, no audit entry
    let reader = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let names = reader
        .query_all_raw(sea_orm::Statement::from_string(
            reader.get_database_backend(),
            "SELECT name FROM public_service",
        ))
        .await
        .unwrap();
    for row in names {
        let name: String = row.try_get("", "name").unwrap();
        assert_ne!(name, "关机后不应出现");
    }
    assert_eq!(audit_count(&app.database_url).await, audit_before);
}

/// Entries of the audit log, read on a connection of its own.
async fn audit_count(url: &str) -> i64 {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let row = query_row(&db, "SELECT COUNT(*) FROM audit_event").await;
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
#[cfg_attr(
    not(qingdan_postgres),
    ignore = "needs PostgreSQL: set QINGDAN_TEST_DATABASE_URL (SQLite has no connection to cut)"
)]
async fn database_outage__fails_fast_as_unavailable_writes_nothing_and_recovers() {
    // Given a server whose PostgreSQL connections pass through a proxy the test can cut,
    // waiting at most half a second for a connection
    let options = Options {
        db_acquire_timeout: Some(Duration::from_millis(500)),
        ..Options::default()
    };
    let app = TestApp::spawn_behind_proxy(options)
        .await
        .expect("built for PostgreSQL, so QINGDAN_TEST_DATABASE_URL names one");
    let proxy = app.proxy.as_ref().unwrap();
    let s = crate::supervision::setup(&app).await;
    assert_eq!(s.inspection_count(&app).await, 0);
    let read = "{ departments(first: 1) { totalCount } }";
    app.gql(read, json!({})).await;

    assert!(
        app.versions.is_live(),
        "the server follows the data version's channel"
    );

    // When the database becomes unreachable
    proxy.cut().await;
    // Then a read that needs the database (supervision records are read from SQL; the
    // published lists held in memory need none) fails with UNAVAILABLE (not the request
    // timeout, not INTERNAL), and says nothing of the cause
    let body = app
        .query_as(&s.supervisor, "{ inspections(first: 2) { totalCount } }")
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    // And a submission fails the same way
    let body = app
        .post_as(
            &s.supervisor,
            crate::supervision::SUBMIT,
            json!({ "input": s.inspection() }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body}"
    );
    assert!(body["data"].is_null(), "{body}");
    // And the server stops trusting the channel it no longer hears, so cached answers are
    // checked against the database again
    let mut deaf = false;
    for _ in 0..100 {
        if !app.versions.is_live() {
            deaf = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(deaf, "still trusting a dropped listener");
    assert_eq!(app.gql_error_code(read, json!({})).await, "UNAVAILABLE");
    // And /readyz answers 503, naming the database
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), 503);
    let status: Value = readyz.json().await.unwrap();
    assert_eq!(status["checks"]["database"]["ok"], false, "{status}");
    // And /metrics counts the failures as unavailable
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        sample(
            &text,
            r#"qingdan_requests_total{operation="anonymous",outcome="unavailable"}"#
        )
        .is_some_and(|n| n >= 2.0),
        "{text}"
    );

    // When the database is reachable again
    proxy.restore();
    // Then the server recovers by itself
    let mut ready = false;
    for _ in 0..200 {
        if app.get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "not ready again after the database returned");
    app.gql(read, json!({})).await;
    // And it subscribes to the channel again
    let mut live = false;
    for _ in 0..100 {
        if app.versions.is_live() {
            live = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(live, "the listener did not subscribe again");
    // And the submission made during the outage left nothing behind
    assert_eq!(s.inspection_count(&app).await, 0);
    // And the same submission now succeeds
    let payload = s.submit(&app, s.inspection()).await;
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(s.inspection_count(&app).await, 1);
}
