use qingdan_tests::{TestApp, assert_no_user_errors, first_user_error_message};
use serde_json::{Value, json};

use super::{Setup, codes, spawn_with_setup};

const REQUEST: &str = r#"mutation($input: RequestReviewInput!) {
  requestReview(input: $input) { reviewRequest { id requestedOn decisionDueOn } userErrors { field code message } }
}"#;

const DECIDE: &str = r#"mutation($input: DecideReviewInput!) {
  decideReview(input: $input) { reviewRequest { id outcome decidedOn decidedLate } userErrors { field code message } }
}"#;

const RECTIFY: &str = r#"mutation($input: ReportRectificationInput!) {
  reportRectification(input: $input) { rectification { id content } userErrors { field code message } }
}"#;

/// The unit requests a review of `document`, as of `day`; returns the requestReview payload.
async fn request_review(app: &TestApp, s: &Setup, document: &str, day: &str) -> Value {
    let input =
        json!({ "documentId": document, "requestedOn": day, "reasons": "认定事实有误，申请复查" });
    let body = app
        .post_as(&s.unit, REQUEST, json!({ "input": input }))
        .await;
    body["data"]["requestReview"].clone()
}

/// A noticed inspection whose review the unit requested on 25 July, seen on 30 August.
struct ReviewRequested {
    app: TestApp,
    s: Setup,
    inspection: String,
    document: String,
    review_id: String,
}

async fn review_requested_on_25_july() -> ReviewRequested {
    let (app, s) = spawn_with_setup().await;
    let (inspection, document) = s.noticed(&app).await;
    app.clock.set_date("2016-08-30".parse().unwrap());
    let review_id = request_review(&app, &s, &document, "2016-07-25").await["reviewRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ReviewRequested {
        app,
        s,
        inspection,
        document,
        review_id,
    }
}

/// The inspection's status, as its supervisor reads it.
async fn inspection_status(app: &TestApp, s: &Setup, inspection: &str) -> Value {
    let status = "query($id: ID!) { node(id: $id) { ... on Inspection { status } } }";
    let read = app
        .post_as(&s.supervisor, status, json!({ "id": inspection }))
        .await;
    read["data"]["node"]["status"].clone()
}

#[tokio::test]
async fn review_request__eleventh_day_is_rejected() {
    // Given a notice received on 20 July
    let (app, s) = spawn_with_setup().await;
    let (_, document) = s.noticed(&app).await;
    app.clock.set_date("2016-08-05".parse().unwrap());
    // When the unit contests it on the 11th day
    let payload = request_review(&app, &s, &document, "2016-07-31").await;
    // Then it is refused, citing the clause
    assert_eq!(codes(&payload), ["REVIEW_REQUEST_LATE"]);
    assert!(
        first_user_error_message(&payload).contains("10 日内"),
        "{payload}"
    );
    assert!(payload["reviewRequest"].is_null());
    // But on the 10th day it is accepted, with the decision due 15 days later
    let payload = request_review(&app, &s, &document, "2016-07-30").await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["reviewRequest"]["decisionDueOn"], "2016-08-14");
    // And a second request on the same document is refused
    let payload = request_review(&app, &s, &document, "2016-07-30").await;
    assert_eq!(codes(&payload), ["REVIEW_ALREADY_REQUESTED"]);
}

#[tokio::test]
async fn review_decision__sixteenth_day_is_marked_late() {
    let ReviewRequested {
        app,
        s,
        inspection,
        review_id,
        ..
    } = review_requested_on_25_july().await;
    assert_eq!(
        inspection_status(&app, &s, &inspection).await,
        "REVIEW_REQUESTED"
    );
    // Requested 25 July: the decision was due by 9 August; it comes on the 16th day
    let decide = json!({ "input": { "reviewId": review_id, "outcome": "UPHELD", "decision": "维持原通知", "decidedOn": "2016-08-10" } });
    let body = app.post_as(&s.supervisor, DECIDE, decide.clone()).await;
    let payload = &body["data"]["decideReview"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert_eq!(payload["reviewRequest"]["decidedLate"], true);
    // And a review is decided once
    let body = app.post_as(&s.supervisor, DECIDE, decide).await;
    assert_eq!(
        codes(&body["data"]["decideReview"]),
        ["REVIEW_ALREADY_DECIDED"]
    );
    assert_eq!(
        inspection_status(&app, &s, &inspection).await,
        "REVIEW_DECIDED"
    );
}

#[tokio::test]
async fn review_decision__on_the_fifteenth_day_is_on_time_and_revocation_closes() {
    let ReviewRequested {
        app,
        s,
        inspection,
        document,
        review_id,
    } = review_requested_on_25_july().await;
    let decide = json!({ "input": { "reviewId": review_id, "outcome": "REVOKED", "decision": "撤销原通知", "decidedOn": "2016-08-09" } });
    let body = app.post_as(&s.supervisor, DECIDE, decide).await;
    assert_eq!(
        body["data"]["decideReview"]["reviewRequest"]["decidedLate"],
        false
    );
    assert_eq!(inspection_status(&app, &s, &inspection).await, "CLOSED");
    // A revoked document needs no rectification
    let rectify = json!({ "input": { "documentId": document, "reportedOn": "2016-08-20", "content": "已整改" } });
    let body = app.post_as(&s.unit, RECTIFY, rectify).await;
    assert_eq!(
        codes(&body["data"]["reportRectification"]),
        ["DOCUMENT_REVOKED"]
    );
}

#[tokio::test]
async fn rectification__reported_by_the_addressed_unit_closes_the_case() {
    let (app, s) = spawn_with_setup().await;
    let (inspection, document) = s.noticed(&app).await;
    app.clock.set_date("2016-08-20".parse().unwrap());
    let rectify = json!({ "input": { "documentId": document, "reportedOn": "2016-08-18", "content": "已在办公场所公示执法主体资格" } });
    // Another unit may not answer for it
    let other = app.unit_token("药具站赵六", "药具站").await;
    assert_eq!(
        app.gql_error_code_as(&other, RECTIFY, rectify.clone())
            .await,
        "FORBIDDEN"
    );
    // The addressed unit may
    let body = app.post_as(&s.unit, RECTIFY, rectify).await;
    assert_no_user_errors(&body, "reportRectification");
    app.clock.set_date("2016-09-10".parse().unwrap());
    let read = app
        .post_as(
            &s.supervisor,
            "query($id: ID!) { node(id: $id) { ... on Inspection { status overdue } } }",
            json!({ "id": inspection }),
        )
        .await;
    assert_eq!(
        read["data"]["node"],
        json!({ "status": "RECTIFIED", "overdue": false })
    );
}

#[tokio::test]
async fn accountability__fault_situations_against_forms() {
    let (app, s) = spawn_with_setup().await;
    let (inspection, _) = s.noticed(&app).await;
    let record = r#"mutation($input: RecordAccountabilityInput!) {
      recordAccountability(input: $input) { accountability { staffName situations { label } forms { label } } userErrors { field code } }
    }"#;
    // Situation 9 (无法定依据…实施行政处罚的) with forms 1 and 2 combined
    let input = json!({
        "inspectionId": inspection, "subjectKind": "STAFF", "staffName": "某执法人员",
        "situationItemIds": [s.handling["1.9"]], "formItemIds": [s.handling["2.1"], s.handling["2.2"]]
    });
    let body = app
        .post_as(&s.supervisor, record, json!({ "input": input }))
        .await;
    let payload = &body["data"]["recordAccountability"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert_eq!(
        payload["accountability"]["forms"].as_array().unwrap().len(),
        2
    );
    // A checklist item is not a fault situation, and a situation is not a form
    let input = json!({
        "inspectionId": inspection, "subjectKind": "STAFF", "staffName": "某执法人员",
        "situationItemIds": [s.checklist[0]], "formItemIds": [s.handling["1.1"]]
    });
    let body = app
        .post_as(&s.supervisor, record, json!({ "input": input }))
        .await;
    assert_eq!(
        codes(&body["data"]["recordAccountability"]),
        ["SITUATION_NOT_IN_REGIME", "FORM_NOT_IN_REGIME"]
    );
}

#[tokio::test]
async fn accountability__a_subject_without_its_department_or_name_is_a_user_error_on_that_field() {
    let (app, s) = spawn_with_setup().await;
    let (inspection, _) = s.noticed(&app).await;
    let record = r#"mutation($input: RecordAccountabilityInput!) {
      recordAccountability(input: $input) { accountability { id } userErrors { field code } }
    }"#;
    let input = |subject: Value| {
        let mut input = json!({ "inspectionId": inspection,
            "situationItemIds": [s.handling["1.9"]], "formItemIds": [s.handling["2.1"]] });
        input
            .as_object_mut()
            .unwrap()
            .extend(subject.as_object().unwrap().clone());
        json!({ "input": input })
    };
    // A unit held accountable but not named, one that does not exist, a staff member unnamed:
    // each a user error on the input field at fault, nothing recorded
    for (subject, field, code) in [
        (json!({ "subjectKind": "UNIT" }), "departmentId", "REQUIRED"),
        (
            json!({ "subjectKind": "UNIT", "departmentId": qingdan::ids::department(999_999) }),
            "departmentId",
            "DEPARTMENT_UNKNOWN",
        ),
        (
            json!({ "subjectKind": "STAFF", "staffName": " " }),
            "staffName",
            "SUBJECT_REQUIRED",
        ),
    ] {
        let body = app.post_as(&s.supervisor, record, input(subject)).await;
        assert!(body["errors"].is_null(), "{body}");
        let payload = &body["data"]["recordAccountability"];
        assert_eq!(
            payload["userErrors"],
            json!([{ "field": [field], "code": code }]),
            "{body}"
        );
        assert!(payload["accountability"].is_null(), "{body}");
    }
    // And a unit named by its department is recorded
    let unit = app.department_id("政策法规股").await;
    let named = json!({ "subjectKind": "UNIT", "departmentId": unit });
    let body = app.post_as(&s.supervisor, record, input(named)).await;
    assert_no_user_errors(&body, "recordAccountability");
}

#[tokio::test]
async fn stats__count_findings_documents_and_reviews() {
    let (app, s) = spawn_with_setup().await;
    let (_, document) = s.noticed(&app).await;
    s.submit(&app, s.inspection()).await;
    app.clock.set_date("2016-09-05".parse().unwrap());
    request_review(&app, &s, &document, "2016-07-22").await;
    let body = app
        .post_as(
            &s.supervisor,
            "query($d: ID) { supervisionStats(departmentId: $d) { inspections findingsByOutcome { key count }
               documentsByKind { key count } overdueRectifications reviewsByOutcome { key count } } }",
            json!({ "d": s.target }),
        )
        .await;
    let stats = &body["data"]["supervisionStats"];
    assert_eq!(stats["inspections"], 2);
    assert_eq!(
        stats["findingsByOutcome"],
        json!([{ "key": "COMPLIANT", "count": 2 }, { "key": "NONCOMPLIANT", "count": 2 }])
    );
    assert_eq!(
        stats["documentsByKind"],
        json!([{ "key": "NOTICE", "count": 1 }])
    );
    assert_eq!(
        stats["reviewsByOutcome"],
        json!([{ "key": "PENDING", "count": 1 }])
    );
    // A pending review suspends the deadline
    assert_eq!(stats["overdueRectifications"], 0);
}
