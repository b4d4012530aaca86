//! Rule violations: stable codes, the field at fault, and the clause of the list enforced.

use crate::error::ApiError;

/// The stable code of every rule a write can break. Integrations match on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleCode {
    Required,
    RegimeUnknown,
    DepartmentUnknown,
    InspectorsBelowMinimum,
    InspectorDuplicate,
    RecordRequired,
    PeriodInvalid,
    MethodRequired,
    MethodNotInRegime,
    FindingRequired,
    FindingItemNotInChecklist,
    FindingDuplicate,
    IdempotencyKeyReused,
    InspectionUnknown,
    NoNoncompliance,
    DocumentContentMissing,
    MeasureKindMismatch,
    DeadlineRequired,
    DateOrder,
    DateInFuture,
    DocumentUnknown,
    DocumentRevoked,
    AlreadyRectified,
    ReviewRequestLate,
    ReviewAlreadyRequested,
    ReviewNotProvided,
    ReviewUnknown,
    ReviewAlreadyDecided,
    SituationNotInRegime,
    FormNotInRegime,
    AccountabilityNotProvided,
    SubjectRequired,
    PhoneInvalid,
    PositionOutOfRange,
    UnitOutsideList,
    DutyUnknown,
    ServiceUnknown,
    WorkItemUnknown,
    MatterUnknown,
    DivisionUnknown,
    LeadCount,
    DepartmentDissolved,
    NameTaken,
    ListUnknown,
    NoDraft,
    NoChanges,
    EffectiveBeforePrevious,
    LegalBasisUnknown,
    CaseUnknown,
    DepartmentInUse,
    ParentInvalid,
    SameDepartment,
    TextInvalid,
    TextTooLong,
    DivisionExists,
    DayDuplicate,
    UrlInvalid,
    WebhookUnknown,
    EventUnknown,
}

impl RuleCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "REQUIRED",
            Self::RegimeUnknown => "REGIME_UNKNOWN",
            Self::DepartmentUnknown => "DEPARTMENT_UNKNOWN",
            Self::InspectorsBelowMinimum => "INSPECTORS_BELOW_MINIMUM",
            Self::InspectorDuplicate => "INSPECTOR_DUPLICATE",
            Self::RecordRequired => "RECORD_REQUIRED",
            Self::PeriodInvalid => "PERIOD_INVALID",
            Self::MethodRequired => "METHOD_REQUIRED",
            Self::MethodNotInRegime => "METHOD_NOT_IN_REGIME",
            Self::FindingRequired => "FINDING_REQUIRED",
            Self::FindingItemNotInChecklist => "FINDING_ITEM_NOT_IN_CHECKLIST",
            Self::FindingDuplicate => "FINDING_DUPLICATE",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::InspectionUnknown => "INSPECTION_UNKNOWN",
            Self::NoNoncompliance => "NO_NONCOMPLIANCE",
            Self::DocumentContentMissing => "DOCUMENT_CONTENT_MISSING",
            Self::MeasureKindMismatch => "MEASURE_KIND_MISMATCH",
            Self::DeadlineRequired => "DEADLINE_REQUIRED",
            Self::DateOrder => "DATE_ORDER",
            Self::DateInFuture => "DATE_IN_FUTURE",
            Self::DocumentUnknown => "DOCUMENT_UNKNOWN",
            Self::DocumentRevoked => "DOCUMENT_REVOKED",
            Self::AlreadyRectified => "ALREADY_RECTIFIED",
            Self::ReviewRequestLate => "REVIEW_REQUEST_LATE",
            Self::ReviewAlreadyRequested => "REVIEW_ALREADY_REQUESTED",
            Self::ReviewNotProvided => "REVIEW_NOT_PROVIDED",
            Self::ReviewUnknown => "REVIEW_UNKNOWN",
            Self::ReviewAlreadyDecided => "REVIEW_ALREADY_DECIDED",
            Self::SituationNotInRegime => "SITUATION_NOT_IN_REGIME",
            Self::FormNotInRegime => "FORM_NOT_IN_REGIME",
            Self::AccountabilityNotProvided => "ACCOUNTABILITY_NOT_PROVIDED",
            Self::SubjectRequired => "SUBJECT_REQUIRED",
            Self::PhoneInvalid => "PHONE_INVALID",
            Self::PositionOutOfRange => "POSITION_OUT_OF_RANGE",
            Self::UnitOutsideList => "UNIT_OUTSIDE_LIST",
            Self::DutyUnknown => "DUTY_UNKNOWN",
            Self::ServiceUnknown => "SERVICE_UNKNOWN",
            Self::WorkItemUnknown => "WORK_ITEM_UNKNOWN",
            Self::MatterUnknown => "MATTER_UNKNOWN",
            Self::DivisionUnknown => "DIVISION_UNKNOWN",
            Self::LeadCount => "LEAD_COUNT",
            Self::DepartmentDissolved => "DEPARTMENT_DISSOLVED",
            Self::NameTaken => "NAME_TAKEN",
            Self::ListUnknown => "LIST_UNKNOWN",
            Self::NoDraft => "NO_DRAFT",
            Self::NoChanges => "NO_CHANGES",
            Self::EffectiveBeforePrevious => "EFFECTIVE_BEFORE_PREVIOUS",
            Self::LegalBasisUnknown => "LEGAL_BASIS_UNKNOWN",
            Self::CaseUnknown => "CASE_UNKNOWN",
            Self::DepartmentInUse => "DEPARTMENT_IN_USE",
            Self::ParentInvalid => "PARENT_INVALID",
            Self::SameDepartment => "SAME_DEPARTMENT",
            Self::TextInvalid => "TEXT_INVALID",
            Self::TextTooLong => "TEXT_TOO_LONG",
            Self::DivisionExists => "DIVISION_EXISTS",
            Self::DayDuplicate => "DAY_DUPLICATE",
            Self::UrlInvalid => "URL_INVALID",
            Self::WebhookUnknown => "WEBHOOK_UNKNOWN",
            Self::EventUnknown => "EVENT_UNKNOWN",
        }
    }
}

/// One broken rule: which input field, which rule, and a message that cites the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub code: RuleCode,
    pub message: String,
}

impl Violation {
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
