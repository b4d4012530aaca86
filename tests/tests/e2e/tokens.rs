//! Tokens from an identity provider: keys from its JWKS (served here, rotated mid-test),
//! issuer and audience checked, roles and department read from where the provider puts them.
//! Token shapes follow Keycloak's access tokens and a generic OIDC provider's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use qingdan::auth::TokenRules;
use qingdan::config::JwtKey;
use qingdan_tests::{Options, TestApp, assert_no_user_errors, header};
use serde_json::{Value, json};

const ISSUER: &str = "https://sso.anhua.gov.cn/realms/county";
const BUREAU_ALIAS: &str = "县人口计生局";

/// Test keys, published with the tests (see tests/keys/README.md).
fn key(name: &str) -> (EncodingKey, Algorithm) {
    let (pem, algorithm): (&[u8], _) = match name {
        "rsa-a" => (include_bytes!("../../keys/rsa-a.pem"), Algorithm::RS256),
        "rsa-b" => (include_bytes!("../../keys/rsa-b.pem"), Algorithm::RS256),
        "ec" => (include_bytes!("../../keys/ec-p256.pem"), Algorithm::ES256),
        "ed" => (include_bytes!("../../keys/ed25519.pem"), Algorithm::EdDSA),
        other => panic!("no test key {other}"),
    };
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
        _ => EncodingKey::from_ed_pem(pem),
    };
    (key.unwrap(), algorithm)
}

/// The public half of a test key as a JWKS entry, under `kid`; `with_alg: false` leaves
/// `alg` out, as some providers do.
fn jwk(name: &str, kid: &str, with_alg: bool) -> Value {
    let (key, algorithm) = key(name);
    let mut jwk = Jwk::from_encoding_key(&key, algorithm).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    let mut value = serde_json::to_value(jwk).unwrap();
    value["use"] = "sig".into();
    if !with_alg {
        value.as_object_mut().unwrap().remove("alg");
    }
    value
}

/// A token signed with test key `name`, naming `kid` in its header.
fn sign(name: &str, kid: Option<&str>, claims: &Value) -> String {
    let (key, algorithm) = key(name);
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// An access token as Keycloak issues it: realm roles in lowercase beside Keycloak's own,
/// an audience list, the client in `azp`, the department as a user attribute (by name).
fn keycloak(roles: &[&str], dept: Option<&str>) -> Value {
    let mut realm_roles = vec![
        "offline_access",
        "uma_authorization",
        "default-roles-county",
    ];
    realm_roles.extend_from_slice(roles);
    let mut claims = json!({
        "exp": now() + 300, "iat": now(), "auth_time": now(),
        "jti": "onrtac:5f6c0d8e-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
        "iss": ISSUER,
        "aud": ["qingdan", "account"],
        "sub": "f3c2a4e1-7b8d-4c9e-a1f2-3b4c5d6e7f80",
        "typ": "Bearer", "azp": "qingdan-web", "sid": "0d9b1f6e",
        "acr": "1", "scope": "openid profile email",
        "realm_access": { "roles": realm_roles },
        "resource_access": { "account": { "roles": ["manage-account", "view-profile"] } },
        "email_verified": true, "preferred_username": "zhangsan", "name": "张三",
    });
    if let Some(dept) = dept {
        claims["dept"] = dept.into();
    }
    claims
}

/// A key set served the way an identity provider serves it, counting its fetches.
struct Provider {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    async fn start(keys: Value) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/realms/county/protocol/openid-connect/certs",
            axum::routing::get(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let keys = served.lock().unwrap().clone();
                    axum::Json(keys)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/realms/county/protocol/openid-connect/certs"),
            keys,
            fetches,
        }
    }

    fn serve(&self, keys: Value) {
        *self.keys.lock().unwrap() = keys;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// A server taking Keycloak's tokens, configured as a county deployment would be.
async fn keycloak_app(provider: &Provider, min_refetch: Duration) -> TestApp {
    TestApp::spawn_with(Options {
        jwt: Some(JwtKey::Jwks {
            url: provider.url.clone(),
            min_refetch,
            ca_pem: None,
        }),
        jwt_rules: TokenRules {
            issuer: Some(ISSUER.to_owned()),
            audience: vec!["qingdan".to_owned()],
            roles_claim: "realm_access.roles".to_owned(),
            ..TokenRules::default()
        },
        ..Options::default()
    })
    .await
}

const AUDIT: &str = "{ auditEvents(first: 1) { totalCount } }";

/// Status, `WWW-Authenticate` and body of a request with `token`.
async fn send(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, String, Value) {
    let response = app.send_as(token, query, variables).await;
    let status = response.status().as_u16();
    let challenge = header(&response, "www-authenticate");
    (status, challenge, response.json().await.unwrap())
}

/// The token is accepted with the ADMIN role.
async fn assert_admin(app: &TestApp, token: &str) {
    let (status, _, body) = send(app, token, AUDIT, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["auditEvents"]["totalCount"].is_number(),
        "{body}"
    );
}

/// The token is refused with 401 and a challenge whose description holds `reason`.
async fn assert_refused(app: &TestApp, token: &str, reason: &str) {
    let (status, challenge, body) = send(app, token, AUDIT, json!({})).await;
    assert_eq!(status, 401, "{reason}: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token", error_description=""#),
        "{challenge}"
    );
    assert!(challenge.contains(reason), "{reason}: {challenge}");
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn tokens__keycloak_tokens_verify_across_a_key_rotation() {
    // The set also holds an encryption key and a key of a kind this server cannot use.
    let odd = json!({ "kty": "AKP", "kid": "pq", "alg": "ML-DSA-65", "pub": "AAAA" });
    let mut encryption = jwk("rsa-b", "enc-1", true);
    encryption["use"] = "enc".into();
    encryption["alg"] = "RSA-OAEP".into();
    let provider =
        Provider::start(json!({ "keys": [jwk("rsa-a", "A", true), odd.clone(), encryption] }))
            .await;
    let min_refetch = Duration::from_millis(1500);
    let app = keycloak_app(&provider, min_refetch).await;
    let admin = keycloak(&["admin"], None);
    assert_admin(&app, &sign("rsa-a", Some("A"), &admin)).await;
    assert_admin(&app, &sign("rsa-a", Some("A"), &admin)).await;
    assert_eq!(provider.fetches(), 1, "the key set is kept");

    // The provider rotates: key B replaces key A.
    provider.serve(json!({ "keys": [jwk("rsa-b", "B", true), odd] }));
    tokio::time::sleep(min_refetch).await;
    assert_admin(&app, &sign("rsa-b", Some("B"), &admin)).await;
    assert_eq!(
        provider.fetches(),
        2,
        "an unknown kid fetched the set again"
    );
    // A kid the fresh set lacks is refused, without fetching the set once per token.
    for _ in 0..3 {
        assert_refused(&app, &sign("rsa-b", Some("C"), &admin), "kid").await;
    }
    // Key A is gone from the set, so its tokens are refused too.
    assert_refused(&app, &sign("rsa-a", Some("A"), &admin), "kid").await;
    assert_eq!(provider.fetches(), 2, "refetches are bounded");
    // Once the bound has passed, an unknown kid may fetch again (and still be refused).
    tokio::time::sleep(min_refetch).await;
    assert_refused(&app, &sign("rsa-b", Some("C"), &admin), "kid").await;
    assert_eq!(provider.fetches(), 3);
}

#[tokio::test]
async fn tokens__keycloak_roles_and_department_by_name() {
    let provider = Provider::start(json!({ "keys": [jwk("rsa-a", "A", true)] })).await;
    let app = keycloak_app(&provider, Duration::from_secs(10)).await;
    let duty = app.first_node_id("duties").await;
    let create = r#"mutation($input: CreateWorkItemInput!) {
      createWorkItem(input: $input) { workItem { text } userErrors { code } } }"#;
    let input = json!({ "input": { "dutyId": duty, "text": "新增事项" } });
    // A lowercase `editor` of the bureau, named by its alias: may edit its list
    let editor = sign(
        "rsa-a",
        Some("A"),
        &keycloak(&["editor"], Some(BUREAU_ALIAS)),
    );
    let (status, _, body) = send(&app, &editor, create, input.clone()).await;
    assert_eq!(status, 200);
    assert_no_user_errors(&body, "createWorkItem");
    assert_eq!(
        body["data"]["createWorkItem"]["workItem"]["text"],
        "新增事项"
    );
    // The same role for another department: FORBIDDEN
    let other = sign(
        "rsa-a",
        Some("A"),
        &keycloak(&["EDITOR"], Some("安化县公安局")),
    );
    let (_, _, body) = send(&app, &other, create, input.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // Only roles of the provider's own: a caller without Qingdan's roles
    let plain = sign("rsa-a", Some("A"), &keycloak(&[], None));
    let (status, _, body) = send(&app, &plain, AUDIT, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // A department the county does not have
    let unknown = sign(
        "rsa-a",
        Some("A"),
        &keycloak(&["editor"], Some("不存在的局")),
    );
    assert_refused(&app, &unknown, "department").await;
}

#[tokio::test]
async fn tokens__refusals_say_why() {
    let provider = Provider::start(json!({ "keys": [jwk("rsa-a", "A", true)] })).await;
    let app = keycloak_app(&provider, Duration::from_secs(10)).await;
    let admin = keycloak(&["admin"], None);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = admin.clone();
        change(&mut claims);
        sign("rsa-a", Some("A"), &claims)
    };
    assert_refused(
        &app,
        &with(&|c| c["iss"] = "https://evil.example/realms/county".into()),
        "issuer",
    )
    .await;
    assert_refused(
        &app,
        &with(&|c| c["aud"] = json!(["account", "other-app"])),
        "audience",
    )
    .await;
    assert_refused(&app, &with(&|c| c["aud"] = "other-app".into()), "audience").await;
    assert_refused(
        &app,
        &with(&|c| c["nbf"] = (now() + 600).into()),
        "not valid yet",
    )
    .await;
    assert_refused(&app, &with(&|c| c["exp"] = (now() - 600).into()), "expired").await;
    assert_refused(
        &app,
        &with(&|c| {
            c.as_object_mut().unwrap().remove("sub");
        }),
        "sub",
    )
    .await;
    // Signed by another key under key A's id
    assert_refused(&app, &sign("rsa-b", Some("A"), &admin), "signature").await;
    // Signature cut off, or an HS256 token made with the public key's id
    let token = sign("rsa-a", Some("A"), &admin);
    let (unsigned, _) = token.rsplit_once('.').unwrap();
    assert_refused(&app, &format!("{unsigned}.AAAA"), "signature").await;
    let hmac = jsonwebtoken::encode(
        &Header {
            kid: Some("A".into()),
            ..Header::new(Algorithm::HS256)
        },
        &admin,
        &EncodingKey::from_secret(b"guess").unwrap(),
    )
    .unwrap();
    assert_refused(&app, &hmac, "algorithm").await;
    // Within the leeway (30 s by default), clocks may disagree
    assert_admin(&app, &with(&|c| c["nbf"] = (now() + 10).into())).await;
    assert_admin(&app, &with(&|c| c["exp"] = (now() - 10).into())).await;
}

#[tokio::test]
async fn tokens__generic_oidc_provider_with_ec_and_ed_keys() {
    // Keys without `alg`, a token without `kid` is not enough to choose among them
    let provider =
        Provider::start(json!({ "keys": [jwk("ec", "ec-1", false), jwk("ed", "ed-1", true)] }))
            .await;
    let app = TestApp::spawn_with(Options {
        jwt: Some(JwtKey::Jwks {
            url: provider.url.clone(),
            min_refetch: Duration::from_secs(10),
            ca_pem: None,
        }),
        // No audience configured: whatever `aud` the provider sets is no reason to refuse
        jwt_rules: TokenRules {
            issuer: Some("https://id.example.cn".to_owned()),
            ..TokenRules::default()
        },
        ..Options::default()
    })
    .await;
    let bureau = app.bureau_id().await;
    let claims = json!({
        "iss": "https://id.example.cn", "sub": "user-42", "aud": "some-portal",
        "iat": now(), "nbf": now(), "exp": now() + 600,
        "roles": "Supervisor", "dept": bureau, "email": "li@example.cn",
    });
    let inspections = "{ inspections(first: 1) { totalCount } }";
    for (name, kid) in [("ec", "ec-1"), ("ed", "ed-1")] {
        let token = sign(name, Some(kid), &claims);
        let (status, _, body) = send(&app, &token, inspections, json!({})).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(
            body["data"]["inspections"]["totalCount"], 0,
            "{name}: {body}"
        );
    }
    // Anonymous callers cannot read inspections: the role above is what let them in
    let body = app.post(inspections, json!({})).await;
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );
    assert_refused(&app, &sign("ec", None, &claims), "kid").await;
}

#[tokio::test]
async fn tokens__an_unreachable_provider_is_unavailable_not_unauthenticated() {
    // A port nobody listens on
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/certs", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(Options {
        jwt: Some(JwtKey::Jwks {
            url,
            min_refetch: Duration::from_secs(10),
            ca_pem: None,
        }),
        ..Options::default()
    })
    .await;
    let token = sign("rsa-a", Some("A"), &keycloak(&["admin"], None));
    let (status, _, body) = send(&app, &token, AUDIT, json!({})).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    // Anonymous reads go on
    let data = app
        .gql("{ departments(first: 1) { totalCount } }", json!({}))
        .await;
    assert!(data["departments"]["totalCount"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn tokens__a_refusal_is_logged_with_its_reason_never_the_token() {
    let (_capturing, logs) = qingdan::telemetry::capture();
    let provider = Provider::start(json!({ "keys": [jwk("rsa-a", "A", true)] })).await;
    let app = keycloak_app(&provider, Duration::from_secs(10)).await;
    let mut claims = keycloak(&["admin"], None);
    claims["exp"] = (now() - 600).into();
    let token = sign("rsa-a", Some("A"), &claims);
    assert_refused(&app, &token, "expired").await;
    let refusals: Vec<Value> = logs
        .lines()
        .into_iter()
        .filter(|line| line["fields"]["message"] == "bearer token refused")
        .collect();
    assert_eq!(refusals.len(), 1, "{}", logs.text());
    assert_eq!(refusals[0]["fields"]["reason"], "the token has expired");
    let (_, signature) = token.rsplit_once('.').unwrap();
    assert!(
        !logs.text().contains(signature),
        "the token reached the log"
    );
}
