//! The published lists answered from memory: the same answers as from SQL, no SQL on a read
//! the response cache cannot serve, and kept answers that only the writes to what they read
//! invalidate.

use qingdan::auth::Role;
use qingdan_tests::{Options, TestApp};
use serde_json::{Value, json};

/// Every list read, nested, paged and filtered: what memory and SQL must answer alike (one
/// document each, within the complexity limit).
const EVERYTHING: [&str; 4] = [
    r#"{ departments(first: 100) { totalCount nodes {
      id name kind aliases parent { name } units { name }
      duties { id seq text remark department { name } workItems { id seq text duty { seq } } }
      publicServices { id seq name content phone publishedPhone unit { name } } } } }"#,
    r#"{ departments(first: 100) { nodes { divisions { id seq role text publishedDepartmentName
      matter { title } legalBases { title text division { seq } } cases { text } } } } }"#,
    r#"query($after: String) {
      named: departments(first: 100, filter: { nameContains: "计生" }) { totalCount nodes { name } }
      units: departments(first: 100, filter: { kind: INTERNAL_UNIT }) { totalCount pageInfo { endCursor } }
      duties(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { text } } }
      lastDuties: duties(last: 3) { totalCount pageInfo { hasPreviousPage } nodes { seq text } }
      dutiesWithText: duties(first: 100, filter: { textContains: "流动人口" }) { totalCount nodes { text } }
      byName: department(name: "县人口计生局") { name units { name } }
      pagedServices: publicServices(first: 2, filter: { textContains: "计划生育" }) { pageInfo { hasNextPage endCursor } nodes { name } }
      pagedDuties: duties(first: 2, filter: { textContains: "人口" }) { pageInfo { hasNextPage } nodes { text } }
      pagedMatters: boundaryMatters(first: 1, filter: { textContains: "负责" }) { pageInfo { hasNextPage } nodes { title } }
      pagedNamed: departments(first: 2, filter: { nameContains: "局" }) { pageInfo { hasNextPage } nodes { name } } }"#,
    r#"{ boundaryMatters(first: 100) { totalCount nodes { id seq publishedSeq title disputed
        lead { department { name } } divisions { role text department { name } }
        legalBases { seq title } cases { seq text division { role } } } }
      mattersWithText: boundaryMatters(first: 100, filter: { textContains: "公安" }) { totalCount nodes { title } }
      publicServices(first: 100) { totalCount nodes { seq name unit { name parent { name } } } }
      servicesWithText: publicServices(first: 100, filter: { textContains: "证明" }) { totalCount nodes { name } }
      servicesMatching: publicServices(first: 100, filter: { matching: "避孕药" }) { totalCount nodes { name } } }"#,
];

fn without_memory() -> Options {
    Options {
        limits: qingdan::config::Limits {
            list_memory_mb: 0,
            ..Default::default()
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn published__memory_answers_every_list_read_as_sql_does() {
    // Given the Anhua list served from memory, and from SQL alone (no memory for lists)
    let memory = TestApp::spawn().await;
    let sql = TestApp::spawn_with(without_memory()).await;
    let mut after = Value::Null;
    for page in 0..2 {
        for query in EVERYTHING {
            // When both answer every list read
            let variables = json!({ "after": after });
            let from_memory = memory.gql(query, variables.clone()).await;
            let from_sql = sql.gql(query, variables).await;
            // Then the answers are the same, byte for byte
            assert_eq!(
                from_memory.to_string(),
                from_sql.to_string(),
                "page {page}: {query}"
            );
            if let Some(cursor) = from_memory["duties"]["pageInfo"]["endCursor"].as_str() {
                after = json!(cursor);
            }
        }
    }
    // And the reads were not empty: a second page of duties, departments, matching services
    assert!(after.is_string());
    let all = memory.gql(EVERYTHING[0], json!({})).await;
    assert!(
        all["departments"]["totalCount"].as_u64().unwrap() > 10,
        "{all}"
    );
    // And pages without `totalCount`, which memory stops reading after, went on past their end
    let paged = memory.gql(EVERYTHING[2], json!({ "after": null })).await;
    for list in ["pagedServices", "pagedDuties", "pagedMatters", "pagedNamed"] {
        assert_eq!(
            paged[list]["pageInfo"]["hasNextPage"], true,
            "{list}: {paged}"
        );
    }
    let found = memory.gql(EVERYTHING[3], json!({})).await;
    assert!(
        !found["servicesMatching"]["nodes"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{found}"
    );
}

const DEPARTMENT: &str = r#"query($id: ID!, $nonce: Int) {
  department(id: $id) { name kind duties { seq text workItems { seq text } }
    divisions { role matter { title divisions { text } } } publicServices { name } }
  boundaryMatters(first: 10) { nodes { title } }
  publicServices(first: 10, filter: { textContains: "证" }) { nodes { name } }
  nonce: __typename @skip(if: false) n: departments(first: $nonce) { totalCount }
}"#;

#[tokio::test]
async fn published__a_read_the_cache_cannot_serve_sends_no_list_sql() {
    // Given a server that has answered one list read (its lists are in memory)
    let app = TestApp::spawn().await;
    let bureau = app.bureau_id().await;
    let warm = app
        .gql(DEPARTMENT, json!({ "id": bureau, "nonce": 1 }))
        .await;
    assert!(!warm["department"]["duties"].as_array().unwrap().is_empty());
    // When different requests ask for the same data (a new unused value each time, so no
    // answer comes from the response cache)
    for nonce in 2..6 {
        let before = app.statements.get();
        let data = app
            .gql(DEPARTMENT, json!({ "id": bureau, "nonce": nonce }))
            .await;
        // Then each is answered without a statement but the data version's (read by the
        // cache and by the lists' view on SQLite; followed over its channel on PostgreSQL)
        assert_eq!(data["department"], warm["department"]);
        assert_eq!(
            app.statements.get() - before,
            2 * app.cached_read_statements(),
            "request {nonce}"
        );
    }
}

/// The server's count of documents parsed: a read answered from the cache is not parsed.
async fn parsed(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("qingdan_documents_parsed_total "))
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("no parse counter in\n{text}"))
}

const SERVICE_NAMES: &str = r#"{ publicServices(first: 100) { nodes { id name } } }"#;

#[tokio::test]
async fn published__a_submission_keeps_the_list_answers_and_a_publication_moves_them() {
    let app = TestApp::spawn().await;
    let setup = super::supervision::setup(&app).await;
    // Given a list read answered once (on the day of the inspection)
    let first = app.gql(SERVICE_NAMES, json!({})).await;
    // When a supervisor submits an inspection
    let submitted = setup.submit(&app, setup.inspection()).await;
    assert_eq!(submitted["userErrors"], json!([]), "{submitted}");
    // Then the list read is still served from the cache (its document is not even parsed):
    // the submission moved the supervision records, not the lists
    let before = parsed(&app).await;
    assert_eq!(app.gql(SERVICE_NAMES, json!({})).await, first);
    assert_eq!(parsed(&app).await, before, "answered from the cache");

    // And when, today, the bureau's editor renames a service, it lands in the draft: readers
    // of the published list still see the old name
    app.clock.set_date("2026-12-05".parse().unwrap());
    let first = app.gql(SERVICE_NAMES, json!({})).await;
    let bureau = app.bureau_id().await;
    let editor = app.token("编辑甲", &[Role::Editor], Some(&bureau));
    let service = first["publicServices"]["nodes"][0]["id"].clone();
    let rename = r#"mutation($input: UpdatePublicServiceInput!) {
      updatePublicService(input: $input) { userErrors { code } } }"#;
    app.mutate_as(
        &editor,
        rename,
        "updatePublicService",
        json!({ "id": service, "name": "新的服务名称" }),
    )
    .await;
    let before = parsed(&app).await;
    assert_eq!(app.gql(SERVICE_NAMES, json!({})).await, first);
    assert_eq!(
        parsed(&app).await,
        before,
        "an edit in the draft keeps the published answer"
    );
    // And once the draft is published, the next read has the new name
    app.publish_drafts().await;
    let after = app.gql(SERVICE_NAMES, json!({})).await;
    let names: Vec<&Value> = after["publicServices"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["name"])
        .collect();
    assert!(names.contains(&&json!("新的服务名称")), "{after}");
}
