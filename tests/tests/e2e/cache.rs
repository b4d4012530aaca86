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
async fn cache__callers_with_a_token_are_never_served_from_it() {
    let app = TestApp::spawn().await;
    app.gql(COUNT, json!({})).await;
    let token = app.token("someone", &[qingdan::auth::Role::Supervisor], None);
    let before = app.statements.get();
    app.post_as(&token, COUNT, json!({})).await;
    assert!(app.statements.get() - before >= 2, "the query ran");
}
