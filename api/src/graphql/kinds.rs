//! GraphQL enums mirroring the domain vocabularies.

use async_graphql::Enum;

use crate::domain::kinds as domain;

/// Department kind — 部门类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::DepartmentKind")]
pub enum DepartmentKind {
    /// 部门: a county government department.
    Department,
    /// 内设机构/直属单位: a unit (股, 站) of a department.
    InternalUnit,
    /// 党的机关: e.g. the discipline commission (纪委).
    PartyOrgan,
    /// 乡镇: a township government.
    Township,
    /// 上级机关: an upper-level body.
    UpperLevel,
}

/// Division role — 职责分工角色.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::DivisionRole")]
pub enum DivisionRole {
    /// 牵头: leads the matter.
    Lead,
    /// 配合: assists the lead.
    Assist,
}

/// Why a list version was published — 调整原因类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::ReasonKind")]
pub enum ReasonKind {
    /// 法律法规立改废: a law or regulation was made, changed or repealed.
    LawChange,
    /// 机构改革: departments were reorganised.
    Reorganisation,
    /// 勘误: a mistake in the published list was corrected.
    Correction,
    /// 其他.
    Other,
}

/// Regime section kind — 监管制度章节类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::SectionKind")]
pub enum SectionKind {
    /// 监督检查对象: who is supervised.
    Object,
    /// 监督检查内容 / 主要内容: what is checked (the checklist).
    Content,
    /// 监督检查方式: how it is checked.
    Method,
    /// 监督检查程序: procedure.
    Procedure,
    /// 监督检查方式及程序: methods and procedure together.
    MethodAndProcedure,
    /// 监督检查措施 / 有关措施: measures.
    Measure,
    /// 监督检查处理: handling and accountability.
    Handling,
    /// 标准规范: standards.
    Standard,
}

/// Day count — 期限计算方式.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::DayCount")]
pub enum DayCount {
    /// 自然日: calendar days.
    Natural,
    /// 工作日: working days.
    Working,
}
