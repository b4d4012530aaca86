use qingdan_tests::TestApp;
use serde_json::json;

use super::{codes, setup};

#[tokio::test]
async fn submit_inspection__stores_inspectors_findings_and_methods() {
    // Given a supervisor and the territorial-enforcement checklist
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
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
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // Given a submission with a single inspector (应当委派两名以上工作人员进行)
    let mut input = s.inspection();
    input["inspectors"] = json!([{ "name": "张三", "certificateNo": "湘执43092001" }]);
    // When submitted
    let payload = s.submit(&app, input).await;
    // Then it is refused with the rule's code and clause, and nothing is stored
    assert_eq!(codes(&payload), ["INSPECTORS_BELOW_MINIMUM"]);
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("两名以上")
    );
    assert!(payload["inspection"].is_null());
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn inspectors__the_message_quotes_the_clause_of_the_regime_that_states_it() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
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
    let message = payload["userErrors"][0]["message"].as_str().unwrap();
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
    let message = payload["userErrors"][0]["message"].as_str().unwrap();
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
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let mut input = s.inspection();
    input["inspectors"][1]["certificateNo"] = json!("湘执43092001");
    assert_eq!(codes(&s.submit(&app, input).await), ["INSPECTOR_DUPLICATE"]);
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn record__missing_written_record_is_refused() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let mut input = s.inspection();
    input["record"] = json!("  ");
    assert_eq!(codes(&s.submit(&app, input).await), ["RECORD_REQUIRED"]);
    assert_eq!(s.inspection_count(&app).await, 0);
}

#[tokio::test]
async fn findings__an_item_of_another_regime_is_refused() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // Given a checklist item of the entrusted-licensing regime
    let other = app.regime_ids("ENTRUSTED_LICENSING").await;
    let mut input = s.inspection();
    input["findings"][1]["itemId"] = json!(other.checklist[0]);
    // Then the territorial-enforcement inspection cannot point at it
    let payload = s.submit(&app, input).await;
    assert_eq!(codes(&payload), ["FINDING_ITEM_NOT_IN_CHECKLIST"]);
    assert_eq!(payload["userErrors"][0]["field"], "findings[1].itemId");
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
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
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
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
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
async fn idempotency__fifty_racing_retries_store_one_and_fifty_keys_store_fifty() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let s = std::sync::Arc::new(setup(&app).await);
    // Given 50 concurrent submissions of one key
    let mut input = s.inspection();
    input["idempotencyKey"] = json!("race-same-key");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, s, input) = (app.clone(), s.clone(), input.clone());
            tokio::spawn(async move { s.submit(&app, input).await["inspection"]["id"].clone() })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().to_string());
    }
    // Then all got the same inspection, stored once
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(s.inspection_count(&app).await, 1);

    // Given 50 concurrent submissions with different keys
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, s) = (app.clone(), s.clone());
            let mut input = s.inspection();
            input["idempotencyKey"] = json!(format!("race-key-{i}"));
            tokio::spawn(async move { s.submit(&app, input).await["inspection"]["id"].clone() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_string());
    }
    assert_eq!(s.inspection_count(&app).await, 51);
}
