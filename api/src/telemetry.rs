//! Structured logs through tracing: JSON lines, filtered by `RUST_LOG`. Each GraphQL request
//! writes one line with target `qingdan::request` (`http::observe`). Every line written while
//! a request is answered carries the request's `request_id` (and `trace_id`, when the caller
//! sent a W3C `traceparent`) at the top level, so a log search by id needs no nested keys.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans are also exported over OTLP/HTTP (protobuf),
//! continuing the caller's trace; unset (the default), nothing is exported.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// Fields of the request span copied to the top level of each line written inside it.
const REQUEST_FIELDS: [&str; 2] = ["request_id", "trace_id"];

/// What must outlive the server for its spans to be exported: dropped (or `shutdown`) at
/// the end, it flushes what is still buffered.
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("qingdan: flushing traces: {error}");
        }
    }
}

/// Installs the log format (and the OTLP exporter when configured) for the process.
pub fn init() -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let logs = fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_filter(filter);
    let provider = otlp_endpoint().and_then(|endpoint| match otlp_provider(&endpoint) {
        Ok(provider) => Some(provider),
        Err(error) => {
            eprintln!(
                "qingdan: OTEL_EXPORTER_OTLP_ENDPOINT {endpoint}: {error}; traces are not exported"
            );
            None
        }
    });
    let traces = provider.as_ref().map(|provider| {
        use opentelemetry::trace::TracerProvider;
        tracing_opentelemetry::layer().with_tracer(provider.tracer("qingdan"))
    });
    // A second init (tests start several servers in one process) is harmless.
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    Telemetry { provider }
}

/// Exports, until the guard is dropped, the spans made on this thread to the OTLP/HTTP
/// collector at `endpoint`, as `init` does when `OTEL_EXPORTER_OTLP_ENDPOINT` names it.
pub fn export_to(endpoint: &str) -> anyhow::Result<(tracing::subscriber::DefaultGuard, Telemetry)> {
    use opentelemetry::trace::TracerProvider;
    let provider = otlp_provider(endpoint)?;
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("qingdan")));
    let guard = tracing::subscriber::set_default(subscriber);
    Ok((
        guard,
        Telemetry {
            provider: Some(provider),
        },
    ))
}

/// The collector's base URL, when traces are to be exported.
fn otlp_endpoint() -> Option<String> {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .map(|endpoint| endpoint.trim().to_owned())
        .filter(|endpoint| !endpoint.is_empty())
}

/// Spans batched and sent to `endpoint` (its `/v1/traces`, as the OTLP/HTTP specification and
/// the SDK's other `OTEL_EXPORTER_OTLP_*` variables say), the service named `qingdan`.
fn otlp_provider(endpoint: &str) -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces)
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("qingdan")
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// tracing-subscriber's JSON line (`timestamp`, `level`, `fields`, `target`) with the request
/// span's fields at the top level.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("level".into(), event.metadata().level().as_str().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields.as_str()) {
                    for (name, value) in fields {
                        if REQUEST_FIELDS.contains(&name.as_str()) {
                            line.insert(name, value);
                        }
                    }
                }
            }
        }
        let mut fields = FieldsToJson(Map::new());
        event.record(&mut fields);
        line.insert("fields".into(), Value::Object(fields.0));
        line.insert("target".into(), event.metadata().target().into());
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields as JSON values, numbers and booleans kept as such.
struct FieldsToJson(Map<String, Value>);

impl Visit for FieldsToJson {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

/// Log lines written in memory, in the format `init` writes them.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The lines written so far, each a JSON object.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures, until the guard is dropped, the info-level log lines written on this thread
/// (a test's single-threaded runtime runs its server there), formatted as `init` does.
pub fn capture() -> (tracing::subscriber::DefaultGuard, Captured) {
    // With a single scoped subscriber registered, tracing takes it for the only one and
    // caches each call site's interest from whatever the thread that first reaches it uses:
    // another test's thread, with no subscriber, would switch this thread's lines off. A
    // second, permanent one (that wants nothing) makes it ask every thread at each event.
    static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = fmt()
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    (tracing::subscriber::set_default(subscriber), captured)
}
