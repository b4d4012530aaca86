//! Every unique and foreign-key constraint a caller can reach answers with a code: a rule's
//! `userErrors` code, or the retryable `CONFLICT` for writes that raced. Never `INTERNAL`.

use qingdan::auth::Role;
use qingdan_tests::TestApp;
use serde_json::{Value, json};

const MATTERS: &str = "{ boundaryMatters(first: 20) { nodes { id title divisions { id role department { id name } } } } }";

/// The `userErrors` codes of the one mutation in `body`, after checking it failed no other way.
fn user_codes(body: &Value) -> Vec<String> {
    assert!(body.get("errors").is_none(), "{body:#}");
    crate::supervision::codes(body["data"].as_object().unwrap().values().next().unwrap())
}

/// A matter with at least two divisions, and a department with none on it.
async fn matter_with_two_divisions(app: &TestApp) -> (Value, Value) {
    let data = app.gql(MATTERS, json!({})).await;
    let matter = data["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["divisions"].as_array().unwrap().len() >= 2)
        .expect("a matter shared by two departments")
        .clone();
    let named: Vec<&str> = matter["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department"]["name"].as_str().unwrap())
        .collect();
    let departments = app
        .gql(
            "{ departments(first: 100) { nodes { id name } } }",
            json!({}),
        )
        .await;
    let outsider = departments["departments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| !named.contains(&d["name"].as_str().unwrap()))
        .unwrap()["id"]
        .clone();
    (matter, outsider)
}

#[tokio::test]
async fn divisions__a_department_has_one_division_on_a_matter() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let (matter, _) = matter_with_two_divisions(&app).await;
    let first = &matter["divisions"][0];
    let second = &matter["divisions"][1];
    // A second division for a department already on the matter: DIVISION_EXISTS
    let create = r#"mutation($input: CreateDivisionInput!) { createDivision(input: $input) {
        division { id } userErrors { field code message } } }"#;
    let input = json!({ "matterId": matter["id"], "departmentId": first["department"]["id"],
                        "text": "再次分工" });
    let body = app.post_as(&admin, create, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), ["DIVISION_EXISTS"], "{body}");
    assert_eq!(
        body["data"]["createDivision"]["userErrors"][0]["field"],
        json!(["departmentId"])
    );
    // Moving a division to a department already on the matter: DIVISION_EXISTS
    let update = r#"mutation($input: UpdateDivisionInput!) { updateDivision(input: $input) {
        division { id } userErrors { field code message } } }"#;
    let input = json!({ "id": second["id"], "departmentId": first["department"]["id"] });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), ["DIVISION_EXISTS"], "{body}");
    // A department that does not exist: DEPARTMENT_UNKNOWN, not a foreign-key failure
    let unknown = qingdan::ids::department(999_999);
    let input = json!({ "matterId": matter["id"], "departmentId": unknown, "text": "分工" });
    let body = app.post_as(&admin, create, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), ["DEPARTMENT_UNKNOWN"], "{body}");
    // And the matter is unchanged
    let data = app.gql(MATTERS, json!({})).await;
    let after = data["boundaryMatters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == matter["id"])
        .unwrap()
        .clone();
    assert_eq!(after["divisions"], matter["divisions"]);
}

#[tokio::test]
async fn departments__names_and_aliases_are_unique_even_within_one_input() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let create = r#"mutation($input: CreateDepartmentInput!) { createDepartment(input: $input) {
        department { id } userErrors { field code message } } }"#;
    // The same alias twice: REQUIRED (aliases are distinct); the department's own name as
    // an alias: NAME_TAKEN
    for (aliases, code) in [
        (json!(["县医保局", "县医保局"]), "REQUIRED"),
        (json!(["安化县医疗保障局"]), "NAME_TAKEN"),
    ] {
        let input = json!({ "name": "安化县医疗保障局", "kind": "DEPARTMENT", "aliases": aliases });
        let body = app.post_as(&admin, create, json!({ "input": input })).await;
        assert_eq!(user_codes(&body), [code], "{body}");
    }
    let input =
        json!({ "name": "安化县医疗保障局", "kind": "DEPARTMENT", "aliases": ["县医保局"] });
    let body = app.post_as(&admin, create, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), Vec::<String>::new(), "{body}");
    let id = body["data"]["createDepartment"]["department"]["id"].clone();
    // Renamed (from a date) to a name another department has: NAME_TAKEN
    let reorganise = r#"mutation($input: ReorganiseDepartmentInput!) { reorganiseDepartment(input: $input) {
        department { id } userErrors { field code message } } }"#;
    let input = json!({ "departmentId": id, "kind": "RENAME", "effectiveFrom": "2027-01-01",
                        "newName": "安化县公安局", "reason": "机构改革" });
    let body = app
        .post_as(&admin, reorganise, json!({ "input": input }))
        .await;
    assert_eq!(user_codes(&body), ["NAME_TAKEN"], "{body}");
    // Corrected to take another department's alias: NAME_TAKEN
    let update = r#"mutation($input: UpdateDepartmentInput!) { updateDepartment(input: $input) {
        department { id } userErrors { field code message } } }"#;
    let input = json!({ "id": id, "aliases": ["县人口计生局"] });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), ["NAME_TAKEN"], "{body}");
}

#[tokio::test]
async fn supervision__repeated_items_in_one_input_are_rules_not_crashes() {
    let app = TestApp::spawn().await;
    let s = crate::supervision::setup(&app).await;
    // One method twice: refused as a method it may not name again
    let mut input = s.inspection();
    input["methodItemIds"] = json!([s.methods[0], s.methods[0]]);
    let payload = s.submit(&app, input).await;
    assert_eq!(
        crate::supervision::codes(&payload),
        ["METHOD_NOT_IN_REGIME"]
    );
    assert_eq!(s.inspection_count(&app).await, 0);
    // An unknown department: DEPARTMENT_UNKNOWN
    let mut input = s.inspection();
    input["targetDepartmentId"] = json!(qingdan::ids::department(999_999));
    let payload = s.submit(&app, input).await;
    assert_eq!(crate::supervision::codes(&payload), ["DEPARTMENT_UNKNOWN"]);

    // One situation or form twice in an accountability record: refused the same way
    let (inspection, _) = s.noticed(&app).await;
    let ids = app.regime_ids("TERRITORIAL_ENFORCEMENT").await;
    let record = r#"mutation($input: RecordAccountabilityInput!) {
      recordAccountability(input: $input) { accountability { staffName } userErrors { field code } } }"#;
    let input = json!({
        "inspectionId": inspection, "subjectKind": "STAFF", "staffName": "某执法人员",
        "situationItemIds": [ids.handling["1.9"], ids.handling["1.9"]],
        "formItemIds": [ids.handling["2.1"], ids.handling["2.1"]]
    });
    let body = app
        .post_as(&s.supervisor, record, json!({ "input": input }))
        .await;
    assert_eq!(
        user_codes(&body),
        ["SITUATION_NOT_IN_REGIME", "FORM_NOT_IN_REGIME"],
        "{body}"
    );
}

#[tokio::test]
async fn calendar_and_lexicon__one_day_or_term_twice_is_not_a_crash() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    // The same day twice in one load: DAY_DUPLICATE
    let load = r#"mutation($input: LoadCalendarInput!) { loadCalendar(input: $input) { loaded userErrors { field code } } }"#;
    let days = json!([{ "day": "2027-10-01", "working": false, "note": "国庆节" },
                      { "day": "2027-10-01", "working": true }]);
    let body = app
        .post_as(&admin, load, json!({ "input": { "days": days } }))
        .await;
    assert_eq!(user_codes(&body), ["DAY_DUPLICATE"], "{body}");
    // Loading a day already loaded replaces it
    let days = json!([{ "day": "2027-10-01", "working": false, "note": "国庆节" }]);
    for _ in 0..2 {
        let body = app
            .post_as(&admin, load, json!({ "input": { "days": days } }))
            .await;
        assert_eq!(user_codes(&body), Vec::<String>::new(), "{body}");
    }
    // Setting a term twice changes it
    let set = r#"mutation($input: SetLexiconEntryInput!) { setLexiconEntry(input: $input) {
        entry { term expansion } userErrors { field code } } }"#;
    for expansion in ["弃婴", "遗弃婴儿"] {
        let input = json!({ "term": "捡到小孩", "expansion": expansion, "kind": "COLLOQUIAL" });
        let body = app.post_as(&admin, set, json!({ "input": input })).await;
        assert_eq!(user_codes(&body), Vec::<String>::new(), "{body}");
        assert_eq!(
            body["data"]["setLexiconEntry"]["entry"]["expansion"],
            expansion
        );
    }
}

#[tokio::test]
async fn publication__racing_publications_of_one_list_publish_it_once() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let admin = app.token("管理员", &[Role::Admin], None);
    // Given a draft with a change
    let service = app.first_node_id("publicServices").await;
    let update = r#"mutation($input: UpdatePublicServiceInput!) { updatePublicService(input: $input) {
        publicService { id } userErrors { code } } }"#;
    let input = json!({ "id": service, "name": "计划生育药具免费发放" });
    let body = app.post_as(&admin, update, json!({ "input": input })).await;
    assert_eq!(user_codes(&body), Vec::<String>::new(), "{body}");
    let list = app.gql("{ responsibilityLists { id } }", json!({})).await["responsibilityLists"][0]
        ["id"]
        .clone();
    // When eight publications of it race (distinct bodies, so none waits on another's answer)
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (app, admin, list) = (app.clone(), admin.clone(), list.clone());
            tokio::spawn(async move {
                let query = format!("{} # {i}", qingdan_tests::PUBLISH);
                let input = json!({ "listId": list, "effectiveFrom": "2016-01-01",
                                    "reason": "勘误", "reasonKind": "CORRECTION" });
                app.post_as(&admin, &query, json!({ "input": input })).await
            })
        })
        .collect();
    let mut published = 0;
    for task in tasks {
        let body = task.await.unwrap();
        // Then each is answered with a code: published, NO_DRAFT, or a retryable CONFLICT
        match body["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => {
                assert_eq!(code, "CONFLICT", "{body}");
                assert_eq!(body["errors"][0]["extensions"]["retryable"], true);
            }
            None => match user_codes(&body).as_slice() {
                [] => published += 1,
                [code] => assert_eq!(code, "NO_DRAFT", "{body}"),
                other => panic!("{other:?}"),
            },
        }
    }
    // And the list has exactly one new version
    assert_eq!(published, 1);
    let versions = app
        .query_as(&admin, "{ responsibilityLists { versions { number } } }")
        .await;
    assert_eq!(
        versions["data"]["responsibilityLists"][0]["versions"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{versions}"
    );
}
