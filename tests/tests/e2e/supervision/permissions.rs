//! Who may do what: the permission matrix, and the audit trail of every write.

use qingdan::auth::Role;
use qingdan_tests::{TestApp, assert_refused_with};
use serde_json::json;

use super::{SUBMIT, assert_hidden_from_other_units_and_anonymous, spawn_with_setup};

#[tokio::test]
async fn permissions__only_supervisors_submit() {
    let (app, s) = spawn_with_setup().await;
    let input = json!({ "input": s.inspection() });
    // Anonymous
    assert_eq!(
        app.gql_error_code(SUBMIT, input.clone()).await,
        "UNAUTHENTICATED"
    );
    // A unit, an editor
    for role in [Role::Unit, Role::Editor] {
        let token = app.token("someone", &[role], Some(&s.target));
        let body = app.post_as(&token, SUBMIT, input.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{role:?}"
        );
    }
    // An administrator may
    let admin = app.token("管理员", &[Role::Admin], None);
    let body = app.post_as(&admin, SUBMIT, input).await;
    assert!(
        body["data"]["submitInspection"]["inspection"]["id"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn permissions__a_bad_token_is_refused_not_anonymous() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql_request()
        .bearer_auth("not-a-token")
        .json(&json!({ "query": "{ departments(first: 1) { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_refused_with(response, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn permissions__a_unit_reads_only_its_own_results() {
    let (app, s) = spawn_with_setup().await;
    s.submit(&app, s.inspection()).await;
    let query = "{ inspections(first: 10) { totalCount } }";
    // The inspected unit sees its inspection
    let own = app.query_as(&s.unit, query).await;
    assert_eq!(own["data"]["inspections"]["totalCount"], 1);
    // Another unit sees none, and anonymous callers see nothing at all
    assert_hidden_from_other_units_and_anonymous(&app, query).await;
}

#[tokio::test]
async fn audit__every_write_is_recorded_and_only_admins_read_it() {
    let (app, s) = spawn_with_setup().await;
    s.noticed(&app).await;
    let query =
        "{ auditEvents(first: 10) { totalCount nodes { actor operation entity entityId after } } }";
    assert_eq!(
        app.gql_error_code_as(&s.supervisor, query, json!({})).await,
        "FORBIDDEN"
    );
    let admin = app.token("管理员", &[Role::Admin], None);
    let body = app.query_as(&admin, query).await;
    let events = body["data"]["auditEvents"]["nodes"].as_array().unwrap();
    let operations: Vec<&str> = events
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert!(
        operations.ends_with(&["submitInspection", "issueSupervisionDocument"]),
        "{operations:?}"
    );
    let submitted = events
        .iter()
        .find(|e| e["operation"] == "submitInspection")
        .unwrap();
    assert_eq!(submitted["actor"], "法制监督员李四");
    assert_eq!(submitted["after"]["record"], s.inspection()["record"]);
    // A refused write leaves no event
    let mut input = s.inspection();
    input["inspectors"] = json!([]);
    s.submit(&app, input).await;
    let again = app.query_as(&admin, query).await;
    assert_eq!(
        again["data"]["auditEvents"]["totalCount"],
        body["data"]["auditEvents"]["totalCount"]
    );
}

#[tokio::test]
async fn calendar__only_administrators_load_it() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let load = r#"mutation($input: LoadCalendarInput!) { loadCalendar(input: $input) { loaded userErrors { code } } }"#;
    let days = json!({ "input": { "days": [{ "day": "2016-10-03", "working": false, "note": "国庆节" }] } });
    let supervisor = app.token("s", &[Role::Supervisor], None);
    assert_eq!(
        app.gql_error_code_as(&supervisor, load, days.clone()).await,
        "FORBIDDEN"
    );
    let body = app.post_as(&admin, load, days).await;
    assert_eq!(body["data"]["loadCalendar"]["loaded"], 1);
}
