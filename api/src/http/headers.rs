//! What every response carries: the request id (the caller's `X-Request-Id` when it is a
//! sensible token, else one made here) and the security headers. The request id also names
//! the tracing span every log line of the request is written in.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-given request id kept; longer or odd ones are replaced.
const MAX_REQUEST_ID: usize = 64;

/// The caller's request id when it is 1–64 characters of `[A-Za-z0-9._-]`: anything else
/// could forge log lines or carry personal data, so it is replaced by a fresh one.
fn accepted_request_id(headers: &HeaderMap) -> Option<String> {
    let id = headers.get(&REQUEST_ID)?.to_str().ok()?;
    let sensible = !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    sensible.then(|| id.to_owned())
}

/// A fresh id: this process's start time and a counter, unique per process and unguessable
/// enough for correlation (it is not a secret).
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
            ^ u64::from(std::process::id())
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{start:016x}-{n:08x}")
}

/// Headers set on every response unless the handler chose its own.
const SECURITY: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
];

/// Content policy for everything but GraphiQL's page (which sets its own, `graphiql`).
const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'";

pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id = accepted_request_id(request.headers()).unwrap_or_else(new_request_id);
    let value = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    request.headers_mut().insert(REQUEST_ID, value.clone());
    let span = tracing::info_span!("request", request_id = %id, trace_id = tracing::field::Empty);
    if let Some(parent) = TraceParent::of(request.headers()) {
        span.record("trace_id", parent.trace_id);
        continue_trace(&span, request.headers());
    }
    let mut response = next.run(request).instrument(span).await;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID, value);
    for (name, value) in SECURITY {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_API),
        );
    }
    response
}

/// A W3C Trace Context `traceparent` header (`00-<trace-id>-<parent-id>-<flags>`), when the
/// caller sent one that is well formed: the request's log lines then carry its trace id.
#[derive(Debug, PartialEq, Eq)]
struct TraceParent<'a> {
    trace_id: &'a str,
}

impl<'a> TraceParent<'a> {
    fn of(headers: &'a HeaderMap) -> Option<Self> {
        Self::parse(headers.get(TRACEPARENT)?.to_str().ok()?)
    }

    /// Version 00's layout; a later version may add fields after the four (the spec says to
    /// read those four); version ff, upper-case hex and all-zero ids are invalid.
    fn parse(value: &'a str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace_id, parent_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |text: &str, len: usize| {
            text.len() == len
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let valid = hex(version, 2)
            && version != "ff"
            && (version != "00" || parts.next().is_none())
            && hex(trace_id, 32)
            && trace_id.bytes().any(|b| b != b'0')
            && hex(parent_id, 16)
            && parent_id.bytes().any(|b| b != b'0')
            && hex(flags, 2);
        valid.then_some(Self { trace_id })
    }
}

const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Makes `span` a child of the caller's span in the exported trace (when traces are exported:
/// otherwise there is no trace to continue and this does nothing).
fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    use opentelemetry::propagation::Extractor;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Headers<'a>(&'a HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|value| value.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(HeaderName::as_str).collect()
        }
    }
    let context = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(headers))
    });
    let _ = span.set_parent(context);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_str(id).unwrap());
        headers
    }

    #[test]
    fn accepted_request_id__keeps_tokens_and_refuses_the_rest() {
        assert_eq!(
            accepted_request_id(&with_id("abc-123_x.y")).as_deref(),
            Some("abc-123_x.y")
        );
        assert_eq!(
            accepted_request_id(&with_id(&"a".repeat(64))).map(|s| s.len()),
            Some(64)
        );
        assert_eq!(accepted_request_id(&with_id(&"a".repeat(65))), None);
        assert_eq!(accepted_request_id(&with_id("a b")), None);
        assert_eq!(accepted_request_id(&with_id("")), None);
        assert_eq!(accepted_request_id(&HeaderMap::new()), None);
    }

    #[test]
    fn trace_parent__reads_the_w3c_header_and_refuses_malformed_ones() {
        let parsed =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(parsed.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        // A later version may carry more fields
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
                .is_some()
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn new_request_id__differs_each_time() {
        assert_ne!(new_request_id(), new_request_id());
    }
}
