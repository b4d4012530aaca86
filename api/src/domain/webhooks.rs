//! Webhook endpoints (推送端点, ADMIN): where events are POSTed, which ones, and their
//! redelivery. Each use case is one transaction, audited; the secret is never audited.

use chrono::Utc;
use entity::{department, event, webhook, webhook_delivery};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

use super::events::{EventType, PENDING};
use super::{Failure, RuleCode, audit, rules::Checks};
use crate::auth::{Role, Viewer};
use crate::db::Write;

/// What an endpoint receives.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub url: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    /// `Some(None)` receives every department's events.
    pub department_id: Option<Option<i32>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// The longest URL accepted.
const MAX_URL: usize = 2048;

/// An http(s) URL with a host and no credentials; other schemes (file:, gopher:…) are
/// refused so the worker can only ever make web requests.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL {
        return Err(format!("a URL has at most {MAX_URL} characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be http or https, not {}",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL names no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials do not belong in the URL: the signature authenticates".into());
    }
    Ok(())
}

async fn check(txn: &Write, endpoint: &Endpoint) -> Result<(), Failure> {
    let mut checks = Checks::default();
    if let Some(url) = &endpoint.url
        && let Err(why) = check_url(url)
    {
        checks.add("url", RuleCode::UrlInvalid, why);
    }
    if endpoint.event_types.as_ref().is_some_and(Vec::is_empty) {
        checks.add(
            "eventTypes",
            RuleCode::Required,
            "name at least one event type",
        );
    }
    if let Some(Some(dept)) = endpoint.department_id
        && department::Entity::find_by_id(dept)
            .one(txn)
            .await?
            .is_none()
    {
        checks.add(
            "departmentId",
            RuleCode::DepartmentUnknown,
            format!("no department has id {dept}"),
        );
    }
    checks.finish()
}

fn types_json(types: &[EventType]) -> serde_json::Value {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    json!(names)
}

/// What the audit log keeps of an endpoint: everything but its secret.
fn audited(row: &webhook::Model) -> serde_json::Value {
    json!({ "url": row.url, "eventTypes": row.event_types, "departmentId": row.department_id,
            "description": row.description, "enabled": row.enabled })
}

/// Registers an endpoint; its signing secret is returned here and never again.
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    endpoint: Endpoint,
) -> Result<webhook::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    check(&txn, &endpoint).await?;
    let now = Utc::now();
    let row = webhook::ActiveModel {
        url: Set(endpoint.url.unwrap_or_default()),
        event_types: Set(types_json(&endpoint.event_types.unwrap_or_default())),
        department_id: Set(endpoint.department_id.flatten()),
        description: Set(endpoint.description.unwrap_or_default()),
        secret: Set(crate::events::signature::new_secret()),
        enabled: Set(endpoint.enabled.unwrap_or(true)),
        created_by: Set(actor.clone()),
        created_at: Set(now),
        lease_owner: Set(None),
        lease_until: Set(0),
        next_attempt_at: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::created(
        &txn,
        now,
        &actor,
        "createWebhook",
        "webhook",
        row.id,
        audited(&row),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

async fn find(txn: &Write, id: i32) -> Result<webhook::Model, Failure> {
    crate::domain::named::<webhook::Entity>(txn, id, "id", RuleCode::WebhookUnknown, "webhook")
        .await
}

/// Changes the fields given.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    id: i32,
    endpoint: Endpoint,
) -> Result<webhook::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    check(&txn, &endpoint).await?;
    let mut row: webhook::ActiveModel = before.clone().into();
    if let Some(url) = endpoint.url {
        row.url = Set(url);
    }
    if let Some(types) = &endpoint.event_types {
        row.event_types = Set(types_json(types));
    }
    if let Some(dept) = endpoint.department_id {
        row.department_id = Set(dept);
    }
    if let Some(description) = endpoint.description {
        row.description = Set(description);
    }
    if let Some(enabled) = endpoint.enabled {
        row.enabled = Set(enabled);
    }
    let saved = row.update(&txn).await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "updateWebhook",
        entity: "webhook",
        entity_id: Some(id),
        before: Some(audited(&before)),
        after: Some(audited(&saved)),
    };
    audit::record(&txn, Utc::now(), entry).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes the endpoint with its delivery history.
pub async fn remove(txn: Write, viewer: &Viewer, id: i32) -> Result<webhook::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, id).await?;
    webhook::Entity::delete_by_id(id).exec(&txn).await?;
    let entry = audit::Entry {
        actor: &actor,
        operation: "removeWebhook",
        entity: "webhook",
        entity_id: Some(id),
        before: Some(audited(&before)),
        after: None,
    };
    audit::record(&txn, Utc::now(), entry).await?;
    txn.commit().await?;
    Ok(before)
}

/// Queues `event_id` again for the endpoint, behind what is already queued for it.
pub async fn redeliver(
    txn: Write,
    viewer: &Viewer,
    webhook_id: i32,
    event_id: i32,
) -> Result<webhook_delivery::Model, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    find(&txn, webhook_id)
        .await
        .map_err(|_| Failure::rule("webhookId", RuleCode::WebhookUnknown, "no such webhook"))?;
    if event::Entity::find_by_id(event_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(Failure::rule(
            "eventId",
            RuleCode::EventUnknown,
            "no such event (or older than the retention period)",
        ));
    }
    let now = Utc::now();
    let row = webhook_delivery::ActiveModel {
        webhook_id: Set(webhook_id),
        event_id: Set(event_id),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let after = json!({ "webhookId": webhook_id, "eventId": event_id });
    audit::created(
        &txn,
        now,
        &actor,
        "redeliverWebhookEvent",
        "webhook_delivery",
        row.id,
        after,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_url__http_and_https_only() {
        assert!(check_url("https://cases.example.gov.cn/hooks/qingdan").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
            "javascript:alert(1)",
            "not a url",
            "https://user:pass@example.com/",
            "",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
