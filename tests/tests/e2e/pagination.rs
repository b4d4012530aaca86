use qingdan_tests::TestApp;
use serde_json::json;

const PAGE: &str = r#"query($first: Int, $after: String, $last: Int, $before: String) {
  departments(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}"#;

fn names(data: &serde_json::Value) -> Vec<String> {
    data["departments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn connection__forward_pages_cover_every_row_once() {
    let app = TestApp::spawn().await;
    let all = app.gql(PAGE, json!({ "first": 100 })).await;
    let total = all["departments"]["totalCount"].as_u64().unwrap() as usize;
    let everything = names(&all);
    assert_eq!(everything.len(), total);

    // Walk three at a time
    let (mut seen, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = app.gql(PAGE, json!({ "first": 3, "after": after })).await;
        assert_eq!(
            page["departments"]["totalCount"].as_u64().unwrap() as usize,
            total
        );
        seen.extend(names(&page));
        let info = &page["departments"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(info["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, everything);
}

#[tokio::test]
async fn connection__backward_page_ends_before_the_cursor() {
    let app = TestApp::spawn().await;
    let all = app.gql(PAGE, json!({ "first": 100 })).await;
    let everything = names(&all);
    let fifth = all["departments"]["edges"][4]["cursor"].clone();
    let page = app.gql(PAGE, json!({ "last": 2, "before": fifth })).await;
    assert_eq!(names(&page), everything[2..4].to_vec());
    assert_eq!(page["departments"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["departments"]["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn connection__page_size_is_required_and_capped() {
    let app = TestApp::spawn().await;
    // 100 is accepted, 101 refused
    app.gql(PAGE, json!({ "first": 100 })).await;
    assert_eq!(
        app.gql_error_code(PAGE, json!({ "first": 101 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_error_code(PAGE, json!({ "last": 101 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_error_code(PAGE, json!({ "first": -1 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(app.gql_error_code(PAGE, json!({})).await, "BAD_USER_INPUT");
    assert_eq!(
        app.gql_error_code(PAGE, json!({ "first": 1, "last": 1 }))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_error_code(PAGE, json!({ "first": 1, "after": "两非" }))
            .await,
        "BAD_USER_INPUT"
    );
}

#[tokio::test]
async fn connection__wrong_kind_of_id_is_bad_input() {
    let app = TestApp::spawn().await;
    let duty_id = app.first_node_id("duties").await;
    let code = app
        .gql_error_code(
            "query($d: ID) { duties(first: 1, filter: { departmentId: $d }) { totalCount } }",
            json!({ "d": duty_id }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

/// Pages of inspections, whose rows and relations the process holds once read, walk every
/// inspection once, both ways, each with its own row.
#[tokio::test]
async fn connection__inspections_pages_walk_every_inspection_both_ways() {
    let (app, s) = crate::supervision::spawn_with_setup().await;
    for n in 1..=5 {
        let mut input = s.inspection();
        input["record"] = json!(format!("第{n}次抽查书面记录"));
        s.submit(&app, input).await;
    }
    const INSPECTIONS: &str = r#"query($first: Int, $after: String, $last: Int, $before: String) {
      inspections(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id record } }
      }
    }"#;
    let page = |vars: serde_json::Value| {
        let (app, s) = (&app, &s);
        async move {
            let body = app.post_as(&s.supervisor, INSPECTIONS, vars).await;
            assert!(body.get("errors").is_none(), "{body:#}");
            body["data"]["inspections"].clone()
        }
    };
    let records = |page: &serde_json::Value| -> Vec<String> {
        (page["edges"].as_array().unwrap().iter())
            .map(|e| e["node"]["record"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = page(json!({ "first": 100 })).await;
    assert_eq!(all["totalCount"], 5);
    let everything = records(&all);
    let expected: Vec<String> = (1..=5).map(|n| format!("第{n}次抽查书面记录")).collect();
    assert_eq!(
        everything, expected,
        "in the order submitted, each its own row"
    );

    let (mut seen, mut after) = (Vec::new(), None::<String>);
    loop {
        let two = page(json!({ "first": 2, "after": after })).await;
        seen.extend(records(&two));
        if two["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(two["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, everything);

    let fifth = all["edges"][4]["cursor"].clone();
    let before = page(json!({ "last": 2, "before": fifth })).await;
    assert_eq!(records(&before), everything[2..4].to_vec());
    assert_eq!(before["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(before["pageInfo"]["hasNextPage"], true);
    let last = page(json!({ "last": 2 })).await;
    assert_eq!(records(&last), everything[3..].to_vec());
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
}
