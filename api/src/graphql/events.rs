//! Events to integrations (事件推送): the `events` subscription, webhook endpoints and their
//! deliveries (ADMIN).

use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use entity::{event, webhook, webhook_delivery};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::broadcast;

use super::node::{expect_id, global_id, optional_id};
use super::pagination::{Page, PageArgs, connection_query, paginate};
use super::text::{Long, Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::{db, viewer};
use crate::auth::{Role, Viewer};
use crate::domain::events::{self as outbox, departments};
use crate::domain::webhooks::{self, Endpoint};
use crate::error::ApiResult;
use crate::events::Hub;

/// Event type — 事件类型: what a write did.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "outbox::EventType")]
pub enum EventType {
    /// 清单版本发布: a list version was published (public).
    ListVersionPublished,
    /// 草稿放弃: a list's draft was discarded (its editors).
    ListDraftDiscarded,
    /// 机构改革: a department was renamed, merged or dissolved (public).
    DepartmentReorganised,
    /// 监督检查提交: an inspection was submitted.
    InspectionSubmitted,
    /// 监督文书下达: a supervision notice or decision was issued.
    SupervisionDocumentIssued,
    /// 整改报告: a unit reported its rectification.
    RectificationReported,
    /// 申请复查: a unit requested a review.
    ReviewRequested,
    /// 复查决定: a review was decided.
    ReviewDecided,
    /// 责任追究: accountability was recorded.
    AccountabilityRecorded,
    /// 词库变更: a lexicon entry was set or removed (public).
    LexiconChanged,
    /// 派单异议: a dispatcher reported a misroute (dispatchers).
    MisrouteReported,
}

/// Event subject — 事件对象: what an event is about; `node(id:)` reads it.
#[derive(SimpleObject)]
pub struct EventSubject {
    /// Opaque global id of the object — 全局标识.
    id: ID,
    /// Its GraphQL type, e.g. `Inspection` — 类型.
    r#type: String,
}

/// Event — 事件: one thing a write did, in the order writes committed.
pub struct Event(pub Arc<event::Model>);

/// Event — 事件: one thing a write did, in the order writes committed.
#[Object]
impl Event {
    /// Opaque global id; pass it as `after` to resume — 全局标识.
    async fn id(&self) -> ID {
        global_id("Event", self.0.id)
    }

    /// Position in commit order: increasing, not dense — 序号.
    async fn sequence(&self) -> i32 {
        self.0.id
    }

    /// What happened — 事件类型.
    async fn r#type(&self) -> ApiResult<EventType> {
        outbox::EventType::parse(&self.0.kind)
            .map(Into::into)
            .ok_or_else(|| anyhow::anyhow!("event {} of unknown type", self.0.id).into())
    }

    /// When the write committed — 发生时间.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// What it is about — 事件对象.
    async fn subject(&self) -> EventSubject {
        EventSubject {
            id: global_id(&self.0.subject_type, self.0.subject_id),
            r#type: self.0.subject_type.clone(),
        }
    }

    /// The departments it concerns — 相关部门.
    async fn department_ids(&self) -> Vec<ID> {
        departments(&self.0)
            .into_iter()
            .map(|id| global_id("Department", id))
            .collect()
    }

    /// Ids and the fields a receiver needs to decide whether to fetch; see the README for
    /// each type's — 事件内容.
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
}

/// What a subscription asked for.
struct Filter {
    viewer: Viewer,
    types: Option<Vec<outbox::EventType>>,
    department: Option<i32>,
}

impl Filter {
    fn wants(&self, row: &event::Model) -> bool {
        let kind_ok = match (&self.types, outbox::EventType::parse(&row.kind)) {
            (Some(types), Some(kind)) => types.contains(&kind),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        kind_ok
            && self
                .department
                .is_none_or(|dept| departments(row).contains(&dept))
            && outbox::visible(&self.viewer, row)
    }
}

/// A subscription's place: what it has passed, and what it holds back.
struct Cursor {
    db: DatabaseConnection,
    receiver: broadcast::Receiver<Arc<event::Model>>,
    filter: Filter,
    /// The last event passed (sent or filtered out).
    last: i32,
    /// Read from the table, not yet passed.
    backlog: VecDeque<Arc<event::Model>>,
    /// Reading the table until caught up: after `after`, or after falling behind.
    replaying: bool,
}

impl Cursor {
    async fn next(mut self) -> Option<(async_graphql::Result<Event>, Self)> {
        loop {
            if let Some(row) = self.backlog.pop_front() {
                if row.id <= self.last {
                    continue;
                }
                self.last = row.id;
                if self.filter.wants(&row) {
                    return Some((Ok(Event(row)), self));
                }
                continue;
            }
            if self.replaying {
                match crate::events::after(&self.db, self.last).await {
                    Ok(rows) if rows.is_empty() => self.replaying = false,
                    Ok(rows) => self.backlog.extend(rows.into_iter().map(Arc::new)),
                    Err(err) => return Some((Err(crate::error::ApiError::from(err).into()), self)),
                }
                continue;
            }
            match self.receiver.recv().await {
                Ok(row) => self.backlog.push_back(row),
                Err(broadcast::error::RecvError::Lagged(_)) => self.replaying = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

#[derive(Default)]
pub struct EventSubscription;

/// Subscription — 订阅: events as writes commit, over WebSocket on `/graphql`.
#[Subscription(name = "Subscription")]
impl EventSubscription {
    /// Events as writes commit, in commit order, as the caller may read them (over
    /// graphql-transport-ws on `/graphql`; the token goes in `connection_init`'s payload as
    /// `Authorization`) — 事件订阅.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these types (default: all) — 事件类型")] types: Option<
            Vec<EventType>,
        >,
        #[graphql(desc = "Only events concerning this department — 相关部门")]
        department_id: Option<ID>,
        #[graphql(
            desc = "Resume after this event id (the last one received), within the retention period — 起始事件"
        )]
        after: Option<ID>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<Event>>> {
        let department = optional_id(department_id.as_ref(), "Department", "departmentId")?;
        let after = optional_id(after.as_ref(), "Event", "after")?;
        let hub = Hub::of(db(ctx)?);
        let db = hub.db().clone();
        let receiver = hub.subscribe();
        let last = match after {
            Some(after) => after,
            None => hub.last(&db).await?,
        };
        let cursor = Cursor {
            db,
            receiver,
            filter: Filter {
                viewer: viewer(ctx).cloned().unwrap_or_default(),
                types: types.map(|t| t.into_iter().map(Into::into).collect()),
                department,
            },
            last,
            backlog: VecDeque::new(),
            replaying: after.is_some(),
        };
        Ok(futures_util::stream::unfold(cursor, Cursor::next).boxed())
    }
}

/// Delivery status — 推送状态.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// 待推送: not delivered yet (first attempt or a retry to come).
    Pending,
    /// 已送达: the endpoint answered 2xx.
    Delivered,
    /// 已放弃: every attempt failed; `redeliverWebhookEvent` queues it again.
    Dead,
}

/// Webhook — 推送端点: where events are POSTed, signed with its secret.
pub struct Webhook(webhook::Model);

/// Webhook — 推送端点: where events are POSTed, signed with its secret.
#[Object]
impl Webhook {
    /// Opaque global id — 全局标识.
    async fn id(&self) -> ID {
        global_id("Webhook", self.0.id)
    }

    /// The endpoint (http or https) — 地址.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The event types it receives — 事件类型.
    async fn event_types(&self) -> Vec<EventType> {
        let names: Vec<String> =
            serde_json::from_value(self.0.event_types.clone()).unwrap_or_default();
        names
            .iter()
            .filter_map(|name| outbox::EventType::parse(name))
            .map(Into::into)
            .collect()
    }

    /// Only events concerning this department, when set — 限定部门.
    async fn department_id(&self) -> Option<ID> {
        self.0.department_id.map(|id| global_id("Department", id))
    }

    /// What it is for — 说明.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Whether events are delivered to it — 启用.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Who registered it (token subject) — 创建人.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When — 创建时间.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Webhook delivery — 推送记录: one event to one endpoint, and how its attempts went.
pub struct WebhookDelivery(webhook_delivery::Model);

/// Webhook delivery — 推送记录: one event to one endpoint, and how its attempts went.
#[Object(cache_control(no_cache))]
impl WebhookDelivery {
    /// Opaque global id, sent as `X-Qingdan-Delivery-Id` — 全局标识.
    async fn id(&self) -> ID {
        global_id("WebhookDelivery", self.0.id)
    }

    /// The event delivered; null once pruned — 事件.
    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Option<Event>> {
        Ok(event::Entity::find_by_id(self.0.event_id)
            .one(db(ctx)?)
            .await?
            .map(|row| Event(Arc::new(row))))
    }

    /// Where it stands — 状态.
    async fn status(&self) -> WebhookDeliveryStatus {
        match self.0.status.as_str() {
            outbox::DELIVERED => WebhookDeliveryStatus::Delivered,
            outbox::DEAD => WebhookDeliveryStatus::Dead,
            _ => WebhookDeliveryStatus::Pending,
        }
    }

    /// Attempts made so far — 尝试次数.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The HTTP status of the last answer, if any — 最近响应码.
    async fn last_response_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    /// Why the last attempt failed, if it did — 最近错误.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When it was last tried — 最近尝试时间.
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    /// When the endpoint accepted it — 送达时间.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

connection_query! {
    /// Registered endpoints, oldest first (ADMIN) — 推送端点.
    WebhookQuery::webhooks(ctx, args) -> Webhook {
        viewer(ctx)?.require_any(&[Role::Admin])?;
        let select = webhook::Entity::find();
        paginate(
            db(ctx)?,
            select,
            webhook::Column::Id,
            args,
            |r| r.id,
            Webhook,
        )
        .await
    }
}

#[derive(Default)]
pub struct WebhookDeliveryQuery;

#[Object]
impl WebhookDeliveryQuery {
    /// An endpoint's deliveries, oldest first (ADMIN); read fresh, never from the
    /// response cache — 推送记录.
    #[graphql(
        complexity = "super::page_cost(first, last, child_complexity)",
        cache_control(no_cache)
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint — 推送端点")] webhook_id: ID,
        #[graphql(desc = "Page size from the start (1–100) — 前N条")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after — 起始游标")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1–100) — 后N条")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before — 截止游标")] before: Option<String>,
    ) -> ApiResult<Page<WebhookDelivery>> {
        viewer(ctx)?.require_any(&[Role::Admin])?;
        let hook = expect_id(&webhook_id, "Webhook", "webhookId")?;
        let args = PageArgs {
            first,
            after,
            last,
            before,
            counted: ctx.look_ahead().field("totalCount").exists(),
        };
        let select =
            webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(hook));
        let id = webhook_delivery::Column::Id;
        paginate(db(ctx)?, select, id, args, |r| r.id, WebhookDelivery).await
    }
}

/// Input of createWebhook — 创建推送端点.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST events: an http or https URL — 地址.
    url: Text<Long>,
    /// The event types to receive (at least one) — 事件类型.
    event_types: Vec<EventType>,
    /// Only events concerning this department — 限定部门.
    department_id: Option<ID>,
    /// What it is for, e.g. the receiving system — 说明.
    description: Option<Text<Name>>,
}

/// Result of createWebhook — 创建结果.
#[derive(SimpleObject)]
pub struct CreateWebhookPayload {
    /// The endpoint as stored — 推送端点.
    webhook: Option<Webhook>,
    /// The signing secret: shown this once, keep it in the receiver — 签名密钥.
    secret: Option<String>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Input of updateWebhook — 修改推送端点: only the fields given change.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// The endpoint — 推送端点.
    id: ID,
    /// A new URL — 地址.
    url: Option<Text<Long>>,
    /// New event types (at least one) — 事件类型.
    event_types: Option<Vec<EventType>>,
    /// Only events concerning this department; null for every department's — 限定部门.
    department_id: async_graphql::MaybeUndefined<ID>,
    /// A new description — 说明.
    description: Option<Text<Name>>,
    /// Deliver events to it, or stop — 启用.
    enabled: Option<bool>,
}

/// Result of updateWebhook — 修改结果.
#[derive(SimpleObject)]
pub struct UpdateWebhookPayload {
    /// The endpoint as stored — 推送端点.
    webhook: Option<Webhook>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Input of removeWebhook — 删除推送端点.
#[derive(InputObject)]
pub struct RemoveWebhookInput {
    /// The endpoint — 推送端点.
    id: ID,
}

/// Result of removeWebhook — 删除结果.
#[derive(SimpleObject)]
pub struct RemoveWebhookPayload {
    /// The id of the endpoint removed, with its delivery history — 已删除端点.
    removed_webhook_id: Option<ID>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Input of redeliverWebhookEvent — 重新推送.
#[derive(InputObject)]
pub struct RedeliverWebhookEventInput {
    /// The endpoint — 推送端点.
    webhook_id: ID,
    /// The event to send again — 事件.
    event_id: ID,
}

/// Result of redeliverWebhookEvent — 重新推送结果.
#[derive(SimpleObject)]
pub struct RedeliverWebhookEventPayload {
    /// The new delivery, queued behind the endpoint's others — 推送记录.
    delivery: Option<WebhookDelivery>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

fn department(id: Option<&ID>) -> ApiResult<Option<i32>> {
    id.map(|id| expect_id(id, "Department", "departmentId"))
        .transpose()
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Register an endpoint (ADMIN); the payload carries its signing secret, shown once;
    /// audited — 创建推送端点.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateWebhookInput,
    ) -> ApiResult<CreateWebhookPayload> {
        let mut texts = Texts::default();
        let endpoint = Endpoint {
            url: Some(texts.take("url", input.url)),
            event_types: Some(input.event_types.into_iter().map(Into::into).collect()),
            department_id: Some(department(input.department_id.as_ref())?),
            description: texts.take_opt("description", input.description),
            enabled: None,
        };
        let (db, viewer, _) = super::writer(ctx)?;
        let result = texts
            .write(db, |write| webhooks::create(write, viewer, endpoint))
            .await;
        let (saved, user_errors) = settle(result)?;
        Ok(CreateWebhookPayload {
            secret: saved.as_ref().map(|row| row.secret.clone()),
            webhook: saved.map(Webhook),
            user_errors,
        })
    }

    /// Change an endpoint (ADMIN); audited — 修改推送端点.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateWebhookInput,
    ) -> ApiResult<UpdateWebhookPayload> {
        let id = expect_id(&input.id, "Webhook", "id")?;
        let mut texts = Texts::default();
        let department_id = match &input.department_id {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(id) => Some(department(Some(id))?),
        };
        let endpoint = Endpoint {
            url: texts.take_opt("url", input.url),
            event_types: input
                .event_types
                .map(|types| types.into_iter().map(Into::into).collect()),
            department_id,
            description: texts.take_opt("description", input.description),
            enabled: input.enabled,
        };
        let (db, viewer, _) = super::writer(ctx)?;
        let result = texts
            .write(db, |write| webhooks::update(write, viewer, id, endpoint))
            .await;
        let (saved, user_errors) = settle(result)?;
        Ok(UpdateWebhookPayload {
            webhook: saved.map(Webhook),
            user_errors,
        })
    }

    /// Remove an endpoint and its delivery history (ADMIN); audited — 删除推送端点.
    async fn remove_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveWebhookInput,
    ) -> ApiResult<RemoveWebhookPayload> {
        let id = expect_id(&input.id, "Webhook", "id")?;
        let (db, viewer, _) = super::writer(ctx)?;
        let result = Texts::default()
            .write(db, |write| webhooks::remove(write, viewer, id))
            .await;
        let (removed, user_errors) = settle(result)?;
        Ok(RemoveWebhookPayload {
            removed_webhook_id: removed.map(|row| global_id("Webhook", row.id)),
            user_errors,
        })
    }

    /// Queue an event for an endpoint again, e.g. a dead-lettered one (ADMIN); audited —
    /// 重新推送.
    async fn redeliver_webhook_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RedeliverWebhookEventInput,
    ) -> ApiResult<RedeliverWebhookEventPayload> {
        let hook = expect_id(&input.webhook_id, "Webhook", "webhookId")?;
        let event = expect_id(&input.event_id, "Event", "eventId")?;
        let (db, viewer, _) = super::writer(ctx)?;
        let result = Texts::default()
            .write(db, |write| webhooks::redeliver(write, viewer, hook, event))
            .await;
        let (delivery, user_errors) = settle(result)?;
        Ok(RedeliverWebhookEventPayload {
            delivery: delivery.map(WebhookDelivery),
            user_errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_id__the_domain_encodes_ids_as_graphql_does() {
        for (type_name, id) in [("Inspection", 7), ("Department", 42), ("Event", 1)] {
            assert_eq!(outbox::global_id(type_name, id), global_id(type_name, id).0);
        }
    }
}
