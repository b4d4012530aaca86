//! Operations: request ids and security headers on every response, health and readiness.

use qingdan_tests::TestApp;
use serde_json::json;

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[tokio::test]
async fn request_id__echoed_when_given_and_made_when_absent() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.url);
    let body = json!({ "query": "{ __typename }" });

    // Given a caller's request id, When it posts, Then the answer carries the same id.
    let given = app
        .client
        .post(&url)
        .header("x-request-id", "hotline-12345.7")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "hotline-12345.7");

    // Given no id, When two requests are made, Then each answer carries its own fresh id.
    let mut made = Vec::new();
    for _ in 0..2 {
        let response = app.client.post(&url).json(&body).send().await.unwrap();
        made.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(!made[0].is_empty());
    assert_ne!(made[0], made[1]);

    // Given an id that could forge log lines, When it posts, Then the id is replaced.
    let odd = app
        .client
        .post(&url)
        .header("x-request-id", "a\tb")
        .json(&body)
        .send()
        .await
        .unwrap();
    let id = odd.headers()["x-request-id"].to_str().unwrap();
    assert!(!id.is_empty() && id != "a\tb");
}

#[tokio::test]
async fn security_headers__on_every_response() {
    let app = TestApp::spawn().await;
    // Given answers of every kind: data, a refusal, health, a redirect, an unknown path.
    let responses = [
        app.client
            .post(format!("{}/graphql", app.url))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap(),
        app.client
            .post(format!("{}/graphql", app.url))
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap(),
        app.client
            .get(format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap(),
        app.client
            .get(format!("{}/readyz", app.url))
            .send()
            .await
            .unwrap(),
        app.client
            .get(format!("{}/nowhere", app.url))
            .send()
            .await
            .unwrap(),
    ];
    // Then each carries the security headers and a content policy that allows nothing.
    for response in &responses {
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(
                response.headers()[name],
                value,
                "{name} on {}",
                response.url()
            );
        }
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert!(response.headers().contains_key("x-request-id"));
    }
    assert_eq!(responses[1].status(), 415);
}

#[tokio::test]
async fn health__alive_and_ready_on_a_migrated_database() {
    // Given a server on a migrated database, When probed, Then both probes answer 200.
    let app = TestApp::spawn().await;
    let healthz = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = app
        .client
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 200);
}
