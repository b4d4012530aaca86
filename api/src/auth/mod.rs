//! Who is calling: JWT bearer tokens verified into a `Viewer`. Anonymous callers read the
//! published list; every write needs a role. Ownership of a department is checked in `domain/`.
//!
//! Keys: an HS256 secret (development), a PEM public key, or the identity provider's JWKS
//! (`jwks`). Claims: where roles and the department are found is configured (`claims`),
//! since each identity provider puts them elsewhere.

pub mod claims;
pub mod jwks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use claims::DepartmentClaim;

/// Marked development secret: used when no key is configured, refused in production.
pub const DEV_SECRET: &str = "qingdan-development-secret-NOT-FOR-PRODUCTION";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Administrators: audit trail, reference data, everything.
    Admin,
    /// List editors of their own department.
    Editor,
    /// Legal-affairs and discipline supervisors: inspections, documents, accountability.
    Supervisor,
    /// An inspected unit: answers what was addressed to it.
    Unit,
    /// A 12345 hotline dispatcher: reports complaints the lookup routed wrongly (派单异议).
    Dispatcher,
}

impl Role {
    const ALL: [Role; 5] = [
        Role::Admin,
        Role::Editor,
        Role::Supervisor,
        Role::Unit,
        Role::Dispatcher,
    ];

    /// The role a token names, in any case (`editor`, `EDITOR`); `None` for roles of the
    /// identity provider's own.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|role| format!("{role:?}").eq_ignore_ascii_case(name))
    }
}

/// The claims Qingdan writes into the tokens it signs (development, `qingdan token`).
/// `dept` is the caller's department as a global id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub dept: Option<String>,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub exp: u64,
}

/// The caller of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// Token subject; `None` for an anonymous caller.
    pub sub: Option<String>,
    /// Department row id the caller acts for.
    pub dept: Option<i32>,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The subject, or UNAUTHENTICATED.
    pub fn subject(&self) -> Result<&str, ApiError> {
        self.sub.as_deref().ok_or(ApiError::Unauthenticated)
    }

    /// Succeeds when the caller holds one of `roles` (ADMIN always qualifies).
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        self.subject()?;
        if self.has(Role::Admin) || roles.iter().any(|role| self.has(*role)) {
            Ok(())
        } else {
            let names: Vec<String> = roles
                .iter()
                .map(|r| format!("{r:?}").to_uppercase())
                .collect();
            Err(ApiError::Forbidden {
                reason: format!("requires role {}", names.join(" or ")),
            })
        }
    }
}

/// What a token must say beyond a good signature, and where Qingdan finds its caller in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRules {
    /// `QINGDAN_JWT_ISSUER`: the `iss` a token must carry, when set.
    pub issuer: Option<String>,
    /// `QINGDAN_JWT_AUDIENCE`: a token's `aud` must name one of these, when set; unset, any
    /// `aud` is accepted (identity providers add their own).
    pub audience: Vec<String>,
    /// `QINGDAN_JWT_LEEWAY_SECS`: clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// `QINGDAN_JWT_ROLES_CLAIM`: dotted path of the roles (`realm_access.roles`).
    pub roles_claim: String,
    /// `QINGDAN_JWT_DEPARTMENT_CLAIM`: dotted path of the department (global id or name).
    pub department_claim: String,
}

/// Clock skew tolerated unless configured.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

impl Default for TokenRules {
    fn default() -> Self {
        Self {
            issuer: None,
            audience: Vec::new(),
            leeway_secs: DEFAULT_LEEWAY_SECS,
            roles_claim: "roles".to_owned(),
            department_claim: "dept".to_owned(),
        }
    }
}

/// What verifies signatures.
enum Keys {
    /// A secret or a public key given in configuration, for one algorithm.
    Fixed {
        key: DecodingKey,
        algorithm: Algorithm,
    },
    /// The identity provider's published key set.
    Jwks(jwks::KeySet),
}

/// Verifies tokens: HS256 with a shared secret (development, small deployments), or the
/// identity provider's keys (a PEM public key, or its JWKS endpoint) in production.
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<Keys>,
    rules: Arc<TokenRules>,
    /// Present for HS256 only: lets `qingdan token` mint development tokens.
    signer: Option<EncodingKey>,
    /// Department names tokens carry, resolved once per process: names change only by a
    /// rename, which keeps the old name as an alias of the same department.
    departments: Arc<Mutex<HashMap<String, i32>>>,
}

/// Most department names a process remembers before it starts over.
const MAX_DEPARTMENT_NAMES: usize = 10_000;

impl Verifier {
    fn with_keys(keys: Keys, signer: Option<EncodingKey>) -> Self {
        Self {
            keys: Arc::new(keys),
            rules: Arc::new(TokenRules::default()),
            signer,
            departments: Arc::default(),
        }
    }

    pub fn hs256(secret: &[u8]) -> anyhow::Result<Self> {
        Ok(Self::with_keys(
            Keys::Fixed {
                key: DecodingKey::from_secret(secret)?,
                algorithm: Algorithm::HS256,
            },
            Some(EncodingKey::from_secret(secret)?),
        ))
    }

    pub fn public_key(algorithm: Algorithm, pem: &[u8]) -> anyhow::Result<Self> {
        let key = match algorithm {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(pem)?,
            Algorithm::ES256 => DecodingKey::from_ec_pem(pem)?,
            Algorithm::EdDSA => DecodingKey::from_ed_pem(pem)?,
            other => {
                anyhow::bail!("unsupported JWT algorithm {other:?}: use RS256, ES256 or EdDSA")
            }
        };
        Ok(Self::with_keys(Keys::Fixed { key, algorithm }, None))
    }

    /// Keys fetched from the identity provider's JWKS `url`, refetched for an unknown key id
    /// at most once per `min_refetch`; `ca_pem` adds certificates trusted for the provider's
    /// TLS (an intranet CA).
    pub fn jwks(
        url: &str,
        min_refetch: std::time::Duration,
        ca_pem: Option<&str>,
    ) -> anyhow::Result<Self> {
        Ok(Self::with_keys(
            Keys::Jwks(jwks::KeySet::new(url.to_owned(), min_refetch, ca_pem)?),
            None,
        ))
    }

    /// The same keys, checking and reading claims as `rules` say.
    pub fn with_rules(mut self, rules: TokenRules) -> Self {
        self.rules = Arc::new(rules);
        self
    }

    /// Turns an `Authorization` header into a viewer. No header: anonymous. A header that is
    /// present but wrong is refused (`InvalidToken`, with the reason), never silently
    /// anonymous. A department named by name is looked up in `db`.
    pub async fn viewer(
        &self,
        authorization: Option<&str>,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<Viewer, ApiError> {
        let Some(header) = authorization else {
            return Ok(Viewer::anonymous());
        };
        let (sub, roles, dept) = self.verify(header).await?;
        let dept = match dept {
            None => None,
            Some(DepartmentClaim::Id(id)) => Some(id),
            Some(DepartmentClaim::Name(name)) => Some(self.department_named(&name, db).await?),
        };
        Ok(Viewer {
            sub: Some(sub),
            dept,
            roles,
        })
    }

    /// Checks the token and reads subject, roles and department from its claims.
    async fn verify(
        &self,
        header: &str,
    ) -> Result<(String, Vec<Role>, Option<DepartmentClaim>), ApiError> {
        let invalid = |reason: &str| ApiError::InvalidToken {
            reason: reason.to_owned(),
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| invalid("the Authorization header is not \"Bearer <token>\""))?;
        let head = jsonwebtoken::decode_header(token).map_err(|err| invalid(reason(&err)))?;
        let found;
        let (key, algorithms) = match &*self.keys {
            Keys::Fixed { key, algorithm } => (key, vec![*algorithm]),
            Keys::Jwks(set) => {
                found = set
                    .key(head.kid.as_deref())
                    .await
                    .map_err(|err| match err {
                        jwks::KeyError::Unknown => {
                            invalid("the token's signing key (kid) is not the identity provider's")
                        }
                        jwks::KeyError::Unavailable => ApiError::KeysUnavailable,
                    })?;
                (&found.key, found.algorithms.clone())
            }
        };
        let validation = self.validation(algorithms);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, key, &validation)
            .map_err(|err| invalid(reason(&err)))?;
        let claims = data.claims;
        let sub = claims
            .get("sub")
            .and_then(serde_json::Value::as_str)
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| invalid("the token has no sub claim"))?
            .to_owned();
        let roles = claims::roles(claims::at_path(&claims, &self.rules.roles_claim));
        let dept = claims::department(
            claims::at_path(&claims, &self.rules.department_claim),
            crate::ids::decode_department,
        )
        .map_err(|reason| invalid(&reason))?;
        Ok((sub, roles, dept))
    }

    fn validation(&self, algorithms: Vec<Algorithm>) -> Validation {
        let mut validation = Validation::new(algorithms[0]);
        validation.algorithms = algorithms;
        validation.leeway = self.rules.leeway_secs;
        validation.validate_nbf = true;
        if let Some(issuer) = &self.rules.issuer {
            validation.set_issuer(&[issuer]);
            validation.required_spec_claims.insert("iss".to_owned());
        }
        if self.rules.audience.is_empty() {
            // Identity providers put their own audiences in (Keycloak's `account`): without
            // an audience configured, none is checked rather than every such token refused.
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.rules.audience);
            validation.required_spec_claims.insert("aud".to_owned());
        }
        validation
    }

    /// The department a token names by name or alias, as `department(name:)` finds it.
    async fn department_named(
        &self,
        name: &str,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<i32, ApiError> {
        if let Some(id) = self.remembered(name) {
            return Ok(id);
        }
        let id = crate::domain::find_department(db, name)
            .await?
            .ok_or_else(|| ApiError::InvalidToken {
                reason: "the token's department is not known here".to_owned(),
            })?;
        let mut names = self.departments.lock().unwrap_or_else(|e| e.into_inner());
        if names.len() >= MAX_DEPARTMENT_NAMES {
            names.clear();
        }
        names.insert(name.to_owned(), id);
        Ok(id)
    }

    fn remembered(&self, name: &str) -> Option<i32> {
        let names = self.departments.lock().unwrap_or_else(|e| e.into_inner());
        names.get(name).copied()
    }

    /// Mints a token (HS256 only): for development and tests.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let signer = self
            .signer
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("only an HS256 secret can sign tokens"))?;
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            signer,
        )?)
    }
}

/// Why a token was refused, as the client and the log are told (RFC 6750's
/// `error_description`): never the token or its claims' values.
fn reason(err: &jsonwebtoken::errors::Error) -> &'static str {
    match err.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "the token's issuer (iss) is not accepted",
        ErrorKind::InvalidAudience => "the token's audience (aud) is not accepted",
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            "the token's algorithm is not accepted for its key"
        }
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "iss" => "the token has no iss claim",
            "aud" => "the token has no aud claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidClaimFormat(_) => "a claim of the token is malformed",
        _ => "the token is malformed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(roles: Vec<Role>, exp: u64) -> Claims {
        Claims {
            sub: "监督员张三".into(),
            dept: None,
            roles,
            exp,
        }
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[tokio::test]
    async fn verify__valid_token_carries_subject_and_roles() {
        let verifier = Verifier::hs256(b"k").unwrap();
        let token = verifier
            .sign(&claims(vec![Role::Supervisor], in_an_hour()))
            .unwrap();
        let (sub, roles, dept) = verifier.verify(&format!("Bearer {token}")).await.unwrap();
        let viewer = Viewer {
            sub: Some(sub),
            dept: None,
            roles,
        };
        assert_eq!(viewer.sub.as_deref(), Some("监督员张三"));
        assert_eq!(dept, None);
        assert!(viewer.require_any(&[Role::Supervisor]).is_ok());
        assert!(matches!(
            viewer.require_any(&[Role::Unit]),
            Err(ApiError::Forbidden { .. })
        ));
    }

    #[tokio::test]
    async fn verify__bad_tokens_are_refused_with_a_reason() {
        let verifier = Verifier::hs256(b"k").unwrap();
        let other = Verifier::hs256(b"other").unwrap();
        let forged = other
            .sign(&claims(vec![Role::Admin], in_an_hour()))
            .unwrap();
        let expired = verifier.sign(&claims(vec![Role::Admin], 1_000)).unwrap();
        for (header, expected) in [
            (format!("Bearer {forged}"), "signature"),
            (format!("Bearer {expired}"), "expired"),
            ("Basic abc".into(), "Bearer"),
            ("Bearer".into(), "Bearer"),
            ("Bearer abc.def".into(), "malformed"),
        ] {
            match verifier.verify(&header).await {
                Err(ApiError::InvalidToken { reason }) => {
                    assert!(reason.contains(expected), "{header}: {reason}")
                }
                other => panic!("{header}: {other:?}"),
            }
        }
    }

    #[test]
    fn role__parse_ignores_case() {
        assert_eq!(Role::parse("editor"), Some(Role::Editor));
        assert_eq!(Role::parse("DISPATCHER"), Some(Role::Dispatcher));
        assert_eq!(Role::parse("offline_access"), None);
    }

    #[test]
    fn require_any__anonymous_is_unauthenticated() {
        assert!(matches!(
            Viewer::anonymous().require_any(&[Role::Unit]),
            Err(ApiError::Unauthenticated)
        ));
    }
}
