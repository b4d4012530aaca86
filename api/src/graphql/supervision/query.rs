//! Reading supervision results: inspections, documents, and the assessment figures.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{inspection, supervision_document};
use sea_orm::sea_query::Expr;

use super::CaseStatus;
use super::types::{Inspection, SupervisionDocument};
use crate::domain::supervision::along::Along;
use crate::domain::supervision::read::{self, InspectionFilter as Filter};
use crate::error::ApiResult;
use crate::graphql::loaders::{
    DocumentsOf, FindingsOf, InspectionStateOf, InspectorsOf, MethodsOf,
};
use crate::graphql::node::optional_id;
use crate::graphql::pagination::{Page, connection_query, paginate_by, paginate_fetched};
use crate::graphql::plain::PlainNode;
use crate::graphql::regime::RegimeItem;
use crate::graphql::scalars::Date;
use crate::graphql::text::{Code, Text};
use crate::graphql::{clock, db, viewer};

/// Inspection filter — 监督检查筛选.
#[derive(InputObject, Default)]
pub struct InspectionFilter {
    /// Only inspections of this unit — 被检查单位.
    target_department_id: Option<ID>,
    /// Only under this regime — 监管制度代码.
    regime_code: Option<Text<Code>>,
    /// Only in this derived status — 状态.
    status: Option<CaseStatus>,
    /// Only overdue (true) or not overdue (false) — 是否逾期.
    overdue: Option<bool>,
    /// Inspection period ends on or after — 起.
    from: Option<Date>,
    /// Inspection period starts on or before — 止.
    to: Option<Date>,
}

impl InspectionFilter {
    fn into_domain(self) -> ApiResult<Filter> {
        Ok(Filter {
            target_department_id: optional_id(
                self.target_department_id.as_ref(),
                "Department",
                "filter.targetDepartmentId",
            )?,
            regime_code: Text::opt_arg(self.regime_code, "filter.regimeCode")?,
            status: self.status.map(Into::into),
            overdue: self.overdue,
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
        })
    }
}

/// Supervision document filter — 监督文书筛选.
#[derive(InputObject, Default)]
pub struct SupervisionDocumentFilter {
    /// Only documents of this unit's inspections — 被检查单位.
    target_department_id: Option<ID>,
    /// Only overdue (true) or not overdue (false) — 是否逾期.
    overdue: Option<bool>,
}

/// A count per value — 计数.
#[derive(SimpleObject)]
pub struct Count {
    /// The value counted, e.g. NONCOMPLIANT — 项.
    key: String,
    /// How many — 数量.
    count: i32,
}

/// Findings on one checklist item — 按检查内容统计.
#[derive(SimpleObject)]
pub struct ItemCount {
    /// The checklist item — 检查内容.
    item: RegimeItem,
    /// Findings by outcome — 按结果.
    by_outcome: Vec<Count>,
}

/// Assessment figures — 工作考核统计.
#[derive(SimpleObject)]
pub struct SupervisionStats {
    /// Inspections — 监督检查次数.
    inspections: i32,
    /// Findings by outcome — 检查结果.
    findings_by_outcome: Vec<Count>,
    /// Findings per checklist item — 按检查内容.
    findings_by_item: Vec<ItemCount>,
    /// Documents by kind — 文书.
    documents_by_kind: Vec<Count>,
    /// Documents past their deadline without rectification — 逾期未整改.
    overdue_rectifications: i32,
    /// Documents rectified — 已整改.
    rectified: i32,
    /// Reviews by outcome (PENDING when undecided) — 复查.
    reviews_by_outcome: Vec<Count>,
    /// Reviews decided after the limit — 超期复查决定.
    reviews_decided_late: i32,
}

fn counts(map: std::collections::BTreeMap<String, usize>) -> Vec<Count> {
    map.into_iter()
        .map(|(key, count)| Count {
            key,
            count: count as i32,
        })
        .collect()
}

/// Whether the query selects `field` of the page's inspections.
fn selects(ctx: &Context<'_>, field: &str) -> bool {
    let look = ctx.look_ahead();
    look.field("nodes").field(field).exists()
        || look.field("edges").field("node").field(field).exists()
}

/// What the query selects of the page's inspections' own records, which a page read whole
/// brings along.
fn along(ctx: &Context<'_>) -> Along {
    Along {
        findings: selects(ctx, "findings"),
        inspectors: selects(ctx, "inspectors"),
        methods: selects(ctx, "methods"),
    }
}

/// Loads ahead, one statement each, the relations of a page of inspections that the query
/// selects (`along`, and documents and status; none for those the page brought along or the
/// process holds: `ListLoader::prime`): a page's rows then read them without a DataLoader
/// batch.
async fn prime_relations(
    ctx: &Context<'_>,
    page: &Page<PlainNode<Inspection>>,
    along: Along,
) -> ApiResult<()> {
    let ids: Vec<i32> = page.edges.iter().map(|edge| edge.node.0.0.id).collect();
    let loader = crate::graphql::loader(ctx)?.loader();
    if along.findings {
        loader.prime(keys(&ids, FindingsOf)).await?;
    }
    if along.inspectors {
        loader.prime(keys(&ids, InspectorsOf)).await?;
    }
    if along.methods {
        loader.prime(keys(&ids, MethodsOf)).await?;
    }
    if selects(ctx, "documents") {
        loader.prime(keys(&ids, DocumentsOf)).await?;
    }
    if selects(ctx, "status") || selects(ctx, "overdue") {
        loader.prime(keys(&ids, InspectionStateOf)).await?;
    }
    Ok(())
}

/// The key of each inspection's relation.
fn keys<K>(ids: &[i32], key: impl Fn(i32) -> K) -> Vec<K> {
    ids.iter().map(|&id| key(id)).collect()
}

connection_query! {
    /// Inspections (SUPERVISOR, ADMIN; a UNIT sees its own) — 监督检查列表.
    InspectionQuery::inspections(ctx, args, filter: InspectionFilter) -> PlainNode<Inspection> {
        let scope = read::read_scope(viewer(ctx)?)?;
        let filter = filter.into_domain()?;
        // Keyset-paged in SQL, counted only when asked; rows the process holds (they never
        // change once submitted) are not decoded again.
        let db = db(ctx)?;
        let select = read::inspection_query(db, scope, &filter, clock(ctx)?.today()).await?;
        let loader = crate::graphql::loader(ctx)?.loader();
        let along = along(ctx);
        let fetch = async |statement, order| loader.inspections(statement, &order, along).await;
        let key = Expr::col(inspection::Column::Id);
        let row_key = |row: &inspection::Model| i64::from(row.id);
        let node = |row| PlainNode(Inspection(row));
        let page = paginate_fetched(db, select, key, args, fetch, row_key, node).await?;
        prime_relations(ctx, &page, along).await?;
        Ok(page)
    }
}

connection_query! {
    /// Supervision documents (SUPERVISOR, ADMIN; a UNIT sees those addressed to it) — 监督文书列表.
    SupervisionDocumentQuery::supervision_documents(
        ctx,
        args,
        filter: SupervisionDocumentFilter,
    ) -> SupervisionDocument {
        let scope = read::read_scope(viewer(ctx)?)?;
        let target = optional_id(
            filter.target_department_id.as_ref(),
            "Department",
            "filter.targetDepartmentId",
        )?;
        let db = db(ctx)?;
        let today = clock(ctx)?.today();
        let select = read::document_query(db, scope, target, filter.overdue, today).await?;
        let key = Expr::col(supervision_document::Column::Id);
        let row_key = |row: &supervision_document::Model| i64::from(row.id);
        paginate_by(db, select, key, args, row_key, SupervisionDocument).await
    }
}

#[derive(Default)]
pub struct SupervisionQuery;

#[Object]
impl SupervisionQuery {
    /// Figures for the annual assessment (工作考核) of a unit, or of all, over a period — 工作考核统计.
    async fn supervision_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit assessed; every unit when left out — 被考核单位")]
        department_id: Option<ID>,
        #[graphql(desc = "First day of the period — 起始日期")] from: Option<Date>,
        #[graphql(desc = "Last day of the period — 截止日期")] to: Option<Date>,
    ) -> ApiResult<SupervisionStats> {
        let scope = read::read_scope(viewer(ctx)?)?;
        let filter = Filter {
            target_department_id: optional_id(
                department_id.as_ref(),
                "Department",
                "departmentId",
            )?,
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
            ..Default::default()
        };
        let stats = read::stats(db(ctx)?, scope, &filter, clock(ctx)?.today()).await?;
        let items = crate::graphql::loader(ctx)?
            .load_many(
                stats
                    .findings_by_item
                    .keys()
                    .map(|id| crate::graphql::loaders::RegimeItemById(*id)),
            )
            .await?;
        let findings_by_item = stats
            .findings_by_item
            .into_iter()
            .filter_map(|(id, by_outcome)| {
                let item = items
                    .get(&crate::graphql::loaders::RegimeItemById(id))?
                    .clone();
                Some(ItemCount {
                    item: RegimeItem(item),
                    by_outcome: counts(by_outcome),
                })
            })
            .collect();
        Ok(SupervisionStats {
            inspections: stats.inspections as i32,
            findings_by_outcome: counts(stats.findings_by_outcome),
            findings_by_item,
            documents_by_kind: counts(stats.documents_by_kind),
            overdue_rectifications: stats.overdue_rectifications as i32,
            rectified: stats.rectified as i32,
            reviews_by_outcome: counts(stats.reviews_by_outcome),
            reviews_decided_late: stats.reviews_decided_late as i32,
        })
    }
}
