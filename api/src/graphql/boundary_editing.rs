//! Editing boundary matters (管理事项) and what they cite — legal bases (相关依据) and cases
//! (案例): the list owner's EDITOR, or ADMIN. Edits land in the list's draft.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::boundary::{BoundaryMatter, Case, LegalBasis};
use super::editing::RemoveInput;
use super::node::expect_id;
use super::supervision::{UserError, settle};
use super::{clock, viewer, write};
use crate::domain::Failure;
use crate::domain::editing::citation::{self, Citation, CitationFields, Kind};
use crate::domain::editing::matter;
use crate::error::ApiResult;

/// The lead division a new matter comes with — 牵头部门.
#[derive(InputObject)]
pub struct LeadDivisionInput {
    /// 牵头部门.
    department_id: ID,
    /// 职责分工.
    text: String,
}

/// Input of createBoundaryMatter — 新增管理事项.
#[derive(InputObject)]
pub struct CreateBoundaryMatterInput {
    /// The list — 清单.
    list_id: ID,
    /// 管理事项.
    title: String,
    /// 争议事项: shared without a single lead. Default false.
    disputed: Option<bool>,
    /// Its lead division; required unless disputed.
    lead: Option<LeadDivisionInput>,
    /// 序号: 1-based place among the list's matters; last when left out.
    position: Option<i32>,
}

/// Input of updateBoundaryMatter — 修改管理事项: only the fields given change.
#[derive(InputObject)]
pub struct UpdateBoundaryMatterInput {
    id: ID,
    /// 管理事项.
    title: Option<String>,
    /// 争议事项; false requires exactly one LEAD division.
    disputed: Option<bool>,
    /// 序号: moves the matter to this place.
    position: Option<i32>,
}

/// Result of a matter edit — 编辑结果.
#[derive(SimpleObject)]
pub struct BoundaryMatterPayload {
    /// The matter as stored (as it was, for a removal) — 管理事项.
    boundary_matter: Option<BoundaryMatter>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Input of createLegalBasis / createCase — 新增相关依据/案例.
#[derive(InputObject)]
pub struct CreateCitationInput {
    /// The boundary matter — 管理事项.
    matter_id: ID,
    /// The division whose row cites it — 职责分工; without one it is cited nowhere.
    division_id: Option<ID>,
    /// The instrument's name without 《》 (legal bases only, required there) — 法规名称.
    title: Option<String>,
    /// The line as it is to be published — 内容.
    text: String,
    /// 序号: 1-based place within the matter; last when left out.
    position: Option<i32>,
}

/// Input of updateLegalBasis / updateCase — 修改相关依据/案例: only the fields given change.
#[derive(InputObject)]
pub struct UpdateCitationInput {
    id: ID,
    /// Cite it on this division's row — 职责分工.
    division_id: Option<ID>,
    /// Cite it on no row (the consistency report lists it) — 取消引用.
    uncite: Option<bool>,
    /// 法规名称 (legal bases only).
    title: Option<String>,
    /// 内容.
    text: Option<String>,
    /// 序号: moves it to this place within the matter.
    position: Option<i32>,
}

/// Result of a legal basis edit — 编辑结果.
#[derive(SimpleObject)]
pub struct LegalBasisPayload {
    /// The legal basis as stored (as it was, for a removal) — 相关依据.
    legal_basis: Option<LegalBasis>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Result of a case edit — 编辑结果.
#[derive(SimpleObject)]
pub struct CasePayload {
    /// The case as stored (as it was, for a removal) — 案例.
    case: Option<Case>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

fn create_fields(input: CreateCitationInput) -> ApiResult<(i32, CitationFields)> {
    let matter = expect_id(&input.matter_id, "BoundaryMatter", "matterId")?;
    let division = match &input.division_id {
        Some(id) => Some(expect_id(id, "Division", "divisionId")?),
        None => None,
    };
    let fields = CitationFields {
        division_id: Some(division),
        title: input.title,
        text: Some(input.text),
        position: input.position,
    };
    Ok((matter, fields))
}

fn update_fields(kind: &str, input: UpdateCitationInput) -> ApiResult<(i32, CitationFields)> {
    let id = expect_id(&input.id, kind, "id")?;
    let division_id = match (&input.division_id, input.uncite) {
        (Some(id), _) => Some(Some(expect_id(id, "Division", "divisionId")?)),
        (None, Some(true)) => Some(None),
        _ => None,
    };
    let fields = CitationFields {
        division_id,
        title: input.title,
        text: input.text,
        position: input.position,
    };
    Ok((id, fields))
}

fn basis_payload(result: Result<Citation, Failure>) -> ApiResult<LegalBasisPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(LegalBasisPayload {
        legal_basis: saved.and_then(|c| match c {
            Citation::LegalBasis(b) => Some(LegalBasis(b)),
            Citation::Case(_) => None,
        }),
        user_errors,
    })
}

fn case_payload(result: Result<Citation, Failure>) -> ApiResult<CasePayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(CasePayload {
        case: saved.and_then(|c| match c {
            Citation::Case(c) => Some(Case(c)),
            Citation::LegalBasis(_) => None,
        }),
        user_errors,
    })
}

fn matter_payload(
    result: Result<entity::boundary_matter::Model, Failure>,
) -> ApiResult<BoundaryMatterPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(BoundaryMatterPayload {
        boundary_matter: saved.map(BoundaryMatter),
        user_errors,
    })
}

#[derive(Default)]
pub struct BoundaryEditingMutation;

#[Object]
impl BoundaryEditingMutation {
    /// Add a boundary matter with its lead division — 新增管理事项.
    async fn create_boundary_matter(
        &self,
        ctx: &Context<'_>,
        input: CreateBoundaryMatterInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let list = expect_id(&input.list_id, "ResponsibilityList", "listId")?;
        let lead = match input.lead {
            Some(lead) => Some(matter::Lead {
                department_id: expect_id(&lead.department_id, "Department", "lead.departmentId")?,
                text: lead.text,
            }),
            None => None,
        };
        let fields = matter::MatterFields {
            title: Some(input.title),
            disputed: input.disputed,
            position: input.position,
        };
        let result = matter::create(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            list,
            fields,
            lead,
        )
        .await;
        matter_payload(result)
    }

    /// Change, move or mark disputed a boundary matter — 修改管理事项.
    async fn update_boundary_matter(
        &self,
        ctx: &Context<'_>,
        input: UpdateBoundaryMatterInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let id = expect_id(&input.id, "BoundaryMatter", "id")?;
        let fields = matter::MatterFields {
            title: input.title,
            disputed: input.disputed,
            position: input.position,
        };
        let result = matter::update(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            id,
            fields,
        )
        .await;
        matter_payload(result)
    }

    /// Remove a boundary matter with its divisions, legal bases and cases — 删除管理事项.
    async fn remove_boundary_matter(
        &self,
        ctx: &Context<'_>,
        input: RemoveInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let id = expect_id(&input.id, "BoundaryMatter", "id")?;
        let result =
            matter::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        matter_payload(result)
    }

    /// Add a legal basis to a matter — 新增相关依据.
    async fn create_legal_basis(
        &self,
        ctx: &Context<'_>,
        input: CreateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        let (matter, fields) = create_fields(input)?;
        let result = citation::create(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::LegalBasis,
            matter,
            fields,
        )
        .await;
        basis_payload(result)
    }

    /// Change, move or re-cite a legal basis — 修改相关依据.
    async fn update_legal_basis(
        &self,
        ctx: &Context<'_>,
        input: UpdateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        let (id, fields) = update_fields("LegalBasis", input)?;
        let result = citation::update(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::LegalBasis,
            id,
            fields,
        )
        .await;
        basis_payload(result)
    }

    /// Remove a legal basis — 删除相关依据.
    async fn remove_legal_basis(
        &self,
        ctx: &Context<'_>,
        input: RemoveInput,
    ) -> ApiResult<LegalBasisPayload> {
        let id = expect_id(&input.id, "LegalBasis", "id")?;
        let result = citation::remove(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::LegalBasis,
            id,
        )
        .await;
        basis_payload(result)
    }

    /// Add a case to a matter — 新增案例.
    async fn create_case(
        &self,
        ctx: &Context<'_>,
        input: CreateCitationInput,
    ) -> ApiResult<CasePayload> {
        let (matter, fields) = create_fields(input)?;
        let result = citation::create(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::Case,
            matter,
            fields,
        )
        .await;
        case_payload(result)
    }

    /// Change, move or re-cite a case — 修改案例.
    async fn update_case(
        &self,
        ctx: &Context<'_>,
        input: UpdateCitationInput,
    ) -> ApiResult<CasePayload> {
        let (id, fields) = update_fields("Case", input)?;
        let result = citation::update(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::Case,
            id,
            fields,
        )
        .await;
        case_payload(result)
    }

    /// Remove a case — 删除案例.
    async fn remove_case(&self, ctx: &Context<'_>, input: RemoveInput) -> ApiResult<CasePayload> {
        let id = expect_id(&input.id, "Case", "id")?;
        let result = citation::remove(
            write(ctx).await?,
            viewer(ctx)?,
            clock(ctx)?.as_ref(),
            Kind::Case,
            id,
        )
        .await;
        case_payload(result)
    }
}
