//! Supervision regimes (监管制度) of part 3 as reference data: sections and checklist items.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{regime_item, regime_section, supervision_regime};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::kinds::{DayCount, SectionKind};
use super::loaders::{ChildrenOfItem, ItemsOfSection, RegimeById, SectionById, SectionsOf};
use super::node::global_id;
use super::text::{Code, Text};
use super::{children, db, one};
use crate::domain::kinds;
use crate::error::ApiResult;

/// Supervision regime — 监管制度: one of the list's supervision systems, e.g. 对行政审批事项受委托机关的监督.
#[derive(Clone)]
pub struct SupervisionRegime(pub supervision_regime::Model);

/// Regime rules — 制度规则: the limits a regime states, enforced on supervision results.
#[derive(SimpleObject)]
pub struct RegimeRules {
    /// Fewest inspectors per inspection — 最少检查人数 (应当委派两名以上工作人员进行).
    min_inspectors: Option<i32>,
    /// The clause that states it — 依据条款.
    min_inspectors_clause: Option<String>,
    /// Days after receipt within which a review may be requested — 申请复查期限 (日).
    review_request_days: Option<i32>,
    /// Days after a request within which the review is decided — 复查决定期限 (日).
    review_decision_days: Option<i32>,
    /// The clause that states the review limits — 依据条款.
    review_clause: Option<String>,
    /// How days are counted — 期限计算方式.
    day_count: DayCount,
}

/// Supervision regime — 监管制度: one of the list's supervision systems, e.g. 对行政审批事项受委托机关的监督.
#[Object]
impl SupervisionRegime {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("SupervisionRegime", self.0.id)
    }

    /// Stable code, e.g. ENTRUSTED_LICENSING — 制度代码.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Position in the list — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Label as printed, e.g. （一） — 原文编号.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Title — 制度名称.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The paragraph before its first section — 序言.
    async fn preamble(&self) -> Option<&str> {
        self.0.preamble.as_deref()
    }

    /// The rules it states, as data — 制度规则.
    async fn rules(&self) -> RegimeRules {
        let m = &self.0;
        RegimeRules {
            min_inspectors: m.min_inspectors,
            min_inspectors_clause: m.min_inspectors_clause.clone(),
            review_request_days: m.review_request_days,
            review_decision_days: m.review_decision_days,
            review_clause: m.review_clause.clone(),
            day_count: kinds::DayCount::parse(&m.day_count)
                .unwrap_or(kinds::DayCount::Natural)
                .into(),
        }
    }

    /// Its sections — 章节 (对象, 内容, 方式, 程序, 措施, 处理).
    async fn sections(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeSection>> {
        let rows = children(ctx, SectionsOf(self.0.id)).await?;
        Ok(rows.into_iter().map(RegimeSection).collect())
    }
}

/// Regime section — 监管制度章节, e.g. 二、监督检查内容.
#[derive(Clone)]
pub struct RegimeSection(pub regime_section::Model);

/// Regime section — 监管制度章节, e.g. 二、监督检查内容.
#[Object]
impl RegimeSection {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("RegimeSection", self.0.id)
    }

    /// Position in the regime — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Label as printed, e.g. 二、 — 原文编号.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// What the section is about — 章节类别.
    async fn kind(&self) -> SectionKind {
        kinds::SectionKind::parse(&self.0.kind)
            .unwrap_or(kinds::SectionKind::Content)
            .into()
    }

    /// Heading — 标题.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The lead-in before its items — 引言.
    async fn intro(&self) -> Option<&str> {
        self.0.intro.as_deref()
    }

    /// The regime it belongs to — 所属制度.
    async fn regime(&self, ctx: &Context<'_>) -> ApiResult<SupervisionRegime> {
        Ok(SupervisionRegime(
            one(ctx, RegimeById(self.0.regime_id), "SupervisionRegime").await?,
        ))
    }

    /// Its top-level items — 条目; nested items hang under `items` of each.
    async fn items(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeItem>> {
        let rows = children(ctx, ItemsOfSection(self.0.id)).await?;
        Ok(rows
            .into_iter()
            .filter(|row| row.parent_id.is_none())
            .map(RegimeItem)
            .collect())
    }
}

/// Regime item — 条目: a numbered item or paragraph; items of a 内容 section are the
/// checklist supervision findings point at.
#[derive(Clone)]
pub struct RegimeItem(pub regime_item::Model);

/// Regime item — 条目: a numbered item or paragraph; items of a 内容 section are the
/// checklist supervision findings point at.
#[Object]
impl RegimeItem {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("RegimeItem", self.0.id)
    }

    /// Position among its siblings — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Position in the section, e.g. "2" or "2.3" — 位置.
    async fn path(&self) -> &str {
        &self.0.path
    }

    /// Label as printed, e.g. （一） or 1. — 原文编号; null for a paragraph.
    async fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }

    /// The item as published — 内容.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The section it belongs to — 所属章节.
    async fn section(&self, ctx: &Context<'_>) -> ApiResult<RegimeSection> {
        Ok(RegimeSection(
            one(ctx, SectionById(self.0.section_id), "RegimeSection").await?,
        ))
    }

    /// Nested items, e.g. the five required contents under （二） — 子条目.
    async fn items(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeItem>> {
        let rows = children(ctx, ChildrenOfItem(self.0.id)).await?;
        Ok(rows.into_iter().map(RegimeItem).collect())
    }
}

#[derive(Default)]
pub struct RegimeQuery;

#[Object]
impl RegimeQuery {
    /// The supervision regimes — 事中事后监管制度, in published order.
    async fn supervision_regimes(&self, ctx: &Context<'_>) -> ApiResult<Vec<SupervisionRegime>> {
        let rows = supervision_regime::Entity::find()
            .order_by_asc(supervision_regime::Column::ListId)
            .order_by_asc(supervision_regime::Column::Seq)
            .all(db(ctx)?)
            .await?;
        Ok(rows.into_iter().map(SupervisionRegime).collect())
    }

    /// One regime by code, e.g. TERRITORIAL_ENFORCEMENT — 按代码查询监管制度.
    async fn supervision_regime(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The regime's code — 制度代码")] code: Text<Code>,
    ) -> ApiResult<Option<SupervisionRegime>> {
        let code = code.arg("code")?;
        let row = supervision_regime::Entity::find()
            .filter(supervision_regime::Column::Code.eq(code))
            .order_by_asc(supervision_regime::Column::ListId)
            .one(db(ctx)?)
            .await?;
        Ok(row.map(SupervisionRegime))
    }
}
