//! Reads are answered from a cache that every write invalidates, on every server.

use qingdan_tests::{TestApp, assert_no_user_errors};
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
    // Then the answer is the same, and no SQL but the data version's was sent: on
    // PostgreSQL not even that, the server follows its channel
    assert_eq!(first, again);
    assert_eq!(app.versions.is_live(), qingdan::db::is_postgres(&app.db));
    assert_eq!(app.statements.get() - before, app.cached_read_statements());
}

#[tokio::test]
async fn cache__a_write_through_this_server_is_seen_by_its_next_request() {
    use qingdan::auth::Role;
    // Given a cached read
    let app = TestApp::spawn().await;
    let before = app.gql(COUNT, json!({})).await;
    assert_eq!(before["departments"]["totalCount"], 1);
    // When an administrator adds a department through the API
    let admin = app.token("管理员", &[Role::Admin], None);
    let create = r#"mutation($input: CreateDepartmentInput!) {
      createDepartment(input: $input) { userErrors { code } } }"#;
    let input = json!({ "input": { "name": "安化县卫生局卫生监督所", "kind": "INTERNAL_UNIT" } });
    let created = app.post_as(&admin, create, input).await;
    assert_no_user_errors(&created, "createDepartment");
    // Then the very next read includes it
    let after = app.gql(COUNT, json!({})).await;
    assert_eq!(after["departments"]["totalCount"], 2, "{after}");
}

#[tokio::test]
async fn cache__a_write_on_another_server_is_seen_without_a_restart() {
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
    // Then server A's answer includes it, without a restart: on SQLite at its next request
    // (it reads the version row), on PostgreSQL as soon as the write's notification arrives
    let mut asked = 0;
    let after = loop {
        asked += 1;
        let after = a.gql(COUNT, json!({})).await;
        if after["departments"]["totalCount"] == 2 || asked == 200 {
            break after;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_eq!(after["departments"]["totalCount"], 2, "{after}");
    if !a.versions.is_live() {
        assert_eq!(asked, 1, "read the version row, so saw the write at once");
    }
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
    let seen = app.query_as(&supervisor, query).await;
    assert_eq!(seen["data"]["inspections"]["totalCount"], 1);
    // Then another unit asking the same gets its own (empty) answer, not the cached one, and
    // anonymous callers are still refused
    crate::supervision::assert_hidden_from_other_units_and_anonymous(&app, query).await;
    // And a new day re-derives statuses instead of serving yesterday's
    let before = app.statements.get();
    app.query_as(&supervisor, query).await;
    assert_eq!(
        app.statements.get() - before,
        app.cached_read_statements(),
        "served from the cache"
    );
    app.clock.set_date("2016-07-21".parse().unwrap());
    let before = app.statements.get();
    app.query_as(&supervisor, query).await;
    assert!(
        app.statements.get() - before > 1,
        "computed again on a new day"
    );
}
