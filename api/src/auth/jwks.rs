//! The identity provider's signing keys, fetched from its JWKS endpoint and kept in memory.
//!
//! A token names its key by `kid`. Keys are fetched on first use, again when the set is older
//! than `MAX_AGE` (the provider rotates them), and again when a token names a key the set does
//! not hold (a rotation that happened since) — but at most once per `min_refetch`, so tokens
//! with made-up key ids cannot make this process hammer the provider. A failed fetch keeps
//! the keys already held.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

/// How long a fetched key set is trusted before it is fetched again on next use.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// Longest wait for the provider's answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// One verification key and the algorithms it may verify.
pub struct Key {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

/// Why no key was found for a token.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The set (fetched afresh, or recently enough) holds no such key.
    Unknown,
    /// No key set could be fetched at all.
    Unavailable,
}

#[derive(Default)]
struct Held {
    keys: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`: usable only by tokens without one, when there is one such key.
    anonymous: Vec<Arc<Key>>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
}

pub struct KeySet {
    url: String,
    client: reqwest::Client,
    min_refetch: Duration,
    held: RwLock<Held>,
    /// One fetch at a time; concurrent requests for a missing key share its result.
    fetching: tokio::sync::Mutex<()>,
}

impl KeySet {
    pub fn new(url: String, min_refetch: Duration, ca_pem: Option<&str>) -> anyhow::Result<Self> {
        let mut client = reqwest::Client::builder().timeout(FETCH_TIMEOUT);
        if let Some(pem) = ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())?;
            if certificates.is_empty() {
                anyhow::bail!("the CA file holds no PEM certificate");
            }
            for certificate in certificates {
                client = client.add_root_certificate(certificate);
            }
        }
        let client = client.build()?;
        Ok(Self {
            url,
            client,
            min_refetch,
            held: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The key a token's header names.
    pub async fn key(&self, kid: Option<&str>) -> Result<Arc<Key>, KeyError> {
        let (found, fresh) = self.lookup(kid);
        if let (Some(key), true) = (&found, fresh) {
            return Ok(key.clone());
        }
        let _fetching = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let (found, fresh) = match self.lookup(kid) {
            (Some(key), true) => return Ok(key),
            other => other,
        };
        let attempted = self
            .held
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .attempted_at;
        let may_fetch = attempted.is_none_or(|at| at.elapsed() >= self.min_refetch);
        if may_fetch {
            self.refresh().await;
        } else if !fresh && found.is_none() {
            tracing::debug!(kid, "unknown key id; the key set was fetched moments ago");
        }
        let held = self.held.read().unwrap_or_else(|e| e.into_inner());
        match self.lookup_in(&held, kid).or(found) {
            Some(key) => Ok(key),
            None if held.fetched_at.is_none() => Err(KeyError::Unavailable),
            None => Err(KeyError::Unknown),
        }
    }

    /// The key, if held, and whether the set is young enough to trust without a fetch.
    fn lookup(&self, kid: Option<&str>) -> (Option<Arc<Key>>, bool) {
        let held = self.held.read().unwrap_or_else(|e| e.into_inner());
        let fresh = held.fetched_at.is_some_and(|at| at.elapsed() < MAX_AGE);
        (self.lookup_in(&held, kid), fresh)
    }

    fn lookup_in(&self, held: &Held, kid: Option<&str>) -> Option<Arc<Key>> {
        match kid {
            Some(kid) => held.keys.get(kid).cloned(),
            None if held.anonymous.len() == 1 && held.keys.is_empty() => {
                held.anonymous.first().cloned()
            }
            None if held.anonymous.is_empty() && held.keys.len() == 1 => {
                held.keys.values().next().cloned()
            }
            None => None,
        }
    }

    async fn refresh(&self) {
        let fetched = self.fetch().await;
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        held.attempted_at = Some(Instant::now());
        match fetched {
            Ok((keys, anonymous)) => {
                tracing::info!(url = %self.url, keys = keys.len() + anonymous.len(), "fetched the identity provider's signing keys");
                held.keys = keys;
                held.anonymous = anonymous;
                held.fetched_at = Some(Instant::now());
            }
            Err(err) => {
                tracing::error!(url = %self.url, error = %err, "cannot fetch the identity provider's signing keys; keeping those held");
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<(HashMap<String, Arc<Key>>, Vec<Arc<Key>>)> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?;
        let set: serde_json::Value = response.json().await?;
        let entries = set
            .get("keys")
            .and_then(|keys| keys.as_array())
            .ok_or_else(|| anyhow::anyhow!("the answer holds no \"keys\" array"))?;
        let mut keys = HashMap::new();
        let mut anonymous = Vec::new();
        for entry in entries {
            // One key of a kind this process cannot use (an encryption key, a newer algorithm)
            // must not cost the others.
            let Ok(jwk) = serde_json::from_value::<Jwk>(entry.clone()) else {
                continue;
            };
            let Some(key) = verification_key(&jwk) else {
                continue;
            };
            match jwk.common.key_id {
                Some(kid) => {
                    keys.insert(kid, Arc::new(key));
                }
                None => anonymous.push(Arc::new(key)),
            }
        }
        Ok((keys, anonymous))
    }
}

/// A signature key of the set, with the algorithms it may verify: the one its `alg` names,
/// else those of its kind. Shared secrets and encryption keys are never taken from a set.
fn verification_key(jwk: &Jwk) -> Option<Key> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let by_kind = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        _ => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        Some(named) => {
            let algorithm = Algorithm::try_from(named).ok()?;
            if !by_kind.contains(&algorithm) {
                return None;
            }
            vec![algorithm]
        }
        None => by_kind,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key { key, algorithms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(value: serde_json::Value) -> Jwk {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn verification_key__takes_signature_keys_only() {
        let rsa = json_rsa();
        let key = verification_key(&jwk(rsa.clone())).expect("an RSA signing key");
        assert_eq!(key.algorithms, [Algorithm::RS256]);
        let mut unnamed = rsa.clone();
        unnamed.as_object_mut().unwrap().remove("alg");
        assert!(verification_key(&jwk(unnamed)).unwrap().algorithms.len() > 1);
        let mut encryption = rsa.clone();
        encryption["use"] = "enc".into();
        assert!(verification_key(&jwk(encryption)).is_none());
        let secret = serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"});
        assert!(verification_key(&jwk(secret)).is_none());
        // An algorithm of another kind than the key's
        let mut mismatched = rsa;
        mismatched["alg"] = "ES256".into();
        assert!(verification_key(&jwk(mismatched)).is_none());
    }

    fn json_rsa() -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA", "kid": "a", "alg": "RS256", "use": "sig", "e": "AQAB",
            "n": "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw"
        })
    }
}
