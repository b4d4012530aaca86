use qingdan_tests::first_user_error_message;
use serde_json::json;

use super::{ISSUE, codes, spawn_with_setup};

#[tokio::test]
async fn document__each_missing_content_is_reported_on_its_own() {
    let (app, s) = spawn_with_setup().await;
    let inspection = s.submitted(&app).await;
    // Given a notice with none of the five required contents
    let input =
        json!({ "inspectionId": inspection, "kind": "NOTICE", "measure": "ORDER_CORRECTION" });
    let body = app
        .post_as(&s.supervisor, ISSUE, json!({ "input": input }))
        .await;
    let payload = &body["data"]["issueSupervisionDocument"];
    // Then each content is its own userError, and nothing is stored
    let fields: Vec<String> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(crate::boundary_editing::field)
        .collect();
    assert_eq!(
        fields,
        [
            "inspectedUnit",
            "factsAndReasons",
            "decisionAndBasis",
            "executionMethod",
            "executionDeadline",
            "issuingBody",
            "issuedOn",
            "sealed"
        ]
    );
    assert_eq!(
        codes(payload)
            .iter()
            .filter(|c| *c == "DOCUMENT_CONTENT_MISSING")
            .count(),
        7
    );
    assert!(codes(payload).contains(&"DEADLINE_REQUIRED".to_owned()));
    assert!(payload["document"].is_null());
    let docs = app
        .query_as(
            &s.supervisor,
            "{ supervisionDocuments(first: 10) { totalCount } }",
        )
        .await;
    assert_eq!(docs["data"]["supervisionDocuments"]["totalCount"], 0);
}

#[tokio::test]
async fn document__needs_a_noncompliant_finding() {
    let (app, s) = spawn_with_setup().await;
    let mut input = s.inspection();
    input["findings"][0]["outcome"] = json!("COMPLIANT");
    let inspection = s.submit(&app, input).await;
    assert_eq!(inspection["inspection"]["status"], "CLOSED");
    let id = inspection["inspection"]["id"].as_str().unwrap();
    let body = app
        .post_as(&s.supervisor, ISSUE, json!({ "input": s.notice(id) }))
        .await;
    assert_eq!(
        codes(&body["data"]["issueSupervisionDocument"]),
        ["NO_NONCOMPLIANCE"]
    );
}

#[tokio::test]
async fn document__a_revocation_is_a_decision_not_a_notice() {
    let (app, s) = spawn_with_setup().await;
    let id = s.submitted(&app).await;
    let mut input = s.notice(&id);
    input["measure"] = json!("REVOKE");
    let body = app
        .post_as(&s.supervisor, ISSUE, json!({ "input": input.clone() }))
        .await;
    let payload = &body["data"]["issueSupervisionDocument"];
    assert_eq!(codes(payload), ["MEASURE_KIND_MISMATCH"]);
    assert!(first_user_error_message(payload).contains("《行政执法监督决定书》"));
    // As a decision it is accepted, and needs no deadline
    input["kind"] = json!("DECISION");
    input["executionDeadline"] = json!(null);
    let body = app
        .mutate_as(&s.supervisor, ISSUE, "issueSupervisionDocument", input)
        .await;
    assert_eq!(body["document"]["kind"], "DECISION");
}

#[tokio::test]
async fn document__deadlines_and_status_follow_the_clock() {
    let (app, s) = spawn_with_setup().await;
    let (inspection, document) = s.noticed(&app).await;
    let query = "query($id: ID!) { node(id: $id) { ... on SupervisionDocument { status dueOn daysLeft overdue reviewDueOn } } }";
    let read = |day: &str| {
        app.clock.set_date(day.parse().unwrap());
        app.post_as(&s.supervisor, query, json!({ "id": document }))
    };
    // Received 20 July: review may be requested until 30 July (10 natural days)
    let doc = read("2016-07-30").await["data"]["node"].clone();
    assert_eq!(doc["status"], "DOCUMENT_ISSUED");
    assert_eq!(doc["reviewDueOn"], "2016-07-30");
    assert_eq!(doc["dueOn"], "2016-08-31");
    assert_eq!(doc["daysLeft"], 32);
    let doc = read("2016-07-31").await["data"]["node"].clone();
    assert_eq!(doc["status"], "RECTIFYING");
    let doc = read("2016-09-01").await["data"]["node"].clone();
    assert_eq!(
        (
            doc["status"].as_str(),
            doc["overdue"].as_bool(),
            doc["daysLeft"].as_i64()
        ),
        (Some("OVERDUE"), Some(true), Some(-1))
    );
    // The inspection carries its document's state, and the overdue filter finds it
    let overdue = app
        .query_as(
            &s.supervisor,
            "{ inspections(first: 10, filter: { overdue: true }) { nodes { id status } } }",
        )
        .await;
    assert_eq!(
        overdue["data"]["inspections"]["nodes"],
        json!([{ "id": inspection, "status": "OVERDUE" }])
    );
}
