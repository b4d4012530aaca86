//! The front door reads a request once and parses its document once, and a document the
//! process parsed before not at all; a read answered from the cache is not parsed at all.

use qingdan_tests::{TestApp, assert_refused_with};
use serde_json::{Value, json};

/// The server's counter `name`, from `/metrics`.
async fn counter(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .parse()
        .unwrap()
}

/// The server's count of documents parsed.
async fn parsed(app: &TestApp) -> u64 {
    counter(app, "qingdan_documents_parsed_total").await
}

/// The server's count of operations validated with every rule.
async fn validated(app: &TestApp) -> u64 {
    counter(app, "qingdan_operations_validated_total").await
}

#[tokio::test]
async fn front_door__one_parse_per_request_none_for_a_cached_read() {
    let app = TestApp::spawn().await;
    let read =
        "query Units($first: Int) { departments(first: $first) { nodes { name duties { seq } } } }";
    // When a read is made, Then its document was parsed once
    let before = parsed(&app).await;
    let body = app.post(read, json!({ "first": 2 })).await;
    assert!(body["data"]["departments"]["nodes"].is_array(), "{body}");
    assert_eq!(parsed(&app).await - before, 1);
    // When the same read is made again, Then the cache answers it unparsed
    let again = app.post(read, json!({ "first": 2 })).await;
    assert_eq!(again, body);
    assert_eq!(parsed(&app).await - before, 1);
    // When the same document comes with other variables, Then it is run, not parsed again
    let other = app.post(read, json!({ "first": 1 })).await;
    let nodes = other["data"]["departments"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{other}");
    assert_eq!(nodes[0], body["data"]["departments"]["nodes"][0]);
    assert_eq!(parsed(&app).await - before, 1);
    // When a request fails validation, Then it was parsed once too
    assert_eq!(
        app.gql_error_code("{ nonsense }", json!({})).await,
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(parsed(&app).await - before, 2);
    // When a mutation runs, Then once as well
    let admin = app.token("管理员", &[qingdan::auth::Role::Admin], None);
    let mutation = "mutation { loadCalendar(input: { days: [] }) { loaded } }";
    let done = app.query_as(&admin, mutation).await;
    assert!(done["errors"].is_null(), "{done}");
    assert_eq!(parsed(&app).await - before, 3);
}

#[tokio::test]
async fn front_door__an_operation_validated_before_refuses_bad_variables_as_a_new_one_does() {
    let app = TestApp::spawn().await;
    let lookup = "query Q($t: String!, $f: Int!, $on: Date) {
        responsibilityLookup(text: $t, first: $f, asOf: $on) { outcome candidates { department { name } } } }";
    // Given an operation validated once
    let before = validated(&app).await;
    let first = app
        .post(lookup, json!({ "t": "邻居家超生了想举报", "f": 3 }))
        .await;
    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(validated(&app).await - before, 1);
    // When it comes again with other plain values, Then it is answered without validating
    // every rule again
    let second = app
        .post(
            lookup,
            json!({ "t": "有人非法鉴定胎儿性别", "f": 1, "extra": 1 }),
        )
        .await;
    assert!(second["errors"].is_null(), "{second}");
    assert_eq!(
        second["data"]["responsibilityLookup"]["candidates"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(validated(&app).await - before, 1);
    // But a null or a custom scalar's value is validated again
    for on in [json!(null), json!("2026-01-01")] {
        let body = app
            .post(
                lookup,
                json!({ "t": "邻居家超生了想举报", "f": 2, "on": on }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(validated(&app).await - before, 3);
    // When its variables are at fault, Then the answer is the one a document never validated
    // gets (the same text with a comment after it)
    let faults = [
        json!({ "t": "超生", "f": "three" }),
        json!({ "t": "超生", "f": 1_099_511_627_776_i64 }),
        json!({ "t": "超生", "f": 2.5 }),
        json!({ "t": "超生", "f": null }),
        json!({ "t": "超生", "f": [1] }),
        json!({ "t": null, "f": 1 }),
        json!({ "t": 5, "f": 1 }),
        json!({ "t": ["超生"], "f": 1 }),
        json!({ "t": "超生", "f": 1, "on": "2016-7-1" }),
        json!({ "t": "超生", "f": 1, "on": 20160701 }),
        json!({ "f": 1 }),
    ];
    for (n, variables) in faults.iter().enumerate() {
        let seen = app.post(lookup, variables.clone()).await;
        let new = app
            .post(&format!("{lookup} # {n}"), variables.clone())
            .await;
        assert!(!seen["errors"].is_null(), "{variables}: {seen}");
        assert_eq!(seen, new, "{variables}");
    }
    // A required variable not given is the client's fault, named in the answer
    let missing = app.post(lookup, json!({ "f": 1 })).await;
    assert_eq!(
        missing["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{missing}"
    );
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("$t of type String!")),
        "{missing}"
    );
    // And a document that fails validation is validated every time it comes
    let at = validated(&app).await;
    for _ in 0..2 {
        let body = app.post("{ nonsense }", json!({})).await;
        assert!(!body["errors"].is_null(), "{body}");
    }
    assert_eq!(validated(&app).await - at, 2);
}

/// Sends `body` as JSON to `/graphql` with `method`, asking for the GraphQL response type.
async fn send(app: &TestApp, method: reqwest::Method, body: Value) -> reqwest::Response {
    app.client
        .request(method, format!("{}/graphql", app.url))
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn front_door__a_document_that_does_not_parse_is_a_coded_request_error() {
    let app = TestApp::spawn().await;
    let unclosed = json!({ "query": "{ departments(first: 1) { totalCount }" });
    let response = send(&app, reqwest::Method::POST, unclosed).await;
    let body = assert_refused_with(response, 400, "GRAPHQL_PARSE_FAILED").await;
    assert!(body.get("data").is_none(), "{body}");
    assert!(body["errors"][0]["locations"].is_array(), "{body}");
}

#[tokio::test]
async fn front_door__other_methods_are_refused_with_a_code() {
    let app = TestApp::spawn().await;
    let response = send(
        &app,
        reqwest::Method::PUT,
        json!({ "query": "{ __typename }" }),
    )
    .await;
    assert_refused_with(response, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn front_door__depth_and_complexity_are_limits_with_their_code() {
    let app = TestApp::spawn_with_limits(qingdan::config::Limits {
        max_depth: 3,
        max_complexity: 20,
        ..qingdan::config::Limits::default()
    })
    .await;
    // Each is refused with LIMIT_EXCEEDED and the measure it passed named
    for (query, measure) in [
        (
            "{ departments(first: 1) { nodes { duties { workItems { text } } } } }",
            "deep",
        ),
        ("{ departments(first: 50) { nodes { name } } }", "costs"),
    ] {
        let body = app.post(query, json!({})).await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{body}");
        assert!(
            error["message"].as_str().unwrap().contains(measure),
            "{body}"
        );
    }
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A small read from a caller continuing its trace `traceparent` into the request.
fn traced_read(app: &TestApp, traceparent: &str) -> reqwest::RequestBuilder {
    app.graphql_request()
        .header("traceparent", traceparent)
        .json(&json!({ "query": "{ departments(first: 1) { totalCount } }" }))
}

#[tokio::test]
async fn logs__every_line_of_a_request_carries_its_id_and_the_callers_trace_at_the_top() {
    // Given this test's log lines captured, and a server
    let (_capturing, logs) = qingdan::telemetry::capture();
    let app = TestApp::spawn().await;
    // When a caller sends a request id and a W3C traceparent
    let response = traced_read(&app, TRACEPARENT)
        .header("x-request-id", "hotline-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Then its request line holds both at the top level, beside the nested fields
    let line = logs
        .lines()
        .into_iter()
        .find(|line| line["target"] == "qingdan::request" && line["request_id"] == "hotline-7")
        .unwrap_or_else(|| panic!("no request line in\n{}", logs.text()));
    assert_eq!(
        line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
        "{line}"
    );
    assert_eq!(line["fields"]["outcome"], "ok", "{line}");
    assert!(
        line["timestamp"].is_string() && line["level"] == "INFO",
        "{line}"
    );
    // When another request sends a malformed traceparent, Then its line has no trace id
    traced_read(&app, "00-nothex-00f067aa0ba902b7-01")
        .header("x-request-id", "hotline-8")
        .send()
        .await
        .unwrap();
    let line = logs
        .lines()
        .into_iter()
        .find(|line| line["target"] == "qingdan::request" && line["request_id"] == "hotline-8")
        .unwrap();
    assert!(line.get("trace_id").is_none(), "{line}");
}

#[tokio::test]
async fn traces__are_exported_over_otlp_continuing_the_callers_trace() {
    use std::sync::{Arc, Mutex};
    /// Each export's content type and body.
    type Exports = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
    // Given an OTLP/HTTP collector that keeps what it is sent
    let received: Exports = Arc::default();
    let kept = received.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                kept.lock().unwrap().push((content_type, body.to_vec()));
                ""
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });
    // And the server's spans exported to it
    let (_exporting, telemetry) = qingdan::telemetry::export_to(&endpoint).unwrap();
    let app = TestApp::spawn().await;
    // When a caller continues its trace into a request
    let response = traced_read(&app, TRACEPARENT).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Then, flushed, the collector holds a protobuf export carrying the caller's trace id
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .unwrap();
    let trace_id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&TRACEPARENT[3 + 2 * i..5 + 2 * i], 16).unwrap())
        .collect();
    let received = received.lock().unwrap();
    assert!(!received.is_empty(), "nothing was exported");
    assert!(
        received
            .iter()
            .all(|(content_type, _)| content_type == "application/x-protobuf")
    );
    assert!(
        received
            .iter()
            .any(|(_, body)| body.windows(16).any(|w| w == trace_id.as_slice())),
        "no span of the caller's trace was exported"
    );
}

#[tokio::test]
async fn front_door__get_runs_the_operation_its_operation_name_parameter_names() {
    let app = TestApp::spawn().await;
    let document = "query A { departments(first: 1) { totalCount } } query B { duties(first: 1) { totalCount } }";
    let response = app
        .graphql_get()
        .query(&[("query", document), ("operationName", "B")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["data"]["duties"]["totalCount"].as_u64().unwrap() > 0,
        "{body}"
    );
    assert!(body["data"].get("departments").is_none(), "{body}");
    // And the metrics name it
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"qingdan_requests_total{operation="B",outcome="ok"} 1"#),
        "{metrics}"
    );
}
