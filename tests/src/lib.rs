//! The end-to-end harness: a real server on a random port over a fresh database, SQLite by
//! default or PostgreSQL when `QINGDAN_TEST_DATABASE_URL` is set (one database per test).

mod db;
pub mod eval;
mod proxy;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qingdan::{
    auth::{Claims, Role, Verifier},
    config::Config,
    db::StatementCounter,
    domain::clock::ManualClock,
    http,
};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

pub use db::TestDatabase;
pub use proxy::DbProxy;

/// How a test server differs from `qingdan serve`'s defaults.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub limits: qingdan::config::Limits,
    /// `QINGDAN_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `QINGDAN_SHUTDOWN_SECS` (default: the configured default).
    pub shutdown_grace: Option<Duration>,
    /// `QINGDAN_DB_ACQUIRE_TIMEOUT_MS` (default: the configured default).
    pub db_acquire_timeout: Option<Duration>,
    /// Token keys (default: the development secret, which `TestApp::token` signs with).
    pub jwt: Option<qingdan::config::JwtKey>,
    /// `QINGDAN_JWT_ISSUER`, `…_AUDIENCE`, `…_ROLES_CLAIM` and the rest.
    pub jwt_rules: qingdan::auth::TokenRules,
    /// `QINGDAN_TRUSTED_DOCUMENTS`, as the manifest's JSON text.
    pub trusted_documents: Option<String>,
    /// `QINGDAN_GRAPHIQL`, `QINGDAN_INTROSPECTION` and `QINGDAN_METRICS_ADDR` (give port 0
    /// for a free one: `TestApp::metrics_url` says where).
    pub exposure: qingdan::config::Exposure,
    /// Webhook delivery and retention (`QINGDAN_WEBHOOK_…`, `QINGDAN_EVENT_RETENTION_DAYS`).
    pub events: qingdan::config::Events,
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// SQL statements the server has sent so far.
    pub statements: StatementCounter,
    pub db: DatabaseConnection,
    /// The server's clock: tests move it to step through deadlines.
    pub clock: Arc<ManualClock>,
    /// The data version as the server knows it.
    pub versions: Arc<qingdan::data_version::Watch>,
    verifier: Verifier,
    /// The database URL, for a second server on the same data.
    pub database_url: String,
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// Between the server and PostgreSQL, when started by `spawn_behind_proxy`.
    pub proxy: Option<DbProxy>,
    /// `/metrics` on its own listener, when `Options::exposure` asks for one.
    pub metrics_url: Option<String>,
    shutdown: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    server: Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// A server over a fresh database holding the Anhua list, as `qingdan serve` starts.
    pub async fn spawn() -> Self {
        Self::start(true).await
    }

    /// A server over a fresh, migrated database with no list loaded.
    pub async fn spawn_empty() -> Self {
        Self::start(false).await
    }

    /// A second server process-alike on the same database as `other`: its own pool, loaders
    /// and response cache, as another replica behind a load balancer would have.
    pub async fn spawn_beside(other: &TestApp) -> Self {
        Self::start_on(
            other.database_url.clone(),
            true,
            None,
            None,
            Options::default(),
        )
        .await
    }

    /// A server with the Anhua list and the given request limits.
    pub async fn spawn_with_limits(limits: qingdan::config::Limits) -> Self {
        Self::spawn_with(Options {
            limits,
            ..Options::default()
        })
        .await
    }

    /// A server with the Anhua list, configured as `options` says.
    pub async fn spawn_with(options: Options) -> Self {
        let database = TestDatabase::create().await;
        Self::start_on(database.url.clone(), true, Some(database), None, options).await
    }

    /// On PostgreSQL, a server with the Anhua list whose connections pass through a proxy
    /// the test can cut (`app.proxy`); `None` on SQLite, which has no connection to cut.
    pub async fn spawn_behind_proxy(options: Options) -> Option<Self> {
        let database = TestDatabase::create().await;
        if !database.url.starts_with("postgres") {
            return None;
        }
        let (before, upstream, after) = proxy::split_authority(&database.url)?;
        let proxy = DbProxy::start(upstream).await;
        let url = format!("{before}{}{after}", proxy.addr);
        Some(Self::start_on(url, true, Some(database), Some(proxy), options).await)
    }

    async fn start(seed: bool) -> Self {
        let database = TestDatabase::create().await;
        Self::start_on(
            database.url.clone(),
            seed,
            Some(database),
            None,
            Options::default(),
        )
        .await
    }

    async fn start_on(
        database_url: String,
        seed: bool,
        database: Option<TestDatabase>,
        proxy: Option<DbProxy>,
        options: Options,
    ) -> Self {
        // `qingdan serve`'s defaults (an empty environment), then what the test asks for.
        let mut config = Config::from_lookup(|_| None).expect("the defaults are valid");
        config.database_url = database_url.clone();
        config.listen_addr = "127.0.0.1:0".parse().unwrap();
        config.seed_on_empty = seed;
        if let Some(jwt) = options.jwt {
            config.jwt = jwt;
        }
        config.jwt_rules = options.jwt_rules;
        config.limits = options.limits;
        config.cors_origins = options.cors_origins;
        if let Some(grace) = options.shutdown_grace {
            config.shutdown_grace = grace;
        }
        if let Some(timeout) = options.db_acquire_timeout {
            config.db_acquire_timeout = timeout;
        }
        config.trusted_documents = options.trusted_documents.as_deref().map(|manifest| {
            Arc::new(http::persisted::TrustedDocuments::parse(manifest).expect("a manifest"))
        });
        config.exposure = options.exposure;
        config.events = options.events;
        let clock = Arc::new(ManualClock::default());
        let app = qingdan::app(config, clock.clone())
            .await
            .expect("the server's database ready");
        let listener = tokio::net::TcpListener::bind(app.config.listen_addr)
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        // `token` signs with the development secret, whatever keys the server checks with.
        let verifier = Verifier::hs256(qingdan::auth::DEV_SECRET.as_bytes()).unwrap();
        let (metrics, metrics_url) = match app.config.exposure.metrics_addr {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
                let url = format!("http://{}", listener.local_addr().unwrap());
                (Some(listener), Some(url))
            }
            None => (None, None),
        };
        // Today's lookup index, built before the test counts anything.
        app.warm_up().await;
        let (db, statements) = (app.db.clone(), app.statements.clone());
        let versions = app.state.versions.clone();
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(listener, metrics, async move {
            // Dropping the sender (the app going away) is no signal: the server runs on
            // until the test's runtime ends.
            if signal.await.is_err() {
                std::future::pending::<()>().await;
            }
        }));
        Self {
            url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            statements,
            db,
            clock,
            versions,
            verifier,
            database_url,
            addr,
            proxy,
            metrics_url,
            shutdown: Mutex::new(Some(shutdown)),
            server: Mutex::new(Some(server)),
            _database: database,
        }
    }

    /// Signals the server to shut down, as SIGTERM does `qingdan serve`.
    pub fn shut_down(&self) {
        if let Some(shutdown) = self.shutdown.lock().unwrap().take() {
            let _ = shutdown.send(());
        }
    }

    /// Waits until the server has stopped (after `shut_down`).
    pub async fn stopped(&self) -> std::io::Result<()> {
        let server = self.server.lock().unwrap().take().expect("not awaited yet");
        server.await.expect("server task")
    }

    /// GETs `path` (e.g. `/metrics`).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request sent")
    }

    /// A POST to `/graphql`, for requests that need their own headers or body.
    pub fn graphql_request(&self) -> reqwest::RequestBuilder {
        self.client.post(format!("{}/graphql", self.url))
    }

    /// A GET of `/graphql`: a query in its URL, or GraphiQL's page for a browser.
    pub fn graphql_get(&self) -> reqwest::RequestBuilder {
        self.client.get(format!("{}/graphql", self.url))
    }

    /// POSTs a GraphQL request and returns the whole response body.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let response = self
            .graphql_request()
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        response.json().await.expect("JSON response")
    }

    /// A token for `sub` with `roles`, acting for the department with global id `dept`.
    pub fn token(&self, sub: &str, roles: &[Role], dept: Option<&str>) -> String {
        let claims = Claims {
            sub: sub.to_owned(),
            dept: dept.map(str::to_owned),
            roles: roles.to_vec(),
            exp: 4_102_444_800, // 2100-01-01
        };
        self.verifier.sign(&claims).unwrap()
    }

    /// A token for `sub` with the UNIT role, acting for the department named `department`.
    pub async fn unit_token(&self, sub: &str, department: &str) -> String {
        let dept = self.department_id(department).await;
        self.token(sub, &[Role::Unit], Some(&dept))
    }

    /// A token for an editor (编辑甲) of the department named `department`.
    pub async fn editor_token(&self, department: &str) -> String {
        let dept = self.department_id(department).await;
        self.token("编辑甲", &[Role::Editor], Some(&dept))
    }

    /// POSTs as the bearer of `token` and returns the response as sent, status and headers
    /// included.
    pub async fn send_as(&self, token: &str, query: &str, variables: Value) -> reqwest::Response {
        self.graphql_request()
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs as the bearer of `token`.
    pub async fn post_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self.send_as(token, query, variables).await;
        response.json().await.expect("JSON response")
    }

    /// POSTs a request without variables as the bearer of `token`.
    pub async fn query_as(&self, token: &str, query: &str) -> Value {
        self.post_as(token, query, json!({})).await
    }

    /// Runs the mutation `field` with `input` as the bearer of `token`, asserts that it
    /// reported no userErrors, and returns its payload.
    pub async fn mutate_as(&self, token: &str, mutation: &str, field: &str, input: Value) -> Value {
        let body = self
            .post_as(token, mutation, json!({ "input": input }))
            .await;
        assert_no_user_errors(&body, field);
        body["data"][field].clone()
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Runs a query that must fail and returns the `extensions.code` of its first error.
    pub async fn gql_error_code(&self, query: &str, variables: Value) -> String {
        first_error_code(&self.post(query, variables).await)
    }

    /// Runs a request that must fail as the bearer of `token` and returns the
    /// `extensions.code` of its first error.
    pub async fn gql_error_code_as(&self, token: &str, query: &str, variables: Value) -> String {
        first_error_code(&self.post_as(token, query, variables).await)
    }

    /// The global id of the first node of a top-level connection (`duties`, …).
    pub async fn first_node_id(&self, connection: &str) -> Value {
        let query = format!("{{ {connection}(first: 1) {{ nodes {{ id }} }} }}");
        let data = self.gql(&query, json!({})).await;
        data[connection]["nodes"][0]["id"].clone()
    }

    /// The bureau's global id, looked up the way clients do.
    pub async fn bureau_id(&self) -> String {
        let data = self
            .gql(
                r#"{ department(name: "安化县人口和计划生育局") { id } }"#,
                json!({}),
            )
            .await;
        data["department"]["id"]
            .as_str()
            .expect("bureau")
            .to_owned()
    }
}

/// Global ids of a regime's items, by section kind, as clients read them.
pub struct RegimeIds {
    /// Top-level and nested items of the content (checklist) section.
    pub checklist: Vec<String>,
    /// Items of the method sections.
    pub methods: Vec<String>,
    /// Handling-section items by path ("1", "1.3"…).
    pub handling: std::collections::BTreeMap<String, String>,
}

impl TestApp {
    pub async fn regime_ids(&self, code: &str) -> RegimeIds {
        let data = self
            .gql(
                "query($c: String!) { supervisionRegime(code: $c) { sections { kind items { id path items { id path } } } } }",
                json!({ "c": code }),
            )
            .await;
        let mut ids = RegimeIds {
            checklist: vec![],
            methods: vec![],
            handling: Default::default(),
        };
        for section in data["supervisionRegime"]["sections"]
            .as_array()
            .expect("regime")
        {
            let kind = section["kind"].as_str().unwrap();
            let mut items = Vec::new();
            for item in section["items"].as_array().unwrap() {
                items.push(item.clone());
                items.extend(item["items"].as_array().unwrap().iter().cloned());
            }
            for item in items {
                let id = item["id"].as_str().unwrap().to_owned();
                match kind {
                    "CONTENT" => ids.checklist.push(id),
                    "METHOD" | "METHOD_AND_PROCEDURE" => ids.methods.push(id),
                    "HANDLING" => {
                        ids.handling
                            .insert(item["path"].as_str().unwrap().to_owned(), id);
                    }
                    _ => {}
                }
            }
        }
        ids
    }

    /// A department's global id by name or alias.
    pub async fn department_id(&self, name: &str) -> String {
        let data = self
            .gql(
                "query($n: String) { department(name: $n) { id } }",
                json!({ "n": name }),
            )
            .await;
        data["department"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no department {name}"))
            .to_owned()
    }

    /// What a cached answer costs in SQL statements: nothing while the server follows the
    /// data version's channel (PostgreSQL), else the read of the version row.
    pub fn cached_read_statements(&self) -> u64 {
        if self.versions.is_live() { 0 } else { 1 }
    }

    /// Publishes every open draft as an administrator, in force from the server's today, so
    /// readers see the edits; lists without a draft are left as they are.
    pub async fn publish_drafts(&self) {
        let admin = self.token("发布员", &[Role::Admin], None);
        let lists = self
            .query_as(&admin, "{ responsibilityLists { id draft { id } } }")
            .await;
        let today = qingdan::domain::clock::Clock::today(self.clock.as_ref()).to_string();
        for list in lists["data"]["responsibilityLists"]
            .as_array()
            .expect("lists")
        {
            if list["draft"].is_null() {
                continue;
            }
            let input = json!({ "listId": list["id"], "effectiveFrom": today,
                                "reason": "勘误", "reasonKind": "CORRECTION" });
            self.mutate_as(&admin, PUBLISH, "publishListVersion", input)
                .await;
        }
    }
}

/// The first row `sql` returns, read straight from the database; there must be one.
pub async fn query_row(db: &DatabaseConnection, sql: impl Into<String>) -> sea_orm::QueryResult {
    use sea_orm::ConnectionTrait;
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    db.query_one_raw(statement)
        .await
        .expect("the query runs")
        .expect("a row")
}

/// The `extensions.code` of a response body's first error, which must have one.
fn first_error_code(body: &Value) -> String {
    let code = &body["errors"][0]["extensions"]["code"];
    assert!(code.is_string(), "expected a coded error: {body:#}");
    code.as_str().unwrap().to_owned()
}

/// Asserts that the mutation `field` in a response body reported no userErrors.
pub fn assert_no_user_errors(body: &Value, field: &str) {
    assert_eq!(body["data"][field]["userErrors"], json!([]), "{body}");
}

/// The message of a mutation payload's first userError.
pub fn first_user_error_message(payload: &Value) -> &str {
    payload["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no userError message in {payload}"))
}

/// Asserts that the first of a response's `errors` carries `code` and a message that
/// mentions `mentioned`.
pub fn assert_first_error(errors: &Value, code: &str, mentioned: &str) {
    assert_eq!(errors[0]["extensions"]["code"], code, "{errors}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(mentioned), "{errors}");
}

/// Asserts a refused request's HTTP status and its first error's code; returns the body.
pub async fn assert_refused_with(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("JSON response");
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    body
}

/// A response header as text, empty when absent.
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Publishes a list's draft — what an editor runs once the draft is ready.
pub const PUBLISH: &str = r#"mutation($input: PublishListVersionInput!) {
  publishListVersion(input: $input) { listVersion { id number status effectiveFrom reason reasonKind }
    userErrors { field code message } } }"#;

/// The bundled Anhua list file, parsed as plain JSON: what the API must give back.
pub fn anhua_file() -> Value {
    serde_json::from_str(qingdan::import::ANHUA).expect("data/anhua.json is JSON")
}
