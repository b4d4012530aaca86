//! The list file format (`qingdan.list/v1`, JSON): what `data/anhua.json` holds and what
//! `qingdan import` reads and `qingdan export` writes. `data/README.md` documents it.

use serde::{Deserialize, Serialize};

use crate::domain::kinds::{DayCount, DepartmentKind, DivisionRole, SectionKind};

pub const FORMAT: &str = "qingdan.list/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListFile {
    pub format: String,
    pub title: String,
    /// Name of the department whose list this is.
    pub owner: String,
    pub departments: Vec<DepartmentRow>,
    pub duties: Vec<DutyRow>,
    pub boundary_matters: Vec<MatterRow>,
    pub supervision_regimes: Vec<RegimeRow>,
    pub public_services: Vec<ServiceRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepartmentRow {
    pub name: String,
    pub kind: DepartmentKind,
    pub parent: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DutyRow {
    pub seq: i32,
    pub department: String,
    pub text: String,
    pub remark: Option<String>,
    pub work_items: Vec<WorkItemRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkItemRow {
    pub seq: i32,
    pub text: String,
    pub remark: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MatterRow {
    pub seq: i32,
    pub published_seq: String,
    pub title: String,
    pub disputed: bool,
    pub divisions: Vec<DivisionRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DivisionRow {
    pub seq: i32,
    pub department: String,
    pub published_department: String,
    pub role: DivisionRole,
    pub text: String,
    pub legal_bases: Vec<LegalBasisRow>,
    pub cases: Vec<CaseRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LegalBasisRow {
    pub seq: i32,
    pub title: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseRow {
    pub seq: i32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegimeRow {
    pub code: String,
    pub seq: i32,
    pub label: String,
    pub title: String,
    pub preamble: Option<String>,
    pub rules: RegimeRules,
    pub sections: Vec<SectionRow>,
}

/// The rules a regime states, as data the supervision domain enforces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegimeRules {
    pub min_inspectors: Option<i32>,
    pub min_inspectors_clause: Option<String>,
    pub review_request_days: Option<i32>,
    pub review_decision_days: Option<i32>,
    pub review_clause: Option<String>,
    pub day_count: DayCount,
    /// Path (e.g. "1") of the handling-section item whose sub-items are the fault situations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_situations_path: Option<String>,
    /// Path of the handling-section item whose sub-items are the forms of accountability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountability_forms_path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SectionRow {
    pub seq: i32,
    pub label: String,
    pub kind: SectionKind,
    pub title: String,
    pub intro: Option<String>,
    pub items: Vec<ItemRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemRow {
    pub seq: i32,
    pub label: Option<String>,
    pub text: String,
    pub items: Vec<ItemRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRow {
    pub seq: i32,
    pub name: String,
    pub content: String,
    pub unit: String,
    pub phone: String,
    pub published_phone: String,
}
