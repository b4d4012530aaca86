//! List editing (清单维护): validated, scoped to the editor's department, one transaction,
//! audited, sequence numbers dense.

use qingdan::auth::Role;
use qingdan_tests::{TestApp, assert_no_user_errors};
use serde_json::{Value, json};

const BUREAU: &str = "安化县人口和计划生育局";

const CREATE_SERVICE: &str = r#"mutation($input: CreatePublicServiceInput!) {
  createPublicService(input: $input) { publicService { id seq name phone publishedPhone unit { name } }
    userErrors { field code message } } }"#;
const UPDATE_SERVICE: &str = r#"mutation($input: UpdatePublicServiceInput!) {
  updatePublicService(input: $input) { publicService { seq name } userErrors { field code } } }"#;
const REMOVE_SERVICE: &str = r#"mutation($input: RemoveInput!) {
  removePublicService(input: $input) { publicService { name } userErrors { field code } } }"#;
const CREATE_ITEM: &str = r#"mutation($input: CreateWorkItemInput!) {
  createWorkItem(input: $input) { workItem { id seq text remark } userErrors { field code } } }"#;
const UPDATE_ITEM: &str = r#"mutation($input: UpdateWorkItemInput!) {
  updateWorkItem(input: $input) { workItem { seq text } userErrors { field code } } }"#;
const REMOVE_ITEM: &str = r#"mutation($input: RemoveInput!) {
  removeWorkItem(input: $input) { workItem { text } userErrors { field code } } }"#;

/// (seq, name) of every service, in published order, as readers see them once the drafts
/// are published.
async fn services(app: &TestApp) -> Vec<(i64, String)> {
    let data = read_published(app, "{ publicServices(first: 100) { nodes { seq name } } }").await;
    seq_and(&data["publicServices"]["nodes"], "name")
}

/// The first duty's id and (seq, text) of its work items, once the drafts are published.
async fn first_duty(app: &TestApp) -> (String, Vec<(i64, String)>) {
    let data = read_published(
        app,
        "{ duties(first: 1) { nodes { id workItems { seq text } } } }",
    )
    .await;
    let duty = &data["duties"]["nodes"][0];
    let items = seq_and(&duty["workItems"], "text");
    (duty["id"].as_str().unwrap().to_owned(), items)
}

/// `query`'s data as readers see it once the drafts are published.
async fn read_published(app: &TestApp, query: &str) -> Value {
    app.publish_drafts().await;
    app.gql(query, json!({})).await
}

/// (seq, `field`) of each of `nodes`, in their order.
fn seq_and(nodes: &Value, field: &str) -> Vec<(i64, String)> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["seq"].as_i64().unwrap(),
                n[field].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn dense<T>(rows: &[(i64, T)]) -> bool {
    rows.iter()
        .enumerate()
        .all(|(i, (seq, _))| *seq == i as i64 + 1)
}

#[tokio::test]
async fn editing__an_editor_adds_a_service_at_a_place_and_numbers_stay_dense() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let before = services(&app).await;
    let unit = app.department_id("药具站").await;
    // When the bureau's editor adds a service of its 药具站 as the second one
    let input = json!({ "unitId": unit, "name": "药具自助发放机维修", "content": "受理药具自助发放机故障报修",
                        "phone": "0737-7822593", "position": 2 });
    let body = app
        .post_as(&token, CREATE_SERVICE, json!({ "input": input }))
        .await;
    let created = &body["data"]["createPublicService"];
    assert_eq!(created["userErrors"], json!([]), "{body}");
    // Then it is stored with its phone as digits and as typed, second, and all numbers dense
    assert_eq!(created["publicService"]["seq"], 2);
    assert_eq!(created["publicService"]["phone"], "07377822593");
    assert_eq!(created["publicService"]["publishedPhone"], "0737-7822593");
    let after = services(&app).await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(dense(&after), "{after:?}");
    assert_eq!(after[1].1, "药具自助发放机维修");
    assert_eq!(after[0].1, before[0].1);
    assert_eq!(after[2].1, before[1].1);
    // And the audit log has the write, with who made it
    let admin = app.token("管理员", &[Role::Admin], None);
    let audit = app
        .query_as(&admin, r#"{ auditEvents(first: 10, filter: {operation: "createPublicService"}) { nodes { actor } } }"#)
        .await;
    assert_eq!(
        audit["data"]["auditEvents"]["nodes"],
        json!([{ "actor": "编辑甲" }]),
        "{audit}"
    );
}

#[tokio::test]
async fn editing__bad_input_is_refused_with_every_rule_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let before = services(&app).await;
    let unit = app.department_id("药具站").await;
    for (input, codes) in [
        // a phone that is no mainland number, and an empty name
        (
            json!({ "unitId": unit, "name": " ", "content": "内容", "phone": "12345" }),
            vec![("name", "REQUIRED"), ("phone", "PHONE_INVALID")],
        ),
        // a place past the end (there are 11 services: 12 is the last place)
        (
            json!({ "unitId": unit, "name": "名称", "content": "内容", "phone": "15717577374", "position": 13 }),
            vec![("position", "POSITION_OUT_OF_RANGE")],
        ),
        // a unit that belongs to no list
        (
            json!({ "unitId": app.department_id("安化县教育局").await, "name": "名称", "content": "内容", "phone": "15717577374" }),
            vec![],
        ),
    ] {
        let body = app
            .post_as(&token, CREATE_SERVICE, json!({ "input": input }))
            .await;
        let errors = &body["data"]["createPublicService"]["userErrors"];
        if codes.is_empty() {
            // the bureau's editor may not act for 教育局 at all
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{body}"
            );
        } else {
            let got: Vec<(String, &str)> = errors
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        crate::boundary_editing::field(e),
                        e["code"].as_str().unwrap(),
                    )
                })
                .collect();
            let codes: Vec<(String, &str)> =
                codes.iter().map(|(f, c)| (f.to_string(), *c)).collect();
            assert_eq!(got, codes, "{body}");
        }
    }
    assert_eq!(services(&app).await, before);
}

#[tokio::test]
async fn editing__only_editors_of_the_department_or_admins_may_edit() {
    let app = TestApp::spawn().await;
    let (duty, _) = first_duty(&app).await;
    let input = json!({ "input": { "dutyId": duty, "text": "新增事项" } });
    // Anonymous: UNAUTHENTICATED
    assert_eq!(
        app.gql_error_code(CREATE_ITEM, input.clone()).await,
        "UNAUTHENTICATED"
    );
    // An editor of another department, a supervisor: FORBIDDEN
    for token in [
        app.editor_token("安化县公安局").await,
        app.token("督查", &[Role::Supervisor], None),
    ] {
        assert_eq!(
            app.gql_error_code_as(&token, CREATE_ITEM, input.clone())
                .await,
            "FORBIDDEN"
        );
    }
    // The department's editor and an admin: allowed
    for token in [
        app.editor_token(BUREAU).await,
        app.token("管理员", &[Role::Admin], None),
    ] {
        let body = app.post_as(&token, CREATE_ITEM, input.clone()).await;
        assert_no_user_errors(&body, "createWorkItem");
    }
    let (_, items) = first_duty(&app).await;
    assert_eq!(items.iter().filter(|(_, t)| t == "新增事项").count(), 2);
}

#[tokio::test]
async fn editing__moving_and_removing_work_items_keeps_numbers_dense() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let (duty, original) = first_duty(&app).await;
    // Given a new work item put first
    let body = app
        .post_as(
            &token,
            CREATE_ITEM,
            json!({ "input": { "dutyId": duty, "text": "新的第一项", "remark": "试行", "position": 1 } }),
        )
        .await;
    let created = &body["data"]["createWorkItem"]["workItem"];
    assert_eq!(created["seq"], 1, "{body}");
    assert_eq!(created["remark"], "试行");
    let id = created["id"].as_str().unwrap().to_owned();
    // When it is moved to the end, then its text changed
    let moved = app
        .post_as(
            &token,
            UPDATE_ITEM,
            json!({ "input": { "id": id, "position": original.len() + 1, "text": "移到最后" } }),
        )
        .await;
    assert_eq!(
        moved["data"]["updateWorkItem"]["workItem"]["seq"],
        original.len() + 1,
        "{moved}"
    );
    let (_, items) = first_duty(&app).await;
    assert!(dense(&items), "{items:?}");
    assert_eq!(items.last().unwrap().1, "移到最后");
    assert_eq!(items[..original.len()], original[..]);
    // When the original first item is removed
    let first_id = app
        .gql(
            "{ duties(first: 1) { nodes { workItems { id } } } }",
            json!({}),
        )
        .await["duties"]["nodes"][0]["workItems"][0]["id"]
        .clone();
    let removed = app
        .post_as(&token, REMOVE_ITEM, json!({ "input": { "id": first_id } }))
        .await;
    assert_eq!(
        removed["data"]["removeWorkItem"]["workItem"]["text"],
        original[0].1.as_str()
    );
    // Then the rest move up, still dense
    let (_, items) = first_duty(&app).await;
    assert!(dense(&items), "{items:?}");
    assert_eq!(
        items[0].1,
        original.get(1).map_or("移到最后", |o| o.1.as_str())
    );
    assert_eq!(items.len(), original.len());
}

#[tokio::test]
async fn editing__a_removed_service_leaves_dense_numbers_and_an_edit_is_searchable_at_once() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let before = services(&app).await;
    let id = app.first_node_id("publicServices").await;
    let removed = app
        .post_as(&token, REMOVE_SERVICE, json!({ "input": { "id": id } }))
        .await;
    assert_eq!(
        removed["data"]["removePublicService"]["publicService"]["name"],
        before[0].1.as_str()
    );
    let after = services(&app).await;
    assert!(dense(&after), "{after:?}");
    assert_eq!(
        after.iter().map(|s| &s.1).collect::<Vec<_>>(),
        before[1..].iter().map(|s| &s.1).collect::<Vec<_>>()
    );
    // When a service is renamed with a word the list never had
    let lookup = r#"query($t: String!) { responsibilityLookup(text: $t) { outcome } }"#;
    assert_eq!(
        app.gql(lookup, json!({ "t": "蝴蝶兰培育" })).await["responsibilityLookup"]["outcome"],
        "NO_MATCH"
    );
    let second = app.first_node_id("publicServices").await;
    app.mutate_as(
        &token,
        UPDATE_SERVICE,
        "updatePublicService",
        json!({ "id": second, "name": "蝴蝶兰培育咨询" }),
    )
    .await;
    // Then the next lookup finds it once the draft is published
    app.publish_drafts().await;
    let found: Value = app.gql(lookup, json!({ "t": "蝴蝶兰培育" })).await;
    assert_ne!(
        found["responsibilityLookup"]["outcome"], "NO_MATCH",
        "{found}"
    );
}

const MATTERS: &str = "{ boundaryMatters(first: 10) { nodes { id title \
                       divisions { id seq role department { name } } } } }";
const CREATE_DIVISION: &str = r#"mutation($input: CreateDivisionInput!) {
  createDivision(input: $input) { division { seq role } userErrors { field code message } } }"#;
const UPDATE_DIVISION: &str = r#"mutation($input: UpdateDivisionInput!) {
  updateDivision(input: $input) { division { role } userErrors { field code } } }"#;
const REMOVE_DIVISION: &str = r#"mutation($input: RemoveInput!) {
  removeDivision(input: $input) { division { text } userErrors { field code } } }"#;
const SET_LEAD: &str = r#"mutation($input: SetMatterLeadInput!) {
  setMatterLead(input: $input) { division { role } userErrors { field code } } }"#;

/// The 两非 matter: its id and (seq, role, department) of each division.
async fn two_nons(app: &TestApp) -> (String, Vec<(i64, String, String, String)>) {
    app.publish_drafts().await;
    let data = app.gql(MATTERS, json!({})).await;
    let matter = data["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"].as_str().unwrap().contains("两非"))
        .unwrap()
        .clone();
    let divisions = matter["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["seq"].as_i64().unwrap(),
                d["role"].as_str().unwrap().to_owned(),
                d["department"]["name"].as_str().unwrap().to_owned(),
                d["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (matter["id"].as_str().unwrap().to_owned(), divisions)
}

fn code_of(body: &Value, field: &str) -> String {
    body["data"][field]["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

#[tokio::test]
async fn editing__a_matter_keeps_exactly_one_lead_and_set_matter_lead_moves_it() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let (matter, before) = two_nons(&app).await;
    let lead = before.iter().find(|d| d.1 == "LEAD").unwrap().3.clone();
    let police = before
        .iter()
        .find(|d| d.2 == "安化县公安局")
        .unwrap()
        .3
        .clone();
    let health = app.department_id("安化县卫生局").await;
    // When a second LEAD is added, the lead demoted, or the lead removed
    let second = json!({ "input": { "matterId": matter, "departmentId": health, "role": "LEAD", "text": "负责医疗机构管理" } });
    let demote = json!({ "input": { "id": lead, "role": "ASSIST" } });
    let remove = json!({ "input": { "id": lead } });
    // Then each is refused with LEAD_COUNT and nothing changes
    let body = app.post_as(&token, CREATE_DIVISION, second).await;
    assert_eq!(code_of(&body, "createDivision"), "LEAD_COUNT");
    let body = app.post_as(&token, UPDATE_DIVISION, demote).await;
    assert_eq!(code_of(&body, "updateDivision"), "LEAD_COUNT");
    let body = app.post_as(&token, REMOVE_DIVISION, remove).await;
    assert_eq!(code_of(&body, "removeDivision"), "LEAD_COUNT");
    assert_eq!(two_nons(&app).await.1, before);
    // When the lead is moved to 公安局 in one step
    let body = app
        .post_as(
            &token,
            SET_LEAD,
            json!({ "input": { "divisionId": police } }),
        )
        .await;
    assert_eq!(
        body["data"]["setMatterLead"]["division"]["role"], "LEAD",
        "{body}"
    );
    // Then 公安局 leads alone
    let (_, after) = two_nons(&app).await;
    let leads: Vec<&str> = after
        .iter()
        .filter(|d| d.1 == "LEAD")
        .map(|d| d.2.as_str())
        .collect();
    assert_eq!(leads, ["安化县公安局"]);
    // When an assisting division is added second, Then it takes place 2 and numbers stay dense
    let assist = json!({ "input": { "matterId": matter, "departmentId": health, "text": "负责医疗机构管理", "position": 2 } });
    let body = app.post_as(&token, CREATE_DIVISION, assist).await;
    assert_eq!(
        body["data"]["createDivision"]["division"]["seq"], 2,
        "{body}"
    );
    assert_eq!(body["data"]["createDivision"]["division"]["role"], "ASSIST");
    let (_, after) = two_nons(&app).await;
    assert!(
        dense(&after.iter().map(|d| (d.0, ())).collect::<Vec<_>>()),
        "{after:?}"
    );
    assert_eq!(after[1].2, "安化县卫生局");
    assert_eq!(after.len(), before.len() + 1);
}

#[tokio::test]
async fn editing__a_matter_s_divisions_are_edited_by_the_list_s_owner() {
    let app = TestApp::spawn().await;
    let (_, divisions) = two_nons(&app).await;
    let police = divisions
        .iter()
        .find(|d| d.2 == "安化县公安局")
        .unwrap()
        .3
        .clone();
    let input = json!({ "input": { "id": police, "text": "改写" } });
    // An editor of 公安局 may not rewrite its division in the bureau's list
    assert_eq!(
        app.gql_error_code_as(
            &app.editor_token("安化县公安局").await,
            UPDATE_DIVISION,
            input.clone()
        )
        .await,
        "FORBIDDEN"
    );
    // The bureau's editor may
    let body = app
        .post_as(&app.editor_token(BUREAU).await, UPDATE_DIVISION, input)
        .await;
    assert_no_user_errors(&body, "updateDivision");
}

const CREATE_DUTY: &str = r#"mutation($input: CreateDutyInput!) {
  createDuty(input: $input) { duty { id seq text } userErrors { field code } } }"#;
const UPDATE_DUTY: &str = r#"mutation($input: UpdateDutyInput!) {
  updateDuty(input: $input) { duty { seq } userErrors { field code } } }"#;
const REMOVE_DUTY: &str = r#"mutation($input: RemoveInput!) {
  removeDuty(input: $input) { duty { text } userErrors { field code } } }"#;

/// (seq, text) of the bureau's duties through the connection, in the order it pages, once
/// the drafts are published.
async fn duties(app: &TestApp) -> Vec<(i64, String)> {
    let data = read_published(app, "{ duties(first: 50) { nodes { seq text } } }").await;
    seq_and(&data["duties"]["nodes"], "text")
}

#[tokio::test]
async fn editing__duties_are_added_moved_and_removed_in_published_order() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let before = duties(&app).await;
    let bureau = app.department_id(BUREAU).await;
    // When a duty is added first
    let body = app
        .post_as(
            &token,
            CREATE_DUTY,
            json!({ "input": { "departmentId": bureau, "text": "负责新增职责", "position": 1 } }),
        )
        .await;
    let created = &body["data"]["createDuty"]["duty"];
    assert_eq!(created["seq"], 1, "{body}");
    let id = created["id"].clone();
    // Then the connection pages it first, numbers dense
    let after = duties(&app).await;
    assert!(dense(&after), "{after:?}");
    assert_eq!(after[0].1, "负责新增职责");
    assert_eq!(
        after[1..],
        before[..]
            .iter()
            .enumerate()
            .map(|(i, d)| (i as i64 + 2, d.1.clone()))
            .collect::<Vec<_>>()[..]
    );
    // When it is moved last, Then it pages last
    let moved = app
        .post_as(
            &token,
            UPDATE_DUTY,
            json!({ "input": { "id": id, "position": before.len() + 1 } }),
        )
        .await;
    assert_eq!(
        moved["data"]["updateDuty"]["duty"]["seq"],
        before.len() + 1,
        "{moved}"
    );
    assert_eq!(duties(&app).await[..before.len()], before[..]);
    // When it is removed, Then the list is as it was; an empty text is refused
    let removed = app
        .post_as(&token, REMOVE_DUTY, json!({ "input": { "id": id } }))
        .await;
    assert_eq!(
        removed["data"]["removeDuty"]["duty"]["text"], "负责新增职责",
        "{removed}"
    );
    assert_eq!(duties(&app).await, before);
    let blank = app
        .post_as(
            &token,
            CREATE_DUTY,
            json!({ "input": { "departmentId": bureau, "text": "" } }),
        )
        .await;
    assert_eq!(
        blank["data"]["createDuty"]["userErrors"][0]["code"], "REQUIRED",
        "{blank}"
    );
    assert_eq!(duties(&app).await, before);
}

/// The one mutation of `name`, with `input`, answered with `selection` and its user errors.
async fn update(app: &TestApp, token: &str, name: &str, input: Value, selection: &str) -> Value {
    let ty = match name {
        "updateLegalBasis" | "updateCase" => "UpdateCitationInput".to_owned(),
        _ => format!("{}{}Input", name[..1].to_uppercase(), &name[1..]),
    };
    let query = format!(
        "mutation($input: {ty}!) {{ {name}(input: $input) {{ {selection} userErrors {{ field code }} }} }}"
    );
    let body = app.post_as(token, &query, json!({ "input": input })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"][name].clone()
}

#[tokio::test]
async fn editing__an_explicit_null_clears_an_optional_field_and_is_required_on_the_others() {
    let app = TestApp::spawn().await;
    let token = app.editor_token(BUREAU).await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let data = app
        .gql(
            "{ duties(first: 1) { nodes { id workItems { id } } }
               publicServices(first: 1) { nodes { id name } }
               boundaryMatters(first: 20) { nodes { id disputed
                 divisions { id role } legalBases { id title division { id } } } } }",
            json!({}),
        )
        .await;
    let duty = data["duties"]["nodes"][0]["id"].clone();
    let item = data["duties"]["nodes"][0]["workItems"][0]["id"].clone();
    let service = &data["publicServices"]["nodes"][0];
    let matter = data["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["legalBases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| !b["division"].is_null())
        })
        .expect("a matter citing a legal basis on a division")
        .clone();
    let basis = matter["legalBases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| !b["division"].is_null())
        .unwrap()
        .clone();
    let required = |field: &str| json!([{ "field": [field], "code": "REQUIRED" }]);

    // Given a remark, then an explicit null: the remark is cleared (duty and work item alike)
    for (name, id, selection, row) in [
        ("updateDuty", &duty, "duty { remark }", "duty"),
        ("updateWorkItem", &item, "workItem { remark }", "workItem"),
    ] {
        let set = update(
            &app,
            &token,
            name,
            json!({ "id": id, "remark": "备注" }),
            selection,
        )
        .await;
        assert_eq!(set[row]["remark"], "备注", "{set}");
        let cleared = update(
            &app,
            &token,
            name,
            json!({ "id": id, "remark": null }),
            selection,
        )
        .await;
        assert_eq!(cleared["userErrors"], json!([]), "{cleared}");
        assert!(cleared[row]["remark"].is_null(), "{cleared}");
    }
    // A field no row goes without: REQUIRED on its path, and nothing is stored
    let cases = [
        (
            "updateDuty",
            json!({ "id": duty, "text": null }),
            "duty { text }",
            "text",
        ),
        (
            "updateWorkItem",
            json!({ "id": item, "position": null }),
            "workItem { seq }",
            "position",
        ),
        (
            "updatePublicService",
            json!({ "id": service["id"], "name": null }),
            "publicService { name }",
            "name",
        ),
        (
            "updateDivision",
            json!({ "id": matter["divisions"][0]["id"], "role": null }),
            "division { role }",
            "role",
        ),
        (
            "updateBoundaryMatter",
            json!({ "id": matter["id"], "disputed": null }),
            "boundaryMatter { disputed }",
            "disputed",
        ),
        (
            "updateLegalBasis",
            json!({ "id": basis["id"], "title": null }),
            "legalBasis { title }",
            "title",
        ),
    ];
    for (name, input, selection, field) in cases {
        let refused = update(&app, &token, name, input, selection).await;
        assert_eq!(refused["userErrors"], required(field), "{name}: {refused}");
        let row = refused
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| *k != "userErrors");
        assert!(row.unwrap().1.is_null(), "{name}: {refused}");
    }
    let names = app
        .gql("{ publicServices(first: 1) { nodes { name } } }", json!({}))
        .await;
    assert_eq!(names["publicServices"]["nodes"][0]["name"], service["name"]);
    // A legal basis's division may be emptied: null cites it on no row
    let uncited = update(
        &app,
        &token,
        "updateLegalBasis",
        json!({ "id": basis["id"], "divisionId": null }),
        "legalBasis { title division { id } }",
    )
    .await;
    assert_eq!(uncited["userErrors"], json!([]), "{uncited}");
    assert!(uncited["legalBasis"]["division"].is_null(), "{uncited}");
    assert_eq!(uncited["legalBasis"]["title"], basis["title"]);
    // A unit's parent and aliases may be emptied; its kind may not
    let unit = app.department_id("政策法规股").await;
    let selection = "department { kind aliases parent { name } }";
    let refused = update(
        &app,
        &admin,
        "updateDepartment",
        json!({ "id": unit, "kind": null }),
        selection,
    )
    .await;
    assert_eq!(refused["userErrors"], required("kind"), "{refused}");
    let detached = update(
        &app,
        &admin,
        "updateDepartment",
        json!({ "id": unit, "parentId": null, "aliases": null }),
        selection,
    )
    .await;
    assert_eq!(detached["userErrors"], json!([]), "{detached}");
    assert!(detached["department"]["parent"].is_null(), "{detached}");
    assert_eq!(detached["department"]["aliases"], json!([]), "{detached}");
    assert_eq!(
        detached["department"]["kind"], "INTERNAL_UNIT",
        "{detached}"
    );
}
