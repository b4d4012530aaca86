//! Each limit refuses just past its bound and accepts just below it, with a coded error.

use qingdan::auth::Role;
use qingdan::config::Limits;
use qingdan_tests::{TestApp, assert_refused_with};
use serde_json::{Value, json};

#[tokio::test]
async fn depth__refused_one_level_past_the_limit() {
    // Given a server that allows a depth of 4
    let app = TestApp::spawn_with_limits(Limits {
        max_depth: 4,
        ..Limits::default()
    })
    .await;
    // A query 4 deep is answered
    app.gql(
        "{ departments(first: 1) { nodes { parent { name } } } }",
        json!({}),
    )
    .await;
    // One level deeper is refused
    let code = app
        .gql_error_code(
            "{ departments(first: 1) { nodes { parent { parent { name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn complexity__first_multiplies_the_cost_under_it() {
    // Each node costs 4 (nodes, id, name, kind) and the connection 1: 30 nodes cost 121
    let app = TestApp::spawn_with_limits(Limits {
        max_complexity: 121,
        ..Limits::default()
    })
    .await;
    app.gql(
        "{ departments(first: 30) { nodes { id name kind } } }",
        json!({}),
    )
    .await;
    let past = "{ departments(first: 31) { nodes { id name kind } } }";
    assert_eq!(app.gql_error_code(past, json!({})).await, "LIMIT_EXCEEDED");
    // The same page with one field fewer per node fits again
    app.gql(
        "{ departments(first: 31) { nodes { id name } } }",
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn body__refused_past_its_size_before_parsing() {
    let app = TestApp::spawn_with_limits(Limits {
        max_body_bytes: 1_000,
        ..Limits::default()
    })
    .await;
    let padded = |size: usize| {
        let query = "{ departments(first: 1) { totalCount } }";
        let body = json!({ "query": query, "variables": { "pad": "" } }).to_string();
        let pad = "清".repeat((size - body.len()) / 3);
        json!({ "query": query, "variables": { "pad": pad } }).to_string()
    };
    let send = |body: String| {
        app.graphql_request()
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let small = padded(990);
    assert!(small.len() <= 1_000);
    assert_eq!(send(small).await.unwrap().status(), 200);
    let large = padded(1_010);
    assert!(large.len() > 1_000);
    let response = send(large).await.unwrap();
    assert_refused_with(response, 413, "LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn introspection__graphiql_query_passes_the_default_limits() {
    let app = TestApp::spawn().await;
    let query = async_graphql_introspection_query();
    let data = app.gql(&query, json!({})).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 50);
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery`).
fn async_graphql_introspection_query() -> String {
    r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#
    .to_owned()
}

#[tokio::test]
async fn int_argument__past_32_bits_is_bad_input_not_internal() {
    let app = TestApp::spawn().await;
    let code = app
        .gql_error_code(
            "{ departments(first: 9999999999) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn body__the_default_limit_admits_bodies_larger_than_the_cache_reads() {
    // Given the default limit (256 KiB), a 100 KiB request is executed, not refused
    let app = TestApp::spawn().await;
    let pad = "x".repeat(100 * 1024);
    let body =
        json!({ "query": "{ departments(first: 1) { totalCount } }", "variables": { "pad": pad } });
    let response = app.graphql_request().json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["data"]["departments"]["totalCount"].as_u64().unwrap() > 0,
        "{body}"
    );
}

#[tokio::test]
async fn tokens__refused_one_past_the_cap_before_parsing() {
    // Given a server that allows 11 tokens
    let app = TestApp::spawn_with_limits(Limits {
        max_tokens: 11,
        ..Limits::default()
    })
    .await;
    // When a query of 11 tokens is sent: { departments ( first : 1 ) { totalCount } }
    let data = app
        .gql("{ departments(first: 1) { totalCount } }", json!({}))
        .await;
    // Then it is answered
    assert!(data["departments"]["totalCount"].as_u64().unwrap() > 0);
    // When the query holds one token more, Then it is refused with a coded error
    let code = app
        .gql_error_code(
            "{ departments(first: 1) { totalCount } __typename }",
            json!({}),
        )
        .await;
    assert_eq!(code, "LIMIT_EXCEEDED");
    // And an unparsable query past the cap is refused by the cap, before the parser sees it
    assert_eq!(
        app.gql_error_code(&"{ ".repeat(12), json!({})).await,
        "LIMIT_EXCEEDED"
    );
}

#[tokio::test]
async fn aliases__refused_one_past_the_cap_counting_fragment_spreads() {
    // Given a server that allows 2 aliases
    let app = TestApp::spawn_with_limits(Limits {
        max_aliases: 2,
        ..Limits::default()
    })
    .await;
    // When a query uses 2 aliases, Then it is answered
    let data = app
        .gql(
            "{ a: departments(first: 1) { totalCount } b: departments(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["a"], data["b"]);
    // When a third alias is added, Then it is refused with a coded error
    let three = "{ a: departments(first: 1) { totalCount } b: departments(first: 1) { totalCount } \
                 c: departments(first: 1) { totalCount } }";
    assert_eq!(app.gql_error_code(three, json!({})).await, "LIMIT_EXCEEDED");
    // When one aliased fragment is spread three times, Then each spread counts
    let spread = "{ ...F ... on Query { ...F } x: departments(first: 1) { ...G } } \
                  fragment F on Query { n: departments(first: 1) { totalCount } } \
                  fragment G on DepartmentConnection { totalCount }";
    assert_eq!(
        app.gql_error_code(spread, json!({})).await,
        "LIMIT_EXCEEDED"
    );
}

#[tokio::test]
async fn repeats__one_field_selected_past_twenty_times_in_a_set_is_refused() {
    let app = TestApp::spawn().await;
    // Identical selections merge into one field, and 20 of them are answered
    let twenty = format!("{{ {} }}", "__typename ".repeat(20));
    assert_eq!(
        app.gql(&twenty, json!({})).await,
        json!({ "__typename": "Query" })
    );
    // 1,000 are refused before execution, the field and the count named
    let thousand = format!("{{ {} }}", "__typename ".repeat(1_000));
    let body = app.post(&thousand, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("__typename 1000 times"), "{message}");
    // Fragments spread into a set add to it: 3 spreads of 7, plus the field itself
    let spread = format!(
        "{{ departments(first: 1) {{ totalCount ...F ...F ...F }} }} fragment F on DepartmentConnection {{ {} }}",
        "totalCount ".repeat(7)
    );
    assert_eq!(
        app.gql_error_code(&spread, json!({})).await,
        "LIMIT_EXCEEDED"
    );
}

const READ: &str = "{ departments(first: 1) { totalCount } }";

/// POSTs `READ`, as the bearer of `token` when given.
async fn send_read(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.graphql_request().json(&json!({ "query": READ }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn rate_limit__burst_answered_then_429_with_retry_after_per_client() {
    // Given a limit of one request a minute with a burst of three
    let app = TestApp::spawn_with_limits(Limits {
        rate_limit_per_minute: 1,
        rate_limit_burst: 3,
        ..Limits::default()
    })
    .await;
    // When an anonymous caller makes three requests, Then each is answered
    for _ in 0..3 {
        assert_eq!(send_read(&app, None).await.status(), 200);
    }
    // When it makes a fourth, Then it is refused with 429, Retry-After and a coded error
    let refused = send_read(&app, None).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(body.get("data").is_none());
    // Given callers with tokens, counted by subject rather than by the shared address
    let alice = app.token("alice", &[Role::Supervisor], None);
    let bob = app.token("bob", &[Role::Supervisor], None);
    // When alice makes three requests, Then each is answered; her fourth is refused
    for _ in 0..3 {
        assert_eq!(send_read(&app, Some(&alice)).await.status(), 200);
    }
    assert_eq!(send_read(&app, Some(&alice)).await.status(), 429);
    // And bob is still answered
    assert_eq!(send_read(&app, Some(&bob)).await.status(), 200);
    // And the probes are never limited
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics
            .contains(r#"qingdan_requests_total{operation="anonymous",outcome="rate_limited"} 2"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn rate_limit__off_by_default() {
    // Given the default limits, When a caller makes many requests at once, Then none is refused
    let app = TestApp::spawn().await;
    for _ in 0..50 {
        assert_eq!(send_read(&app, None).await.status(), 200);
    }
}

/// POSTs a JSON array of `n` reads.
async fn send_batch(app: &TestApp, n: usize) -> reqwest::Response {
    let operations: Vec<Value> = (0..n)
        .map(|i| json!({ "query": format!("query Q{i} {{ departments(first: 1) {{ totalCount }} }}") }))
        .collect();
    app.graphql_request()
        .json(&operations)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn batch__refused_when_not_enabled() {
    // Given the default limits (batching off)
    let app = TestApp::spawn().await;
    // When a JSON array of one operation is posted
    let response = send_batch(&app, 1).await;
    // Then it is refused with a clear coded error
    assert_refused_with(response, 400, "BATCH_DISABLED").await;
}

#[tokio::test]
async fn batch__up_to_the_cap_answered_in_order_one_past_refused() {
    // Given batches of up to three operations
    let app = TestApp::spawn_with_limits(Limits {
        max_batch: 3,
        ..Limits::default()
    })
    .await;
    // When three are sent, Then three answers come back, in order
    let response = send_batch(&app, 3).await;
    assert_eq!(response.status(), 200);
    let answers: Value = response.json().await.unwrap();
    let answers = answers.as_array().expect("an array of answers");
    assert_eq!(answers.len(), 3);
    for answer in answers {
        assert!(
            answer["data"]["departments"]["totalCount"]
                .as_u64()
                .unwrap()
                > 0,
            "{answer}"
        );
    }
    // When four are sent, Then the batch is refused whole
    let response = send_batch(&app, 4).await;
    assert_refused_with(response, 400, "LIMIT_EXCEEDED").await;
    // And each operation of a batch still meets the per-operation limits
    let mixed = json!([
        { "query": READ },
        { "query": format!("{{ {} }}", "a: __typename ".repeat(51)) }
    ]);
    let response = app.graphql_request().json(&mixed).send().await.unwrap();
    let answers: Value = response.json().await.unwrap();
    assert!(answers[0]["data"].is_object(), "{answers}");
    assert_eq!(
        answers[1]["errors"][0]["extensions"]["code"],
        "LIMIT_EXCEEDED"
    );
}

#[tokio::test]
async fn directives__more_than_a_field_may_carry_are_refused_with_a_code() {
    // The cap is 4 directives a field; the schema's executable directives are @include and
    // @skip, each once, so a valid field carries at most two and anything past is refused.
    let app = TestApp::spawn().await;
    // When a field carries both, Then it is answered
    let two = "{ departments(first: 1) @include(if: true) @skip(if: false) { totalCount } }";
    let body = app.post(two, json!({})).await;
    assert!(body["data"]["departments"]["totalCount"].is_u64(), "{body}");
    // When it carries five, Then the request is refused with a coded error, not executed
    let five = "{ departments(first: 1) @include(if: true) @skip(if: false) @include(if: true) \
                @skip(if: false) @include(if: true) { totalCount } }";
    let body = app.post(five, json!({})).await;
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("");
    assert!(!code.is_empty() && code != "INTERNAL", "{body}");
}

#[tokio::test]
async fn timeout__a_request_past_the_limit_is_refused_as_timeout() {
    // The heaviest read of the list: every department with its duties and work items
    const HEAVY: &str = "{ departments(first: 100) { nodes { name duties { text workItems { text } } \
                         divisions { text department { name } } } } }";
    // Given a server that allows a request 1 ms, reading the lists from SQL (from memory
    // the read may finish within the millisecond)
    let strict = TestApp::spawn_with_limits(Limits {
        request_timeout_ms: 1,
        list_memory_mb: 0,
        ..Limits::default()
    })
    .await;
    // Then the read is refused with TIMEOUT, never half an answer
    let body = strict.post(HEAVY, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    // And with the default limit the same read is answered
    let app = TestApp::spawn().await;
    let body = app.post(HEAVY, json!({})).await;
    assert!(body["data"]["departments"]["nodes"].is_array(), "{body}");
}
