//! Counters and histograms of GraphQL requests, exposed at `/metrics` in the Prometheus text
//! format (version 0.0.4). Operation names are client-chosen, so the series are bounded: the
//! first `MAX_OPERATIONS` distinct names get their own, later ones count as `other`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::db::PoolUse;

/// Distinct operation names given their own series.
pub const MAX_OPERATIONS: usize = 100;
/// The label of requests whose operation has no name.
pub const ANONYMOUS: &str = "anonymous";
/// The label of names past the cap, and of names that are not GraphQL names.
pub const OTHER: &str = "other";
/// The label of a batched request (a JSON array of operations).
pub const BATCH: &str = "batch";

const DURATION_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const STATEMENT_BUCKETS: [f64; 10] = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];

/// How a request ended, as counted and logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Answered without errors.
    Ok,
    /// Executed, with errors in the answer.
    Error,
    /// Refused before execution: limits, bad requests, authentication.
    Refused,
    /// Refused by the per-client rate limit (429).
    RateLimited,
    /// Abandoned at the request timeout.
    Timeout,
    /// The database could not be reached.
    Unavailable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Refused => "refused",
            Self::RateLimited => "rate_limited",
            Self::Timeout => "timeout",
            Self::Unavailable => "unavailable",
        }
    }
}

struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); the last slot is past the largest bound.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, value: f64) {
        let slot = self.bounds.partition_point(|bound| *bound < value);
        self.counts[slot] += 1;
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

struct Operation {
    outcomes: BTreeMap<Outcome, u64>,
    duration: Histogram,
}

struct Inner {
    operations: HashMap<String, Operation>,
    statements: Histogram,
}

pub struct Metrics {
    inner: Mutex<Inner>,
    in_flight: AtomicI64,
    /// Documents the front door parsed: one per request not answered from the cache.
    parsed: AtomicU64,
    /// Operations validated with every rule (`operation::Operation::validated_before`).
    validated: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                operations: HashMap::new(),
                statements: Histogram::new(&STATEMENT_BUCKETS),
            }),
            in_flight: AtomicI64::new(0),
            parsed: AtomicU64::new(0),
            validated: AtomicU64::new(0),
        }
    }
}

/// Counts a request in flight until dropped (also when the client goes away mid-request).
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts one document parsed.
    pub fn parsed(&self) {
        self.parsed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one operation validated with every rule.
    pub fn validated(&self) {
        self.validated.fetch_add(1, Ordering::Relaxed);
    }

    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Records one answered request.
    pub fn record(
        &self,
        operation: &str,
        outcome: Outcome,
        duration: Duration,
        statements: Option<u64>,
    ) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let known = inner.operations.contains_key(operation);
        let label = if known || inner.operations.len() < MAX_OPERATIONS {
            operation
        } else {
            OTHER
        };
        if !inner.operations.contains_key(label) {
            inner.operations.insert(
                label.to_owned(),
                Operation {
                    outcomes: BTreeMap::new(),
                    duration: Histogram::new(&DURATION_BUCKETS),
                },
            );
        }
        let entry = inner.operations.get_mut(label).expect("inserted above");
        *entry.outcomes.entry(outcome).or_default() += 1;
        entry.duration.observe(duration.as_secs_f64());
        if let Some(statements) = statements {
            inner.statements.observe(statements as f64);
        }
    }

    /// The exposition, with the pool's use read at the time of asking.
    pub fn render(&self, pool: PoolUse, rate_limited_clients: Option<usize>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = inner.operations.keys().collect();
        names.sort();
        out.push_str(
            "# HELP qingdan_requests_total GraphQL requests answered, by operation name and outcome.\n\
             # TYPE qingdan_requests_total counter\n",
        );
        for name in &names {
            for (outcome, count) in &inner.operations[*name].outcomes {
                let _ = writeln!(
                    out,
                    "qingdan_requests_total{{operation=\"{name}\",outcome=\"{}\"}} {count}",
                    outcome.as_str()
                );
            }
        }
        out.push_str(
            "# HELP qingdan_request_duration_seconds Time to answer a GraphQL request, by operation name.\n\
             # TYPE qingdan_request_duration_seconds histogram\n",
        );
        for name in &names {
            inner.operations[*name].duration.render(
                &mut out,
                "qingdan_request_duration_seconds",
                &format!("operation=\"{name}\""),
            );
        }
        out.push_str(
            "# HELP qingdan_request_sql_statements SQL statements sent to answer one GraphQL request (its _sum is the total).\n\
             # TYPE qingdan_request_sql_statements histogram\n",
        );
        inner
            .statements
            .render(&mut out, "qingdan_request_sql_statements", "");
        drop(inner);
        let _ = write!(
            out,
            "# HELP qingdan_requests_in_flight GraphQL requests being answered.\n\
             # TYPE qingdan_requests_in_flight gauge\n\
             qingdan_requests_in_flight {}\n\
             # HELP qingdan_db_pool_connections Database connections of the pool, by state.\n\
             # TYPE qingdan_db_pool_connections gauge\n\
             qingdan_db_pool_connections{{state=\"idle\"}} {}\n\
             qingdan_db_pool_connections{{state=\"in_use\"}} {}\n\
             # HELP qingdan_db_pool_max_connections Most connections the pool opens.\n\
             # TYPE qingdan_db_pool_max_connections gauge\n\
             qingdan_db_pool_max_connections {}\n",
            self.in_flight.load(Ordering::Relaxed),
            pool.idle,
            pool.open.saturating_sub(pool.idle),
            pool.max,
        );
        let _ = write!(
            out,
            "# HELP qingdan_documents_parsed_total GraphQL documents parsed (one per request that is not answered from the cache).\n\
             # TYPE qingdan_documents_parsed_total counter\n\
             qingdan_documents_parsed_total {}\n\
             # HELP qingdan_operations_validated_total GraphQL operations validated with every rule (the first request of each, and any whose variables could change the verdict).\n\
             # TYPE qingdan_operations_validated_total counter\n\
             qingdan_operations_validated_total {}\n",
            self.parsed.load(Ordering::Relaxed),
            self.validated.load(Ordering::Relaxed)
        );
        if let Some(clients) = rate_limited_clients {
            let _ = write!(
                out,
                "# HELP qingdan_rate_limit_clients Clients whose request rate is being tracked.\n\
                 # TYPE qingdan_rate_limit_clients gauge\n\
                 qingdan_rate_limit_clients {clients}\n"
            );
        }
        out
    }
}

/// A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`) of sensible length: only those become labels,
/// so a label never needs escaping and cannot forge exposition lines.
fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 100
        && bytes
            .next()
            .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// The label of an operation named `name`: the name when it is a GraphQL name, else `other`;
/// `anonymous` without one.
pub fn label(name: Option<&str>) -> String {
    match name {
        None => ANONYMOUS.to_owned(),
        Some(name) if is_name(name) => name.to_owned(),
        Some(_) => OTHER.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record__names_past_the_cap_count_as_other() {
        let metrics = Metrics::default();
        for n in 0..MAX_OPERATIONS + 5 {
            metrics.record(&format!("Op{n}"), Outcome::Ok, Duration::ZERO, Some(1));
        }
        metrics.record("Op0", Outcome::Error, Duration::ZERO, None);
        let text = metrics.render(PoolUse::default(), None);
        assert!(text.contains("qingdan_requests_total{operation=\"Op0\",outcome=\"error\"} 1"));
        assert!(text.contains("qingdan_requests_total{operation=\"other\",outcome=\"ok\"} 5"));
        assert!(!text.contains("Op100\""));
        assert!(text.contains(&format!(
            "qingdan_request_sql_statements_count {}",
            MAX_OPERATIONS + 5
        )));
    }

    #[test]
    fn histogram__buckets_are_cumulative() {
        let mut histogram = Histogram::new(&DURATION_BUCKETS);
        for seconds in [0.0005, 0.001, 0.02, 30.0] {
            histogram.observe(seconds);
        }
        let mut out = String::new();
        histogram.render(&mut out, "h", "operation=\"A\"");
        assert!(out.contains("h_bucket{operation=\"A\",le=\"0.001\"} 2\n"));
        assert!(out.contains("h_bucket{operation=\"A\",le=\"0.025\"} 3\n"));
        assert!(out.contains("h_bucket{operation=\"A\",le=\"10\"} 3\n"));
        assert!(out.contains("h_bucket{operation=\"A\",le=\"+Inf\"} 4\n"));
        assert!(out.contains("h_count{operation=\"A\"} 4\n"));
    }
}
