//! Editing boundary matters, legal bases and cases, and departments: validated, scoped,
//! audited, in the draft until published.

use qingdan::auth::Role;
use qingdan_tests::{TestApp, assert_no_user_errors, first_user_error_message};
use serde_json::{Value, json};

const BUREAU: &str = "安化县人口和计划生育局";
const POLICE: &str = "安化县公安局";
const TWO_NONS: &str = "“两非”案件的调查处理";

const CREATE_MATTER: &str = r#"mutation($input: CreateBoundaryMatterInput!) {
  createBoundaryMatter(input: $input) { boundaryMatter { id seq title disputed lead { department { name } } }
    userErrors { field code message } } }"#;
const UPDATE_MATTER: &str = r#"mutation($input: UpdateBoundaryMatterInput!) {
  updateBoundaryMatter(input: $input) { boundaryMatter { seq title disputed } userErrors { field code } } }"#;
const REMOVE_MATTER: &str = r#"mutation($input: RemoveInput!) {
  removeBoundaryMatter(input: $input) { boundaryMatter { title } userErrors { field code } } }"#;
const CREATE_BASIS: &str = r#"mutation($input: CreateCitationInput!) {
  createLegalBasis(input: $input) { legalBasis { id seq title text division { id } } userErrors { field code } } }"#;
const UPDATE_BASIS: &str = r#"mutation($input: UpdateCitationInput!) {
  updateLegalBasis(input: $input) { legalBasis { id seq text division { id } } userErrors { field code } } }"#;
const REMOVE_BASIS: &str = r#"mutation($input: RemoveInput!) {
  removeLegalBasis(input: $input) { legalBasis { text } userErrors { field code } } }"#;
const CREATE_CASE: &str = r#"mutation($input: CreateCitationInput!) {
  createCase(input: $input) { case { id seq text division { id } } userErrors { field code } } }"#;
const UPDATE_CASE: &str = r#"mutation($input: UpdateCitationInput!) {
  updateCase(input: $input) { case { text division { id } } userErrors { field code } } }"#;
const REMOVE_CASE: &str = r#"mutation($input: RemoveInput!) {
  removeCase(input: $input) { case { text } userErrors { field code } } }"#;
const REMOVE_DIVISION: &str = r#"mutation($input: RemoveInput!) {
  removeDivision(input: $input) { division { text } userErrors { field code } } }"#;
const ISSUES: &str = "{ listIssues { kind message rowIds } }";
const DRAFT_MATTERS: &str = "{ responsibilityLists { id draft { boundaryMatters { id seq title \
    divisions { id role department { name } } legalBases { id seq text division { id } } \
    cases { id text division { id } } } } } }";

async fn list_id(app: &TestApp) -> Value {
    let data = app.gql("{ responsibilityLists { id } }", json!({})).await;
    data["responsibilityLists"][0]["id"].clone()
}

/// The matters of the bureau's draft, as its editor sees them.
async fn draft_matters(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app.query_as(token, DRAFT_MATTERS).await;
    body["data"]["responsibilityLists"][0]["draft"]["boundaryMatters"]
        .as_array()
        .unwrap_or_else(|| panic!("no draft: {body}"))
        .clone()
}

/// The published matters' titles in order.
async fn published_titles(app: &TestApp) -> Vec<String> {
    let data = app
        .gql(
            "{ boundaryMatters(first: 50) { nodes { title } } }",
            json!({}),
        )
        .await;
    data["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

/// A user error's `field`, a path of names and indexes (`["inspectors", "1", "name"]`),
/// written back in the dotted form the tests name fields in (`inspectors[1].name`).
pub(crate) fn field(error: &Value) -> String {
    let path = error["field"]
        .as_array()
        .unwrap_or_else(|| panic!("field is not a path: {error}"));
    let mut dotted = String::new();
    for step in path {
        let step = step.as_str().unwrap_or_else(|| panic!("{error}"));
        if step.bytes().all(|b| b.is_ascii_digit()) {
            dotted.push_str(&format!("[{step}]"));
        } else {
            if !dotted.is_empty() {
                dotted.push('.');
            }
            dotted.push_str(step);
        }
    }
    dotted
}

/// (field, code) of a mutation payload's user errors.
pub(crate) fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors: {payload}"))
        .iter()
        .map(|e| (field(e), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

pub(crate) fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[tokio::test]
async fn matters__created_with_their_lead_changed_moved_and_removed() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let list = list_id(&app).await;
    let before = published_titles(&app).await;
    let bureau = app.department_id(BUREAU).await;
    let create = |input: Value| {
        let (app, token) = (&app, &token);
        async move {
            let body = app
                .post_as(token, CREATE_MATTER, json!({ "input": input }))
                .await;
            body["data"]["createBoundaryMatter"].clone()
        }
    };
    // A matter not disputed without its lead, or with a blank title: refused, nothing written
    let refused = create(json!({ "listId": list, "title": "新事项" })).await;
    assert_eq!(codes(&refused), [pair("lead", "LEAD_COUNT")]);
    let refused = create(json!({ "listId": list, "title": " ",
        "lead": { "departmentId": bureau, "text": "负责" } }))
    .await;
    assert_eq!(codes(&refused), [pair("title", "REQUIRED")]);
    let body = app.query_as(&token, DRAFT_MATTERS).await;
    assert!(
        body["data"]["responsibilityLists"][0]["draft"].is_null(),
        "{body}"
    );
    // Another department's editor: FORBIDDEN
    let police = app.editor_token(POLICE).await;
    let input = json!({ "input": { "listId": list, "title": "新事项", "lead": { "departmentId": bureau, "text": "负责" } } });
    assert_eq!(
        app.gql_error_code_as(&police, CREATE_MATTER, input).await,
        "FORBIDDEN"
    );

    // When the bureau's editor adds a matter first, with its lead
    let created = create(
        json!({ "listId": list, "title": "出生医学证明管理", "position": 1,
        "lead": { "departmentId": bureau, "text": "负责出生医学证明的管理" } }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    assert_eq!(created["boundaryMatter"]["seq"], 1);
    assert_eq!(
        created["boundaryMatter"]["lead"]["department"]["name"],
        BUREAU
    );
    let id = created["boundaryMatter"]["id"].clone();
    // Then the draft has it first, the published list not yet
    let titles: Vec<Value> = draft_matters(&app, &token)
        .await
        .iter()
        .map(|m| m["title"].clone())
        .collect();
    assert_eq!(titles[0], "出生医学证明管理");
    assert_eq!(titles.len(), before.len() + 1);
    assert_eq!(published_titles(&app).await, before);

    // A disputed matter may stand without a lead; marking it undisputed needs one
    let disputed =
        create(json!({ "listId": list, "title": "争议中的事项", "disputed": true })).await;
    assert_eq!(disputed["userErrors"], json!([]), "{disputed}");
    let body = app
        .post_as(
            &token,
            UPDATE_MATTER,
            json!({ "input": { "id": disputed["boundaryMatter"]["id"], "disputed": false } }),
        )
        .await;
    assert_eq!(
        codes(&body["data"]["updateBoundaryMatter"]),
        [pair("role", "LEAD_COUNT")]
    );

    // When the first is renamed and moved last, and the disputed one removed
    let body = app
        .post_as(&token, UPDATE_MATTER,
            json!({ "input": { "id": id, "title": "出生医学证明的管理", "position": before.len() + 2 } }))
        .await;
    assert_eq!(
        body["data"]["updateBoundaryMatter"]["boundaryMatter"]["seq"],
        before.len() as i64 + 2,
        "{body}"
    );
    app.mutate_as(
        &token,
        REMOVE_MATTER,
        "removeBoundaryMatter",
        json!({ "id": disputed["boundaryMatter"]["id"] }),
    )
    .await;
    // Then, once published, readers see the published matters then the new one, numbered densely
    app.publish_drafts().await;
    let mut expected = before.clone();
    expected.push("出生医学证明的管理".to_owned());
    assert_eq!(published_titles(&app).await, expected);
    let seqs = app
        .gql(
            "{ boundaryMatters(first: 50) { nodes { seq } } }",
            json!({}),
        )
        .await;
    let seqs: Vec<i64> = seqs["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=expected.len() as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn citations__a_removed_division_leaves_its_legal_bases_cited_nowhere_until_re_cited() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let matters = app
        .gql("{ boundaryMatters(first: 10) { nodes { id title divisions { id department { name } } legalBases { id } } } }", json!({}))
        .await;
    let nodes = matters["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let two_nons = nodes
        .iter()
        .find(|m| m["title"] == TWO_NONS)
        .unwrap()
        .clone();
    let other = nodes
        .iter()
        .find(|m| m["title"] != TWO_NONS)
        .unwrap()
        .clone();
    let police_division = two_nons["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"]["name"] == POLICE)
        .unwrap()["id"]
        .clone();
    let bases_before = two_nons["legalBases"].as_array().unwrap().len();

    // A legal basis with no title, or cited on another matter's division: refused
    let input = |division: &Value, title: &str| {
        json!({ "input": { "matterId": two_nons["id"], "divisionId": division, "title": title,
                           "text": "《中华人民共和国刑法》第三百三十六条" } })
    };
    let body = app
        .post_as(&token, CREATE_BASIS, input(&police_division, ""))
        .await;
    assert_eq!(
        codes(&body["data"]["createLegalBasis"]),
        [pair("title", "REQUIRED")]
    );
    let foreign = other["divisions"][0]["id"].clone();
    let body = app
        .post_as(&token, CREATE_BASIS, input(&foreign, "中华人民共和国刑法"))
        .await;
    assert_eq!(
        codes(&body["data"]["createLegalBasis"]),
        [pair("divisionId", "DIVISION_UNKNOWN")]
    );

    // When the editor cites a basis and a case on 公安局's row of 两非
    let body = app
        .post_as(
            &token,
            CREATE_BASIS,
            input(&police_division, "中华人民共和国刑法"),
        )
        .await;
    let basis = body["data"]["createLegalBasis"]["legalBasis"].clone();
    assert_eq!(basis["seq"], bases_before as i64 + 1, "{body}");
    assert!(!basis["division"].is_null());
    let mut second = input(&police_division, "中华人民共和国人口与计划生育法");
    second["input"]["text"] = json!("《中华人民共和国人口与计划生育法》第三十九条");
    let body = app.post_as(&token, CREATE_BASIS, second).await;
    let second = body["data"]["createLegalBasis"]["legalBasis"]["id"].clone();
    app.mutate_as(
        &token,
        CREATE_CASE,
        "createCase",
        json!({ "matterId": two_nons["id"],
            "divisionId": police_division, "text": "某诊所非法鉴定胎儿性别案" }),
    )
    .await;
    // And removes 公安局's division
    app.mutate_as(
        &token,
        REMOVE_DIVISION,
        "removeDivision",
        json!({ "id": police_division }),
    )
    .await;

    // Then its legal bases stay with the matter, cited nowhere, and the report lists each
    let draft = draft_matters(&app, &token).await;
    let matter = draft.iter().find(|m| m["title"] == TWO_NONS).unwrap();
    let uncited: Vec<Value> = matter["legalBases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["division"].is_null())
        .map(|b| b["id"].clone())
        .collect();
    assert_eq!(
        uncited.len(),
        2,
        "the two bases on 公安局's row: {matter:#}"
    );
    assert!(uncited.contains(&basis["id"]) && uncited.contains(&second));
    assert!(
        matter["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["text"] == "某诊所非法鉴定胎儿性别案" && c["division"].is_null())
    );
    let report = app.query_as(&token, ISSUES).await;
    let flagged: Vec<Value> = report["data"]["listIssues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "LEGAL_BASIS_CITED_NOWHERE")
        .map(|i| i["rowIds"][0].clone())
        .collect();
    assert_eq!(flagged, uncited, "{report}");

    // When one is cited on the bureau's row and the others removed, the report is clean again
    let bureau_division = matter["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"]["name"] == BUREAU)
        .unwrap()["id"]
        .clone();
    let body = app
        .post_as(
            &token,
            UPDATE_BASIS,
            json!({ "input": { "id": uncited[0], "divisionId": bureau_division, "position": 1 } }),
        )
        .await;
    let moved = &body["data"]["updateLegalBasis"]["legalBasis"];
    assert_eq!(moved["seq"], 1, "{body}");
    assert_eq!(moved["division"]["id"], bureau_division);
    for id in &uncited[1..] {
        app.mutate_as(
            &token,
            REMOVE_BASIS,
            "removeLegalBasis",
            json!({ "id": id }),
        )
        .await;
    }
    let report = app.query_as(&token, ISSUES).await;
    assert!(
        !report["data"]["listIssues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "LEGAL_BASIS_CITED_NOWHERE"),
        "{report}"
    );
    // And the legal bases of the matter stay densely numbered
    let draft = draft_matters(&app, &token).await;
    let matter = draft.iter().find(|m| m["title"] == TWO_NONS).unwrap();
    let seqs: Vec<i64> = matter["legalBases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());

    // The case is re-cited on the bureau's row, then removed; another department's editor
    // may do neither
    let case = matter["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "某诊所非法鉴定胎儿性别案")
        .unwrap()["id"]
        .clone();
    let update = json!({ "input": { "id": case, "divisionId": bureau_division, "text": "某诊所非法鉴定胎儿性别案（已结案）" } });
    let police = app.editor_token(POLICE).await;
    assert_eq!(
        app.gql_error_code_as(&police, UPDATE_CASE, update.clone())
            .await,
        "FORBIDDEN"
    );
    let body = app.post_as(&token, UPDATE_CASE, update).await;
    let updated = &body["data"]["updateCase"]["case"];
    assert_eq!(
        updated["text"], "某诊所非法鉴定胎儿性别案（已结案）",
        "{body}"
    );
    assert_eq!(updated["division"]["id"], bureau_division);
    app.mutate_as(&token, REMOVE_CASE, "removeCase", json!({ "id": case }))
        .await;
    let body = app
        .post_as(&token, REMOVE_CASE, json!({ "input": { "id": case } }))
        .await;
    assert_eq!(
        codes(&body["data"]["removeCase"]),
        [pair("id", "CASE_UNKNOWN")]
    );
}

const CREATE_DEPARTMENT: &str = r#"mutation($input: CreateDepartmentInput!) {
  createDepartment(input: $input) { department { id name kind aliases parent { name } }
    userErrors { field code message } } }"#;
const UPDATE_DEPARTMENT: &str = r#"mutation($input: UpdateDepartmentInput!) {
  updateDepartment(input: $input) { department { name aliases parent { name } } userErrors { field code } } }"#;
const REMOVE_DEPARTMENT: &str = r#"mutation($input: RemoveInput!) {
  removeDepartment(input: $input) { department { name } userErrors { field code message } } }"#;

#[tokio::test]
async fn departments__an_admin_creates_corrects_and_removes_and_names_stay_unique() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let run = |query: &'static str, input: Value| {
        let (app, admin) = (&app, &admin);
        async move { app.post_as(admin, query, json!({ "input": input })).await }
    };
    // A name or alias another department has: NAME_TAKEN on each
    let body = run(
        CREATE_DEPARTMENT,
        json!({ "name": BUREAU, "kind": "DEPARTMENT", "aliases": ["县人口计生局"] }),
    )
    .await;
    assert_eq!(
        codes(&body["data"]["createDepartment"]),
        [pair("name", "NAME_TAKEN"), pair("aliases", "NAME_TAKEN")]
    );
    // When the admin creates a department with an alias, and a unit of it
    let body = run(
        CREATE_DEPARTMENT,
        json!({ "name": "安化县医疗保障局", "kind": "DEPARTMENT", "aliases": ["县医保局"] }),
    )
    .await;
    let created = body["data"]["createDepartment"]["department"].clone();
    assert_eq!(created["aliases"], json!(["县医保局"]), "{body}");
    let body = run(
        CREATE_DEPARTMENT,
        json!({ "name": "医保基金监管股", "kind": "INTERNAL_UNIT", "parentId": created["id"] }),
    )
    .await;
    let unit = body["data"]["createDepartment"]["department"].clone();
    assert_eq!(unit["parent"]["name"], "安化县医疗保障局", "{body}");
    // Then the alias finds it
    assert_eq!(
        app.department_id("县医保局").await,
        created["id"].as_str().unwrap()
    );
    // A department cannot become a unit of its own unit: PARENT_INVALID
    let body = run(
        UPDATE_DEPARTMENT,
        json!({ "id": created["id"], "parentId": unit["id"] }),
    )
    .await;
    assert_eq!(
        codes(&body["data"]["updateDepartment"]),
        [pair("parentId", "PARENT_INVALID")]
    );
    // A correction of its name keeps its aliases unless they are given
    let body = run(
        UPDATE_DEPARTMENT,
        json!({ "id": created["id"], "name": "安化县医疗保障局（试）" }),
    )
    .await;
    assert_eq!(
        body["data"]["updateDepartment"]["department"]["aliases"],
        json!(["县医保局"]),
        "{body}"
    );
    // The department still has a unit: DEPARTMENT_IN_USE; once the unit is gone it can go
    let body = run(REMOVE_DEPARTMENT, json!({ "id": created["id"] })).await;
    assert_eq!(
        codes(&body["data"]["removeDepartment"]),
        [pair("id", "DEPARTMENT_IN_USE")]
    );
    for id in [&unit["id"], &created["id"]] {
        let body = run(REMOVE_DEPARTMENT, json!({ "id": id })).await;
        assert_no_user_errors(&body, "removeDepartment");
    }
    // The bureau, which the list cites, cannot be removed, and is left as it was
    let bureau = app.department_id(BUREAU).await;
    let body = run(REMOVE_DEPARTMENT, json!({ "id": bureau })).await;
    let refused = &body["data"]["removeDepartment"];
    assert_eq!(codes(refused), [pair("id", "DEPARTMENT_IN_USE")]);
    assert!(
        first_user_error_message(refused).contains("duties"),
        "{body}"
    );
    assert_eq!(app.department_id("县人口计生局").await, bureau);
}

#[tokio::test]
async fn departments__an_editor_changes_only_the_units_of_their_own_department() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let bureau = app.department_id(BUREAU).await;
    let police = app.department_id(POLICE).await;
    // The bureau's editor adds a unit of the bureau
    app.mutate_as(
        &token,
        CREATE_DEPARTMENT,
        "createDepartment",
        json!({ "name": "信息统计股", "kind": "INTERNAL_UNIT", "parentId": bureau }),
    )
    .await;
    // But not a department of its own, nor a unit of 公安局, nor 公安局 itself
    for input in [
        json!({ "name": "独立单位", "kind": "DEPARTMENT" }),
        json!({ "name": "治安股", "kind": "INTERNAL_UNIT", "parentId": police }),
    ] {
        assert_eq!(
            app.gql_error_code_as(&token, CREATE_DEPARTMENT, json!({ "input": input }))
                .await,
            "FORBIDDEN"
        );
    }
    assert_eq!(
        app.gql_error_code_as(
            &token,
            UPDATE_DEPARTMENT,
            json!({ "input": { "id": police, "name": "改名" } })
        )
        .await,
        "FORBIDDEN"
    );
    // Anonymous: UNAUTHENTICATED
    assert_eq!(
        app.gql_error_code(
            CREATE_DEPARTMENT,
            json!({ "input": { "name": "匿名单位", "kind": "DEPARTMENT" } })
        )
        .await,
        "UNAUTHENTICATED"
    );
}
