//! Public services (公共服务事项) with their responsible unit and phone.

use async_graphql::{Context, ID, InputObject, Object};
use entity::public_service;

use super::department::Department;
use super::loaders::DepartmentById;
use super::node::{global_id, optional_id};
use super::pagination::{
    connection_query, paginate_by, paginate_keyed, published_key, published_order,
};
use super::scalars::Date;
use super::text::{Long, Text};
use super::{db, one};
use crate::domain::list_reads;
use crate::error::ApiResult;
use crate::search::index::DocKind;

/// Public service — 公共服务事项: what citizens can ask for, who provides it, and the phone.
#[derive(Clone)]
pub struct PublicService(pub public_service::Model);

/// Public service — 公共服务事项: what citizens can ask for, who provides it, and the phone.
#[Object]
impl PublicService {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("PublicService", self.0.id)
    }

    /// Number in the list — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The service — 服务事项.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it comprises — 主要内容.
    async fn content(&self) -> &str {
        &self.0.content
    }

    /// The responsible unit — 承办机构.
    async fn unit(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        Ok(Department(
            one(ctx, DepartmentById(self.0.unit_id), "Department").await?,
        ))
    }

    /// Phone, digits only — 联系电话.
    async fn phone(&self) -> &str {
        &self.0.phone
    }

    /// Phone exactly as printed — 原文联系电话 (one has a leading space).
    async fn published_phone(&self) -> &str {
        &self.0.published_phone
    }
}

/// Public service filter — 公共服务筛选.
#[derive(InputObject, Default)]
pub struct PublicServiceFilter {
    /// Only services of this unit, or of its internal units — 承办机构.
    unit_id: Option<ID>,
    /// The name or content contains this text verbatim — 文本包含.
    text_contains: Option<Text<Long>>,
    /// The service matches this text as `responsibilityLookup` matches it (segmented, with the
    /// lexicon's citizens' words: 避孕药 finds the contraceptive services) — 按诉求匹配.
    /// Results stay in published order.
    matching: Option<String>,
}

connection_query! {
    /// Public services — 公共服务事项, in published order.
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter a GraphQL argument"
    )]
    ServiceQuery::public_services(
        ctx,
        args,
        filter: PublicServiceFilter,
        #[graphql(
            desc = "Answer as of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> PublicService {
        let unit = optional_id(filter.unit_id.as_ref(), "Department", "filter.unitId")?;
        let text_contains = Text::opt_arg(filter.text_contains, "filter.textContains")?;
        let day = super::day(ctx, as_of)?;
        let matching = match filter.matching.as_deref() {
            Some(text) => {
                let text = super::search::complaint(text, "filter.matching")?;
                let ids = super::search::searcher(ctx)?
                    .matching_rows(day, text, DocKind::Service)
                    .await?;
                Some(ids.into_iter().collect::<std::collections::HashSet<i32>>())
            }
            None => None,
        };
        let row_key = |row: &public_service::Model| published_key(row.list_id, row.seq);
        let filter = list_reads::ServiceFilter {
            unit,
            text_contains,
            among: matching,
        };
        if let Some(view) = super::loader(ctx)?.loader().view(day).await? {
            let rows = filter.over(&view);
            return paginate_keyed(rows, args, |s| row_key(s), |s| PublicService(s.clone()));
        }
        let backend = db(ctx)?.get_database_backend();
        let select = filter.query(backend, super::in_force(ctx, as_of).await?);
        // Published order (序号): edits renumber services, so ids no longer follow it.
        let key = published_order(public_service::Column::ListId, public_service::Column::Seq);
        paginate_by(db(ctx)?, select, key, args, row_key, PublicService).await
    }
}
