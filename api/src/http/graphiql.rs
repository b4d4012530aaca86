//! GraphiQL (the explorer at `GET /graphql` for a browser), with every asset served by the
//! binary: county intranets have no internet. The assets are the published builds listed in
//! `api/assets/graphiql/README.md`; their paths carry the version, so they are cached for good.

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

/// Part of every asset path: a new GraphiQL build gets new URLs.
pub const ASSET_VERSION: &str = "3.8.3";

/// (file name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// The page loads only this origin's scripts, styles and data, and GraphiQL's own inline
/// bootstrap and styles; its fonts are data URLs.
const CSP_PAGE: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; font-src data:; img-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'";

/// Validator of the page: it changes only with the binary.
fn page_etag() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "W/\"graphiql-{ASSET_VERSION}-{}\"",
        env!("CARGO_PKG_VERSION")
    ))
    .expect("versions are header text")
}

/// 304 with the validator and caching rule of what the client holds.
fn not_modified(etag: HeaderValue, cache_control: &'static str) -> Response {
    (
        StatusCode::NOT_MODIFIED,
        [
            (header::ETAG, etag),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ],
    )
        .into_response()
}

/// The page is small and revalidated each time: a new binary may point it at new assets.
const PAGE_CACHING: &str = "no-cache";
/// Asset paths carry their version, so their bytes never change.
const ASSET_CACHING: &str = "public, max-age=31536000, immutable";

/// The explorer's page, pointed at `/graphql`.
pub fn page(headers: &HeaderMap) -> Response {
    let etag = page_etag();
    if super::cache::if_none_match(headers, &etag) {
        return not_modified(etag, PAGE_CACHING);
    }
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Qingdan 清单 — GraphiQL</title>
    <style>body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>
    <link rel="stylesheet" href="/graphiql/{v}/graphiql.min.css">
    <script src="/graphiql/{v}/react.production.min.js"></script>
    <script src="/graphiql/{v}/react-dom.production.min.js"></script>
    <script src="/graphiql/{v}/graphiql.min.js"></script>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script>
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher: GraphiQL.createFetcher({{
            url: new URL("/graphql", window.location.origin).toString(),
            subscriptionUrl: new URL("/graphql", window.location.origin.replace(/^http/, "ws")).toString(),
          }}),
          defaultEditorToolsVisibility: true,
        }})
      );
    </script>
  </body>
</html>"#,
        v = ASSET_VERSION
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP_PAGE),
    );
    headers.insert(header::ETAG, etag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PAGE_CACHING),
    );
    response
}

/// `GET /graphiql/{version}/{file}`: one of the assets, cached for good (and revalidated by
/// its ETag when a browser asks anyway); 404 otherwise.
pub async fn asset(Path((version, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let found = ASSETS.iter().find(|(name, _, _)| *name == file);
    match found {
        Some((name, content_type, bytes)) if version == ASSET_VERSION => {
            let etag = HeaderValue::from_str(&format!("W/\"{ASSET_VERSION}-{name}\""))
                .expect("file names are header text");
            if super::cache::if_none_match(&headers, &etag) {
                return not_modified(etag, ASSET_CACHING);
            }
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(ASSET_CACHING),
                    ),
                    (header::ETAG, etag),
                ],
                *bytes,
            )
                .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
