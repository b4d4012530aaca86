//! A cache of whole responses to reads. The published list changes rarely, and every write
//! counts itself in the data version of the scopes it changed (`data_version::Scope`): a
//! response is served from the cache only while the scopes its operation reads are unchanged
//! (`graphql::scopes_read`), so a supervision submission keeps the list's answers. A
//! mutation's answer is never kept: it is not a read, and the write it made is yet to reach
//! the version this process knows.
//!
//! An answer depends on the request, the data, today's date (the list versions in force,
//! derived statuses and deadlines) and, for callers with a token, on what the caller may see
//! (roles and department). All of these are part of the key; nothing else is.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::data_version::{Scope, Stamp};
use axum::{
    body::{Body, Bytes},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use lru::LruCache;

struct Entry {
    /// The scopes the answer read, and their counts when it was computed.
    scopes: Arc<[Scope]>,
    at: Vec<i64>,
    /// The whole request (variant and body), compared on a hit so a hash collision cannot
    /// serve another request's answer.
    request: Vec<u8>,
    response: Cached,
    /// Whether a request was answered from it: one that never was may be a one-off.
    served: bool,
}

/// A kept answer: its body, its content type and the operation it answered (for metrics,
/// since a hit is never parsed).
#[derive(Clone, Debug, PartialEq)]
pub struct Cached {
    pub body: Bytes,
    pub content_type: Option<HeaderValue>,
    pub operation: Arc<str>,
}

impl Cached {
    pub fn response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        if let Some(content_type) = self.content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
        }
        response
    }
}

/// The bytes an entry holds against the bound: its request and its answer's body.
fn held_by(request: &[u8], response: &Cached) -> usize {
    request.len() + response.body.len()
}

impl Entry {
    fn size(&self) -> usize {
        held_by(&self.request, &self.response)
    }

    fn valid_at(&self, stamp: &Stamp) -> bool {
        // Compared in place: every cache hit asks.
        self.scopes
            .iter()
            .zip(&self.at)
            .all(|(scope, at)| stamp.of(*scope) == *at)
    }
}

/// Responses by request, each valid while the scopes it read are unchanged.
pub struct ResponseCache {
    kept: Mutex<Kept>,
    /// One lock per request being answered: after a write, the many callers of a popular read
    /// wait for the first one's answer instead of all computing it at once.
    computing: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    /// Bound on the bytes held (requests and responses); past it the least recently served
    /// answers go first.
    max_bytes: usize,
}

struct Kept {
    entries: LruCache<u64, Entry>,
    held: usize,
    /// The count of all writes when entries were last swept of the invalid ones.
    swept_at: i64,
    /// Requests answered lately: once the cache is half full, a request asked before is kept,
    /// and one seen for the first time only in place of entries never served (see
    /// `replace_unserved`), so a stream of one-off requests (a new variable each, a new
    /// complaint each) cannot push out what is asked again and again.
    seen: HashSet<u64>,
}

impl Kept {
    /// Makes room for `size` bytes by pushing out entries never served from the cache, least
    /// recently kept first; false, when an entry that was served comes first. A stream of
    /// one-off requests then takes the place of its own kind only, neither growing the cache
    /// nor pushing out what is asked again; and the requests a client starts asking again
    /// and again are kept on their first answer, not kept out by the one-offs of before.
    fn replace_unserved(&mut self, size: usize) -> bool {
        let mut freed = 0;
        while freed < size {
            match self.entries.peek_lru() {
                Some((_, entry)) if !entry.served => {
                    if let Some((_, old)) = self.entries.pop_lru() {
                        freed += old.size();
                        self.held -= old.size();
                    }
                }
                _ => return false,
            }
        }
        true
    }
}

/// Requests `seen` remembers before it starts over.
const SEEN: usize = 100_000;

impl ResponseCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            kept: Mutex::new(Kept {
                entries: LruCache::unbounded(),
                held: 0,
                swept_at: 0,
                seen: HashSet::new(),
            }),
            computing: Mutex::new(HashMap::new()),
            max_bytes,
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lock that callers of the same request share while one of them computes it.
    pub fn computing_lock(&self, variant: &str, body: &[u8]) -> Arc<tokio::sync::Mutex<()>> {
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
    /// if none of the scopes it read has moved since (`stamp` is the data version now).
    pub fn get(&self, stamp: &Stamp, variant: &str, body: &[u8]) -> Option<Cached> {
        let (hash, request) = Self::key(variant, body);
        let mut kept = self.kept();
        let entry = kept.entries.get_mut(&hash)?;
        if !(entry.valid_at(stamp) && entry.request == request) {
            return None;
        }
        entry.served = true;
        Some(entry.response.clone())
    }

    /// Keeps `response` for `body`, computed at data version `stamp` from `scopes`.
    pub fn put(
        &self,
        stamp: &Stamp,
        scopes: Arc<[Scope]>,
        variant: &str,
        body: &[u8],
        response: Cached,
    ) {
        let (hash, request) = Self::key(variant, body);
        let size = held_by(&request, &response);
        if size > self.max_bytes / 4 {
            return; // one huge answer must not push out everything else
        }
        let mut kept = self.kept();
        if kept.seen.len() >= SEEN {
            kept.seen.clear();
        }
        let first_time = kept.seen.insert(hash);
        if first_time && kept.held > self.max_bytes / 2 && !kept.replace_unserved(size) {
            return;
        }
        // Entries whose scopes moved are dead weight: swept out once per data version.
        if kept.swept_at != stamp.all() {
            kept.swept_at = stamp.all();
            let dead: Vec<u64> = (kept.entries.iter())
                .filter(|(_, entry)| !entry.valid_at(stamp))
                .map(|(hash, _)| *hash)
                .collect();
            for hash in dead {
                if let Some(old) = kept.entries.pop(&hash) {
                    kept.held -= old.size();
                }
            }
        }
        if let Some(old) = kept.entries.pop(&hash) {
            kept.held -= old.size();
        }
        while kept.held + size > self.max_bytes {
            let Some((_, old)) = kept.entries.pop_lru() else {
                break;
            };
            kept.held -= old.size();
        }
        let at = stamp.key(&scopes);
        kept.entries.put(
            hash,
            Entry {
                scopes,
                at,
                request,
                response,
                served: false,
            },
        );
        kept.held += size;
    }
}

/// Largest request body the cache looks at; anything larger goes straight through.
pub const MAX_CACHED_REQUEST: usize = 64 * 1024;

/// Bytes of requests and answers a process keeps: the whole published list of a province
/// answers in a few megabytes.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// A weak validator of a GET answer: the data version, and the request as the cache keys it
/// (method, media types, the caller's roles and department, the day, the query string).
/// Weak, since the bytes differ by content encoding while the answer is the same.
pub fn etag(version: i64, variant: &str, key: &[u8]) -> HeaderValue {
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
pub struct Validator {
    pub etag: HeaderValue,
    /// An anonymous caller's answer is everyone's: a shared cache (a reverse proxy, a CDN in
    /// front of persisted GET queries) may keep it. Others depend on the caller's token.
    pub anonymous: bool,
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
    pub fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.stamp(response.headers_mut());
        response
    }
}

/// A GET answer with its validator and caching rules; a POST answer unchanged.
pub fn validated(mut response: Response, validator: Option<&Validator>) -> Response {
    if let Some(validator) = validator {
        validator.stamp(response.headers_mut());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: Vec<u8>) -> Cached {
        Cached {
            body: Bytes::from(body),
            content_type: None,
            operation: Arc::from("anonymous"),
        }
    }

    #[test]
    fn cache__hits_only_the_same_request_while_its_scopes_are_unchanged() {
        let cache = ResponseCache::new(1 << 20);
        let body = br#"{"query":"{ departments(first: 1) { nodes { name } } }"}"#;
        let lists: Arc<[Scope]> = Arc::from([Scope::Lists]);
        let at = Stamp::from_counts([7, 1, 1, 1, 1, 1]);
        cache.put(&at, lists, "json", body, answer("清单".as_bytes().to_vec()));
        assert_eq!(
            cache.get(&at, "json", body).map(|c| c.body).as_deref(),
            Some("清单".as_bytes())
        );
        let submitted = Stamp::from_counts([8, 1, 1, 2, 1, 1]);
        assert!(
            cache.get(&submitted, "json", body).is_some(),
            "a supervision write leaves a list answer valid"
        );
        let published = Stamp::from_counts([9, 2, 2, 2, 1, 1]);
        assert_eq!(
            cache.get(&published, "json", body),
            None,
            "a publication moved the lists"
        );
        assert_eq!(
            cache.get(&at, "graphql-response", body),
            None,
            "another content type"
        );
        assert_eq!(cache.get(&at, "json", b"{}"), None);
        // A put at the new version sweeps the entry it outdated
        cache.put(
            &published,
            Arc::from([Scope::Lists]),
            "json",
            b"{}",
            answer(vec![1]),
        );
        assert_eq!(cache.kept().entries.len(), 1);
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
    fn cache__past_half_full_a_first_request_takes_the_place_of_answers_never_served() {
        let cache = ResponseCache::new(1_000);
        let at = Stamp::from_counts([1; 6]);
        let put = |name: &[u8]| {
            let answer = answer(vec![0; 240]); // 246 bytes with its key
            cache.put(&at, Arc::from(Scope::ALL), "json", name, answer)
        };
        let kept = |names: &[&[u8]]| -> Vec<bool> {
            let entries = &cache.kept().entries;
            names
                .iter()
                .map(|name| entries.contains(&ResponseCache::key("json", name).0))
                .collect()
        };
        // Given two one-off requests, never asked again, and a request served from the cache,
        // past half the bound
        put(b"x");
        put(b"y");
        put(b"a");
        assert!(cache.get(&at, "json", b"a").is_some());
        // When requests are seen for the first time, Then each is kept in the place of the
        // least recently kept one-off, and the cache does not grow
        put(b"n");
        assert_eq!(kept(&[b"x", b"y", b"a", b"n"]), [false, true, true, true]);
        put(b"m");
        assert_eq!(kept(&[b"y", b"a", b"n", b"m"]), [false, true, true, true]);
        assert_eq!(cache.kept().held, 3 * 246);
        // And once an answer that was served comes first, a first request is not kept
        put(b"o");
        assert_eq!(kept(&[b"a", b"n", b"m", b"o"]), [true, true, true, false]);
        // Unless it is asked again
        put(b"o");
        assert_eq!(kept(&[b"a", b"n", b"m", b"o"]), [true, true, true, true]);
    }

    #[test]
    fn cache__stays_within_its_bound() {
        let cache = ResponseCache::new(1_000);
        let at = Stamp::from_counts([1; 6]);
        let put = |name: &[u8], size| {
            cache.put(
                &at,
                Arc::from(Scope::ALL),
                "json",
                name,
                answer(vec![0; size]),
            )
        };
        // Too large for a quarter of the bound: not kept
        put(b"big", 300);
        assert!(cache.get(&at, "json", b"big").is_none());
        // Four entries of 246 bytes fit. Past half the bound (after the third), a request
        // seen for the first time is not kept while the least recently kept was served, one
        // asked before is
        for name in [b"a", b"b", b"c"] {
            put(name, 240);
            assert!(cache.get(&at, "json", name).is_some());
        }
        put(b"d", 240);
        assert!(
            cache.get(&at, "json", b"d").is_none(),
            "first seen past half the bound"
        );
        put(b"d", 240);
        assert!(cache.get(&at, "json", b"d").is_some());
        // Read lately: a, then c
        assert!(cache.get(&at, "json", b"a").is_some() && cache.get(&at, "json", b"c").is_some());
        put(b"e", 240);
        assert!(cache.get(&at, "json", b"e").is_none());
        put(b"e", 240);
        // The fifth pushes out the least recently served, b, and nothing else
        assert!(cache.get(&at, "json", b"e").is_some());
        assert!(cache.get(&at, "json", b"b").is_none());
        for kept in [b"a", b"c", b"d"] {
            assert!(
                cache.get(&at, "json", kept).is_some(),
                "what was read lately stays"
            );
        }
        assert!(cache.kept().held <= 1_000);

        // A larger answer pushes out as many of the least recently served as it needs
        let cache = ResponseCache::new(1_000);
        let put = |name: &[u8], size| {
            for _ in 0..2 {
                let answer = answer(vec![0; size]);
                cache.put(&at, Arc::from(Scope::ALL), "json", name, answer);
            }
            assert!(cache.get(&at, "json", name).is_some());
        };
        for name in 0..9u8 {
            put(&[name], 100); // 106 bytes each with its key, 954 in all
        }
        put(b"big", 240); // 248 bytes
        assert!(cache.get(&at, "json", b"big").is_some());
        let kept: Vec<bool> = (0..9u8)
            .map(|name| cache.get(&at, "json", &[name]).is_some())
            .collect();
        assert_eq!(
            kept,
            [false, false, true, true, true, true, true, true, true]
        );
        assert!(cache.kept().held <= 1_000);
    }
}
