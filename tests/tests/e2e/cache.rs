//! Anonymous reads are answered from a cache that every write invalidates, on every server.

use qingdan_tests::TestApp;
use serde_json::json;

const COUNT: &str = r#"{ departments(first: 100, filter: { nameContains: "卫生局" }) { totalCount nodes { name } } }"#;

#[tokio::test]
async fn cache__repeated_read_is_served_without_the_query() {
    let app = TestApp::spawn().await;
    // Given a read answered once
    let first = app.gql(COUNT, json!({})).await;
    // When it is asked again
    let before = app.statements.get();
    let again = app.gql(COUNT, json!({})).await;
    // Then the answer is the same and only the data version was read
    assert_eq!(first, again);
    assert_eq!(app.statements.get() - before, 1);
}

#[tokio::test]
async fn cache__a_write_on_another_server_is_seen_by_the_next_request() {
    // Given two servers on one database, each having cached the read
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_beside(&a).await;
    let before = a.gql(COUNT, json!({})).await;
    assert_eq!(before["departments"]["totalCount"], 1);
    assert_eq!(b.gql(COUNT, json!({})).await, before);
    // When server B's process loads a list that adds a department
    let mut list: serde_json::Value = serde_json::from_str(qingdan::import::ANHUA).unwrap();
    list["title"] = json!("另一份责任清单");
    list["departments"].as_array_mut().unwrap().push(json!({
        "name": "安化县卫生局卫生监督所", "kind": "INTERNAL_UNIT", "parent": "安化县卫生局", "aliases": []
    }));
    qingdan::import::import(&b.db, &list.to_string())
        .await
        .expect("list loaded");
    // Then server A's next answer includes it, without a restart
    let after = a.gql(COUNT, json!({})).await;
    assert_eq!(after["departments"]["totalCount"], 2, "{after}");
    assert_eq!(b.gql(COUNT, json!({})).await, after);
}

#[tokio::test]
async fn cache__what_a_caller_may_see_is_part_of_the_key() {
    use qingdan::auth::Role;
    // Given a supervisor's answer with an inspection of 政策法规股 in it
    let app = TestApp::spawn().await;
    app.clock.set_date("2016-07-20".parse().unwrap());
    let target = app.department_id("政策法规股").await;
    let supervisor = app.token("督查", &[Role::Supervisor], None);
    let ids = app.regime_ids("TERRITORIAL_ENFORCEMENT").await;
    let input = json!({ "input": {
        "regimeCode": "TERRITORIAL_ENFORCEMENT", "targetDepartmentId": target,
        "inspectors": [{ "name": "甲", "certificateNo": "1" }, { "name": "乙", "certificateNo": "2" }],
        "methodItemIds": [ids.methods[0]], "periodStart": "2016-07-01", "periodEnd": "2016-07-02",
        "findings": [{ "itemId": ids.checklist[0], "outcome": "NONCOMPLIANT" }], "record": "记录" } });
    let submit = "mutation($input: SubmitInspectionInput!) { submitInspection(input: $input) { inspection { id } } }";
    app.post_as(&supervisor, submit, input).await;
    let query = "{ inspections(first: 10) { totalCount nodes { status } } }";
    let seen = app.post_as(&supervisor, query, json!({})).await;
    assert_eq!(seen["data"]["inspections"]["totalCount"], 1);
    // Then another unit asking the same gets its own (empty) answer, not the cached one
    let other = app.department_id("宣传站").await;
    let unit = app.token("宣传站", &[Role::Unit], Some(&other));
    let theirs = app.post_as(&unit, query, json!({})).await;
    assert_eq!(theirs["data"]["inspections"]["totalCount"], 0);
    // And anonymous callers are still refused
    assert_eq!(
        app.gql_error_code(query, json!({})).await,
        "UNAUTHENTICATED"
    );
    // And a new day re-derives statuses instead of serving yesterday's
    let before = app.statements.get();
    app.post_as(&supervisor, query, json!({})).await;
    assert_eq!(app.statements.get() - before, 1, "served from the cache");
    app.clock.set_date("2016-07-21".parse().unwrap());
    let before = app.statements.get();
    app.post_as(&supervisor, query, json!({})).await;
    assert!(
        app.statements.get() - before > 1,
        "computed again on a new day"
    );
}
