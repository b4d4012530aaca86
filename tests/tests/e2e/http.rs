//! GraphQL over HTTP: media types, status codes and methods, as the spec asks.

use qingdan_tests::TestApp;
use serde_json::{Value, json};

const QUERY: &str = "{ departments(first: 1) { totalCount } }";

async fn post(
    app: &TestApp,
    content_type: &str,
    accept: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("content-type", content_type)
        .body(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.unwrap()
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
    let body = json!({ "query": QUERY }).to_string();
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (
            Some("application/graphql-response+json"),
            "application/graphql-response+json",
        ),
    ] {
        let response = post(&app, "application/json", accept, body.clone()).await;
        assert_eq!(response.status(), 200);
        assert!(
            content_type(&response).starts_with(expected),
            "{accept:?}: {}",
            content_type(&response)
        );
    }
    let response = post(&app, "application/json", Some("text/plain"), body).await;
    assert_eq!(response.status(), 406);
}

#[tokio::test]
async fn http__request_errors_are_400_without_data_under_graphql_response_json() {
    let app = TestApp::spawn().await;
    for bad in [
        json!({ "query": "{ departments(first: " }),
        json!({ "query": "{ nonsense }" }),
    ] {
        let response = post(
            &app,
            "application/json",
            Some("application/graphql-response+json"),
            bad.to_string(),
        )
        .await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(
            body.get("data").is_none() && body["errors"].is_array(),
            "{body}"
        );
        // Under plain JSON the same answers 200, as the spec has it for legacy clients
        let response = post(
            &app,
            "application/json",
            Some("application/json"),
            bad.to_string(),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    // An execution error is not a request error: 200 with data
    let response = post(
        &app,
        "application/json",
        Some("application/graphql-response+json"),
        json!({ "query": "{ departments(first: 101) { totalCount } }" }).to_string(),
    )
    .await;
    assert_eq!(response.status(), 200);
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
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "UNSUPPORTED_MEDIA_TYPE"
    );
    let response = post(&app, "application/json", None, "{not json".to_owned()).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn http__get_runs_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.url);
    let response = app
        .client
        .get(&url)
        .query(&[("query", QUERY)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["data"]["departments"]["totalCount"].as_u64().unwrap() > 0);
    let mutation = "mutation { loadCalendar(input: { days: [] }) { loaded } }";
    let response = app
        .client
        .get(&url)
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // A browser gets GraphiQL
    let page = app
        .client
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"));
}
