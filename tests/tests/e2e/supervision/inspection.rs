use qingdan::auth::Role;
use qingdan_tests::{TestApp, first_user_error_message, query_row};
use serde_json::json;

use super::{codes, setup, spawn_with_setup};

#[tokio::test]
async fn submit_inspection__stores_inspectors_findings_and_methods() {
    // Given a supervisor and the territorial-enforcement checklist
    let (app, s) = spawn_with_setup().await;
    // When they submit an inspection with two inspectors
    let payload = s.submit(&app, s.inspection()).await;
    // Then it is stored whole, and awaits a document
    assert_eq!(payload["userErrors"], json!([]));
    let inspection = &payload["inspection"];
    assert_eq!(inspection["status"], "SUBMITTED");
    assert_eq!(
        inspection["inspectors"],
        json!([{ "name": "张三" }, { "name": "李四" }])
    );
    assert_eq!(inspection["findings"][0]["outcome"], "NONCOMPLIANT");
    assert_eq!(
        inspection["findings"][0]["item"]["id"],
        json!(s.checklist[0])
    );
    assert_eq!(inspection["methods"][0]["id"], json!(s.methods[0]));
    assert_eq!(s.inspection_count(&app).await, 1);
}

#[tokio::test]
async fn inspectors__one_inspector_is_refused() {
    let (app, s) = spawn_with_setup().await;
    // Given a submission with a single inspector (应当委派两名以上工作人员进行)
    let mut input = s.inspection();
    input["inspectors"] = json!([{ "name": "张三", "certificateNo": "湘执43092001" }]);
    // When submitted
    let payload = s.submit(&app, input).await;
    // Then it is refused with the rule's code and clause, and nothing is stored
    assert_eq!(codes(&payload), ["INSPECTORS_BELOW_MINIMUM"]);
    assert!(first_user_error_message(&payload).contains("两名以上"));
    assert!(payload["inspection"].is_null());
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn inspectors__the_message_quotes_the_clause_of_the_regime_that_states_it() {
    let (app, s) = spawn_with_setup().await;
    let one = json!([{ "name": "张三", "certificateNo": "湘执43092001" }]);
    // Under the entrusted-licensing regime, whose procedure states the minimum: its clause
    let ids = app.regime_ids("ENTRUSTED_LICENSING").await;
    let mut input = s.inspection();
    input["regimeCode"] = json!("ENTRUSTED_LICENSING");
    input["inspectors"] = one.clone();
    input["methodItemIds"] = json!([ids.methods[0]]);
    input["findings"] = json!([{ "itemId": ids.checklist[0], "outcome": "COMPLIANT" }]);
    let payload = s.submit(&app, input).await;
    assert_eq!(codes(&payload), ["INSPECTORS_BELOW_MINIMUM"]);
    let message = first_user_error_message(&payload);
    assert!(
        message
            .ends_with("「委托机关对受委托单位进行调查和检查时，应当委派两名以上工作人员进行。」"),
        "{message}"
    );
    // Under territorial enforcement, whose text states no minimum: the same clause, named
    // as the entrusted-licensing regime's, never as its own
    let mut input = s.inspection();
    input["inspectors"] = one;
    let payload = s.submit(&app, input).await;
    let message = first_user_error_message(&payload);
    assert!(
        message.contains("stated in （一）对行政审批事项受委托机关的监督"),
        "{message}"
    );
    assert!(
        message.contains("（二）对属地管理的行政执法职权的监督检查 states no minimum of its own"),
        "{message}"
    );
}

#[tokio::test]
async fn inspectors__the_same_person_twice_is_not_two() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["inspectors"][1]["certificateNo"] = json!("湘执43092001");
    assert_eq!(codes(&s.submit(&app, input).await), ["INSPECTOR_DUPLICATE"]);
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn record__missing_written_record_is_refused() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["record"] = json!("  ");
    assert_eq!(codes(&s.submit(&app, input).await), ["RECORD_REQUIRED"]);
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn findings__an_item_of_another_regime_is_refused() {
    let (app, s) = spawn_with_setup().await;
    // Given a checklist item of the entrusted-licensing regime
    let other = app.regime_ids("ENTRUSTED_LICENSING").await;
    let mut input = s.inspection();
    input["findings"][1]["itemId"] = json!(other.checklist[0]);
    // Then the territorial-enforcement inspection cannot point at it
    let payload = s.submit(&app, input).await;
    assert_eq!(codes(&payload), ["FINDING_ITEM_NOT_IN_CHECKLIST"]);
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["findings", "1", "itemId"])
    );
    // And a method is not a checklist item either
    let mut input = s.inspection();
    input["findings"][0]["itemId"] = json!(s.methods[0]);
    input["methodItemIds"] = json!([s.checklist[2]]);
    let payload = s.submit(&app, input).await;
    assert_eq!(
        codes(&payload),
        ["METHOD_NOT_IN_REGIME", "FINDING_ITEM_NOT_IN_CHECKLIST"]
    );
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn submit_inspection__every_broken_rule_is_reported_at_once() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["inspectors"] = json!([]);
    input["record"] = json!("");
    input["findings"] = json!([]);
    input["methodItemIds"] = json!([]);
    input["periodStart"] = json!("2016-07-16");
    let got = codes(&s.submit(&app, input).await);
    for code in [
        "INSPECTORS_BELOW_MINIMUM",
        "RECORD_REQUIRED",
        "PERIOD_INVALID",
        "METHOD_REQUIRED",
        "FINDING_REQUIRED",
    ] {
        assert!(
            got.contains(&code.to_owned()),
            "{code} missing from {got:?}"
        );
    }
}

#[tokio::test]
async fn idempotency__a_retry_returns_the_first_result() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["idempotencyKey"] = json!("hotline-12345-0001");
    let first = s.submit(&app, input.clone()).await;
    let again = s.submit(&app, input.clone()).await;
    assert_eq!(first["inspection"]["id"], again["inspection"]["id"]);
    assert_eq!(s.inspection_count(&app).await, 1);
    // The same key on a different request is a mistake, not a retry
    input["record"] = json!("另一份记录");
    assert_eq!(
        codes(&s.submit(&app, input).await),
        ["IDEMPOTENCY_KEY_REUSED"]
    );
    assert_eq!(s.inspection_count(&app).await, 1);
}

#[tokio::test]
async fn idempotency__a_key_is_the_callers_own() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["idempotencyKey"] = json!("12345-0001");
    // Given a supervisor's submission with a key
    let first = s.submit(&app, input.clone()).await;
    // When another supervisor's system sends the same key and body
    let other = app.token("法制监督员赵六", &[Role::Supervisor], None);
    let body = app
        .post_as(&other, super::SUBMIT, json!({ "input": input.clone() }))
        .await;
    let second = &body["data"]["submitInspection"];
    // Then it is their own submission, stored beside the first
    assert_eq!(second["userErrors"], json!([]), "{body}");
    assert_ne!(second["inspection"]["id"], first["inspection"]["id"]);
    assert_eq!(s.inspection_count(&app).await, 2);
    // And each one's retry still returns its own
    let again = app
        .post_as(&other, super::SUBMIT, json!({ "input": input.clone() }))
        .await;
    assert_eq!(
        again["data"]["submitInspection"]["inspection"]["id"],
        second["inspection"]["id"]
    );
    assert_eq!(
        s.submit(&app, input).await["inspection"]["id"],
        first["inspection"]["id"]
    );
    assert_eq!(s.inspection_count(&app).await, 2);
}

/// Sends `n` submissions of `input` at once, each a distinct request body (a comment in the
/// query), so no answer is shared by the response cache and all reach the write. Returns
/// each one's inspection id, and how much longer the server spent on them in all than the
/// wall-clock time they took: above 1, they were in the server at the same time.
async fn race(
    app: &std::sync::Arc<TestApp>,
    s: &std::sync::Arc<super::Setup>,
    n: usize,
    input: impl Fn(usize) -> serde_json::Value,
) -> (Vec<serde_json::Value>, f64) {
    let (_capturing, logs) = qingdan::telemetry::capture();
    let tag = format!("race-{}", app.addr.port());
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (app, s) = (app.clone(), s.clone());
            let body = json!({ "query": format!("{} # {i}", super::SUBMIT), "variables": { "input": input(i) } });
            let id = format!("{tag}-{i}");
            tokio::spawn(async move {
                let response = app.graphql_request()
                    .bearer_auth(&s.supervisor)
                    .header("x-request-id", id)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let body: serde_json::Value = response.json().await.unwrap();
                assert!(body.get("errors").is_none(), "{body}");
                body["data"]["submitInspection"]["inspection"]["id"].clone()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let busy: f64 = logs
        .lines()
        .into_iter()
        .filter(|line| line["target"] == "qingdan::request")
        .filter(|line| {
            line["fields"]["request_id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{tag}-")))
        })
        .map(|line| line["fields"]["duration_ms"].as_f64().unwrap())
        .sum();
    (ids, busy / wall)
}

#[tokio::test]
async fn idempotency__fifty_racing_retries_store_one_and_fifty_keys_store_fifty() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let s = std::sync::Arc::new(setup(&app).await);
    // Given 50 concurrent submissions of one key, in the server at the same time
    let mut input = s.inspection();
    input["idempotencyKey"] = json!("race-same-key");
    let (ids, overlap) = race(&app, &s, 50, |_| input.clone()).await;
    assert!(overlap > 2.0, "the requests did not overlap: {overlap:.2}");
    // Then all got the same inspection, stored once
    let distinct: std::collections::HashSet<String> = ids.iter().map(|id| id.to_string()).collect();
    assert_eq!(distinct.len(), 1, "{distinct:?}");
    assert!(ids[0].is_string());
    assert_eq!(s.inspection_count(&app).await, 1);

    // Given 50 concurrent submissions with different keys
    let (ids, _) = race(&app, &s, 50, |i| {
        let mut input = s.inspection();
        input["idempotencyKey"] = json!(format!("race-key-{i}"));
        input
    })
    .await;
    assert!(ids.iter().all(serde_json::Value::is_string));
    assert_eq!(s.inspection_count(&app).await, 51);
}

#[tokio::test]
#[cfg_attr(
    not(qingdan_postgres),
    ignore = "needs PostgreSQL: a second writer waiting on the key's unique index"
)]
async fn idempotency__a_writer_outside_the_turn_holding_the_key_wins_and_is_returned() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let (app, s) = spawn_with_setup().await;
    let first = s.submit(&app, s.inspection()).await;
    assert!(first["inspection"]["id"].is_string());
    // Given another writer (one not taking turns, as an older replica during an upgrade)
    // holding the key it has just claimed, uncommitted
    let other = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let claim = other.begin().await.unwrap();
    claim
        .execute_unprepared(
            "INSERT INTO idempotency_key (subject, key, operation, request_hash, entity_id, created_at) \
             SELECT '法制监督员李四', 'held-key', 'submitInspection', '', MAX(id), now() FROM inspection",
        )
        .await
        .unwrap();
    // When the same caller submits with that key, and the other writer commits meanwhile
    let mut input = s.inspection();
    input["idempotencyKey"] = json!("held-key");
    let submit = s.submit(&app, input);
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        claim.commit().await.unwrap();
    };
    let (payload, ()) = tokio::join!(submit, commit);
    // Then the submission waited on the key's unique index, and its answer is the winner's
    // (here a different request under that key: refused as such, not INTERNAL)
    assert_eq!(
        super::codes(&payload),
        ["IDEMPOTENCY_KEY_REUSED"],
        "{payload}"
    );
    assert_eq!(s.inspection_count(&app).await, 1);
}

#[tokio::test]
async fn submission__writes_beside_other_writers_on_postgresql() {
    use qingdan::db::{Turn, Write};
    use std::time::Duration;
    let app = TestApp::spawn().await;
    let waits = |turn| {
        let db = app.db.clone();
        async move {
            let first = Write::begin_with(&db, turn).await.unwrap();
            let second =
                tokio::time::timeout(Duration::from_millis(500), Write::begin_with(&db, turn))
                    .await;
            drop(first);
            second.is_err()
        }
    };
    // Exclusive writers (lists, drafts, follow-ups) take turns from BEGIN on either database
    assert!(
        waits(Turn::Exclusive).await,
        "a second exclusive writer waits"
    );
    // Submissions begin beside each other on PostgreSQL; SQLite has one writer at a time
    let postgres = qingdan::db::is_postgres(&app.db);
    assert_eq!(waits(Turn::Alongside).await, !postgres);
}

#[tokio::test]
async fn submission__concurrent_ones_all_land_and_count() {
    let (app, s) = spawn_with_setup().await;
    let before = s.inspection_count(&app).await;
    let version = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let row = query_row(&db, "SELECT version FROM data_version WHERE id = 1").await;
            row.try_get::<i64>("", "version").unwrap()
        }
    };
    let counted = version(&app).await;
    let submissions = (0..8).map(|_| s.submit(&app, s.inspection()));
    for payload in futures_util::future::join_all(submissions).await {
        assert_eq!(payload["userErrors"], json!([]), "{payload:#}");
    }
    assert_eq!(s.inspection_count(&app).await, before + 8);
    // Each one counted itself once in the data version
    assert_eq!(version(&app).await, counted + 8);
}
