//! The published list comes back exactly as the data file holds it.

use qingdan_tests::{TestApp, anhua_file};
use serde_json::{Value, json};

const ALL_DUTIES: &str = r#"query($after: String) {
  duties(first: 100, after: $after) {
    totalCount
    nodes { seq text remark department { name } workItems { seq text remark } }
  }
}"#;

/// The `text` of each item of a JSON array, in order.
fn texts(items: &Value) -> Vec<&Value> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["text"])
        .collect()
}

#[tokio::test]
async fn duties__every_duty_and_work_item_is_returned_exactly() {
    // Given the Anhua list loaded at first start
    let app = TestApp::spawn().await;
    let file = anhua_file();
    // When a client reads all duties with their work items
    let data = app.gql(ALL_DUTIES, json!({})).await;
    // Then each text is byte-for-byte the file's, in order
    let duties = data["duties"]["nodes"].as_array().unwrap();
    let expected = file["duties"].as_array().unwrap();
    assert_eq!(data["duties"]["totalCount"], json!(expected.len()));
    assert_eq!(duties.len(), expected.len());
    for (got, want) in duties.iter().zip(expected) {
        assert_eq!(got["seq"], want["seq"]);
        assert_eq!(got["text"], want["text"]);
        assert_eq!(got["remark"], want["remark"]);
        assert_eq!(got["department"]["name"], want["department"]);
        let items: Vec<Value> = want["workItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| json!({ "seq": w["seq"], "text": w["text"], "remark": w["remark"] }))
            .collect();
        assert_eq!(got["workItems"], json!(items));
    }
}

#[tokio::test]
async fn duties__published_quirks_are_kept() {
    let app = TestApp::spawn().await;
    let data = app
        .gql(r#"{ duties(first: 5, filter: { textContains: "并发证" }) { nodes { seq workItems { text } } } }"#, json!({}))
        .await;
    // The list's own typo (并发证 for 并发症) is data, kept and searchable.
    let nodes = data["duties"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["seq"], 5);
    assert!(
        nodes[0]["workItems"]
            .to_string()
            .contains("手术并发证和病残儿童")
    );
}

#[tokio::test]
async fn department__name_matches_an_alias() {
    let app = TestApp::spawn().await;
    // Given the bureau is printed as 县人口计生局 in the boundary table
    let data = app
        .gql(r#"{ department(name: "县人口计生局") { name kind aliases parent { name } units { name kind } } }"#, json!({}))
        .await;
    // Then that name finds the bureau, with its internal units
    let bureau = &data["department"];
    assert_eq!(bureau["name"], "安化县人口和计划生育局");
    assert_eq!(bureau["kind"], "DEPARTMENT");
    assert!(
        bureau["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("县人口计生局"))
    );
    assert!(bureau["parent"].is_null());
    let units: Vec<&str> = bureau["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    for unit in ["宣传站", "流管站", "政策法规股", "药具站"] {
        assert!(units.contains(&unit), "{unit} missing from {units:?}");
    }
    // And an unknown name is null, not an error
    let none = app
        .gql(r#"{ department(name: "县不存在局") { id } }"#, json!({}))
        .await;
    assert!(none["department"].is_null());
}

#[tokio::test]
async fn boundary_matters__divisions_roles_and_legal_bases() {
    let app = TestApp::spawn().await;
    let file = anhua_file();
    let data = app
        .gql(
            r#"{ boundaryMatters(first: 10) { totalCount nodes {
                seq publishedSeq title disputed lead { department { name } }
                divisions { seq role text publishedDepartmentName department { name } legalBases { title text } cases { text } }
                legalBases { text } cases { text } } } }"#,
            json!({}),
        )
        .await;
    let matters = data["boundaryMatters"]["nodes"].as_array().unwrap();
    let expected = file["boundaryMatters"].as_array().unwrap();
    assert_eq!(matters.len(), expected.len());
    for (got, want) in matters.iter().zip(expected) {
        assert_eq!(got["title"], want["title"]);
        assert_eq!(got["publishedSeq"], want["publishedSeq"]);
        let divisions = got["divisions"].as_array().unwrap();
        let want_divisions = want["divisions"].as_array().unwrap();
        assert_eq!(divisions.len(), want_divisions.len());
        for (d, w) in divisions.iter().zip(want_divisions) {
            assert_eq!(d["text"], w["text"]);
            assert_eq!(d["role"], w["role"]);
            assert_eq!(d["department"]["name"], w["department"]);
            assert_eq!(d["publishedDepartmentName"], w["publishedDepartment"]);
            assert_eq!(texts(&d["legalBases"]), texts(&w["legalBases"]));
        }
    }
    // Both matters are printed as 2; their positions are still distinct.
    assert_eq!(matters[0]["publishedSeq"], "2");
    assert_eq!(matters[1]["publishedSeq"], "2");
    assert_ne!(matters[0]["seq"], matters[1]["seq"]);
    // The 两非 matter is led by the bureau.
    assert_eq!(
        matters[0]["lead"]["department"]["name"],
        "安化县人口和计划生育局"
    );
}

#[tokio::test]
async fn public_services__units_phones_and_unit_filter() {
    let app = TestApp::spawn().await;
    let file = anhua_file();
    let data = app
        .gql("{ publicServices(first: 100) { totalCount nodes { seq name content phone publishedPhone unit { name parent { name } } } } }", json!({}))
        .await;
    let services = data["publicServices"]["nodes"].as_array().unwrap();
    let expected = file["publicServices"].as_array().unwrap();
    assert_eq!(services.len(), expected.len());
    for (got, want) in services.iter().zip(expected) {
        assert_eq!(got["name"], want["name"]);
        assert_eq!(got["content"], want["content"]);
        assert_eq!(got["unit"]["name"], want["unit"]);
        assert_eq!(got["phone"], want["phone"]);
        assert_eq!(got["publishedPhone"], want["publishedPhone"]);
        assert_eq!(got["unit"]["parent"]["name"], "安化县人口和计划生育局");
    }
    // The phone printed with a leading space keeps it, and is clean where normalised.
    let policy = services
        .iter()
        .find(|s| s["name"] == "生育政策咨询")
        .unwrap();
    assert_eq!(policy["publishedPhone"], " 13467875991");
    assert_eq!(policy["phone"], "13467875991");

    // Given the 药具站's id, the unit filter returns its services; the bureau's id returns all.
    let depot = app
        .gql(
            r#"{ department(name: "药具站") { id publicServices { name } } }"#,
            json!({}),
        )
        .await;
    let depot_id = depot["department"]["id"].clone();
    let filtered = app
        .gql(
            "query($u: ID) { publicServices(first: 100, filter: { unitId: $u }) { totalCount } }",
            json!({ "u": depot_id }),
        )
        .await;
    let depot_count = expected.iter().filter(|s| s["unit"] == "药具站").count();
    assert_eq!(filtered["publicServices"]["totalCount"], json!(depot_count));
    assert_eq!(
        depot["department"]["publicServices"]
            .as_array()
            .unwrap()
            .len(),
        depot_count
    );
    let bureau = app.bureau_id().await;
    let all = app
        .gql(
            "query($u: ID) { publicServices(first: 100, filter: { unitId: $u }) { totalCount } }",
            json!({ "u": bureau }),
        )
        .await;
    assert_eq!(all["publicServices"]["totalCount"], json!(expected.len()));
}

#[tokio::test]
async fn supervision_regimes__sections_items_and_rules() {
    let app = TestApp::spawn().await;
    let file = anhua_file();
    let data = app
        .gql(
            "{ supervisionRegimes { id code title rules { minInspectors reviewRequestDays reviewDecisionDays dayCount }
               sections { kind title items { id seq label text items { seq label text } } } } }",
            json!({}),
        )
        .await;
    let regimes = data["supervisionRegimes"].as_array().unwrap();
    let expected = file["supervisionRegimes"].as_array().unwrap();
    assert_eq!(regimes.len(), expected.len());
    for (got, want) in regimes.iter().zip(expected) {
        assert_eq!(got["code"], want["code"]);
        assert_eq!(got["title"], want["title"]);
        assert_eq!(
            got["rules"]["minInspectors"],
            want["rules"]["minInspectors"]
        );
        assert_eq!(
            got["rules"]["reviewRequestDays"],
            want["rules"]["reviewRequestDays"]
        );
        let sections = got["sections"].as_array().unwrap();
        let want_sections = want["sections"].as_array().unwrap();
        assert_eq!(sections.len(), want_sections.len());
        for (s, w) in sections.iter().zip(want_sections) {
            assert_eq!(s["kind"], w["kind"]);
            assert_eq!(s["title"], w["title"]);
            assert_eq!(texts(&s["items"]), texts(&w["items"]));
        }
    }
    // The territorial-enforcement regime states the 10- and 15-day review limits.
    let territorial = regimes
        .iter()
        .find(|r| r["code"] == "TERRITORIAL_ENFORCEMENT")
        .unwrap();
    assert_eq!(territorial["rules"]["reviewRequestDays"], 10);
    assert_eq!(territorial["rules"]["reviewDecisionDays"], 15);
    assert_eq!(territorial["rules"]["dayCount"], "NATURAL");
}

#[tokio::test]
async fn node__every_object_type_resolves_by_global_id() {
    let app = TestApp::spawn().await;
    let data = app
        .gql(
            "{ boundaryMatters(first: 1) { nodes { id divisions { id legalBases { id } cases { id } } } }
               duties(first: 1) { nodes { id workItems { id } department { id } } }
               publicServices(first: 1) { nodes { id } }
               supervisionRegimes { id sections { id items { id } } } }",
            json!({}),
        )
        .await;
    let mut ids = Vec::new();
    collect_ids(&data, &mut ids);
    assert!(ids.len() > 20, "{}", ids.len());
    for id in ids {
        let found = app
            .gql(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(found["node"]["id"], json!(id), "node({id})");
    }
    // An id of nothing is null; a garbled one too.
    let none = app
        .gql(
            r#"{ node(id: "RGVwYXJ0bWVudDo5OTk5OTk") { id } a: node(id: "计生") { id } }"#,
            json!({}),
        )
        .await;
    assert!(none["node"].is_null() && none["a"].is_null());
}

fn collect_ids(value: &Value, ids: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "id" {
                    ids.push(value.as_str().unwrap().to_owned());
                } else {
                    collect_ids(value, ids);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, ids)),
        _ => {}
    }
}

#[tokio::test]
async fn filters__chinese_substrings_are_matched_exactly() {
    let app = TestApp::spawn().await;
    let file = anhua_file();
    // Given a phrase from one division of the 流动人口 matter
    let data = app
        .gql(r#"{ boundaryMatters(first: 10, filter: { textContains: "房屋租赁" }) { nodes { title } } }"#, json!({}))
        .await;
    assert_eq!(
        data["boundaryMatters"]["nodes"],
        json!([{ "title": "流动人口管理" }])
    );
    // The departments filter matches names and aliases
    let data = app
        .gql(
            r#"{ departments(first: 100, filter: { nameContains: "计生" }) { nodes { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["departments"]["nodes"],
        json!([{ "name": "安化县人口和计划生育局" }])
    );
    // A LIKE wildcard in the text is taken literally
    let data = app
        .gql(
            r#"{ duties(first: 100, filter: { textContains: "%" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["duties"]["totalCount"], 0);
    // Duties of the bureau are all of the list's duties
    let bureau = app.bureau_id().await;
    let data = app
        .gql(
            "query($d: ID) { duties(first: 100, filter: { departmentId: $d }) { totalCount } }",
            json!({ "d": bureau }),
        )
        .await;
    assert_eq!(
        data["duties"]["totalCount"],
        json!(file["duties"].as_array().unwrap().len())
    );
}
