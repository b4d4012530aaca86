//! The consistency report (清单问题): each check fires on a list seeded with its problem.

use qingdan::auth::Role;
use qingdan_tests::TestApp;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const ISSUES: &str = "{ listIssues { kind message rowIds } }";

async fn issues(app: &TestApp) -> Vec<Value> {
    let editor = app.token("编辑", &[Role::Editor], None);
    let body = app.query_as(&editor, ISSUES).await;
    body["data"]["listIssues"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

/// Changes rows behind the API's back, as a faulty edit or a hand-made file would.
async fn sql(app: &TestApp, statement: &str) {
    app.db.execute_unprepared(statement).await.unwrap();
}

/// The kinds of the issues found, in the report's order.
fn kinds(found: &[Value]) -> Vec<&str> {
    found.iter().map(|i| i["kind"].as_str().unwrap()).collect()
}

const DEPT: &str = "(SELECT id FROM department WHERE name = ";

#[tokio::test]
async fn list_issues__the_anhua_list_as_published_has_none() {
    let app = TestApp::spawn().await;
    assert_eq!(issues(&app).await, Vec::<Value>::new());
}

#[tokio::test]
async fn list_issues__each_seeded_problem_is_reported_with_its_rows() {
    let app = TestApp::spawn().await;
    // Given the Anhua list with one of each problem
    // 流动人口管理 loses its lead; 两非 gains a second one
    sql(&app, "UPDATE division SET role = 'ASSIST' WHERE role = 'LEAD' AND matter_id = (SELECT id FROM boundary_matter WHERE title = '流动人口管理')").await;
    sql(&app, &format!("UPDATE division SET role = 'LEAD' WHERE department_id = {DEPT}'安化县公安局') AND matter_id = (SELECT id FROM boundary_matter WHERE title = '“两非”案件的调查处理')")).await;
    // 公安局 gets a duty whose work item repeats one of the bureau's, word for word
    sql(&app, &format!("INSERT INTO duty (list_id, version_id, department_id, seq, text) SELECT list_id, version_id, {DEPT}'安化县公安局'), 11, '重复的职责' FROM duty WHERE seq = 1")).await;
    sql(&app, "INSERT INTO work_item (duty_id, version_id, seq, text) SELECT (SELECT id FROM duty WHERE text = '重复的职责'), version_id, 1, text FROM work_item WHERE id = (SELECT MIN(id) FROM work_item)").await;
    // a service moves to a department outside the bureau; another takes 宣传站's phone
    sql(
        &app,
        &format!(
            "UPDATE public_service SET unit_id = {DEPT}'安化县公安局') WHERE name = '生育政策咨询'"
        ),
    )
    .await;
    sql(
        &app,
        "UPDATE public_service SET phone = '13511106173' WHERE name = '计划生育药具免费发放'",
    )
    .await;

    // When an editor asks for the report
    let found = issues(&app).await;

    // Then each problem is reported once, by kind, naming its rows
    assert_eq!(
        kinds(&found),
        [
            "MATTER_WITHOUT_LEAD",
            "MATTER_WITH_SEVERAL_LEADS",
            "DUPLICATE_WORK_ITEM",
            "SERVICE_UNIT_OUTSIDE_LIST",
            "PHONE_SHARED_BY_UNITS"
        ],
        "{found:#?}"
    );
    let message = |kind: &str| {
        found.iter().find(|i| i["kind"] == kind).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message("MATTER_WITHOUT_LEAD").contains("流动人口管理"));
    assert!(message("MATTER_WITH_SEVERAL_LEADS").contains("安化县公安局"));
    assert!(message("SERVICE_UNIT_OUTSIDE_LIST").contains("生育政策咨询"));
    assert!(message("PHONE_SHARED_BY_UNITS").contains("13511106173"));
    let duplicate = found
        .iter()
        .find(|i| i["kind"] == "DUPLICATE_WORK_ITEM")
        .unwrap();
    assert_eq!(duplicate["rowIds"].as_array().unwrap().len(), 2);
    // And every row id resolves to a row of the named kind
    for issue in &found {
        for id in issue["rowIds"].as_array().unwrap() {
            let node = app
                .gql(
                    "query($id: ID!) { node(id: $id) { __typename } }",
                    json!({ "id": id }),
                )
                .await;
            assert!(!node["node"].is_null(), "{issue}");
        }
    }
}

#[tokio::test]
async fn list_issues__a_disputed_matter_may_have_no_lead() {
    let app = TestApp::spawn().await;
    // Given a matter with no lead that is marked disputed (有争议)
    sql(&app, "UPDATE division SET role = 'ASSIST' WHERE role = 'LEAD' AND matter_id = (SELECT id FROM boundary_matter WHERE title = '流动人口管理')").await;
    sql(
        &app,
        "UPDATE boundary_matter SET disputed = TRUE WHERE title = '流动人口管理'",
    )
    .await;
    // Then the report does not call it a fault
    assert_eq!(issues(&app).await, Vec::<Value>::new());
}

#[tokio::test]
async fn list_issues__is_for_editors_and_admins() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.gql_error_code(ISSUES, json!({})).await,
        "UNAUTHENTICATED"
    );
    let supervisor = app.token("督查", &[Role::Supervisor], None);
    assert_eq!(
        app.gql_error_code_as(&supervisor, ISSUES, json!({})).await,
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn list_issues__reorganisations_are_reported_for_republication() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let reorganise = r#"mutation($input: ReorganiseDepartmentInput!) {
      reorganiseDepartment(input: $input) { userErrors { code } } }"#;
    // Given the bureau merged into the health commission, and its 药具站 into 宣传站
    for (dept, successor) in [
        ("安化县人口和计划生育局", "安化县卫生健康局"),
        ("药具站", "宣传站"),
    ] {
        let input = json!({ "departmentId": app.department_id(dept).await, "kind": "MERGE",
                            "effectiveFrom": "2019-03-01", "successorName": successor, "reason": "机构改革" });
        app.mutate_as(&admin, reorganise, "reorganiseDepartment", input)
            .await;
    }
    // Then the report asks for the list to be republished under the commission, and names
    // the three services of the merged unit; the units now under the commission are not
    // reported as outside the list
    let found = issues(&app).await;
    assert_eq!(
        kinds(&found),
        [
            "LIST_OWNER_DISSOLVED",
            "SERVICE_UNIT_DISSOLVED",
            "SERVICE_UNIT_DISSOLVED",
            "SERVICE_UNIT_DISSOLVED"
        ],
        "{found:#?}"
    );
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("安化县卫生健康局")
    );
}
