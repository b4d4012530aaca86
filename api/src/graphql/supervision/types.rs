//! Supervision output types: newtypes over rows, relations through the request's loaders.
//!
//! An inspection, its inspectors and its findings resolve their fields one after another
//! (`serial`), not as a set of concurrent futures per row: a page primes its rows' relations
//! (or holds them in memory), so their fields seldom wait, and the set costs each of the
//! hundreds of objects in a page its allocations (6 % of a page's CPU, in the bench's q6).
//! Rows of a list still resolve together, so their loads are still batched. Findings and
//! inspectors are `PlainList`s, and a page's inspections `PlainNode`s: a selection of their
//! row's own fields (and, for a page's inspections, of the findings and inspectors the page
//! loaded ahead) skips the executor's per-object resolution (`graphql::plain`).

use async_graphql::{Context, ID, InputType, Object, Value};
use entity::{
    accountability, finding, inspection, inspector, rectification, review_request,
    supervision_document,
};

use super::CaseStatus;
use super::inputs::{DocumentKind, FindingOutcome, Measure, ReviewOutcome, SubjectKind};
use crate::domain::supervision::{document, followup, inspection as rules};
use crate::error::ApiResult;
use crate::graphql::department::Department;
use crate::graphql::loaders::*;
use crate::graphql::node::global_id;
use crate::graphql::plain::{PlainFields, PlainList, plain_list};
use crate::graphql::regime::{RegimeItem, SupervisionRegime};
use crate::graphql::scalars::{Date, DateTime};
use crate::graphql::{children, clock, one, primed_children};

/// Inspection — 监督检查: a supervision result submitted under one regime.
#[derive(Clone)]
pub struct Inspection(pub inspection::Model);

/// Inspection — 监督检查: a supervision result submitted under one regime.
#[Object(serial)]
impl Inspection {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Inspection", self.0.id)
    }

    /// The regime inspected under — 监管制度.
    async fn regime(&self, ctx: &Context<'_>) -> ApiResult<SupervisionRegime> {
        Ok(SupervisionRegime(
            one(ctx, RegimeById(self.0.regime_id), "SupervisionRegime").await?,
        ))
    }

    /// The inspected unit — 被检查单位.
    async fn target_department(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        Ok(Department(
            one(
                ctx,
                DepartmentById(self.0.target_department_id),
                "Department",
            )
            .await?,
        ))
    }

    /// Inspectors — 检查人员.
    async fn inspectors(&self, ctx: &Context<'_>) -> ApiResult<PlainList<Inspector>> {
        Ok(children(ctx, InspectorsOf(self.0.id))
            .await?
            .into_iter()
            .map(Inspector)
            .collect())
    }

    /// Methods used — 检查方式.
    async fn methods(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeItem>> {
        let rows = children(ctx, MethodsOf(self.0.id)).await?;
        // Boxed, as `graphql::unprimed` is: an inspection's every field would carry the
        // batch's future otherwise.
        let items = Box::pin(
            crate::graphql::loader(ctx)?.load_many(rows.iter().map(|m| RegimeItemById(m.item_id))),
        )
        .await?;
        Ok(rows
            .iter()
            .filter_map(|m| items.get(&RegimeItemById(m.item_id)).cloned())
            .map(RegimeItem)
            .collect())
    }

    /// First day inspected — 检查期间起.
    async fn period_start(&self) -> Date {
        self.0.period_start.into()
    }

    /// Last day inspected — 检查期间止.
    async fn period_end(&self) -> Date {
        self.0.period_end.into()
    }

    /// Findings per checklist item — 检查结果.
    async fn findings(&self, ctx: &Context<'_>) -> ApiResult<PlainList<Finding>> {
        Ok(children(ctx, FindingsOf(self.0.id))
            .await?
            .into_iter()
            .map(Finding)
            .collect())
    }

    /// The written record — 书面记录.
    async fn record(&self) -> &str {
        &self.0.record
    }

    /// Who submitted it (token subject) — 提交人.
    async fn submitted_by(&self) -> &str {
        &self.0.submitted_by
    }

    /// When — 提交时间.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.0.submitted_at)
    }

    /// Derived status — 案件状态.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<CaseStatus> {
        Ok(one(ctx, InspectionStateOf(self.0.id), "Inspection")
            .await?
            .status
            .into())
    }

    /// True when its latest document's deadline passed unanswered — 是否逾期.
    async fn overdue(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(one(ctx, InspectionStateOf(self.0.id), "Inspection")
            .await?
            .overdue)
    }

    /// Documents issued on it — 监督文书.
    async fn documents(&self, ctx: &Context<'_>) -> ApiResult<Vec<SupervisionDocument>> {
        Ok(children(ctx, DocumentsOf(self.0.id))
            .await?
            .into_iter()
            .map(SupervisionDocument)
            .collect())
    }

    /// Accountability recorded on it — 过错责任追究.
    async fn accountabilities(&self, ctx: &Context<'_>) -> ApiResult<Vec<Accountability>> {
        Ok(children(ctx, AccountabilitiesOf(self.0.id))
            .await?
            .into_iter()
            .map(Accountability)
            .collect())
    }
}

impl PlainFields for Inspection {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "id" => global_id("Inspection", self.0.id).0.into(),
            "periodStart" => Date::from(self.0.period_start).to_value(),
            "periodEnd" => Date::from(self.0.period_end).to_value(),
            "record" => self.0.record.as_str().into(),
            "submittedBy" => self.0.submitted_by.as_str().into(),
            "submittedAt" => DateTime(self.0.submitted_at).to_value(),
            _ => return None,
        })
    }

    /// Findings and inspectors, which a page of inspections loads ahead.
    fn plain_relation(&self, ctx: &Context<'_>) -> Option<Value> {
        let id = self.0.id;
        match ctx.item.node.name.node.as_str() {
            "findings" => plain_list(
                primed_children(ctx, &FindingsOf(id))?
                    .into_iter()
                    .map(Finding),
                ctx,
            ),
            "inspectors" => plain_list(
                primed_children(ctx, &InspectorsOf(id))?
                    .into_iter()
                    .map(Inspector),
                ctx,
            ),
            _ => None,
        }
    }
}

/// Inspector — 检查人员.
#[derive(Clone)]
pub struct Inspector(pub inspector::Model);

/// Inspector — 检查人员.
#[Object(serial)]
impl Inspector {
    /// Name — 姓名.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Certificate number — 执法证号.
    async fn certificate_no(&self) -> &str {
        &self.0.certificate_no
    }
}

impl PlainFields for Inspector {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "name" => self.0.name.as_str().into(),
            "certificateNo" => self.0.certificate_no.as_str().into(),
            _ => return None,
        })
    }
}

/// Finding — 检查结果: the outcome on one checklist item.
#[derive(Clone)]
pub struct Finding(pub finding::Model);

/// Finding — 检查结果: the outcome on one checklist item.
#[Object(serial)]
impl Finding {
    /// The checklist item — 检查内容.
    async fn item(&self, ctx: &Context<'_>) -> ApiResult<RegimeItem> {
        Ok(RegimeItem(
            one(ctx, RegimeItemById(self.0.item_id), "RegimeItem").await?,
        ))
    }

    /// Outcome — 结果.
    async fn outcome(&self) -> FindingOutcome {
        self.outcome_value()
    }

    /// Note — 说明.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

impl Finding {
    fn outcome_value(&self) -> FindingOutcome {
        rules::Outcome::parse(&self.0.outcome)
            .unwrap_or(rules::Outcome::NotChecked)
            .into()
    }
}

impl PlainFields for Finding {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "outcome" => self.outcome_value().to_value(),
            "note" => self.0.note.as_deref().into(),
            _ => return None,
        })
    }
}

/// Supervision document — 《行政执法监督通知书》/《行政执法监督决定书》.
#[derive(Clone)]
pub struct SupervisionDocument(pub supervision_document::Model);

/// Supervision document — 《行政执法监督通知书》/《行政执法监督决定书》.
#[Object]
impl SupervisionDocument {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("SupervisionDocument", self.0.id)
    }

    /// Notice or decision — 文书种类.
    async fn kind(&self) -> DocumentKind {
        document::DocumentKind::parse(&self.0.kind)
            .unwrap_or(document::DocumentKind::Notice)
            .into()
    }

    /// The measure — 纠错措施.
    async fn measure(&self) -> Measure {
        document::Measure::parse(&self.0.measure)
            .unwrap_or(document::Measure::OrderCorrection)
            .into()
    }

    /// The inspection — 监督检查.
    async fn inspection(&self, ctx: &Context<'_>) -> ApiResult<Inspection> {
        Ok(Inspection(
            one(ctx, InspectionById(self.0.inspection_id), "Inspection").await?,
        ))
    }

    /// 1. 被检查的单位名称.
    async fn inspected_unit(&self) -> &str {
        &self.0.inspected_unit
    }

    /// 2. 认定的事实和理由.
    async fn facts_and_reasons(&self) -> &str {
        &self.0.facts_and_reasons
    }

    /// 3. 处理的决定和依据.
    async fn decision_and_basis(&self) -> &str {
        &self.0.decision_and_basis
    }

    /// 4. 执行处理决定的方式.
    async fn execution_method(&self) -> &str {
        &self.0.execution_method
    }

    /// 5. 执行检查的机构名称.
    async fn issuing_body(&self) -> &str {
        &self.0.issuing_body
    }

    /// 5. 做出文书的日期.
    async fn issued_on(&self) -> Date {
        self.0.issued_on.into()
    }

    /// 5. 加盖印章.
    async fn sealed(&self) -> bool {
        self.0.sealed
    }

    /// Day the unit received it — 送达日期.
    async fn received_on(&self) -> Date {
        self.0.received_on.into()
    }

    /// 4. Deadline to rectify — 整改期限.
    async fn due_on(&self) -> Option<Date> {
        self.0.execution_deadline.map(Date)
    }

    /// Days until the deadline as of today; negative once passed — 剩余天数.
    async fn days_left(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        let today = clock(ctx)?.today();
        Ok(self
            .0
            .execution_deadline
            .map(|due| (due - today).num_days()))
    }

    /// The deadline passed without a rectification report — 是否逾期.
    async fn overdue(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(one(ctx, DocumentStateOf(self.0.id), "SupervisionDocument")
            .await?
            .overdue)
    }

    /// Derived status — 状态.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<CaseStatus> {
        Ok(one(ctx, DocumentStateOf(self.0.id), "SupervisionDocument")
            .await?
            .status
            .into())
    }

    /// Last day to request review (收到之日起10日内) — 申请复查截止日.
    async fn review_due_on(&self, ctx: &Context<'_>) -> ApiResult<Option<Date>> {
        Ok(one(ctx, DocumentStateOf(self.0.id), "SupervisionDocument")
            .await?
            .review_due_on
            .map(Date))
    }

    /// Rectification reports — 整改报告.
    async fn rectifications(&self, ctx: &Context<'_>) -> ApiResult<Vec<Rectification>> {
        Ok(children(ctx, RectificationsOf(self.0.id))
            .await?
            .into_iter()
            .map(Rectification)
            .collect())
    }

    /// The review request, if any — 复查申请.
    async fn review_request(&self, ctx: &Context<'_>) -> ApiResult<Option<ReviewRequest>> {
        Ok(children(ctx, ReviewsOf(self.0.id))
            .await?
            .into_iter()
            .next()
            .map(ReviewRequest))
    }

    /// Who issued it (token subject) — 制作人.
    async fn issued_by(&self) -> &str {
        &self.0.issued_by
    }
}

/// Rectification report — 整改报告.
#[derive(Clone)]
pub struct Rectification(pub rectification::Model);

/// Rectification report — 整改报告.
#[Object]
impl Rectification {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Rectification", self.0.id)
    }

    /// Date of the report — 报告日期.
    async fn reported_on(&self) -> Date {
        self.0.reported_on.into()
    }

    /// What was corrected — 整改情况.
    async fn content(&self) -> &str {
        &self.0.content
    }

    /// Reported by (token subject) — 报告人.
    async fn reported_by(&self) -> &str {
        &self.0.reported_by
    }
}

/// Review request — 复查申请, and its decision.
#[derive(Clone)]
pub struct ReviewRequest(pub review_request::Model);

/// Review request — 复查申请, and its decision.
#[Object]
impl ReviewRequest {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("ReviewRequest", self.0.id)
    }

    /// Date of the request — 申请日期.
    async fn requested_on(&self) -> Date {
        self.0.requested_on.into()
    }

    /// Reasons — 申请理由.
    async fn reasons(&self) -> &str {
        &self.0.reasons
    }

    /// Last day to decide (自接到复查申请之日起15日内) — 复查决定截止日.
    async fn decision_due_on(&self, ctx: &Context<'_>) -> ApiResult<Option<Date>> {
        Ok(one(
            ctx,
            DocumentStateOf(self.0.document_id),
            "SupervisionDocument",
        )
        .await?
        .decision_due_on
        .map(Date))
    }

    /// Outcome once decided — 复查结果.
    async fn outcome(&self) -> Option<ReviewOutcome> {
        self.0
            .outcome
            .as_deref()
            .and_then(followup::ReviewOutcome::parse)
            .map(Into::into)
    }

    /// The decision — 复查决定.
    async fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }

    /// Date decided — 决定日期.
    async fn decided_on(&self) -> Option<Date> {
        self.0.decided_on.map(Date)
    }

    /// Decided after the limit — 超期决定.
    async fn decided_late(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(one(
            ctx,
            DocumentStateOf(self.0.document_id),
            "SupervisionDocument",
        )
        .await?
        .decided_late)
    }
}

/// Accountability — 过错责任追究.
#[derive(Clone)]
pub struct Accountability(pub accountability::Model);

/// Accountability — 过错责任追究.
#[Object]
impl Accountability {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Accountability", self.0.id)
    }

    /// A unit or named staff — 追究对象类别.
    async fn subject_kind(&self) -> SubjectKind {
        if self.0.subject_kind == "STAFF" {
            SubjectKind::Staff
        } else {
            SubjectKind::Unit
        }
    }

    /// The unit, or the staff member's department — 单位.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match self.0.department_id {
            Some(id) => Ok(Some(Department(
                one(ctx, DepartmentById(id), "Department").await?,
            ))),
            None => Ok(None),
        }
    }

    /// Staff member held accountable — 责任人员.
    async fn staff_name(&self) -> Option<&str> {
        self.0.staff_name.as_deref()
    }

    /// Fault situations — 过错情形.
    async fn situations(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeItem>> {
        self.items(ctx, "SITUATION").await
    }

    /// Forms of accountability — 追究方式.
    async fn forms(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegimeItem>> {
        self.items(ctx, "FORM").await
    }

    /// Note — 备注.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

impl Accountability {
    async fn items(&self, ctx: &Context<'_>, role: &str) -> ApiResult<Vec<RegimeItem>> {
        let rows = children(ctx, AccountabilityItemsOf(self.0.id)).await?;
        let ids: Vec<i32> = rows
            .iter()
            .filter(|r| r.role == role)
            .map(|r| r.item_id)
            .collect();
        let items = crate::graphql::loader(ctx)?
            .load_many(ids.iter().map(|id| RegimeItemById(*id)))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| items.get(&RegimeItemById(*id)).cloned())
            .map(RegimeItem)
            .collect())
    }
}
