//! The derived status is filtered by the database: the filters must pick exactly the records
//! whose `status` and `overdue` fields say so, on every status and on either side of each
//! deadline.

use std::collections::{BTreeMap, BTreeSet};

use qingdan_tests::TestApp;
use serde_json::{Value, json};

use super::{ISSUE, codes, spawn_with_setup};

const STATUSES: [&str; 8] = [
    "SUBMITTED",
    "DOCUMENT_ISSUED",
    "RECTIFYING",
    "RECTIFIED",
    "OVERDUE",
    "REVIEW_REQUESTED",
    "REVIEW_DECIDED",
    "CLOSED",
];

async fn ok(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    let body = app.post_as(token, query, json!({ "input": input })).await;
    let payload = body["data"]
        .as_object()
        .and_then(|d| d.values().next())
        .cloned();
    let payload = payload.unwrap_or_else(|| panic!("{body:#}"));
    assert!(codes(&payload).is_empty(), "{body:#}");
    payload
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn status_filters__pick_what_the_status_fields_say() {
    let (app, s) = spawn_with_setup().await;
    app.clock.set_date("2016-07-25".parse().unwrap());
    let (sup, unit) = (s.supervisor.clone(), s.unit.clone());

    // Every kind of case: all compliant; noncompliant without a document; a notice alone;
    // rectified; review pending; review upheld; review revoked; a decision without deadline.
    let mut compliant = s.inspection();
    compliant["findings"][0]["outcome"] = json!("COMPLIANT");
    s.submit(&app, compliant).await;
    s.submit(&app, s.inspection()).await;
    let (_, _notice) = s.noticed(&app).await;
    let (_, rectified) = s.noticed(&app).await;
    let rectify = "mutation($input: ReportRectificationInput!) { reportRectification(input: $input) { userErrors { field code message } } }";
    ok(&app, &unit, rectify, json!({ "documentId": rectified, "content": "已公示执法主体资格", "reportedOn": "2016-07-25" })).await;
    let request = "mutation($input: RequestReviewInput!) { requestReview(input: $input) { reviewRequest { id } userErrors { field code message } } }";
    let decide = "mutation($input: DecideReviewInput!) { decideReview(input: $input) { userErrors { field code message } } }";
    let mut reviews = Vec::new();
    for _ in 0..3 {
        let (_, document) = s.noticed(&app).await;
        let payload = ok(&app, &unit, request, json!({ "documentId": document, "requestedOn": "2016-07-22", "reasons": "认定事实有误，申请复查" })).await;
        reviews.push(payload["reviewRequest"]["id"].as_str().unwrap().to_owned());
    }
    for (review, outcome) in reviews[1..].iter().zip(["UPHELD", "REVOKED"]) {
        ok(&app, &sup, decide, json!({ "reviewId": review, "outcome": outcome, "decision": "复查决定", "decidedOn": "2016-07-25" })).await;
    }
    let inspection = s.submit(&app, s.inspection()).await;
    let mut decision = s.notice(inspection["inspection"]["id"].as_str().unwrap());
    decision["kind"] = json!("DECISION");
    decision["measure"] = json!("CONFIRM_ILLEGAL");
    decision["executionDeadline"] = json!(null);
    ok(&app, &sup, ISSUE, decision).await;

    let filtered: String = STATUSES
        .iter()
        .map(|status| format!("{status}: inspections(first: 100, filter: {{ status: {status} }}) {{ nodes {{ id }} }} "))
        .collect();
    let query = format!(
        "{{ all: inspections(first: 100) {{ nodes {{ id status overdue }} }} {filtered} \
         late: inspections(first: 100, filter: {{ overdue: true }}) {{ nodes {{ id }} }} \
         onTime: inspections(first: 100, filter: {{ overdue: false }}) {{ nodes {{ id }} }} \
         documents: supervisionDocuments(first: 100) {{ nodes {{ id overdue }} }} \
         lateDocuments: supervisionDocuments(first: 100, filter: {{ overdue: true }}) {{ nodes {{ id }} }} \
         onTimeDocuments: supervisionDocuments(first: 100, filter: {{ overdue: false }}) {{ nodes {{ id }} }} }}"
    );
    let mut seen = BTreeSet::new();
    // Within the review window, past it, and past the notices' deadline.
    for day in ["2016-07-26", "2016-08-05", "2016-09-01"] {
        app.clock.set_date(day.parse().unwrap());
        let body = app.query_as(&sup, &query).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        let data = &body["data"];
        let mut by_status: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let (mut late, mut on_time) = (BTreeSet::new(), BTreeSet::new());
        for node in data["all"]["nodes"].as_array().unwrap() {
            let id = node["id"].as_str().unwrap().to_owned();
            by_status
                .entry(node["status"].as_str().unwrap())
                .or_default()
                .insert(id.clone());
            match node["overdue"].as_bool().unwrap() {
                true => late.insert(id),
                false => on_time.insert(id),
            };
        }
        assert_eq!(
            by_status.values().map(BTreeSet::len).sum::<usize>(),
            8,
            "{day}"
        );
        for status in STATUSES {
            let expected = by_status.get(status).cloned().unwrap_or_default();
            assert_eq!(ids(&data[status]), expected, "status {status} on {day}");
        }
        assert_eq!(ids(&data["late"]), late, "overdue inspections on {day}");
        assert_eq!(
            ids(&data["onTime"]),
            on_time,
            "inspections on time on {day}"
        );
        let (mut late, mut on_time) = (BTreeSet::new(), BTreeSet::new());
        for node in data["documents"]["nodes"].as_array().unwrap() {
            let id = node["id"].as_str().unwrap().to_owned();
            match node["overdue"].as_bool().unwrap() {
                true => late.insert(id),
                false => on_time.insert(id),
            };
        }
        assert_eq!(
            ids(&data["lateDocuments"]),
            late,
            "overdue documents on {day}"
        );
        assert_eq!(
            ids(&data["onTimeDocuments"]),
            on_time,
            "documents on time on {day}"
        );
        seen.extend(by_status.keys().map(|s| s.to_string()));
    }
    // The cases above reach every status, so every branch of the filter was compared.
    assert_eq!(seen, STATUSES.iter().map(|s| s.to_string()).collect());
}

#[tokio::test]
async fn status_filters__keep_a_unit_to_its_own_records() {
    let (app, s) = spawn_with_setup().await;
    app.clock.set_date("2016-07-25".parse().unwrap());
    s.noticed(&app).await;
    app.clock.set_date("2016-09-01".parse().unwrap());
    let query = "{ inspections(first: 100, filter: { status: OVERDUE }) { nodes { id } } \
                 supervisionDocuments(first: 100, filter: { overdue: true }) { nodes { id } } }";
    let own = app.query_as(&s.unit, query).await;
    assert_eq!(ids(&own["data"]["inspections"]).len(), 1, "{own:#}");
    assert_eq!(
        ids(&own["data"]["supervisionDocuments"]).len(),
        1,
        "{own:#}"
    );
    // Another unit's token sees none of them.
    let other_dept = app.department_id("宣传站").await;
    let other = app.token(
        "宣传站职员",
        &[qingdan::auth::Role::Unit],
        Some(&other_dept),
    );
    let theirs = app.query_as(&other, query).await;
    assert_eq!(ids(&theirs["data"]["inspections"]).len(), 0, "{theirs:#}");
    assert_eq!(
        ids(&theirs["data"]["supervisionDocuments"]).len(),
        0,
        "{theirs:#}"
    );
}
