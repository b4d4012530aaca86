//! Persisted operations, resolved by the front door before anything reads the query:
//!
//! - Automatic persisted queries (Apollo's protocol): a request may carry only the sha256 of
//!   its document (`extensions.persistedQuery.sha256Hash`). Unknown here, it is answered
//!   `PERSISTED_QUERY_NOT_FOUND` and the client sends hash and text once, which registers the
//!   text after its hash is checked. GET requests then stay short enough for caches.
//! - Trusted documents (`QINGDAN_TRUSTED_DOCUMENTS`): the manifest the Relay compiler or
//!   GraphQL Code Generator writes (an object of id → document). Only those documents run,
//!   named by id or sent as identical text; nothing is registered.
//!
//! async-graphql's own `ApolloPersistedQueries` extension resolves the hash inside the
//! schema, after this front door has already counted tokens and aliases, told queries from
//! mutations for GET and named the operation for metrics, all on the missing text: so the
//! text is filled in here first.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::TransportCode;

/// Bytes of registered documents a process keeps; past it the registry starts over (clients
/// send the text again when told the hash is not found).
const MAX_REGISTERED_BYTES: usize = 8 * 1024 * 1024;

/// Why a request's persisted document cannot run: a stable code and a message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: TransportCode,
    pub message: &'static str,
}

const NOT_FOUND: Refusal = Refusal {
    code: TransportCode::PersistedQueryNotFound,
    // Apollo's clients look for this message as well as for the code.
    message: "PersistedQueryNotFound",
};
const HASH_MISMATCH: Refusal = Refusal {
    code: TransportCode::PersistedQueryHashMismatch,
    message: "the sha256Hash given is not the SHA-256 of the query sent with it",
};
const NOT_IN_LIST: Refusal = Refusal {
    code: TransportCode::PersistedQueryNotInList,
    message: "only the documents of the trusted-documents manifest run on this server",
};
const MALFORMED: Refusal = Refusal {
    code: TransportCode::BadRequest,
    message: "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}",
};

/// The manifest of trusted documents: ids (hashes, as the tool computed them) to texts.
pub struct TrustedDocuments {
    by_id: HashMap<String, Arc<str>>,
    texts: HashSet<Arc<str>>,
}

impl std::fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedDocuments({} documents)", self.by_id.len())
    }
}

impl TrustedDocuments {
    /// Reads a manifest file: a JSON object of id → document text.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| anyhow::anyhow!("reading {}: {err}", path.display()))?;
        Self::parse(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
    }

    pub fn parse(json: &str) -> anyhow::Result<Self> {
        let manifest: HashMap<String, String> = serde_json::from_str(json).map_err(|err| {
            anyhow::anyhow!(
                "a trusted-documents manifest is a JSON object of id → document text: {err}"
            )
        })?;
        if manifest.is_empty() {
            anyhow::bail!("the trusted-documents manifest lists no document");
        }
        let mut by_id = HashMap::new();
        let mut texts = HashSet::new();
        for (id, text) in manifest {
            if async_graphql::parser::parse_query(&text).is_err() {
                anyhow::bail!("the document {id:?} of the manifest is not GraphQL");
            }
            let text: Arc<str> = Arc::from(text);
            texts.insert(text.clone());
            by_id.insert(id, text);
        }
        Ok(Self { by_id, texts })
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Persisted documents of one process: registered by clients, or the trusted manifest.
pub struct Persisted {
    trusted: Option<Arc<TrustedDocuments>>,
    registered: Mutex<Registered>,
}

#[derive(Default)]
struct Registered {
    by_hash: HashMap<String, Arc<str>>,
    bytes: usize,
}

/// Top-level ids some clients send instead of Apollo's extension: `documentId` (the
/// GraphQL-over-HTTP draft on persisted documents) and `doc_id` (Relay's convention).
#[derive(Default, Deserialize)]
pub struct DocumentId {
    #[serde(rename = "documentId", alias = "doc_id", default)]
    pub id: Option<String>,
}

impl Persisted {
    pub fn new(trusted: Option<Arc<TrustedDocuments>>) -> Self {
        Self {
            trusted,
            registered: Mutex::default(),
        }
    }

    /// Fills in the text of a request that names its document by hash or id, registers a
    /// new one (automatic mode), and refuses what may not run (trusted mode). A request with
    /// neither text nor id is left alone: the schema reports it.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Result<(), Refusal> {
        let hash = persisted_query_hash(request)?;
        let id = hash.as_deref().or(document_id);
        match &self.trusted {
            Some(trusted) => resolve_trusted(trusted, request, id),
            None => self.resolve_automatic(request, hash.as_deref(), document_id),
        }
    }

    fn resolve_automatic(
        &self,
        request: &mut async_graphql::Request,
        hash: Option<&str>,
        document_id: Option<&str>,
    ) -> Result<(), Refusal> {
        let Some(hash) = hash.or(document_id) else {
            return Ok(());
        };
        // GraphQL Code Generator names documents `sha256:<hex>`, Apollo and Relay by the hex.
        let hash = bare_hash(hash).to_ascii_lowercase();
        if request.query.is_empty() {
            let registered = self.registered.lock().unwrap_or_else(|e| e.into_inner());
            let text = registered.by_hash.get(&hash).ok_or(NOT_FOUND)?;
            request.query = text.to_string();
            return Ok(());
        }
        if sha256_hex(&request.query) != hash {
            return Err(HASH_MISMATCH);
        }
        let mut registered = self.registered.lock().unwrap_or_else(|e| e.into_inner());
        if !registered.by_hash.contains_key(&hash) {
            let size = hash.len() + request.query.len();
            if registered.bytes + size > MAX_REGISTERED_BYTES {
                *registered = Registered::default();
            }
            registered.bytes += size;
            registered
                .by_hash
                .insert(hash, Arc::from(request.query.as_str()));
        }
        Ok(())
    }
}

fn resolve_trusted(
    trusted: &TrustedDocuments,
    request: &mut async_graphql::Request,
    id: Option<&str>,
) -> Result<(), Refusal> {
    // A manifest keys its documents as its tool names them (`sha256:<hex>` or the hex): a
    // client of the other convention finds them too.
    let listed = id.and_then(|id| {
        trusted.by_id.get(id).or_else(|| {
            let other = match id.strip_prefix(SHA256_PREFIX) {
                Some(hex) => hex.to_owned(),
                None => format!("{SHA256_PREFIX}{id}"),
            };
            trusted.by_id.get(&other)
        })
    });
    match (listed, request.query.is_empty()) {
        (Some(text), true) => {
            request.query = text.to_string();
            Ok(())
        }
        (Some(text), false) if **text == *request.query => Ok(()),
        (Some(_), false) => Err(HASH_MISMATCH),
        // An unknown id alone: an APQ client then sends its text, which must be listed.
        (None, true) if id.is_some() => Err(NOT_FOUND),
        (None, true) => Ok(()),
        (None, false) if trusted.texts.contains(request.query.as_str()) => Ok(()),
        (None, false) => Err(NOT_IN_LIST),
    }
}

/// `extensions.persistedQuery.sha256Hash`, when the request carries Apollo's extension.
fn persisted_query_hash(request: &async_graphql::Request) -> Result<Option<String>, Refusal> {
    let Some(extension) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let extension = extension.clone().into_json().map_err(|_| MALFORMED)?;
    let version = extension.get("version").and_then(serde_json::Value::as_i64);
    let hash = extension
        .get("sha256Hash")
        .and_then(serde_json::Value::as_str)
        .filter(|hash| hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    match (version, hash) {
        (Some(1), Some(hash)) => Ok(Some(hash.to_owned())),
        _ => Err(MALFORMED),
    }
}

/// The prefix GraphQL Code Generator gives its document ids.
const SHA256_PREFIX: &str = "sha256:";

/// A document id without its `sha256:` prefix.
fn bare_hash(id: &str) -> &str {
    id.strip_prefix(SHA256_PREFIX).unwrap_or(id)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "{ departments(first: 1) { totalCount } }";

    fn request(query: &str, hash: Option<&str>) -> async_graphql::Request {
        let mut body = serde_json::json!({ "query": query });
        if let Some(hash) = hash {
            body["extensions"] =
                serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        }
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn automatic__hash_alone_then_hash_and_text() {
        let persisted = Persisted::new(None);
        let hash = sha256_hex(QUERY);
        assert_eq!(
            persisted.resolve(&mut request("", Some(&hash)), None),
            Err(NOT_FOUND)
        );
        let wrong = sha256_hex("{ x }");
        assert_eq!(
            persisted.resolve(&mut request(QUERY, Some(&wrong)), None),
            Err(HASH_MISMATCH)
        );
        assert_eq!(
            persisted.resolve(&mut request(QUERY, Some(&hash)), None),
            Ok(())
        );
        let mut again = request("", Some(&hash.to_uppercase()));
        assert_eq!(persisted.resolve(&mut again, None), Ok(()));
        assert_eq!(again.query, QUERY);
        assert_eq!(
            persisted.resolve(&mut request("", Some("abc")), None),
            Err(MALFORMED)
        );
        // Plain requests pass untouched
        assert_eq!(persisted.resolve(&mut request(QUERY, None), None), Ok(()));
        // A registered document is found by GraphQL Code Generator's `sha256:` id too
        let mut by_id = request("", None);
        let prefixed = format!("sha256:{hash}");
        assert_eq!(persisted.resolve(&mut by_id, Some(&prefixed)), Ok(()));
        assert_eq!(by_id.query, QUERY);
    }

    #[test]
    fn trusted__either_id_convention_finds_a_listed_document() {
        let hash = sha256_hex(QUERY);
        let manifest = serde_json::json!({ format!("sha256:{hash}"): QUERY }).to_string();
        let persisted = Persisted::new(Some(Arc::new(TrustedDocuments::parse(&manifest).unwrap())));
        // Apollo's hash alone, for a manifest keyed `sha256:<hex>`
        let mut apollo = request("", Some(&hash));
        assert_eq!(persisted.resolve(&mut apollo, None), Ok(()));
        assert_eq!(apollo.query, QUERY);
        // And the other way round
        let bare = serde_json::json!({ hash.clone(): QUERY }).to_string();
        let persisted = Persisted::new(Some(Arc::new(TrustedDocuments::parse(&bare).unwrap())));
        let mut codegen = request("", None);
        let prefixed = format!("sha256:{hash}");
        assert_eq!(persisted.resolve(&mut codegen, Some(&prefixed)), Ok(()));
        assert_eq!(codegen.query, QUERY);
    }

    #[test]
    fn trusted__only_listed_documents_run() {
        let manifest = serde_json::json!({ "a1": QUERY }).to_string();
        let persisted = Persisted::new(Some(Arc::new(TrustedDocuments::parse(&manifest).unwrap())));
        let mut by_id = request("", None);
        assert_eq!(persisted.resolve(&mut by_id, Some("a1")), Ok(()));
        assert_eq!(by_id.query, QUERY);
        assert_eq!(persisted.resolve(&mut request(QUERY, None), None), Ok(()));
        assert_eq!(
            persisted.resolve(&mut request("{ __typename }", None), None),
            Err(NOT_IN_LIST)
        );
        // A hash of an unlisted text registers nothing
        let other = "{ __schema { types { name } } }";
        assert_eq!(
            persisted.resolve(&mut request(other, Some(&sha256_hex(other))), None),
            Err(NOT_IN_LIST)
        );
        assert_eq!(
            persisted.resolve(&mut request("", Some(&sha256_hex(other))), None),
            Err(NOT_FOUND)
        );
        assert!(TrustedDocuments::parse("[]").is_err());
        assert!(TrustedDocuments::parse(r#"{"x": "{ not graphql"}"#).is_err());
    }
}
