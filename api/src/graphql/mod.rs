//! The GraphQL schema: one Query object per domain, merged; types are newtypes over entity rows.

mod audit;
mod boundary;
mod boundary_editing;
mod citation_editing;
mod consistency;
pub mod cost;
mod department;
mod department_editing;
mod duty;
mod duty_editing;
mod editing;
mod error;
mod events;
mod kinds;
pub mod loaders;
mod misroute;
mod node;
mod pagination;
mod plain;
mod regime;
mod scalars;
mod search;
mod service;
mod service_editing;
mod supervision;
pub mod text;
mod user_error;
mod versions;

use async_graphql::{Context, MergedObject, SDLExportOptions, Schema};
use events::EventSubscription;
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::data_version::Scope;
use crate::domain::clock::SharedClock;
use crate::error::{ApiError, ApiResult};
use async_graphql::dataloader::DataLoader;
use futures_util::future::BoxFuture;
use loaders::ListLoader;

/// Query — 查询: the published list, supervision results, and the audit trail.
#[derive(MergedObject, Default)]
pub struct Query(
    department::DepartmentQuery,
    duty::DutyQuery,
    boundary::BoundaryQuery,
    service::ServiceQuery,
    regime::RegimeQuery,
    supervision::SupervisionQuery,
    supervision::InspectionQuery,
    supervision::SupervisionDocumentQuery,
    audit::AuditQuery,
    node::NodeQuery,
    search::SearchQuery,
    misroute::MisrouteQuery,
    consistency::ConsistencyQuery,
    versions::VersionQuery,
    events::WebhookQuery,
    events::WebhookDeliveryQuery,
);

/// Mutation — 变更: supervision results and administrators' reference data.
#[derive(MergedObject, Default)]
pub struct Mutation(
    supervision::SupervisionMutation,
    audit::AdminMutation,
    search::LexiconMutation,
    misroute::MisrouteMutation,
    duty_editing::DutyEditingMutation,
    service_editing::ServiceEditingMutation,
    versions::VersionMutation,
    boundary_editing::BoundaryEditingMutation,
    citation_editing::CitationEditingMutation,
    department_editing::DepartmentEditingMutation,
    events::WebhookMutation,
);

pub type AppSchema = Schema<Query, Mutation, EventSubscription>;

/// Describes each connection and its edge: async-graphql's generic types carry no
/// description of their own (or an English one only).
macro_rules! describe_pages {
    ($builder:expr, $($node:ty => $what:literal),+ $(,)?) => {
        $builder
            $(
                .override_output_type_description::<pagination::Page<$node>>(concat!(
                    "A page of ", $what, " (分页): `edges` or `nodes`, `pageInfo` for the next ",
                    "page, and `totalCount` over all pages."
                ))
                .override_output_type_description::<pagination::PageEdge<$node>>(concat!(
                    "One of a page of ", $what, ", with its cursor (分页游标)."
                ))
            )+
    };
}

/// The schema without data: enough to print the SDL.
pub fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, EventSubscription> {
    let builder = Schema::build(Query::default(), Mutation::default(), EventSubscription)
        .register_output_type::<node::Node>();
    describe_pages!(builder,
        audit::AuditEvent => "audit events — 审计记录",
        boundary::BoundaryMatter => "boundary matters — 管理事项",
        department::Department => "departments — 部门",
        duty::Duty => "main duties — 主要职责",
        supervision::types::Inspection => "inspections — 监督检查",
        misroute::Misroute => "misroute reports — 错转报告",
        service::PublicService => "public services — 公共服务事项",
        supervision::types::SupervisionDocument => "supervision documents — 执法监督文书",
        events::Webhook => "webhooks — 事件推送端点",
        events::WebhookDelivery => "webhook deliveries — 推送记录",
    )
}

/// The schema the server runs. Without `introspection`, `__schema` and `__type` answer
/// nothing and errors suggest no field names either. No extensions (`cost`): its refusals of
/// depth and complexity are explained by `cost::Measure`. With `ValidationMode::Fast` it
/// checks only depth, complexity and fragment cycles: for an operation validated with
/// every rule before, whose variables cannot change the verdict
/// (`http::operation::Operation::validated_before`).
pub fn schema(
    db: DatabaseConnection,
    clock: SharedClock,
    limits: &crate::config::Limits,
    searcher: std::sync::Arc<crate::search::Searcher>,
    introspection: bool,
    validation: async_graphql::ValidationMode,
) -> AppSchema {
    builder(introspection)
        .validation_mode(validation)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .data(db)
        .data(clock)
        .data(searcher)
        .finish()
}

/// The schema's types and the bounds of its validation, served or measuring (`cost`).
fn builder(
    introspection: bool,
) -> async_graphql::SchemaBuilder<Query, Mutation, EventSubscription> {
    let builder = if introspection {
        schema_builder()
    } else {
        schema_builder()
            .disable_introspection()
            .disable_suggestions()
    };
    // The front door refuses deeper nesting and more directives first;
    // these bounds stay as the schema's own safety net.
    builder
        .limit_recursive_depth(cost::MAX_NESTING)
        .limit_directives(cost::MAX_DIRECTIVES)
}

/// The data a root query field reads (`data_version::Scope`), for the response cache: an
/// answer stays valid while these are unchanged. A field not named reads everything — drafts,
/// the audit trail and `node` may reach any row.
pub fn scopes_read(root_field: &str) -> &'static [Scope] {
    use Scope::*;
    match root_field {
        "__typename" | "__schema" | "__type" => &[],
        "department" | "duties" | "boundaryMatters" | "supervisionRegime"
        | "supervisionRegimes" => &[Lists],
        // `filter.responsibleFor` and `filter.matching` rank with the lexicon.
        "departments" | "publicServices" | "responsibilityLookup" => &[Lists, Lexicon],
        "lexiconEntries" => &[Lexicon],
        "inspections" | "supervisionDocuments" | "supervisionStats" => &[Lists, Supervision],
        "misroutes" => &[Lists, Lexicon, Other],
        "webhooks" | "webhookDeliveries" => &[Lists, Other],
        _ => &Scope::ALL,
    }
}

/// The cost of a connection: its page size times the cost of each node (a missing or
/// negative size is refused by the resolver; it costs one here).
pub(crate) fn page_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).unwrap_or(1).clamp(1, pagination::MAX_PAGE) as usize;
    size.saturating_mul(child).saturating_add(1)
}

/// The SDL the server serves, sorted so the committed `schema.graphql` diffs cleanly.
pub fn sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_enum_items()
            .include_specified_by(),
    )
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| ApiError::from(anyhow::anyhow!("database missing from schema data")))
}

/// The transaction a mutation's use case runs on, begun when its turn to write comes.
pub(crate) async fn write(ctx: &Context<'_>) -> ApiResult<crate::db::Write> {
    Ok(crate::db::Write::begin(db(ctx)?).await?)
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> ApiResult<&'a DataLoader<ListLoader>> {
    ctx.data::<DataLoader<ListLoader>>()
        .map_err(|_| ApiError::from(anyhow::anyhow!("loader missing from request data")))
}

/// The caller; anonymous when the request carries no token.
pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> ApiResult<&'a Viewer> {
    ctx.data::<Viewer>()
        .map_err(|_| ApiError::from(anyhow::anyhow!("viewer missing from request data")))
}

pub(crate) fn clock<'a>(ctx: &Context<'a>) -> ApiResult<&'a SharedClock> {
    ctx.data::<SharedClock>()
        .map_err(|_| ApiError::from(anyhow::anyhow!("clock missing from schema data")))
}

/// What a write needs: the database, the caller and the clock.
pub(crate) fn writer<'a>(
    ctx: &Context<'a>,
) -> ApiResult<(
    &'a DatabaseConnection,
    &'a Viewer,
    &'a dyn crate::domain::clock::Clock,
)> {
    Ok((db(ctx)?, viewer(ctx)?, clock(ctx)?.as_ref()))
}

/// The day a list query answers for: `asOf`, or today in the county.
pub(crate) fn day(ctx: &Context<'_>, as_of: Option<scalars::Date>) -> ApiResult<chrono::NaiveDate> {
    Ok(match as_of {
        Some(date) => date.0,
        None => clock(ctx)?.today(),
    })
}

/// The list versions in force on `as_of` (default today), read once per data version and day.
pub(crate) async fn in_force(
    ctx: &Context<'_>,
    as_of: Option<scalars::Date>,
) -> ApiResult<Vec<i32>> {
    let day = day(ctx, as_of)?;
    Ok(loader(ctx)?.loader().in_force(day).await?)
}

/// Loads a has-many relation; a parent without children gets an empty list. The published
/// lists held in memory answer at once; the rest is batched by the request's DataLoader.
pub(crate) async fn children<K, R>(ctx: &Context<'_>, key: K) -> ApiResult<Vec<R::Row>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + loaders::Held<Value = R> + 'static,
    ListLoader:
        async_graphql::dataloader::Loader<K, Value = R, Error = std::sync::Arc<sea_orm::DbErr>>,
    R: Rows + Send + Sync + 'static,
{
    if let Some(rows) = primed_children(ctx, &key) {
        return Ok(rows);
    }
    let found = unprimed(loader(ctx)?, key).await?;
    Ok(found.map(Rows::into_rows).unwrap_or_default())
}

/// The has-many relation a page loaded ahead for `key` (`children` without a wait), or `None`
/// when none did.
pub(crate) fn primed_children<K, R>(ctx: &Context<'_>, key: &K) -> Option<Vec<R::Row>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    ListLoader: async_graphql::dataloader::Loader<K, Value = R>,
    R: Rows + Send + Sync + 'static,
{
    let primed = ctx
        .data_opt::<DataLoader<ListLoader>>()?
        .loader()
        .primed(key)?;
    Some(primed.map(Rows::into_rows).unwrap_or_default())
}

/// What `key` reads when no page loaded it ahead: the published lists held in memory, else
/// the request's DataLoader. Boxed: its future holds the loader's and the database's
/// (kilobytes), and every field that may call it would otherwise carry them inline, moved
/// with each field of every object of an answer whether it waits or not (boxed, a page of
/// 62 inspections with their findings costs 4 % fewer instructions).
fn unprimed<K, V>(loader: &DataLoader<ListLoader>, key: K) -> BoxFuture<'_, ApiResult<Option<V>>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + loaders::Held<Value = V> + 'static,
    ListLoader:
        async_graphql::dataloader::Loader<K, Value = V, Error = std::sync::Arc<sea_orm::DbErr>>,
    V: Send + Sync + Clone + 'static,
{
    Box::pin(async move {
        if let Some(found) = loader.loader().held(&key).await? {
            return Ok(Some(found));
        }
        Ok(loader.load_one(key).await?)
    })
}

/// A has-many relation's rows as its loader answers them: read for this request (`Vec`), or
/// shared with the process (`Arc<[_]>`, what submitted inspections recorded).
pub(crate) trait Rows: Clone {
    type Row;
    fn into_rows(self) -> Vec<Self::Row>;
}

impl<M: Clone> Rows for Vec<M> {
    type Row = M;
    fn into_rows(self) -> Vec<M> {
        self
    }
}

impl<M: Clone> Rows for std::sync::Arc<[M]> {
    type Row = M;
    fn into_rows(self) -> Vec<M> {
        self.to_vec()
    }
}

/// Loads a row a foreign key points at; its absence is a broken reference, not a client error.
pub(crate) async fn one<K, V>(ctx: &Context<'_>, key: K, kind: &'static str) -> ApiResult<V>
where
    K: Send
        + Sync
        + std::hash::Hash
        + Eq
        + Clone
        + std::fmt::Debug
        + loaders::Held<Value = V>
        + 'static,
    ListLoader:
        async_graphql::dataloader::Loader<K, Value = V, Error = std::sync::Arc<sea_orm::DbErr>>,
    V: Send + Sync + Clone + 'static,
{
    let loader = loader(ctx)?;
    let found = match loader.loader().primed(&key) {
        Some(primed) => primed,
        None => unprimed(loader, key.clone()).await?,
    };
    found.ok_or_else(|| ApiError::NotFound {
        kind,
        id: format!("{key:?}"),
    })
}
