//! Dispatchers' corrections of the lookup (派单异议): stored, audited, listed with what the
//! lookup answers today, and exported as evaluation rows.

use qingdan::auth::Role;
use qingdan_tests::TestApp;
use serde_json::{Value, json};

const REPORT: &str = r#"mutation($input: ReportMisrouteInput!) { reportMisroute(input: $input) {
  misroute { id text note reportedBy suggestedDepartment { name } correctDepartment { name } }
  userErrors { field code message } } }"#;

async fn department_id(app: &TestApp, name: &str) -> Value {
    app.gql(
        "query($n: String!) { department(name: $n) { id } }",
        json!({ "n": name }),
    )
    .await["department"]["id"]
        .clone()
}

#[tokio::test]
async fn misroute__a_dispatcher_records_a_correction_listed_with_todays_answer() {
    let app = TestApp::spawn().await;
    let bureau = department_id(&app, "安化县人口和计划生育局").await;
    let police = department_id(&app, "安化县公安局").await;
    let dispatcher = app.token("12345话务员王五", &[Role::Dispatcher], None);
    // When a dispatcher reports a complaint the lookup sent to the bureau, but 公安局 handled
    let input = json!({ "text": " 外地租客跟房东打起来了 ", "suggestedDepartmentId": bureau,
                        "correctDepartmentId": police, "note": "治安纠纷归派出所" });
    let saved = app
        .post_as(&dispatcher, REPORT, json!({ "input": input }))
        .await;
    // Then it is stored as sent (text trimmed), with who reported it
    let payload = &saved["data"]["reportMisroute"];
    assert_eq!(payload["userErrors"], json!([]), "{saved}");
    assert_eq!(payload["misroute"]["text"], "外地租客跟房东打起来了");
    assert_eq!(payload["misroute"]["reportedBy"], "12345话务员王五");
    assert_eq!(
        payload["misroute"]["correctDepartment"]["name"],
        "安化县公安局"
    );
    assert_eq!(
        payload["misroute"]["suggestedDepartment"]["name"],
        "安化县人口和计划生育局"
    );
    // And it is listed for administrators with what the lookup answers for it today
    let admin = app.token("管理员", &[Role::Admin], None);
    let listed = app
        .query_as(&admin, "{ misroutes(first: 10) { totalCount nodes { id text lookupToday { outcome candidates { department { name } } } } } }")
        .await;
    let page = &listed["data"]["misroutes"];
    assert_eq!(page["totalCount"], 1, "{listed}");
    assert_ne!(
        page["nodes"][0]["lookupToday"]["outcome"],
        Value::Null,
        "{listed}"
    );
    // And it is reachable as a node by its id, for dispatchers only
    let id = page["nodes"][0]["id"].clone();
    let node = "query($id: ID!) { node(id: $id) { ... on Misroute { text } } }";
    let seen = app.post_as(&dispatcher, node, json!({ "id": id })).await;
    assert_eq!(
        seen["data"]["node"]["text"], "外地租客跟房东打起来了",
        "{seen}"
    );
    assert_eq!(
        app.gql(node, json!({ "id": id })).await["node"],
        Value::Null
    );
    // And the write is in the audit log
    let audit = app
        .query_as(&admin, r#"{ auditEvents(first: 5, filter: {operation: "reportMisroute"}) { totalCount nodes { actor } } }"#)
        .await;
    assert_eq!(audit["data"]["auditEvents"]["totalCount"], 1, "{audit}");
    // And it exports as an evaluation row labelled with the correct department
    let rows = qingdan::domain::misroute::as_eval_rows(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].starts_with("test\t安化县公安局\t外地租客跟房东打起来了\t"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn misroute__rules_and_roles() {
    let app = TestApp::spawn().await;
    let police = department_id(&app, "安化县公安局").await;
    let input = json!({ "text": "外地租客打架", "correctDepartmentId": police });
    // When an anonymous caller or an editor reports
    let code = app.gql_error_code(REPORT, json!({ "input": input })).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let editor = app.token("编辑", &[Role::Editor], None);
    assert_eq!(
        app.gql_error_code_as(&editor, REPORT, json!({ "input": input }))
            .await,
        "FORBIDDEN"
    );
    // And nobody but dispatchers and administrators reads the corrections
    assert_eq!(
        app.gql_error_code_as(&editor, "{ misroutes(first: 1) { totalCount } }", json!({}))
            .await,
        "FORBIDDEN"
    );

    let dispatcher = app.token("话务员", &[Role::Dispatcher], None);
    let report = |input: Value| {
        let (app, dispatcher) = (&app, &dispatcher);
        async move {
            app.post_as(dispatcher, REPORT, json!({ "input": input }))
                .await["data"]["reportMisroute"]
                .clone()
        }
    };
    // When the correction names the department the lookup suggested
    let same = report(
        json!({ "text": "外地租客打架", "suggestedDepartmentId": police,
                              "correctDepartmentId": police }),
    )
    .await;
    assert_eq!(same["userErrors"][0]["code"], "SAME_DEPARTMENT", "{same}");
    // When the text is blank, holds control characters or is too long
    let long = "打".repeat(2_001);
    for (text, code) in [
        ("  ", "REQUIRED"),
        ("打架\u{0}", "TEXT_INVALID"),
        (long.as_str(), "TEXT_TOO_LONG"),
    ] {
        let bad = report(json!({ "text": text, "correctDepartmentId": police })).await;
        assert_eq!(bad["userErrors"][0]["field"], json!(["text"]), "{bad}");
        assert_eq!(bad["userErrors"][0]["code"], code, "{bad}");
    }
    // When the department does not exist
    let unknown = report(json!({ "text": "外地租客打架",
                                 "correctDepartmentId": qingdan::ids::department(999_999) }))
    .await;
    assert_eq!(
        unknown["userErrors"][0]["code"], "DEPARTMENT_UNKNOWN",
        "{unknown}"
    );
    // Then nothing was stored
    let admin = app.token("管理员", &[Role::Admin], None);
    let listed = app
        .query_as(&admin, "{ misroutes(first: 1) { totalCount } }")
        .await;
    assert_eq!(listed["data"]["misroutes"]["totalCount"], 0, "{listed}");
}
