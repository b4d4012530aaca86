//! Who is calling: JWT bearer tokens verified into a `Viewer`. Anonymous callers read the
//! published list; every write needs a role. Ownership of a department is checked in `domain/`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

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

/// The claims Qingdan reads. `dept` is the caller's department as a global id.
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

/// Verifies tokens: HS256 with a shared secret (development, small deployments) or RS256/ES256
/// with the identity provider's public key (production).
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    /// Present for HS256 only: lets `qingdan token` mint development tokens.
    signer: Option<EncodingKey>,
}

impl Verifier {
    pub fn hs256(secret: &[u8]) -> anyhow::Result<Self> {
        Ok(Self {
            key: DecodingKey::from_secret(secret)?,
            validation: Validation::new(Algorithm::HS256),
            signer: Some(EncodingKey::from_secret(secret)?),
        })
    }

    pub fn public_key(algorithm: Algorithm, pem: &[u8]) -> anyhow::Result<Self> {
        let key = match algorithm {
            Algorithm::RS256 => DecodingKey::from_rsa_pem(pem)?,
            Algorithm::ES256 => DecodingKey::from_ec_pem(pem)?,
            other => anyhow::bail!("unsupported JWT algorithm {other:?}: use RS256 or ES256"),
        };
        Ok(Self {
            key,
            validation: Validation::new(algorithm),
            signer: None,
        })
    }

    /// Turns an `Authorization` header into a viewer. No header: anonymous. A header that is
    /// present but wrong is UNAUTHENTICATED, never silently anonymous.
    pub fn viewer(&self, authorization: Option<&str>) -> Result<Viewer, ApiError> {
        let Some(header) = authorization else {
            return Ok(Viewer::anonymous());
        };
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthenticated)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|_| ApiError::Unauthenticated)?;
        let claims = data.claims;
        let dept = match &claims.dept {
            Some(id) => {
                Some(crate::graphql::decode_department_id(id).ok_or(ApiError::Unauthenticated)?)
            }
            None => None,
        };
        Ok(Viewer {
            sub: Some(claims.sub),
            dept,
            roles: claims.roles,
        })
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

    #[test]
    fn viewer__no_header_is_anonymous() {
        let verifier = Verifier::hs256(b"k").unwrap();
        assert_eq!(verifier.viewer(None).unwrap(), Viewer::anonymous());
    }

    #[test]
    fn viewer__valid_token_carries_subject_and_roles() {
        let verifier = Verifier::hs256(b"k").unwrap();
        let token = verifier
            .sign(&claims(vec![Role::Supervisor], in_an_hour()))
            .unwrap();
        let viewer = verifier.viewer(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(viewer.sub.as_deref(), Some("监督员张三"));
        assert!(viewer.require_any(&[Role::Supervisor]).is_ok());
        assert!(matches!(
            viewer.require_any(&[Role::Unit]),
            Err(ApiError::Forbidden { .. })
        ));
    }

    #[test]
    fn viewer__bad_tokens_are_refused_not_anonymous() {
        let verifier = Verifier::hs256(b"k").unwrap();
        let other = Verifier::hs256(b"other").unwrap();
        let forged = other
            .sign(&claims(vec![Role::Admin], in_an_hour()))
            .unwrap();
        let expired = verifier.sign(&claims(vec![Role::Admin], 1_000)).unwrap();
        for header in [
            format!("Bearer {forged}"),
            format!("Bearer {expired}"),
            "Basic abc".into(),
            "Bearer".into(),
        ] {
            assert!(
                matches!(
                    verifier.viewer(Some(&header)),
                    Err(ApiError::Unauthenticated)
                ),
                "{header}"
            );
        }
    }

    #[test]
    fn require_any__anonymous_is_unauthenticated() {
        assert!(matches!(
            Viewer::anonymous().require_any(&[Role::Unit]),
            Err(ApiError::Unauthenticated)
        ));
    }
}
