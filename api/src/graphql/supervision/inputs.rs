//! Mutation inputs, and their translation into the domain's inputs (global ids decoded).

use async_graphql::{Enum, ID, InputObject};

use crate::domain::supervision::{accountability, document, followup, inspection};
use crate::error::ApiResult;
use crate::graphql::node::{expect_id, optional_id};
use crate::graphql::scalars::Date;
use crate::graphql::text::{Code, Long, Name, Text, Texts};

/// Finding outcome — 检查结果.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "inspection::Outcome")]
pub enum FindingOutcome {
    /// 符合
    Compliant,
    /// 不符合
    Noncompliant,
    /// 未检查
    NotChecked,
}

/// Document kind — 文书种类.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "document::DocumentKind")]
pub enum DocumentKind {
    /// 《行政执法监督通知书》: order to correct within a deadline, or remedial measures.
    Notice,
    /// 《行政执法监督决定书》: confirm illegality, or revoke.
    Decision,
}

/// Corrective measure — 纠错措施.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "document::Measure")]
pub enum Measure {
    /// 责令限期改正
    OrderCorrection,
    /// 采取相应补救措施
    RemedialMeasures,
    /// 确认违法
    ConfirmIllegal,
    /// 撤销
    Revoke,
}

/// Review outcome — 复查结果.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "followup::ReviewOutcome")]
pub enum ReviewOutcome {
    /// 维持
    Upheld,
    /// 变更
    Amended,
    /// 撤销
    Revoked,
}

/// Accountability subject kind — 追究对象类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    /// 单位
    Unit,
    /// 有关责任人员
    Staff,
}

/// An inspector — 检查人员.
#[derive(InputObject)]
pub struct InspectorInput {
    /// Name — 姓名.
    pub name: Text<Name>,
    /// Law-enforcement certificate number — 执法证号.
    pub certificate_no: Text<Code>,
}

/// A finding on one checklist item — 检查结果.
#[derive(InputObject)]
pub struct FindingInput {
    /// A checklist item (监督检查内容) of the inspection's regime, by its global id.
    pub item_id: ID,
    /// Outcome — 结果.
    pub outcome: FindingOutcome,
    /// Note — 说明.
    pub note: Option<Text<Long>>,
}

/// Submit an inspection — 提交监督检查结果.
#[derive(InputObject)]
pub struct SubmitInspectionInput {
    /// The regime inspected under, e.g. ENTRUSTED_LICENSING — 监管制度代码.
    pub regime_code: Text<Code>,
    /// The inspected unit — 被检查单位.
    pub target_department_id: ID,
    /// Two or more inspectors (应当委派两名以上工作人员进行) — 检查人员.
    pub inspectors: Vec<InspectorInput>,
    /// Methods used: items of the regime's 方式 section — 检查方式.
    pub method_item_ids: Vec<ID>,
    /// First day inspected — 检查期间起.
    pub period_start: Date,
    /// Last day inspected — 检查期间止.
    pub period_end: Date,
    /// One finding per checklist item examined — 检查结果.
    pub findings: Vec<FindingInput>,
    /// The written record (书面记录), required.
    pub record: Text<Long>,
    /// A retry with the same key returns the first result and stores nothing twice — 幂等键.
    pub idempotency_key: Option<Text<Code>>,
}

/// Issue a supervision document — 制作行政执法监督文书. The five contents are required.
#[derive(InputObject)]
pub struct IssueSupervisionDocumentInput {
    /// The inspection that found the violation — 监督检查.
    pub inspection_id: ID,
    /// Notice or decision — 文书种类.
    pub kind: DocumentKind,
    /// The measure — 纠错措施.
    pub measure: Measure,
    /// 1. 被检查的单位名称.
    #[graphql(default)]
    pub inspected_unit: Text<Name>,
    /// 2. 认定的事实和理由.
    #[graphql(default)]
    pub facts_and_reasons: Text<Long>,
    /// 3. 处理的决定和依据.
    #[graphql(default)]
    pub decision_and_basis: Text<Long>,
    /// 4. 执行处理决定的方式 (method of execution).
    #[graphql(default)]
    pub execution_method: Text<Long>,
    /// 4. 执行处理决定的期限 (deadline; required for a notice).
    pub execution_deadline: Option<Date>,
    /// 5. 执行检查的机构名称.
    #[graphql(default)]
    pub issuing_body: Text<Name>,
    /// 5. 做出文书的日期.
    pub issued_on: Option<Date>,
    /// 5. 加盖印章: the document bears the seal.
    #[graphql(default)]
    pub sealed: bool,
    /// Day the unit received it (default: the issue date) — 送达日期.
    pub received_on: Option<Date>,
}

/// Report a rectification — 报告整改情况.
#[derive(InputObject)]
pub struct ReportRectificationInput {
    /// The document answered — 文书.
    pub document_id: ID,
    /// Date of the written report — 报告日期.
    pub reported_on: Date,
    /// What was corrected — 整改情况.
    pub content: Text<Long>,
}

/// Request a review — 申请复查 (within 10 days of receipt).
#[derive(InputObject)]
pub struct RequestReviewInput {
    /// The document contested — 文书.
    pub document_id: ID,
    /// Date of the request — 申请日期.
    pub requested_on: Date,
    /// Why — 申请理由.
    pub reasons: Text<Long>,
}

/// Decide a review — 做出复查决定 (within 15 days of the request).
#[derive(InputObject)]
pub struct DecideReviewInput {
    /// The review request — 复查申请.
    pub review_id: ID,
    /// Outcome — 复查结果.
    pub outcome: ReviewOutcome,
    /// The decision — 复查决定.
    pub decision: Text<Long>,
    /// Date decided — 决定日期.
    pub decided_on: Date,
}

/// Record accountability — 追究过错责任.
#[derive(InputObject)]
pub struct RecordAccountabilityInput {
    /// The inspection that established the fault — 监督检查.
    pub inspection_id: ID,
    /// A unit or named staff — 追究对象类别.
    pub subject_kind: SubjectKind,
    /// The unit, or the staff member's department — 单位.
    pub department_id: Option<ID>,
    /// The staff member — 责任人员姓名.
    pub staff_name: Option<Text<Name>>,
    /// Fault situations: sub-items of the regime's handling section — 过错情形.
    pub situation_item_ids: Vec<ID>,
    /// Forms of accountability, combinable — 追究方式.
    pub form_item_ids: Vec<ID>,
    /// Note — 备注.
    pub note: Option<Text<Long>>,
}

/// A supervision mutation's input: its domain form, its texts taken into `texts`.
pub trait SupervisionInput {
    type Domain;
    fn into_domain(self, texts: &mut Texts) -> ApiResult<Self::Domain>;
}

fn item_ids(ids: &[ID], field: &str) -> ApiResult<Vec<i32>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| expect_id(id, "RegimeItem", &format!("{field}[{i}]")))
        .collect()
}

impl SupervisionInput for SubmitInspectionInput {
    type Domain = inspection::InspectionInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<inspection::InspectionInput> {
        Ok(inspection::InspectionInput {
            regime_code: texts.take("regimeCode", self.regime_code),
            target_department_id: expect_id(
                &self.target_department_id,
                "Department",
                "targetDepartmentId",
            )?,
            inspectors: self
                .inspectors
                .into_iter()
                .enumerate()
                .map(|(i, p)| inspection::InspectorInput {
                    name: texts.take(&format!("inspectors[{i}].name"), p.name),
                    certificate_no: texts
                        .take(&format!("inspectors[{i}].certificateNo"), p.certificate_no),
                })
                .collect(),
            method_item_ids: item_ids(&self.method_item_ids, "methodItemIds")?,
            period_start: self.period_start.0,
            period_end: self.period_end.0,
            findings: self
                .findings
                .into_iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(inspection::FindingInput {
                        item_id: expect_id(
                            &f.item_id,
                            "RegimeItem",
                            &format!("findings[{i}].itemId"),
                        )?,
                        outcome: f.outcome.into(),
                        note: texts.take_opt(&format!("findings[{i}].note"), f.note),
                    })
                })
                .collect::<ApiResult<_>>()?,
            record: texts.take("record", self.record),
            idempotency_key: texts.take_opt("idempotencyKey", self.idempotency_key),
        })
    }
}

impl SupervisionInput for IssueSupervisionDocumentInput {
    type Domain = document::DocumentInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<document::DocumentInput> {
        Ok(document::DocumentInput {
            inspection_id: expect_id(&self.inspection_id, "Inspection", "inspectionId")?,
            kind: self.kind.into(),
            measure: self.measure.into(),
            inspected_unit: texts.take("inspectedUnit", self.inspected_unit),
            facts_and_reasons: texts.take("factsAndReasons", self.facts_and_reasons),
            decision_and_basis: texts.take("decisionAndBasis", self.decision_and_basis),
            execution_method: texts.take("executionMethod", self.execution_method),
            execution_deadline: self.execution_deadline.map(|d| d.0),
            issuing_body: texts.take("issuingBody", self.issuing_body),
            issued_on: self.issued_on.map(|d| d.0),
            sealed: self.sealed,
            received_on: self.received_on.map(|d| d.0),
        })
    }
}

impl SupervisionInput for ReportRectificationInput {
    type Domain = followup::RectificationInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<followup::RectificationInput> {
        Ok(followup::RectificationInput {
            document_id: expect_id(&self.document_id, "SupervisionDocument", "documentId")?,
            reported_on: self.reported_on.0,
            content: texts.take("content", self.content),
        })
    }
}

impl SupervisionInput for RequestReviewInput {
    type Domain = followup::ReviewRequestInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<followup::ReviewRequestInput> {
        Ok(followup::ReviewRequestInput {
            document_id: expect_id(&self.document_id, "SupervisionDocument", "documentId")?,
            requested_on: self.requested_on.0,
            reasons: texts.take("reasons", self.reasons),
        })
    }
}

impl SupervisionInput for DecideReviewInput {
    type Domain = followup::ReviewDecisionInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<followup::ReviewDecisionInput> {
        Ok(followup::ReviewDecisionInput {
            review_id: expect_id(&self.review_id, "ReviewRequest", "reviewId")?,
            outcome: self.outcome.into(),
            decision: texts.take("decision", self.decision),
            decided_on: self.decided_on.0,
        })
    }
}

impl SupervisionInput for RecordAccountabilityInput {
    type Domain = accountability::AccountabilityInput;

    fn into_domain(self, texts: &mut Texts) -> ApiResult<accountability::AccountabilityInput> {
        let department_id = optional_id(self.department_id.as_ref(), "Department", "departmentId")?;
        let subject = match (self.subject_kind, department_id) {
            (SubjectKind::Unit, department_id) => accountability::Subject::Unit { department_id },
            (SubjectKind::Staff, department_id) => accountability::Subject::Staff {
                name: texts
                    .take_opt("staffName", self.staff_name)
                    .unwrap_or_default(),
                department_id,
            },
        };
        Ok(accountability::AccountabilityInput {
            inspection_id: expect_id(&self.inspection_id, "Inspection", "inspectionId")?,
            subject,
            situation_item_ids: item_ids(&self.situation_item_ids, "situationItemIds")?,
            form_item_ids: item_ids(&self.form_item_ids, "formItemIds")?,
            note: texts.take_opt("note", self.note),
        })
    }
}
