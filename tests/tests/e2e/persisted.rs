//! Persisted operations: Apollo's automatic persisted queries (hash first, text when asked)
//! and the trusted-documents mode in which only a manifest's documents run.

use qingdan_tests::{Options, TestApp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const QUERY: &str =
    "query Services { publicServices(first: 3) { totalCount nodes { name phone } } }";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn extension(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, body: Value, accept: Option<&str>) -> (u16, Value) {
    let mut request = app.graphql_request().json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn get(app: &TestApp, params: &[(&str, String)]) -> (u16, Value) {
    let response = app.graphql_get().query(params).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn persisted__apollo_hash_first_then_text_then_hash_alone() {
    let app = TestApp::spawn().await;
    let hash = sha256(QUERY);
    // What Apollo's PersistedQueryLink sends first: the hash alone
    let hash_only =
        json!({ "operationName": "Services", "variables": {}, "extensions": extension(&hash) });
    let (status, body) = post(&app, hash_only.clone(), None).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // Under the spec's media type, a request error: 400
    let (status, body) = post(
        &app,
        hash_only.clone(),
        Some("application/graphql-response+json"),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "PERSISTED_QUERY_NOT_FOUND"));
    // A text that is not the hash's is refused and registers nothing
    let forged = json!({ "query": "{ __typename }", "extensions": extension(&hash) });
    let (_, body) = post(&app, forged, None).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_HASH_MISMATCH", "{body}");
    let (_, body) = post(&app, hash_only.clone(), None).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    // Then hash and text: answered, and registered
    let mut with_text = hash_only.clone();
    with_text["query"] = QUERY.into();
    let (status, full) = post(&app, with_text, None).await;
    assert_eq!(status, 200);
    assert!(
        full["data"]["publicServices"]["totalCount"]
            .as_i64()
            .unwrap()
            > 0,
        "{full}"
    );
    let (_, body) = post(&app, hash_only, None).await;
    assert_eq!(body, full);
    // GET with the hash alone, as Apollo sends it for CDN-cacheable reads
    let (status, body) = get(
        &app,
        &[
            ("operationName", "Services".to_owned()),
            ("variables", "{}".to_owned()),
            ("extensions", extension(&hash).to_string()),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, full);
}

#[tokio::test]
async fn persisted__a_persisted_mutation_is_not_run_by_get() {
    let app = TestApp::spawn().await;
    let mutation = r#"mutation { discardListDraft(input: {listId: "x"}) { userErrors { code } } }"#;
    let hash = sha256(mutation);
    let (_, body) = post(
        &app,
        json!({ "query": mutation, "extensions": extension(&hash) }),
        None,
    )
    .await;
    // It ran (and failed on its input): its text is registered now
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let response = app
        .graphql_get()
        .query(&[("extensions", extension(&hash).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn persisted__trusted_documents_only() {
    let other = "{ departments(first: 1) { totalCount } }";
    let mutation = r#"mutation { discardListDraft(input: {listId: "x"}) { userErrors { code } } }"#;
    // As GraphQL Code Generator writes it (sha256 ids) and as the Relay compiler does (its ids)
    let manifest = json!({ sha256(QUERY): QUERY, "7a1c0e3f9b2d": other });
    let app = TestApp::spawn_with(Options {
        trusted_documents: Some(manifest.to_string()),
        ..Options::default()
    })
    .await;
    let data = |body: &Value| body["data"].clone();
    // Listed text, listed ids (Apollo's extension, `documentId`, Relay's `doc_id`, GET)
    let (_, by_text) = post(&app, json!({ "query": QUERY }), None).await;
    assert!(data(&by_text)["publicServices"].is_object(), "{by_text}");
    let (_, body) = post(
        &app,
        json!({ "extensions": extension(&sha256(QUERY)) }),
        None,
    )
    .await;
    assert_eq!(body, by_text);
    let (_, counted) = post(&app, json!({ "documentId": "7a1c0e3f9b2d" }), None).await;
    assert!(
        data(&counted)["departments"]["totalCount"].is_number(),
        "{counted}"
    );
    let (_, body) = post(&app, json!({ "doc_id": "7a1c0e3f9b2d" }), None).await;
    assert_eq!(body, counted);
    let (_, body) = get(&app, &[("documentId", "7a1c0e3f9b2d".to_owned())]).await;
    assert_eq!(body, counted);
    // Anything else is refused, registered by hash or not
    for refused in [
        json!({ "query": "{ departments(first: 2) { totalCount } }" }),
        json!({ "query": "{ __schema { types { name } } }" }),
        json!({ "query": mutation, "extensions": extension(&sha256(mutation)) }),
    ] {
        let (status, body) = post(&app, refused.clone(), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            code(&body),
            "PERSISTED_QUERY_NOT_IN_LIST",
            "{refused}: {body}"
        );
        assert!(
            body.get("data").is_none() || body["data"].is_null(),
            "{body}"
        );
    }
    // An unknown id alone: not found (an APQ client then sends its text, which must be listed)
    let (_, body) = post(
        &app,
        json!({ "extensions": extension(&sha256(mutation)) }),
        None,
    )
    .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    let (_, body) = post(&app, json!({ "documentId": "nope" }), None).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    // A listed id with another text
    let (_, body) = post(
        &app,
        json!({ "query": other, "extensions": extension(&sha256(QUERY)) }),
        None,
    )
    .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_HASH_MISMATCH");
}
