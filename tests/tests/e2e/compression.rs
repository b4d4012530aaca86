//! HTTP compression and caching: brotli and gzip for large answers and GraphiQL's assets,
//! ETags from the data version and the day on GET answers, 304 on `If-None-Match`.

use std::io::Read;

use qingdan::auth::Role;
use qingdan_tests::{TestApp, header};
use serde_json::json;

/// Every department with its duties, work items and services: a large answer.
const LARGE: &str = "{ departments(first: 100) { nodes { name aliases duties { seq text workItems { seq text } } publicServices { name content phone } } } }";

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => {
            brotli_decompressor::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        other => panic!("unexpected encoding {other}"),
    }
    out
}

/// Status, `Content-Encoding` and the body as sent, for a GET of `path` accepting `encoding`.
async fn fetch(app: &TestApp, path: &str, encoding: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut request = app.client.get(format!("{}{path}", app.url));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let encoding = header(&response, "content-encoding");
    (status, encoding, response.bytes().await.unwrap().to_vec())
}

fn query_path(query: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/graphql").unwrap();
    url.query_pairs_mut().append_pair("query", query);
    format!("/graphql?{}", url.query().unwrap())
}

#[tokio::test]
async fn compression__large_answers_and_graphiql_assets_when_accepted() {
    let app = TestApp::spawn().await;
    let script = "/graphiql/3.8.3/graphiql.min.js";
    for path in [query_path(LARGE), script.to_owned()] {
        let (status, encoding, plain) = fetch(&app, &path, None).await;
        assert_eq!((status, encoding.as_str()), (200, ""), "{path}");
        for (accept, expected) in [
            ("br", "br"),
            ("gzip", "gzip"),
            ("gzip, deflate, br, zstd", "br"),
        ] {
            let started = std::time::Instant::now();
            let (status, encoding, sent) = fetch(&app, &path, Some(accept)).await;
            let elapsed = started.elapsed();
            assert_eq!(
                (status, encoding.as_str()),
                (200, expected),
                "{path} {accept}"
            );
            assert_eq!(decode(&encoding, &sent), plain, "{path} {accept}");
            assert!(
                sent.len() * 3 < plain.len(),
                "{path}: {} of {}",
                sent.len(),
                plain.len()
            );
            eprintln!(
                "{}: {} bytes, {expected} {} bytes ({:.1} %) in {elapsed:?}",
                path.chars().take(40).collect::<String>(),
                plain.len(),
                sent.len(),
                100.0 * sent.len() as f64 / plain.len() as f64
            );
        }
    }
    // A small answer is not worth compressing
    let (status, encoding, _) = fetch(&app, &query_path("{ __typename }"), Some("br, gzip")).await;
    assert_eq!((status, encoding.as_str()), (200, ""));
}

async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send_revalidating(request, etag).await
}

/// Sends `request`, revalidating `etag` (`If-None-Match`) when given.
async fn send_revalidating(
    request: reqwest::RequestBuilder,
    etag: Option<&str>,
) -> reqwest::Response {
    let request = match etag {
        Some(etag) => request.header("if-none-match", etag),
        None => request,
    };
    request.send().await.unwrap()
}

#[tokio::test]
async fn etag__get_answers_revalidate_until_the_data_or_the_day_changes() {
    let app = TestApp::spawn().await;
    let path = query_path("{ duties(first: 2) { totalCount nodes { text } } }");
    let first = get(&app, &path, None, None).await;
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag");
    assert!(etag.starts_with("W/\""), "{etag}");
    // Anyone's answer: shared caches may keep it, and revalidate each time
    assert_eq!(header(&first, "cache-control"), "public, no-cache");
    assert_eq!(header(&first, "vary"), "Accept, Authorization");
    let body = first.text().await.unwrap();
    // The client's copy is current: 304, no body, nothing executed
    let before = app.statements.get();
    let again = get(&app, &path, None, Some(&etag)).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.text().await.unwrap().is_empty());
    assert!(app.statements.get() - before <= app.cached_read_statements());
    // Among other tags, or as a strong comparison of the same opaque tag
    let listed = format!("\"other\", {}", etag.trim_start_matches("W/"));
    assert_eq!(get(&app, &path, None, Some(&listed)).await.status(), 304);
    // Another caller's answer is another answer
    let admin = app.token("管理员", &[Role::Admin], None);
    let as_admin = get(&app, &path, Some(&admin), Some(&etag)).await;
    assert_eq!(as_admin.status(), 200);
    assert_ne!(header(&as_admin, "etag"), etag);
    assert_eq!(header(&as_admin, "cache-control"), "private, no-cache");
    // POST answers carry no validator
    let post = app
        .graphql_request()
        .json(&json!({ "query": "{ duties(first: 2) { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&post, "etag"), "");
    // A write moves the data version: the copy is stale
    let duty = app.first_node_id("duties").await;
    let create = "mutation($input: CreateWorkItemInput!) { createWorkItem(input: $input) { userErrors { code } } }";
    let input = json!({ "dutyId": duty, "text": "新增事项" });
    app.mutate_as(&admin, create, "createWorkItem", input).await;
    let after_write = get(&app, &path, None, Some(&etag)).await;
    assert_eq!(after_write.status(), 200);
    let etag = header(&after_write, "etag");
    assert_eq!(
        after_write.text().await.unwrap(),
        body,
        "a draft edit; readers' answer is the same"
    );
    assert_eq!(get(&app, &path, None, Some(&etag)).await.status(), 304);
    // So does the day: the versions in force and derived statuses are the day's
    app.clock.set_date("2030-01-02".parse().unwrap());
    assert_eq!(get(&app, &path, None, Some(&etag)).await.status(), 200);
}

/// GraphiQL's page, as a browser asks for it, revalidating `etag` when given.
async fn graphiql_page(app: &TestApp, etag: Option<&str>) -> reqwest::Response {
    send_revalidating(app.graphql_get().header("accept", "text/html"), etag).await
}

#[tokio::test]
async fn etag__graphiql_page_and_assets() {
    let app = TestApp::spawn().await;
    let page = graphiql_page(&app, None).await;
    assert_eq!(page.status(), 200);
    let etag = header(&page, "etag");
    assert!(!etag.is_empty());
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert_eq!(graphiql_page(&app, Some(&etag)).await.status(), 304);
    let script = "/graphiql/3.8.3/graphiql.min.js";
    let asset = get(&app, script, None, None).await;
    let etag = header(&asset, "etag");
    assert!(header(&asset, "cache-control").contains("immutable"));
    assert_eq!(get(&app, script, None, Some(&etag)).await.status(), 304);
    let css = get(&app, "/graphiql/3.8.3/graphiql.min.css", None, Some(&etag)).await;
    assert_eq!(css.status(), 200, "another asset's tag");
}
