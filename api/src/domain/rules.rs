//! Rule violations: stable codes, the field at fault, and the clause of the list enforced.

use super::kinds::vocabulary;
use crate::error::ApiError;

/// The one list of rule codes. `with_rule_codes!(m)` hands it to the macro `m`, so the
/// domain's `RuleCode` (expanded below by `vocabulary!`) and the GraphQL enum clients switch
/// on (`graphql::user_error`) are the same vocabulary, never two lists kept in step by hand.
macro_rules! with_rule_codes {
    ($then:ident) => {
        $then! {
            /// Rule code — 规则代码: the stable code of every rule a write can break.
            /// Integrations switch on these; new codes may be added, none is renamed.
            RuleCode {
                /// 必填: a required field is missing, blank or null.
                Required = "REQUIRED",
                /// 监管制度不存在: no supervision regime has this code.
                RegimeUnknown = "REGIME_UNKNOWN",
                /// 部门不存在: no department or unit has this id.
                DepartmentUnknown = "DEPARTMENT_UNKNOWN",
                /// 检查人员不足: fewer inspectors than the regime requires (两名以上).
                InspectorsBelowMinimum = "INSPECTORS_BELOW_MINIMUM",
                /// 检查人员重复: the same inspector (certificate) twice.
                InspectorDuplicate = "INSPECTOR_DUPLICATE",
                /// 书面记录缺失: the written record of the inspection is missing.
                RecordRequired = "RECORD_REQUIRED",
                /// 检查期间有误: the period ends before it starts, or after today.
                PeriodInvalid = "PERIOD_INVALID",
                /// 检查方式缺失: no method of the regime's 方式 section given.
                MethodRequired = "METHOD_REQUIRED",
                /// 检查方式不在制度内: a method not in the regime's 方式 section.
                MethodNotInRegime = "METHOD_NOT_IN_REGIME",
                /// 检查结果缺失: no finding given.
                FindingRequired = "FINDING_REQUIRED",
                /// 检查项不在清单内: a finding on an item outside the regime's 内容 checklist.
                FindingItemNotInChecklist = "FINDING_ITEM_NOT_IN_CHECKLIST",
                /// 检查项重复: two findings on the same checklist item.
                FindingDuplicate = "FINDING_DUPLICATE",
                /// 幂等键已用: the idempotency key was used for a different request.
                IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED",
                /// 检查记录不存在: no inspection has this id.
                InspectionUnknown = "INSPECTION_UNKNOWN",
                /// 无不合格项: the inspection found nothing noncompliant to act on.
                NoNoncompliance = "NO_NONCOMPLIANCE",
                /// 文书内容缺失: one of the five contents of a supervision document is missing.
                DocumentContentMissing = "DOCUMENT_CONTENT_MISSING",
                /// 文书类别与措施不符: a notice for a decision's measure, or the reverse.
                MeasureKindMismatch = "MEASURE_KIND_MISMATCH",
                /// 期限缺失: a notice without its execution deadline.
                DeadlineRequired = "DEADLINE_REQUIRED",
                /// 日期先后有误: a date before the one it must follow.
                DateOrder = "DATE_ORDER",
                /// 日期晚于今日: a date after today.
                DateInFuture = "DATE_IN_FUTURE",
                /// 文书不存在: no supervision document has this id.
                DocumentUnknown = "DOCUMENT_UNKNOWN",
                /// 文书已撤销: the supervision document was revoked.
                DocumentRevoked = "DOCUMENT_REVOKED",
                /// 已整改: the rectification was already reported.
                AlreadyRectified = "ALREADY_RECTIFIED",
                /// 复查申请逾期: review requested after the regime's time limit (10 日).
                ReviewRequestLate = "REVIEW_REQUEST_LATE",
                /// 已申请复查: review was already requested.
                ReviewAlreadyRequested = "REVIEW_ALREADY_REQUESTED",
                /// 无复查程序: the regime provides no review for this document.
                ReviewNotProvided = "REVIEW_NOT_PROVIDED",
                /// 复查申请不存在: no review request has this id.
                ReviewUnknown = "REVIEW_UNKNOWN",
                /// 已作复查决定: the review was already decided.
                ReviewAlreadyDecided = "REVIEW_ALREADY_DECIDED",
                /// 情形不在制度内: a fault situation outside the regime's 处理 section.
                SituationNotInRegime = "SITUATION_NOT_IN_REGIME",
                /// 追责方式不在制度内: a form of accountability outside the regime's 处理 section.
                FormNotInRegime = "FORM_NOT_IN_REGIME",
                /// 无追责程序: the regime provides no accountability for this inspection.
                AccountabilityNotProvided = "ACCOUNTABILITY_NOT_PROVIDED",
                /// 责任对象缺失: the person or department held accountable is missing.
                SubjectRequired = "SUBJECT_REQUIRED",
                /// 电话格式有误: not a mainland mobile or fixed line with its area code.
                PhoneInvalid = "PHONE_INVALID",
                /// 序号越界: a position outside 1 to one past the last.
                PositionOutOfRange = "POSITION_OUT_OF_RANGE",
                /// 单位不属于本清单: a unit outside the list's department.
                UnitOutsideList = "UNIT_OUTSIDE_LIST",
                /// 主要职责不存在: no duty has this id (in the draft).
                DutyUnknown = "DUTY_UNKNOWN",
                /// 公共服务事项不存在: no public service has this id (in the draft).
                ServiceUnknown = "SERVICE_UNKNOWN",
                /// 具体工作事项不存在: no work item has this id (in the draft).
                WorkItemUnknown = "WORK_ITEM_UNKNOWN",
                /// 管理事项不存在: no boundary matter has this id (in the draft).
                MatterUnknown = "MATTER_UNKNOWN",
                /// 职责分工不存在: no division has this id (in the draft).
                DivisionUnknown = "DIVISION_UNKNOWN",
                /// 牵头部门数量有误: a matter not disputed needs exactly one lead.
                LeadCount = "LEAD_COUNT",
                /// 部门已撤销: the department was dissolved or merged.
                DepartmentDissolved = "DEPARTMENT_DISSOLVED",
                /// 名称已被使用: another department has this name or alias.
                NameTaken = "NAME_TAKEN",
                /// 清单不存在: no responsibility list has this id.
                ListUnknown = "LIST_UNKNOWN",
                /// 无草稿: the list has no draft to publish or discard.
                NoDraft = "NO_DRAFT",
                /// 无变更: the draft changes nothing.
                NoChanges = "NO_CHANGES",
                /// 施行日期早于上一版本: effective before the version it follows.
                EffectiveBeforePrevious = "EFFECTIVE_BEFORE_PREVIOUS",
                /// 相关依据不存在: no legal basis has this id (in the draft).
                LegalBasisUnknown = "LEGAL_BASIS_UNKNOWN",
                /// 案例不存在: no case has this id (in the draft).
                CaseUnknown = "CASE_UNKNOWN",
                /// 部门仍被引用: the department still has rows, units or tokens pointing at it.
                DepartmentInUse = "DEPARTMENT_IN_USE",
                /// 上级部门有误: the parent is the department itself, one of its units, or a unit.
                ParentInvalid = "PARENT_INVALID",
                /// 部门相同: the correct department is the one already given.
                SameDepartment = "SAME_DEPARTMENT",
                /// 文本含控制字符: a text holds a control character.
                TextInvalid = "TEXT_INVALID",
                /// 文本过长: a text longer than its field allows.
                TextTooLong = "TEXT_TOO_LONG",
                /// 职责分工已存在: the department already has a division in the matter.
                DivisionExists = "DIVISION_EXISTS",
                /// 日期重复: the same day twice in one calendar load.
                DayDuplicate = "DAY_DUPLICATE",
            }
        }
    };
}
pub(crate) use with_rule_codes;

with_rule_codes!(vocabulary);

/// One broken rule: which input field, which rule, and a message that cites the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub code: RuleCode,
    pub message: String,
}

impl Violation {
    /// The field as a path of names and list indexes, e.g. `["inspectors", "1", "name"]` for
    /// `inspectors[1].name`: what clients get, so they need not parse the dotted form.
    pub fn path(&self) -> Vec<String> {
        self.field
            .split(['.', '['])
            .filter(|step| !step.is_empty())
            .map(|step| step.trim_end_matches(']').to_owned())
            .collect()
    }

    pub fn new(field: impl Into<String>, code: RuleCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Why a write did not happen: rules it broke (reported to the caller as `userErrors`), or
/// a failure of the request itself (auth, database), reported as a GraphQL error.
#[derive(Debug)]
pub enum Failure {
    Rules(Vec<Violation>),
    Api(ApiError),
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Api(err.into())
    }
}

impl Failure {
    pub fn rule(field: impl Into<String>, code: RuleCode, message: impl Into<String>) -> Self {
        Self::Rules(vec![Violation::new(field, code, message)])
    }
}

/// Collects violations so a caller hears about every broken rule at once.
#[derive(Default)]
pub struct Checks(Vec<Violation>);

impl Checks {
    pub fn add(&mut self, field: impl Into<String>, code: RuleCode, message: impl Into<String>) {
        self.0.push(Violation::new(field, code, message));
    }

    /// Adds a REQUIRED violation when `value` is blank.
    pub fn require_text(&mut self, field: &str, value: &str, what: &str) {
        if value.trim().is_empty() {
            self.add(field, RuleCode::Required, format!("{what} is required"));
        }
    }

    pub fn finish(self) -> Result<(), Failure> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Failure::Rules(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violation__path_splits_names_and_indexes() {
        let path = |field: &str| Violation::new(field, RuleCode::Required, "").path();
        assert_eq!(path("inspectors[1].name"), ["inspectors", "1", "name"]);
        assert_eq!(path("subject.staffName"), ["subject", "staffName"]);
        assert_eq!(path("methodItemIds[0]"), ["methodItemIds", "0"]);
        assert_eq!(path("days[12].day"), ["days", "12", "day"]);
        assert_eq!(path("record"), ["record"]);
    }

    #[test]
    fn rule_code__round_trips_its_text() {
        for code in RuleCode::ALL {
            assert_eq!(RuleCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(
            RuleCode::InspectorsBelowMinimum.as_str(),
            "INSPECTORS_BELOW_MINIMUM"
        );
    }
}
