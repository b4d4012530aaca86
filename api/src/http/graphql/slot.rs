//! Where a read's answer is kept in the response cache, and how it is validated for GET.

use std::sync::Arc;

use axum::{
    body::Bytes,
    http::{HeaderValue, Method},
};

use super::Door;
use super::answer::{Answer, MediaType};
use crate::auth::Viewer;
use crate::http::AppState;
use crate::http::cache::{self, Cached, Validator};
use crate::http::metrics::Outcome;

impl Door<'_> {
    /// Where the answer to a read is kept: the caller as far as it changes the answer (roles,
    /// department, the day), the media types and the request as sent. `None` when the data
    /// version cannot be read: the database cannot vouch for a kept answer either.
    pub(super) async fn cache_slot(
        &self,
        viewer: &Viewer,
        media: MediaType,
        key: Vec<u8>,
    ) -> Option<Slot> {
        let today = self.state.clock.today();
        let audience = if viewer.sub.is_none() {
            format!("anonymous {today}")
        } else {
            let mut roles = viewer.roles.clone();
            roles.sort_by_key(|role| format!("{role:?}"));
            format!("{roles:?} {:?} {today}", viewer.dept)
        };
        let variant = format!(
            "{} {} {audience}",
            self.parts.method,
            media.header().to_str().unwrap_or_default(),
        );
        let stamp = self.state.versions.current(&self.state.db).await.ok()?;
        // A GET answer is named by what decides it, so a client holding it revalidates for
        // free; an anonymous one is everyone's, so shared caches may keep it. The tag is
        // made before the document is parsed, so it follows every write, not only the
        // scopes the answer read.
        let validator = (self.parts.method != Method::POST).then(|| Validator {
            etag: cache::etag(stamp.all(), &variant, &key),
            anonymous: viewer.sub.is_none(),
        });
        Some(Slot {
            stamp,
            variant,
            key,
            validator,
        })
    }
}

/// Where one read's answer is kept, at the data version it was asked at.
pub(super) struct Slot {
    pub(super) stamp: crate::data_version::Stamp,
    pub(super) variant: String,
    pub(super) key: Vec<u8>,
    pub(super) validator: Option<Validator>,
}

impl Slot {
    pub(super) fn get(&self, state: &AppState) -> Option<Cached> {
        state.cache.get(&self.stamp, &self.variant, &self.key)
    }

    pub(super) fn computing_lock(&self, state: &AppState) -> Arc<tokio::sync::Mutex<()>> {
        state.cache.computing_lock(&self.variant, &self.key)
    }

    pub(super) fn served(&self, hit: Cached) -> Answer {
        let operation = hit.operation.to_string();
        let response = cache::validated(hit.response(), self.validator.as_ref());
        Answer::new(response, Outcome::Ok, operation)
    }

    /// Keeps the clean answer to a read (an error may be passing: the database went away).
    pub(super) fn keep(
        &self,
        state: &AppState,
        scopes: Arc<[crate::data_version::Scope]>,
        body: &Bytes,
        content_type: HeaderValue,
        operation: &str,
    ) {
        state.cache.put(
            &self.stamp,
            scopes,
            &self.variant,
            &self.key,
            Cached {
                body: body.clone(),
                content_type: Some(content_type),
                operation: Arc::from(operation),
            },
        );
    }
}
