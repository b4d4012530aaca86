//! GraphQL over HTTP: media types, status codes and methods, as the spec asks.

use qingdan_tests::{Options, TestApp, assert_refused_with};
use serde_json::{Value, json};

const QUERY: &str = "{ departments(first: 1) { totalCount } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn post(
    app: &TestApp,
    content_type: &str,
    accept: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = app
        .graphql_request()
        .header("content-type", content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.unwrap()
}

/// POSTs `body` as JSON, accepting `accept` when given.
async fn post_json(app: &TestApp, accept: Option<&str>, body: &Value) -> reqwest::Response {
    post(app, "application/json", accept, body.to_string()).await
}

/// GETs `query` in the URL.
async fn get_query(app: &TestApp, query: &str) -> reqwest::Response {
    app.graphql_get()
        .query(&[("query", query)])
        .send()
        .await
        .unwrap()
}

/// GETs `/graphql` as a browser opening it does.
async fn open_in_a_browser(app: &TestApp) -> reqwest::Response {
    app.graphql_get()
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn http__response_type_follows_accept() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": QUERY });
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
    ] {
        let response = post_json(&app, accept, &body).await;
        assert_eq!(response.status(), 200);
        assert!(
            content_type(&response).starts_with(expected),
            "{accept:?}: {}",
            content_type(&response)
        );
    }
    let response = post_json(&app, Some("text/plain"), &body).await;
    assert_eq!(response.status(), 406);
}

#[tokio::test]
async fn http__request_errors_are_400_without_data_under_graphql_response_json() {
    let app = TestApp::spawn().await;
    for bad in [
        json!({ "query": "{ departments(first: " }),
        json!({ "query": "{ nonsense }" }),
    ] {
        let response = post_json(&app, Some(GRAPHQL_RESPONSE), &bad).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(
            body.get("data").is_none() && body["errors"].is_array(),
            "{body}"
        );
        // Under plain JSON the same answers 200, as the spec has it for legacy clients
        let response = post_json(&app, Some("application/json"), &bad).await;
        assert_eq!(response.status(), 200);
    }
    // An execution error is not a request error: 200 with data
    let execution_error = json!({ "query": "{ departments(first: 101) { totalCount } }" });
    let response = post_json(&app, Some(GRAPHQL_RESPONSE), &execution_error).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn http__a_body_without_a_query_is_400_whatever_is_accepted() {
    let app = TestApp::spawn().await;
    for accept in ["application/json", GRAPHQL_RESPONSE] {
        for bad in [
            json!({ "qeury": "{ __typename }" }),
            json!({}),
            json!({ "query": null, "variables": {} }),
        ] {
            let response = post_json(&app, Some(accept), &bad).await;
            assert_eq!(response.status(), 400, "{bad} as {accept}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
                "{body}"
            );
            assert!(body.get("data").is_none(), "{body}");
        }
    }
}

/// Where `needle` starts in `body`.
fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle} missing from {body}"))
}

#[tokio::test]
async fn http__response_maps_keep_the_order_of_the_selection_set() {
    let app = TestApp::spawn().await;
    let query = "{ zz: __typename departments(first: 1) { totalCount pageInfo { hasNextPage } } aa: __typename }";
    for accept in ["application/json", GRAPHQL_RESPONSE] {
        // Computed, then served from the response cache: the same order both times
        for _ in 0..2 {
            let response = post_json(&app, Some(accept), &json!({ "query": query })).await;
            let body = response.text().await.unwrap();
            assert!(at(&body, "\"zz\"") < at(&body, "\"departments\""), "{body}");
            assert!(at(&body, "\"departments\"") < at(&body, "\"aa\""), "{body}");
            assert!(
                at(&body, "\"totalCount\"") < at(&body, "\"pageInfo\""),
                "{body}"
            );
        }
    }
    // And over GET
    let body = get_query(&app, "{ zz: __typename aa: __typename }")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body, r#"{"data":{"zz":"Query","aa":"Query"}}"#);
}

#[tokio::test]
async fn exposure__graphiql_introspection_and_metrics_can_be_withdrawn_from_the_public_listener() {
    // Given a server set up as production may be: no GraphiQL, no introspection, and
    // /metrics on a listener of its own
    let app = TestApp::spawn_with(Options {
        exposure: qingdan::config::Exposure {
            graphiql: false,
            introspection: false,
            metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        },
        ..Options::default()
    })
    .await;
    // Then a browser gets no GraphiQL page, and its assets are not found
    let page = app
        .graphql_get()
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    assert!(!page.text().await.unwrap().contains("graphiql"));
    assert_eq!(
        app.get("/graphiql/3.8.3/graphiql.min.js").await.status(),
        404
    );
    // And the schema is not introspected, while queries run
    let data = app
        .gql(
            "{ __schema { queryType { name } } __type(name: \"Department\") { name } __typename }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({ "__schema": null, "__type": null, "__typename": "Query" })
    );
    // Nor do errors suggest field names
    let body = app.post("{ departmentz }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    // And /metrics answers on its own listener only
    assert_eq!(app.get("/metrics").await.status(), 404);
    let metrics_url = app.metrics_url.as_deref().expect("a metrics listener");
    let metrics = app
        .client
        .get(format!("{metrics_url}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("qingdan_requests_total{operation=\"anonymous\",outcome=\"ok\"}"),
        "{text}"
    );

    // While by default (development) all three are on the public listener
    let app = TestApp::spawn().await;
    assert_eq!(
        app.get("/graphiql/3.8.3/graphiql.min.js").await.status(),
        200
    );
    assert_eq!(app.get("/metrics").await.status(), 200);
    let data = app
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let body = app.post("{ departmentz }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("Did you mean"), "{message}");
}

#[tokio::test]
async fn http__only_json_bodies_are_executed() {
    let app = TestApp::spawn().await;
    // A cross-site form post arrives as text/plain
    let response = post(
        &app,
        "text/plain",
        None,
        json!({ "query": QUERY }).to_string(),
    )
    .await;
    assert_refused_with(response, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    let response = post(&app, "application/json", None, "{not json".to_owned()).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn http__get_runs_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let response = get_query(&app, QUERY).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["data"]["departments"]["totalCount"].as_u64().unwrap() > 0);
    let mutation = "mutation { loadCalendar(input: { days: [] }) { loaded } }";
    let response = get_query(&app, mutation).await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // A browser gets GraphiQL
    let page = open_in_a_browser(&app).await;
    assert!(page.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn graphiql__every_asset_is_served_by_the_server_itself() {
    // Given a browser opening the explorer on an intranet without internet
    let app = TestApp::spawn().await;
    let page = open_in_a_browser(&app).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    // Then the page names no other host, and its policy allows none
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"),
        "{html}"
    );
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("http"),
        "{csp}"
    );
    // And every script and stylesheet it names is served here, with its type
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 4, "{html}");
    for path in assets {
        let asset = app.get(path).await;
        assert_eq!(asset.status(), 200, "{path}");
        let kind = asset.headers()["content-type"].to_str().unwrap().to_owned();
        let expected = if path.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(kind.starts_with(expected), "{path}: {kind}");
        assert!(asset.bytes().await.unwrap().len() > 10_000, "{path}");
    }
    // And an unknown file or version is not found
    assert_eq!(app.get("/graphiql/3.8.3/other.js").await.status(), 404);
    assert_eq!(
        app.get("/graphiql/0.0.1/graphiql.min.js").await.status(),
        404
    );
}

const ALLOWED: &str = "https://qingdan.example.gov.cn";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap()
}

/// Whether `response` lets some origin read it (`Access-Control-Allow-Origin`).
fn allows_an_origin(response: &reqwest::Response) -> bool {
    response
        .headers()
        .contains_key("access-control-allow-origin")
}

async fn post_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.graphql_request()
        .header("origin", origin)
        .json(&json!({ "query": QUERY }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors__allowed_origins_get_headers_and_preflight_others_get_none() {
    // Given a server that allows one origin
    let app = TestApp::spawn_with(Options {
        cors_origins: vec![ALLOWED.to_owned()],
        ..Options::default()
    })
    .await;
    // When a page of that origin asks before posting with a token
    let response = preflight(&app, ALLOWED).await;
    // Then it may
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], ALLOWED);
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    // And its post is answered with its origin allowed and the request id readable
    let response = post_from(&app, ALLOWED).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], ALLOWED);
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("x-request-id")
    );
    // When another origin asks or posts, Then no answer allows it
    let other = "https://elsewhere.example.com";
    assert!(!allows_an_origin(&preflight(&app, other).await));
    assert!(!allows_an_origin(&post_from(&app, other).await));
}

#[tokio::test]
async fn cors__no_headers_when_no_origin_is_configured() {
    // Given the default (no origins), When a page of any origin posts, Then no CORS header
    let app = TestApp::spawn().await;
    let response = post_from(&app, ALLOWED).await;
    assert_eq!(response.status(), 200);
    assert!(!allows_an_origin(&response));
    assert!(!allows_an_origin(&preflight(&app, ALLOWED).await));
}
