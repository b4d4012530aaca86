//! A cache of whole responses to reads. The published list changes rarely, and every write
//! counts itself in the data version (`data_version`): a response is served from the cache
//! only while that version is unchanged. A mutation's answer is never kept: it is not a read,
//! and the write it made is yet to reach the version this process knows.
//!
//! An answer depends on the request, the data, today's date (the list versions in force,
//! derived statuses and deadlines) and, for callers with a token, on what the caller may see
//! (roles and department). All of these are part of the key; nothing else is.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

struct Entry {
    version: i64,
    /// The whole request (variant and body), compared on a hit so a hash collision cannot
    /// serve another request's answer.
    request: Vec<u8>,
    response: Cached,
}

/// A response body and its content type.
pub type Cached = (Bytes, Option<HeaderValue>);

/// Responses by request, for one data version at a time.
pub struct ResponseCache {
    entries: Mutex<HashMap<u64, Entry>>,
    /// One lock per request being answered: after a write, the many callers of a popular read
    /// wait for the first one's answer instead of all computing it at once.
    computing: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    /// Bound on the bytes held (requests and responses); past it the cache starts over.
    max_bytes: usize,
    held: Mutex<usize>,
}

impl ResponseCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            computing: Mutex::new(HashMap::new()),
            max_bytes,
            held: Mutex::new(0),
        }
    }

    /// The lock that callers of the same request share while one of them computes it.
    fn computing_lock(&self, variant: &str, body: &[u8]) -> Arc<tokio::sync::Mutex<()>> {
        let (hash, _) = Self::key(variant, body);
        let mut computing = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        // Locks nobody holds or waits for are dropped, so the map stays small.
        computing.retain(|_, lock| Arc::strong_count(lock) > 1);
        computing.entry(hash).or_default().clone()
    }

    fn key(variant: &str, body: &[u8]) -> (u64, Vec<u8>) {
        let mut request = Vec::with_capacity(variant.len() + 1 + body.len());
        request.extend_from_slice(variant.as_bytes());
        request.push(0);
        request.extend_from_slice(body);
        let mut hasher = DefaultHasher::new();
        request.hash(&mut hasher);
        (hasher.finish(), request)
    }

    /// The cached response to `body` (sent as `variant`, e.g. the negotiated content type),
    /// if it was computed at data `version`.
    pub fn get(&self, version: i64, variant: &str, body: &[u8]) -> Option<Cached> {
        let (hash, request) = Self::key(variant, body);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&hash)?;
        (entry.version == version && entry.request == request).then(|| entry.response.clone())
    }

    /// Keeps `response` for `body` at data `version`.
    pub fn put(&self, version: i64, variant: &str, body: &[u8], response: Cached) {
        let (hash, request) = Self::key(variant, body);
        let size = request.len() + response.0.len();
        if size > self.max_bytes / 4 {
            return; // one huge answer must not evict everything else
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        // Entries of older versions are dead weight: drop them all when the version moves or
        // the bound is reached.
        if *held + size > self.max_bytes
            || entries
                .values()
                .next()
                .is_some_and(|e| e.version != version)
        {
            entries.clear();
            *held = 0;
        }
        if let Some(old) = entries.insert(
            hash,
            Entry {
                version,
                request,
                response,
            },
        ) {
            *held -= old.request.len() + old.response.0.len();
        }
        *held += size;
    }
}

/// Bytes of requests and answers a process keeps: the whole published list of a province
/// answers in a few megabytes.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What the cache middleware needs.
#[derive(Clone)]
pub struct CacheState {
    pub db: sea_orm::DatabaseConnection,
    pub versions: Arc<crate::data_version::Watch>,
    pub cache: Arc<ResponseCache>,
    pub clock: crate::domain::clock::SharedClock,
}

/// Largest request body the cache looks at; anything larger goes straight through.
const MAX_CACHED_REQUEST: usize = 64 * 1024;

/// Serves GraphQL reads from the cache while the data version is unchanged, and keeps
/// successful answers to reads. Mutations, failures, bad tokens and GraphiQL pages pass
/// through untouched.
pub async fn middleware(State(state): State<CacheState>, request: Request, next: Next) -> Response {
    let cacheable = matches!(*request.method(), Method::GET | Method::POST)
        && request.uri().path() == "/graphql"
        && !accepts_html(&request);
    if !cacheable {
        return next.run(request).await;
    }
    // Who is asking, as far as it changes the answer.
    // The caller `observe` verified (the cache sits inside it); without one, no caching.
    let Some(crate::http::Caller(caller)) =
        request.extensions().get::<crate::http::Caller>().cloned()
    else {
        return next.run(request).await;
    };
    let anonymous = matches!(&caller, Ok(viewer) if viewer.sub.is_none());
    let audience = match caller {
        Ok(viewer) if viewer.sub.is_none() => format!("anonymous {}", state.clock.today()),
        Ok(viewer) => {
            let mut roles = viewer.roles.clone();
            roles.sort_by_key(|role| format!("{role:?}"));
            format!("{roles:?} {:?} {}", viewer.dept, state.clock.today())
        }
        Err(_) => return next.run(request).await,
    };
    let variant = format!(
        "{} {} {} {audience}",
        request.method(),
        header_text(&request, header::ACCEPT),
        header_text(&request, header::CONTENT_TYPE)
    );
    // Only bodies of a declared, modest length are looked at; the rest go through unread, to
    // the handler that enforces the configured body limit.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let small = match *request.method() {
        Method::GET => true,
        _ => declared.is_some_and(|length| length <= MAX_CACHED_REQUEST),
    };
    if !small {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_CACHED_REQUEST).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut key = body.to_vec();
    if let Some(query) = parts.uri.query() {
        key.extend_from_slice(query.as_bytes());
    }
    // A database that cannot answer the version cannot vouch for a cached answer either.
    let Ok(version) = state.versions.current(&state.db).await else {
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    };
    // A GET answer is named by what decides it, so a client holding it revalidates for free.
    let validator = (parts.method == Method::GET).then(|| Validator {
        etag: etag(version, &variant, &key),
        anonymous,
    });
    if let Some(validator) = &validator
        && if_none_match(&parts.headers, &validator.etag)
    {
        return validator.not_modified();
    }
    if let Some(cached) = state.cache.get(version, &variant, &key) {
        return validated(cached_response(cached.0, cached.1), validator.as_ref());
    }
    let lock = state.cache.computing_lock(&variant, &key);
    // A caller waits a while for the first one's answer, not forever: if that one is slow or
    // fails, the rest compute their own rather than queue behind each other.
    let _computing = tokio::time::timeout(std::time::Duration::from_secs(2), lock.lock())
        .await
        .ok();
    // Whoever held the lock before us may have just answered the same request.
    if let Some(cached) = state.cache.get(version, &variant, &key) {
        return validated(cached_response(cached.0, cached.1), validator.as_ref());
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if response.extensions().get::<Mutation>().is_some() {
        state.versions.written();
        return response;
    }
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Only clean answers are kept: an error may be passing (the database went away).
    let clean = !contains(&bytes, br#""errors""#);
    if clean {
        let content_type = parts.headers.get(header::CONTENT_TYPE).cloned();
        state
            .cache
            .put(version, &variant, &key, (bytes.clone(), content_type));
    }
    let response = Response::from_parts(parts, Body::from(bytes));
    validated(response, validator.as_ref().filter(|_| clean))
}

/// A weak validator of a GET answer: the data version, and the request as the cache keys it
/// (method, media types, the caller's roles and department, the day, the query string).
/// Weak, since the bytes differ by content encoding while the answer is the same.
fn etag(version: i64, variant: &str, key: &[u8]) -> HeaderValue {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(version.to_be_bytes());
    hasher.update(variant.as_bytes());
    hasher.update([0]);
    hasher.update(key);
    let digest: String = hasher.finalize()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    HeaderValue::from_str(&format!("W/\"{version}-{digest}\"")).expect("hex is a header value")
}

/// True when the request's `If-None-Match` names `etag` (weakly, as RFC 9110 compares for
/// GET) or is `*`.
pub fn if_none_match(headers: &header::HeaderMap, etag: &HeaderValue) -> bool {
    let Some(wanted) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag.to_str().unwrap_or_default());
    wanted
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}

/// What a GET answer is validated by, and who may keep it.
struct Validator {
    etag: HeaderValue,
    /// An anonymous caller's answer is everyone's: a shared cache (a reverse proxy, a CDN in
    /// front of persisted GET queries) may keep it. Others depend on the caller's token.
    anonymous: bool,
}

/// What a GET answer depends on besides its URL.
const VARY: &str = "Accept, Authorization";

impl Validator {
    /// Kept, but revalidated before each use: the data may change at any write.
    fn cache_control(&self) -> HeaderValue {
        HeaderValue::from_static(if self.anonymous {
            "public, no-cache"
        } else {
            "private, no-cache"
        })
    }

    fn stamp(&self, headers: &mut header::HeaderMap) {
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, self.cache_control());
        headers.insert(header::VARY, HeaderValue::from_static(VARY));
    }

    /// 304: the client's copy is still the answer.
    fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.stamp(response.headers_mut());
        response
    }
}

/// A GET answer with its validator and caching rules; a POST answer unchanged.
fn validated(mut response: Response, validator: Option<&Validator>) -> Response {
    if let Some(validator) = validator {
        validator.stamp(response.headers_mut());
    }
    response
}

/// Marks the response to a mutation, which the cache neither keeps nor serves.
#[derive(Clone, Copy, Debug)]
pub struct Mutation;

fn cached_response(body: Bytes, content_type: Option<HeaderValue>) -> Response {
    let mut response = Response::new(Body::from(body));
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
}

fn accepts_html(request: &Request) -> bool {
    header_text(request, header::ACCEPT).contains("text/html")
}

fn header_text(request: &Request, name: header::HeaderName) -> &str {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache__hits_only_the_same_request_at_the_same_version() {
        let cache = ResponseCache::new(1 << 20);
        let body = br#"{"query":"{ departments(first: 1) { nodes { name } } }"}"#;
        cache.put(
            7,
            "json",
            body,
            (Bytes::from_static("清单".as_bytes()), None),
        );
        assert_eq!(
            cache.get(7, "json", body).map(|c| c.0).as_deref(),
            Some("清单".as_bytes())
        );
        assert_eq!(
            cache.get(8, "json", body),
            None,
            "a write moved the version"
        );
        assert_eq!(
            cache.get(7, "graphql-response", body),
            None,
            "another content type"
        );
        assert_eq!(cache.get(7, "json", b"{}"), None);
    }

    #[tokio::test]
    async fn computing_lock__is_shared_by_the_same_request_only() {
        let cache = ResponseCache::new(1 << 20);
        let first = cache.computing_lock("json", b"a");
        let same = cache.computing_lock("json", b"a");
        assert!(Arc::ptr_eq(&first, &same));
        assert!(!Arc::ptr_eq(&first, &cache.computing_lock("json", b"b")));
        let guard = first.lock().await;
        assert!(same.try_lock().is_err(), "a second caller waits");
        drop(guard);
        drop((first, same));
        // Nobody holds it: the next call starts afresh and the map forgot the old lock
        let _fresh = cache.computing_lock("json", b"c");
        assert_eq!(cache.computing.lock().unwrap().len(), 1);
    }

    #[test]
    fn cache__stays_within_its_bound() {
        let cache = ResponseCache::new(1_000);
        // Too large for a quarter of the bound: not kept
        cache.put(1, "json", b"big", (Bytes::from(vec![0; 300]), None));
        assert!(cache.get(1, "json", b"big").is_none());
        // Four entries of 246 bytes fit; the fifth starts the cache over
        for name in [b"a", b"b", b"c", b"d"] {
            cache.put(1, "json", name, (Bytes::from(vec![0; 240]), None));
        }
        assert!(cache.get(1, "json", b"a").is_some() && cache.get(1, "json", b"d").is_some());
        cache.put(1, "json", b"e", (Bytes::from(vec![0; 240]), None));
        assert!(cache.get(1, "json", b"a").is_none());
        assert!(cache.get(1, "json", b"e").is_some());
        assert!(*cache.held.lock().unwrap() <= 1_000);
    }
}
