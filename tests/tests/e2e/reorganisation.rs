//! Reorganisations (机构改革): a department merged or dissolved from a date; reads and the
//! responsibility lookup route it to its successor from that day, and say so.

use qingdan::auth::Role;
use qingdan_tests::TestApp;
use serde_json::{Value, json};

const BUREAU: &str = "安化县人口和计划生育局";
const COMMISSION: &str = "安化县卫生健康局";

const REORGANISE: &str = r#"mutation($input: ReorganiseDepartmentInput!) {
  reorganiseDepartment(input: $input) { department { name dissolvedOn successor { name } }
    userErrors { field code message } } }"#;

const LOOKUP: &str = r#"query($t: String!, $d: Date) { responsibilityLookup(text: $t, asOf: $d) {
  outcome candidates { department { name } routedFrom { name } role } } }"#;

async fn reorganise(app: &TestApp, input: Value) -> Value {
    let admin = app.token("管理员", &[Role::Admin], None);
    app.post_as(&admin, REORGANISE, json!({ "input": input }))
        .await
}

#[tokio::test]
async fn reorganisation__the_bureau_merged_into_the_health_commission_is_routed_from_that_day() {
    let app = TestApp::spawn().await;
    let bureau = app.department_id(BUREAU).await;
    // Given the bureau merged into the county health commission on 1 March 2019
    let body = reorganise(
        &app,
        json!({ "departmentId": bureau, "kind": "MERGE", "effectiveFrom": "2019-03-01",
                "successorName": COMMISSION, "reason": "安化县机构改革方案" }),
    )
    .await;
    let saved = &body["data"]["reorganiseDepartment"];
    assert_eq!(saved["userErrors"], json!([]), "{body}");
    assert_eq!(saved["department"]["dissolvedOn"], "2019-03-01");
    assert_eq!(saved["department"]["successor"]["name"], COMMISSION);

    // Then the bureau's duties are held by the commission from that day, not before
    let read = app
        .gql(
            r#"query($n: String) { department(name: $n) { name
                 before: current(asOf: "2019-02-28") { name } after: current(asOf: "2019-03-01") { name }
                 duties { seq } } unit: department(name: "药具站") { parent { name } } }"#,
            json!({ "n": BUREAU }),
        )
        .await;
    assert_eq!(
        read["department"]["name"], BUREAU,
        "the list's rows stay as published"
    );
    assert_eq!(read["department"]["before"]["name"], BUREAU);
    assert_eq!(read["department"]["after"]["name"], COMMISSION);
    assert_eq!(read["department"]["duties"].as_array().unwrap().len(), 10);
    // And its units carry on under the commission
    assert_eq!(read["unit"]["parent"]["name"], COMMISSION);

    // And a lookup after the merger names the commission, routed from the bureau
    let after = app
        .gql(LOOKUP, json!({ "t": "两非", "d": "2020-01-01" }))
        .await;
    let first = &after["responsibilityLookup"]["candidates"][0];
    assert_eq!(first["department"]["name"], COMMISSION, "{after}");
    assert_eq!(first["routedFrom"]["name"], BUREAU);
    assert_eq!(first["role"], "LEAD");
    // And a lookup as of a day before it names the bureau itself
    let before = app
        .gql(LOOKUP, json!({ "t": "两非", "d": "2018-12-31" }))
        .await;
    let first = &before["responsibilityLookup"]["candidates"][0];
    assert_eq!(first["department"]["name"], BUREAU, "{before}");
    assert!(first["routedFrom"].is_null());
    // And the departments responsible for it are routed the same way
    let responsible = r#"query($d: Date) { departments(first: 20, asOf: $d,
        filter: { responsibleFor: "两非" }) { nodes { name } } }"#;
    let names = |data: Value| -> Vec<String> {
        data["departments"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let after = names(app.gql(responsible, json!({ "d": "2020-01-01" })).await);
    assert!(
        after.contains(&COMMISSION.to_owned()) && !after.contains(&BUREAU.to_owned()),
        "{after:?}"
    );
    let before = names(app.gql(responsible, json!({ "d": "2018-12-31" })).await);
    assert!(
        before.contains(&BUREAU.to_owned()) && !before.contains(&COMMISSION.to_owned()),
        "{before:?}"
    );
}

#[tokio::test]
async fn reorganisation__rules_are_enforced_and_a_rename_keeps_the_old_name_findable() {
    let app = TestApp::spawn().await;
    let police = app.department_id("安化县公安局").await;
    let health = app.department_id("安化县卫生局").await;
    let code = |body: &Value| {
        body["data"]["reorganiseDepartment"]["userErrors"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    // Only an administrator reorganises
    let editor = app.token("编辑", &[Role::Editor], Some(&police));
    let input = json!({ "departmentId": police, "kind": "DISSOLVE", "effectiveFrom": "2020-01-01",
                        "successorId": health, "reason": "调整" });
    assert_eq!(
        app.gql_error_code_as(&editor, REORGANISE, json!({ "input": input }))
            .await,
        "FORBIDDEN"
    );
    // A dissolution names its successor, which is another department
    let no_successor = json!({ "departmentId": police, "kind": "DISSOLVE", "effectiveFrom": "2020-01-01", "reason": "调整" });
    assert_eq!(code(&reorganise(&app, no_successor).await), "REQUIRED");
    let itself = json!({ "departmentId": police, "kind": "DISSOLVE", "effectiveFrom": "2020-01-01",
                         "successorId": police, "reason": "调整" });
    assert_eq!(
        code(&reorganise(&app, itself).await),
        "DEPARTMENT_DISSOLVED"
    );
    // A reason is required
    let no_reason = json!({ "departmentId": police, "kind": "RENAME", "effectiveFrom": "2020-01-01",
                            "newName": "安化县公安分局", "reason": " " });
    assert_eq!(code(&reorganise(&app, no_reason).await), "REQUIRED");
    // A new name may not be another department's
    let taken = json!({ "departmentId": police, "kind": "RENAME", "effectiveFrom": "2020-01-01",
                        "newName": "安化县卫生局", "reason": "更名" });
    assert_eq!(code(&reorganise(&app, taken).await), "NAME_TAKEN");
    // A rename keeps the old name as an alias
    let rename = json!({ "departmentId": police, "kind": "RENAME", "effectiveFrom": "2020-01-01",
                         "newName": "安化县公安分局", "reason": "更名" });
    let body = reorganise(&app, rename).await;
    assert_eq!(
        body["data"]["reorganiseDepartment"]["department"]["name"], "安化县公安分局",
        "{body}"
    );
    let found = app
        .gql(
            r#"{ department(name: "安化县公安局") { name aliases } }"#,
            json!({}),
        )
        .await;
    assert_eq!(found["department"]["name"], "安化县公安分局", "{found}");
    // A department dissolved already cannot be dissolved again
    let once = json!({ "departmentId": health, "kind": "DISSOLVE", "effectiveFrom": "2020-01-01",
                       "successorName": "安化县卫生健康局", "reason": "改革" });
    assert_eq!(code(&reorganise(&app, once.clone()).await), "");
    assert_eq!(code(&reorganise(&app, once).await), "DEPARTMENT_DISSOLVED");
}
