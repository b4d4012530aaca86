//! All settings, read from the environment once at start and validated there.

use std::net::SocketAddr;

use anyhow::{Context, bail};

/// Where the embedded default database lives: a SQLite file in the working directory,
/// created on first start, so a newcomer needs nothing installed.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://qingdan.db?mode=rwc";
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:8000";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `LISTEN_ADDR`: the address the HTTP server binds.
    pub listen_addr: SocketAddr,
    /// `QINGDAN_ENV`: `development` (default) or `production`; production refuses dev defaults.
    pub environment: Environment,
    /// `QINGDAN_SEED`: load the bundled Anhua list into an empty database at start (default on).
    pub seed_on_empty: bool,
    /// How bearer tokens are verified.
    pub jwt: JwtKey,
    /// What a token must say, and where its roles and department are found.
    pub jwt_rules: crate::auth::TokenRules,
    /// What one request may ask of the server.
    pub limits: Limits,
    /// `QINGDAN_CORS_ORIGINS`: origins (comma-separated, e.g. `https://qingdan.example.gov.cn`)
    /// whose browser pages may call the API; empty (the default) sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// `QINGDAN_SHUTDOWN_SECS`: after SIGTERM or Ctrl-C, how long requests in flight may run
    /// before the process exits anyway (default 20).
    pub shutdown_grace: std::time::Duration,
    /// `QINGDAN_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a database connection
    /// before it fails with `UNAVAILABLE` (default 3000).
    pub db_acquire_timeout: std::time::Duration,
    /// `QINGDAN_DB_MAX_CONNECTIONS`: most connections a process opens (default: 4 on SQLite,
    /// 8 on PostgreSQL; with several replicas their sum stays under PostgreSQL's
    /// `max_connections`).
    pub db_max_connections: Option<u32>,
    /// `QINGDAN_TRUSTED_DOCUMENTS`: a manifest file (id → document); when set, only its
    /// documents run.
    pub trusted_documents: Option<std::sync::Arc<crate::http::persisted::TrustedDocuments>>,
    /// What the server shows besides the API itself.
    pub exposure: Exposure,
    /// Events to integrations: webhook delivery and retention.
    pub events: Events,
}

/// Webhook delivery and event retention. Each is set by the environment variable named in
/// its comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Events {
    /// `QINGDAN_WEBHOOK_WORKERS`: endpoints this replica delivers to at once (default 4; 0
    /// delivers nothing from this replica, the others still do).
    pub webhook_workers: usize,
    /// `QINGDAN_WEBHOOK_TIMEOUT_MS`: longest wait for an endpoint's answer (default 10000).
    pub webhook_timeout: std::time::Duration,
    /// `QINGDAN_WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is dead-lettered (default 15).
    pub webhook_max_attempts: u32,
    /// `QINGDAN_WEBHOOK_BACKOFF_MS`: the wait after a first failed attempt, doubled after each
    /// further one, with jitter (default 2000).
    pub webhook_backoff: std::time::Duration,
    /// `QINGDAN_WEBHOOK_BACKOFF_MAX_MS`: the longest wait between attempts (default 3600000).
    pub webhook_backoff_max: std::time::Duration,
    /// `QINGDAN_EVENT_RETENTION_DAYS`: events, and their deliveries, older than this are
    /// pruned (default 30).
    pub retention: std::time::Duration,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            webhook_workers: 4,
            webhook_timeout: std::time::Duration::from_secs(10),
            webhook_max_attempts: 15,
            webhook_backoff: std::time::Duration::from_secs(2),
            webhook_backoff_max: std::time::Duration::from_secs(3600),
            retention: std::time::Duration::from_secs(30 * 86_400),
        }
    }
}

impl Events {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        use std::time::Duration;
        let default = Self::default();
        let ms = |key: &str, default: Duration| -> anyhow::Result<Duration> {
            let value = number(lookup, key, default.as_millis() as u64)?;
            if value == 0 {
                bail!("{key} must be positive");
            }
            Ok(Duration::from_millis(value))
        };
        let events = Self {
            webhook_workers: number(lookup, "QINGDAN_WEBHOOK_WORKERS", default.webhook_workers)?,
            webhook_timeout: ms("QINGDAN_WEBHOOK_TIMEOUT_MS", default.webhook_timeout)?,
            webhook_max_attempts: number(
                lookup,
                "QINGDAN_WEBHOOK_MAX_ATTEMPTS",
                default.webhook_max_attempts,
            )?,
            webhook_backoff: ms("QINGDAN_WEBHOOK_BACKOFF_MS", default.webhook_backoff)?,
            webhook_backoff_max: ms(
                "QINGDAN_WEBHOOK_BACKOFF_MAX_MS",
                default.webhook_backoff_max,
            )?,
            retention: Duration::from_secs(
                86_400 * number(lookup, "QINGDAN_EVENT_RETENTION_DAYS", 30u64)?,
            ),
        };
        if events.webhook_max_attempts == 0 {
            bail!("QINGDAN_WEBHOOK_MAX_ATTEMPTS must be positive");
        }
        if events.retention.is_zero() {
            bail!("QINGDAN_EVENT_RETENTION_DAYS must be positive");
        }
        if events.webhook_backoff > events.webhook_backoff_max {
            bail!("QINGDAN_WEBHOOK_BACKOFF_MS must not exceed QINGDAN_WEBHOOK_BACKOFF_MAX_MS");
        }
        Ok(events)
    }
}

/// Every setting, with the database URL's password and the token secret left out, so a
/// `Debug` of the configuration is safe to log.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redacted_url(&self.database_url))
            .field("listen_addr", &self.listen_addr)
            .field("environment", &self.environment)
            .field("seed_on_empty", &self.seed_on_empty)
            .field("jwt", &self.jwt)
            .field("jwt_rules", &self.jwt_rules)
            .field("limits", &self.limits)
            .field("cors_origins", &self.cors_origins)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("db_acquire_timeout", &self.db_acquire_timeout)
            .field("db_max_connections", &self.db_max_connections)
            .field("trusted_documents", &self.trusted_documents)
            .field("exposure", &self.exposure)
            .finish()
    }
}

/// `url` with the password of its user info replaced: `postgres://qingdan:<redacted>@db/x`.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            let hidden = if user_info.contains(':') {
                ":<redacted>"
            } else {
                ""
            };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// What the server shows besides the API: GraphiQL, introspection, and where `/metrics` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    /// `QINGDAN_GRAPHIQL`: GraphiQL's page and assets (default: on in development, off in
    /// production).
    pub graphiql: bool,
    /// `QINGDAN_INTROSPECTION`: `__schema` and `__type` queries (default on: the schema is
    /// published with the code, and clients and GraphiQL read it).
    pub introspection: bool,
    /// `QINGDAN_METRICS_ADDR`: serve `/metrics` on this address only, not on the public
    /// listener (default: unset, `/metrics` on the public listener).
    pub metrics_addr: Option<SocketAddr>,
}

impl Default for Exposure {
    /// Development's: everything on the one listener.
    fn default() -> Self {
        Self {
            graphiql: true,
            introspection: true,
            metrics_addr: None,
        }
    }
}

impl Exposure {
    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> anyhow::Result<Self> {
        let introspection = switch(lookup, "QINGDAN_INTROSPECTION", true)?;
        // GraphiQL is of no use without introspection, and a production page is a public
        // playground nobody asked for.
        let graphiql_default = environment == Environment::Development && introspection;
        let graphiql = switch(lookup, "QINGDAN_GRAPHIQL", graphiql_default)?;
        if graphiql && !introspection {
            bail!(
                "QINGDAN_GRAPHIQL needs QINGDAN_INTROSPECTION: GraphiQL reads the schema by introspection"
            );
        }
        let metrics_addr = match lookup("QINGDAN_METRICS_ADDR") {
            Some(addr) if !addr.trim().is_empty() => {
                Some(addr.trim().parse().with_context(|| {
                    format!(
                        "QINGDAN_METRICS_ADDR must be host:port, e.g. 127.0.0.1:9100, not {addr:?}"
                    )
                })?)
            }
            _ => None,
        };
        Ok(Self {
            graphiql,
            introspection,
            metrics_addr,
        })
    }
}

/// An on/off setting: `true`/`false`, `1`/`0` or `on`/`off`.
fn switch(
    lookup: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: bool,
) -> anyhow::Result<bool> {
    match lookup(key).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "on") => Ok(true),
        Some("0" | "false" | "off") => Ok(false),
        Some(other) => bail!("{key} must be true or false, not {other:?}"),
    }
}

/// Longest wait for a pooled database connection unless configured.
pub const DEFAULT_DB_ACQUIRE_TIMEOUT_MS: u64 = 3_000;
/// Grace period for requests in flight at shutdown unless configured.
pub const DEFAULT_SHUTDOWN_SECS: u64 = 20;

/// Bounds on one request. Each is set by the environment variable named in its comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `QINGDAN_MAX_BODY_BYTES`: largest request body; larger ones answer 413 before parsing.
    pub max_body_bytes: usize,
    /// `QINGDAN_MAX_DEPTH`: deepest selection nesting (GraphiQL's introspection needs 13).
    pub max_depth: usize,
    /// `QINGDAN_MAX_COMPLEXITY`: fields a query may select, where a connection's `first`
    /// or `last` multiplies the cost of what is under it.
    pub max_complexity: usize,
    /// `QINGDAN_REQUEST_TIMEOUT_MS`: longest a request may run before it is abandoned.
    pub request_timeout_ms: u64,
    /// `QINGDAN_MAX_TOKENS`: lexical tokens a query document may hold, counted before it is
    /// parsed (GraphiQL's introspection query holds about 300).
    pub max_tokens: usize,
    /// `QINGDAN_MAX_ALIASES`: aliased fields a query document may hold.
    pub max_aliases: usize,
    /// `QINGDAN_MAX_BATCH`: operations one POST may carry as a JSON array; 0 (the default)
    /// refuses arrays.
    pub max_batch: usize,
    /// `QINGDAN_RATE_LIMIT_PER_MINUTE`: requests to `/graphql` a client (a token's subject,
    /// else an IP address) may make per minute, sustained; 0 (the default) turns it off.
    pub rate_limit_per_minute: u32,
    /// `QINGDAN_RATE_LIMIT_BURST`: requests a client may make at once before the per-minute
    /// rate applies (default: one minute's worth).
    pub rate_limit_burst: u32,
    /// `QINGDAN_MAX_UPLOAD_BYTES`: largest workbook or CSV ZIP uploaded into a list's draft;
    /// larger ones answer 413 before they are read. What it unpacks to may be 20 times that.
    pub max_upload_bytes: usize,
    /// `QINGDAN_LIST_MEMORY_MB`: memory for the published list versions a process holds to
    /// answer list reads without SQL (`domain::published`); the least recently used go first,
    /// and a day whose versions in force do not fit is read from SQL. 0 holds none.
    pub list_memory_mb: usize,
    /// `QINGDAN_SUPERVISION_MEMORY_MB`: memory for submitted inspections' rows and what they
    /// recorded (findings, inspectors, methods), which never change once submitted
    /// (`domain::supervision::submitted`); the least recently read go first. 0 holds none.
    pub supervision_memory_mb: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            max_depth: 15,
            max_complexity: 5_000,
            request_timeout_ms: 10_000,
            max_tokens: 5_000,
            max_aliases: 50,
            max_batch: 0,
            // Off unless configured: the benchmarks drive ~20,000 requests a second from one
            // address, and behind a reverse proxy every anonymous caller shares its address.
            rate_limit_per_minute: 0,
            rate_limit_burst: 0,
            // The Anhua workbook is 25 KB; a list of 400 duties with 2,040 work items, 59 KB.
            max_upload_bytes: 8 * 1024 * 1024,
            // A county's lists take under 1 MB, a province's (200,000 work items) about 90.
            list_memory_mb: 256,
            // A county's 2,000 inspections take about 1.5 MB; 32 MB holds some 35,000.
            supervision_memory_mb: 32,
        }
    }
}

fn number<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
) -> anyhow::Result<T> {
    match lookup(key) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .ok()
            .with_context(|| format!("{key} must be a whole number, not {text:?}")),
    }
}

impl Limits {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let default = Self::default();
        let limits = Self {
            max_body_bytes: number(lookup, "QINGDAN_MAX_BODY_BYTES", default.max_body_bytes)?,
            max_depth: number(lookup, "QINGDAN_MAX_DEPTH", default.max_depth)?,
            max_complexity: number(lookup, "QINGDAN_MAX_COMPLEXITY", default.max_complexity)?,
            request_timeout_ms: number(
                lookup,
                "QINGDAN_REQUEST_TIMEOUT_MS",
                default.request_timeout_ms,
            )?,
            max_tokens: number(lookup, "QINGDAN_MAX_TOKENS", default.max_tokens)?,
            max_aliases: number(lookup, "QINGDAN_MAX_ALIASES", default.max_aliases)?,
            max_batch: number(lookup, "QINGDAN_MAX_BATCH", default.max_batch)?,
            rate_limit_per_minute: number(
                lookup,
                "QINGDAN_RATE_LIMIT_PER_MINUTE",
                default.rate_limit_per_minute,
            )?,
            rate_limit_burst: 0,
            max_upload_bytes: number(lookup, "QINGDAN_MAX_UPLOAD_BYTES", default.max_upload_bytes)?,
            list_memory_mb: number(lookup, "QINGDAN_LIST_MEMORY_MB", default.list_memory_mb)?,
            supervision_memory_mb: number(
                lookup,
                "QINGDAN_SUPERVISION_MEMORY_MB",
                default.supervision_memory_mb,
            )?,
        };
        let limits = Self {
            rate_limit_burst: number(
                lookup,
                "QINGDAN_RATE_LIMIT_BURST",
                limits.rate_limit_per_minute,
            )?,
            ..limits
        };
        if limits.rate_limit_per_minute > 0 && limits.rate_limit_burst == 0 {
            bail!("QINGDAN_RATE_LIMIT_BURST must be positive when a rate limit is set");
        }
        if limits.max_body_bytes == 0
            || limits.max_upload_bytes == 0
            || limits.max_depth == 0
            || limits.max_complexity == 0
            || limits.request_timeout_ms == 0
            || limits.max_tokens == 0
        {
            bail!("limits must be positive");
        }
        Ok(limits)
    }
}

/// `QINGDAN_JWT_SECRET` (HS256), `QINGDAN_JWT_PUBLIC_KEY` (PEM, with `QINGDAN_JWT_ALGORITHM`
/// RS256, ES256 or EdDSA) or `QINGDAN_JWT_JWKS_URL` (the identity provider's key set). Without
/// any, development uses the marked `auth::DEV_SECRET`.
#[derive(Clone)]
pub enum JwtKey {
    Secret(String),
    PublicKey {
        algorithm: jsonwebtoken::Algorithm,
        pem: String,
    },
    Jwks {
        url: String,
        /// `QINGDAN_JWT_JWKS_REFETCH_SECS`: least time between two fetches of the key set
        /// caused by tokens naming a key it does not hold.
        min_refetch: std::time::Duration,
        /// `QINGDAN_JWT_JWKS_CA`: certificates (PEM) trusted for the provider's TLS besides
        /// the public roots, for a provider whose certificate an intranet CA issued.
        ca_pem: Option<String>,
    },
}

/// Least time between refetches of the key set for unknown key ids unless configured.
pub const DEFAULT_JWKS_REFETCH_SECS: u64 = 10;

// Secrets never reach logs or panics through `Debug`.
impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("JwtKey::Secret(<redacted>)"),
            Self::PublicKey { algorithm, .. } => write!(f, "JwtKey::PublicKey({algorithm:?})"),
            Self::Jwks { url, .. } => write!(f, "JwtKey::Jwks({url})"),
        }
    }
}

impl JwtKey {
    pub fn verifier(&self) -> anyhow::Result<crate::auth::Verifier> {
        match self {
            Self::Secret(secret) => crate::auth::Verifier::hs256(secret.as_bytes()),
            Self::PublicKey { algorithm, pem } => {
                crate::auth::Verifier::public_key(*algorithm, pem.as_bytes())
            }
            Self::Jwks {
                url,
                min_refetch,
                ca_pem,
            } => crate::auth::Verifier::jwks(url, *min_refetch, ca_pem.as_deref()),
        }
    }

    /// Keys of an identity provider (not a shared secret).
    fn is_identity_providers(&self) -> bool {
        !matches!(self, Self::Secret(_))
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// The token verifier these settings describe.
    pub fn verifier(&self) -> anyhow::Result<crate::auth::Verifier> {
        Ok(self.jwt.verifier()?.with_rules(self.jwt_rules.clone()))
    }

    /// Reads settings through `lookup`, so tests can supply an environment of their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let environment = match lookup("QINGDAN_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!("QINGDAN_ENV must be development or production, not {other:?}"),
        };
        let database_url = match lookup("DATABASE_URL") {
            Some(url) if !url.trim().is_empty() => url,
            _ if environment == Environment::Production => {
                bail!(
                    "DATABASE_URL must be set in production (the SQLite default is for development)"
                )
            }
            _ => DEFAULT_DATABASE_URL.to_owned(),
        };
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            bail!("DATABASE_URL must start with sqlite: or postgres://");
        }
        let listen_addr = lookup("LISTEN_ADDR")
            .unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned())
            .parse()
            .context("LISTEN_ADDR must be host:port, e.g. 127.0.0.1:8000")?;
        let seed_on_empty = switch(&lookup, "QINGDAN_SEED", true)?;
        let production = environment == Environment::Production;
        let jwt = jwt_key(&lookup, environment)?;
        jwt.verifier()
            .context("the configured JWT key cannot be used")?;
        let jwt_rules = token_rules(&lookup)?;
        if production
            && jwt.is_identity_providers()
            && (jwt_rules.issuer.is_none() || jwt_rules.audience.is_empty())
        {
            bail!(
                "production with the identity provider's keys needs QINGDAN_JWT_ISSUER and QINGDAN_JWT_AUDIENCE, so that tokens issued elsewhere or for other applications are refused"
            );
        }
        let limits = Limits::from_lookup(&lookup)?;
        let cors_origins = cors_origins(lookup("QINGDAN_CORS_ORIGINS").as_deref())?;
        let shutdown_grace = std::time::Duration::from_secs(number(
            &lookup,
            "QINGDAN_SHUTDOWN_SECS",
            DEFAULT_SHUTDOWN_SECS,
        )?);
        let db_acquire_timeout = std::time::Duration::from_millis(number(
            &lookup,
            "QINGDAN_DB_ACQUIRE_TIMEOUT_MS",
            DEFAULT_DB_ACQUIRE_TIMEOUT_MS,
        )?);
        if db_acquire_timeout.is_zero() {
            bail!("QINGDAN_DB_ACQUIRE_TIMEOUT_MS must be positive");
        }
        let db_max_connections = match text(&lookup, "QINGDAN_DB_MAX_CONNECTIONS") {
            Some(value) => match value.parse::<u32>() {
                Ok(max) if (1..=1_000).contains(&max) => Some(max),
                _ => bail!(
                    "QINGDAN_DB_MAX_CONNECTIONS must be a whole number from 1 to 1000, not {value:?}"
                ),
            },
            None => None,
        };
        let trusted_documents = match text(&lookup, "QINGDAN_TRUSTED_DOCUMENTS") {
            Some(path) => Some(std::sync::Arc::new(
                crate::http::persisted::TrustedDocuments::load(std::path::Path::new(&path))
                    .context("QINGDAN_TRUSTED_DOCUMENTS")?,
            )),
            None => None,
        };
        let exposure = Exposure::from_lookup(&lookup, environment)?;
        let events = Events::from_lookup(&lookup)?;
        if exposure.metrics_addr == Some(listen_addr) {
            bail!("QINGDAN_METRICS_ADDR must differ from LISTEN_ADDR");
        }
        Ok(Self {
            database_url,
            listen_addr,
            environment,
            seed_on_empty,
            jwt,
            jwt_rules,
            limits,
            cors_origins,
            shutdown_grace,
            db_acquire_timeout,
            db_max_connections,
            trusted_documents,
            exposure,
            events,
        })
    }
}

/// Origins as browsers send them: `scheme://host[:port]`, no path, no trailing slash; a
/// mistyped entry would silently never match, so it stops the start instead.
fn cors_origins(list: Option<&str>) -> anyhow::Result<Vec<String>> {
    let mut origins = Vec::new();
    for origin in list.unwrap_or("").split(',').map(str::trim) {
        if origin.is_empty() {
            continue;
        }
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let well_formed = rest.is_some_and(|host| {
            !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
        if !well_formed {
            bail!(
                "QINGDAN_CORS_ORIGINS holds {origin:?}: each entry is scheme://host[:port], e.g. https://qingdan.example.gov.cn"
            );
        }
        origins.push(origin.to_owned());
    }
    Ok(origins)
}

/// A setting's text, `None` when unset or blank.
fn text(lookup: &impl Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    lookup(key)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn token_rules(
    lookup: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<crate::auth::TokenRules> {
    let default = crate::auth::TokenRules::default();
    let leeway_secs = number(lookup, "QINGDAN_JWT_LEEWAY_SECS", default.leeway_secs)?;
    if leeway_secs > 300 {
        bail!("QINGDAN_JWT_LEEWAY_SECS must be at most 300 (clock skew, not a grace period)");
    }
    let audience = text(lookup, "QINGDAN_JWT_AUDIENCE")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|aud| !aud.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(crate::auth::TokenRules {
        issuer: text(lookup, "QINGDAN_JWT_ISSUER"),
        audience,
        leeway_secs,
        roles_claim: text(lookup, "QINGDAN_JWT_ROLES_CLAIM").unwrap_or(default.roles_claim),
        department_claim: text(lookup, "QINGDAN_JWT_DEPARTMENT_CLAIM")
            .unwrap_or(default.department_claim),
    })
}

fn jwt_key(
    lookup: &impl Fn(&str) -> Option<String>,
    environment: Environment,
) -> anyhow::Result<JwtKey> {
    let production = environment == Environment::Production;
    let secret = lookup("QINGDAN_JWT_SECRET");
    let pem = lookup("QINGDAN_JWT_PUBLIC_KEY");
    let jwks = text(lookup, "QINGDAN_JWT_JWKS_URL");
    let given = [secret.is_some(), pem.is_some(), jwks.is_some()];
    if given.iter().filter(|set| **set).count() > 1 {
        bail!("set one of QINGDAN_JWT_SECRET, QINGDAN_JWT_PUBLIC_KEY and QINGDAN_JWT_JWKS_URL");
    }
    if let Some(url) = jwks {
        // Keys fetched in clear could be replaced on the way: production fetches over TLS.
        let scheme_ok = url.starts_with("https://") || (!production && url.starts_with("http://"));
        if !scheme_ok {
            bail!("QINGDAN_JWT_JWKS_URL must be an https:// URL (http:// in development only)");
        }
        let min_refetch = std::time::Duration::from_secs(number(
            lookup,
            "QINGDAN_JWT_JWKS_REFETCH_SECS",
            DEFAULT_JWKS_REFETCH_SECS,
        )?);
        let ca_pem = match text(lookup, "QINGDAN_JWT_JWKS_CA") {
            Some(path) => Some(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("QINGDAN_JWT_JWKS_CA: reading {path}"))?,
            ),
            None => None,
        };
        return Ok(JwtKey::Jwks {
            url,
            min_refetch,
            ca_pem,
        });
    }
    match (secret, pem) {
        (_, Some(pem)) => {
            let algorithm = match lookup("QINGDAN_JWT_ALGORITHM").as_deref() {
                None | Some("RS256") => jsonwebtoken::Algorithm::RS256,
                Some("ES256") => jsonwebtoken::Algorithm::ES256,
                Some("EdDSA") => jsonwebtoken::Algorithm::EdDSA,
                Some(other) => {
                    bail!("QINGDAN_JWT_ALGORITHM must be RS256, ES256 or EdDSA, not {other:?}")
                }
            };
            Ok(JwtKey::PublicKey { algorithm, pem })
        }
        (Some(secret), None)
            if production && (secret == crate::auth::DEV_SECRET || secret.len() < 32) =>
        {
            bail!(
                "QINGDAN_JWT_SECRET must be a secret of at least 32 bytes in production, not the development one"
            )
        }
        (Some(secret), None) => Ok(JwtKey::Secret(secret)),
        (None, None) if production => {
            bail!(
                "production needs QINGDAN_JWT_JWKS_URL or QINGDAN_JWT_PUBLIC_KEY (or QINGDAN_JWT_SECRET); the development secret is refused"
            )
        }
        (None, None) => Ok(JwtKey::Secret(crate::auth::DEV_SECRET.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events__defaults_and_refusals() {
        let events = config(&[]).unwrap().events;
        assert_eq!(events, Events::default());
        let quick = config(&[
            ("QINGDAN_WEBHOOK_MAX_ATTEMPTS", "3"),
            ("QINGDAN_WEBHOOK_BACKOFF_MS", "50"),
        ])
        .unwrap()
        .events;
        assert_eq!(quick.webhook_max_attempts, 3);
        assert_eq!(quick.webhook_backoff, std::time::Duration::from_millis(50));
        for bad in [
            ("QINGDAN_WEBHOOK_MAX_ATTEMPTS", "0"),
            ("QINGDAN_WEBHOOK_TIMEOUT_MS", "0"),
            ("QINGDAN_EVENT_RETENTION_DAYS", "0"),
            ("QINGDAN_WEBHOOK_BACKOFF_MS", "7200000"),
            ("QINGDAN_WEBHOOK_WORKERS", "many"),
        ] {
            assert!(config(&[bad]).is_err(), "{bad:?}");
        }
    }

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults__sqlite_in_working_directory() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.listen_addr.to_string(), DEFAULT_LISTEN_ADDR);
        assert!(config.seed_on_empty);
    }

    #[test]
    fn debug__shows_no_password() {
        let config = config(&[
            (
                "DATABASE_URL",
                "postgres://qingdan:s3cr3t-pw@db:5432/qingdan?sslmode=require",
            ),
            ("QINGDAN_DB_MAX_CONNECTIONS", "32"),
        ])
        .unwrap();
        let shown = format!("{config:?} {:?}", crate::db::PoolSettings::of(&config));
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(shown.contains("postgres://qingdan:<redacted>@db:5432/qingdan?sslmode=require"));
        assert!(shown.contains("max_connections: 32"), "{shown}");
        assert_eq!(redacted_url("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(
            redacted_url("sqlite://qingdan.db?mode=rwc"),
            "sqlite://qingdan.db?mode=rwc"
        );
        assert_eq!(
            redacted_url("postgres://u:p@ss@h/d"),
            "postgres://u:<redacted>@h/d",
            "a password holding @ is hidden whole"
        );
    }

    #[test]
    fn production__refuses_the_development_database_default() {
        let err = config(&[("QINGDAN_ENV", "production")]).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    }

    #[test]
    fn production__refuses_the_development_jwt_secret() {
        let prod = [
            ("QINGDAN_ENV", "production"),
            ("DATABASE_URL", "postgres://db/q"),
        ];
        assert!(
            config(&prod)
                .unwrap_err()
                .to_string()
                .contains("QINGDAN_JWT")
        );
        let dev_secret = [
            prod[0],
            prod[1],
            ("QINGDAN_JWT_SECRET", crate::auth::DEV_SECRET),
        ];
        assert!(config(&dev_secret).is_err());
        let short = [prod[0], prod[1], ("QINGDAN_JWT_SECRET", "short")];
        assert!(config(&short).is_err());
        let real = [
            prod[0],
            prod[1],
            ("QINGDAN_JWT_SECRET", "a-real-secret-of-at-least-32-bytes!!"),
        ];
        assert!(config(&real).is_ok());
        // Development falls back to the marked secret
        assert!(
            matches!(config(&[]).unwrap().jwt, JwtKey::Secret(s) if s == crate::auth::DEV_SECRET)
        );
    }

    #[test]
    fn jwt__identity_provider_settings() {
        let defaults = config(&[]).unwrap().jwt_rules;
        assert_eq!(defaults, crate::auth::TokenRules::default());
        assert!(defaults.leeway_secs <= 30);
        let set = config(&[
            (
                "QINGDAN_JWT_JWKS_URL",
                "http://127.0.0.1:8080/realms/county/protocol/openid-connect/certs",
            ),
            ("QINGDAN_JWT_ISSUER", "http://127.0.0.1:8080/realms/county"),
            ("QINGDAN_JWT_AUDIENCE", "qingdan, qingdan-web"),
            ("QINGDAN_JWT_LEEWAY_SECS", "5"),
            ("QINGDAN_JWT_ROLES_CLAIM", "realm_access.roles"),
        ])
        .unwrap();
        assert!(matches!(set.jwt, JwtKey::Jwks { ref url, .. } if url.ends_with("/certs")));
        assert_eq!(set.jwt_rules.audience, ["qingdan", "qingdan-web"]);
        assert_eq!(set.jwt_rules.leeway_secs, 5);
        assert_eq!(set.jwt_rules.roles_claim, "realm_access.roles");
        assert_eq!(set.jwt_rules.department_claim, "dept");
        // One source of keys
        let both = [
            ("QINGDAN_JWT_JWKS_URL", "https://idp/certs"),
            ("QINGDAN_JWT_SECRET", "x"),
        ];
        assert!(config(&both).is_err());
        assert!(config(&[("QINGDAN_JWT_JWKS_URL", "idp/certs")]).is_err());
        assert!(config(&[("QINGDAN_JWT_LEEWAY_SECS", "3600")]).is_err());
        // An intranet CA for the provider's TLS: read and checked at start
        let url = ("QINGDAN_JWT_JWKS_URL", "https://idp/certs");
        assert!(config(&[url, ("QINGDAN_JWT_JWKS_CA", "/nonexistent/ca.pem")]).is_err());
        let not_pem = std::env::temp_dir().join(format!("qingdan-ca-{}.pem", std::process::id()));
        std::fs::write(&not_pem, "not a certificate").unwrap();
        let not_pem_path = not_pem.to_str().unwrap();
        assert!(config(&[url, ("QINGDAN_JWT_JWKS_CA", not_pem_path)]).is_err());
        std::fs::remove_file(&not_pem).ok();
        // Production: TLS, and issuer and audience with an identity provider's keys
        let prod = [
            ("QINGDAN_ENV", "production"),
            ("DATABASE_URL", "postgres://db/q"),
            ("QINGDAN_JWT_JWKS_URL", "https://idp.example.gov.cn/certs"),
        ];
        let err = config(&prod).unwrap_err().to_string();
        assert!(err.contains("QINGDAN_JWT_ISSUER"), "{err}");
        let complete = [
            prod[0],
            prod[1],
            prod[2],
            (
                "QINGDAN_JWT_ISSUER",
                "https://idp.example.gov.cn/realms/county",
            ),
            ("QINGDAN_JWT_AUDIENCE", "qingdan"),
        ];
        assert!(config(&complete).is_ok());
        let clear = [
            prod[0],
            prod[1],
            ("QINGDAN_JWT_JWKS_URL", "http://idp.example.gov.cn/certs"),
            complete[3],
            complete[4],
        ];
        assert!(config(&clear).is_err());
    }

    #[test]
    fn limits__defaults_and_overrides() {
        assert_eq!(config(&[]).unwrap().limits, Limits::default());
        let limits = config(&[
            ("QINGDAN_MAX_DEPTH", "8"),
            ("QINGDAN_MAX_BODY_BYTES", "1024"),
        ])
        .unwrap()
        .limits;
        assert_eq!((limits.max_depth, limits.max_body_bytes), (8, 1024));
        assert!(config(&[("QINGDAN_MAX_DEPTH", "deep")]).is_err());
        assert!(config(&[("QINGDAN_MAX_COMPLEXITY", "0")]).is_err());
        let limits = config(&[("QINGDAN_MAX_TOKENS", "300"), ("QINGDAN_MAX_ALIASES", "0")])
            .unwrap()
            .limits;
        assert_eq!((limits.max_tokens, limits.max_aliases), (300, 0));
        assert!(config(&[("QINGDAN_MAX_TOKENS", "0")]).is_err());
        assert!(config(&[("QINGDAN_MAX_ALIASES", "-1")]).is_err());
    }

    #[test]
    fn operations__defaults_and_overrides() {
        let defaults = config(&[]).unwrap();
        assert!(defaults.cors_origins.is_empty());
        assert_eq!(defaults.shutdown_grace.as_secs(), DEFAULT_SHUTDOWN_SECS);
        assert_eq!(
            defaults.db_acquire_timeout.as_millis(),
            u128::from(DEFAULT_DB_ACQUIRE_TIMEOUT_MS)
        );
        assert_eq!(defaults.limits.rate_limit_per_minute, 0);
        let set = config(&[
            (
                "QINGDAN_CORS_ORIGINS",
                " https://a.example.cn, http://localhost:5173 ,",
            ),
            ("QINGDAN_RATE_LIMIT_PER_MINUTE", "60"),
            ("QINGDAN_MAX_BATCH", "5"),
            ("QINGDAN_SHUTDOWN_SECS", "3"),
        ])
        .unwrap();
        assert_eq!(
            set.cors_origins,
            ["https://a.example.cn", "http://localhost:5173"]
        );
        // The burst defaults to one minute's worth
        assert_eq!(
            (
                set.limits.rate_limit_per_minute,
                set.limits.rate_limit_burst
            ),
            (60, 60)
        );
        assert_eq!(set.limits.max_batch, 5);
        assert_eq!(set.shutdown_grace.as_secs(), 3);
        assert!(config(&[("QINGDAN_CORS_ORIGINS", "a.example.cn")]).is_err());
        assert!(config(&[("QINGDAN_CORS_ORIGINS", "https://a.cn/")]).is_err());
        let no_burst = [
            ("QINGDAN_RATE_LIMIT_PER_MINUTE", "60"),
            ("QINGDAN_RATE_LIMIT_BURST", "0"),
        ];
        assert!(config(&no_burst).is_err());
        assert!(config(&[("QINGDAN_DB_ACQUIRE_TIMEOUT_MS", "0")]).is_err());
        assert_eq!(defaults.db_max_connections, None);
        assert!(config(&[("QINGDAN_DB_MAX_CONNECTIONS", "0")]).is_err());
        assert!(config(&[("QINGDAN_DB_MAX_CONNECTIONS", "many")]).is_err());
    }

    #[test]
    fn exposure__follows_the_environment_unless_set() {
        let development = config(&[]).unwrap().exposure;
        assert_eq!(development, Exposure::default());
        let prod = [
            ("QINGDAN_ENV", "production"),
            ("DATABASE_URL", "postgres://db/q"),
            ("QINGDAN_JWT_SECRET", "a-real-secret-of-at-least-32-bytes!!"),
        ];
        let production = config(&prod).unwrap().exposure;
        assert!(!production.graphiql, "no GraphiQL in production by default");
        assert!(production.introspection);
        assert_eq!(production.metrics_addr, None);
        let set = [
            prod[0],
            prod[1],
            prod[2],
            ("QINGDAN_GRAPHIQL", "on"),
            ("QINGDAN_METRICS_ADDR", "127.0.0.1:9100"),
        ];
        let set = config(&set).unwrap().exposure;
        assert!(set.graphiql);
        assert_eq!(set.metrics_addr.unwrap().to_string(), "127.0.0.1:9100");
        // Without introspection GraphiQL is off by default, and refused when asked for
        let closed = config(&[("QINGDAN_INTROSPECTION", "false")])
            .unwrap()
            .exposure;
        assert!(!closed.graphiql && !closed.introspection);
        assert!(config(&[("QINGDAN_INTROSPECTION", "off"), ("QINGDAN_GRAPHIQL", "on")]).is_err());
        assert!(config(&[("QINGDAN_GRAPHIQL", "maybe")]).is_err());
        assert!(config(&[("QINGDAN_METRICS_ADDR", "metrics")]).is_err());
        assert!(config(&[("QINGDAN_METRICS_ADDR", DEFAULT_LISTEN_ADDR)]).is_err());
    }

    #[test]
    fn invalid_values__are_refused() {
        assert!(config(&[("LISTEN_ADDR", "nowhere")]).is_err());
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
        assert!(config(&[("QINGDAN_ENV", "staging")]).is_err());
    }
}
