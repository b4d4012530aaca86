//! Editing boundary matters (管理事项) and what they cite — legal bases (相关依据) and cases
//! (案例): the list owner's EDITOR, or ADMIN. Edits land in the list's draft.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::boundary::{BoundaryMatter, Case, LegalBasis};
use super::editing::RemoveInput;
use super::node::expect_id;
use super::text::{Long, Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::write;
use super::{clock, viewer, writer};
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
    text: Text<Long>,
}

/// Input of createBoundaryMatter — 新增管理事项.
#[derive(InputObject)]
pub struct CreateBoundaryMatterInput {
    /// The list — 清单.
    list_id: ID,
    /// 管理事项.
    title: Text<Name>,
    /// 争议事项: shared without a single lead. Default false.
    disputed: Option<bool>,
    /// Its lead division; required unless disputed.
    lead: Option<LeadDivisionInput>,
    /// 序号: 1-based place among the list's matters; last when left out.
    position: Option<i32>,
}

/// Input of updateBoundaryMatter — 修改管理事项: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateBoundaryMatterInput {
    /// The matter — 管理事项.
    id: ID,
    /// 管理事项.
    title: MaybeUndefined<Text<Name>>,
    /// 争议事项; false requires exactly one LEAD division.
    disputed: MaybeUndefined<bool>,
    /// 序号: moves the matter to this place.
    position: MaybeUndefined<i32>,
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
    title: Option<Text<Name>>,
    /// The line as it is to be published — 内容.
    text: Text<Long>,
    /// 序号: 1-based place within the matter; last when left out.
    position: Option<i32>,
}

/// Input of updateLegalBasis / updateCase — 修改相关依据/案例: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateCitationInput {
    /// The legal basis or case — 相关依据/案例.
    id: ID,
    /// Cite it on this division's row — 职责分工; null cites it on no row, as `uncite` does.
    division_id: MaybeUndefined<ID>,
    /// Cite it on no row (the consistency report lists it) — 取消引用.
    uncite: MaybeUndefined<bool>,
    /// 法规名称 (legal bases only, which may not go without one).
    title: MaybeUndefined<Text<Name>>,
    /// 内容.
    text: MaybeUndefined<Text<Long>>,
    /// 序号: moves it to this place within the matter.
    position: MaybeUndefined<i32>,
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

/// Adds a legal basis or case: its texts checked, then the domain's rules.
async fn create(
    ctx: &Context<'_>,
    kind: Kind,
    input: CreateCitationInput,
) -> ApiResult<Result<Citation, Failure>> {
    let mut texts = Texts::default();
    let matter = expect_id(&input.matter_id, "BoundaryMatter", "matterId")?;
    let division = match &input.division_id {
        Some(id) => Some(expect_id(id, "Division", "divisionId")?),
        None => None,
    };
    let fields = CitationFields {
        division_id: Some(division),
        title: texts.take_opt("title", input.title),
        text: Some(texts.take("text", input.text)),
        position: input.position,
    };
    let (db, viewer, clock) = writer(ctx)?;
    Ok(texts
        .write(db, |write| {
            citation::create(write, viewer, clock, kind, matter, fields)
        })
        .await)
}

/// Changes a legal basis or case (`type_name` names its ids).
async fn update(
    ctx: &Context<'_>,
    kind: Kind,
    type_name: &str,
    input: UpdateCitationInput,
) -> ApiResult<Result<Citation, Failure>> {
    let mut texts = Texts::default();
    let id = expect_id(&input.id, type_name, "id")?;
    let uncite = texts.kept_unless_given("uncite", input.uncite);
    let division_id = match (input.division_id, uncite) {
        (MaybeUndefined::Value(id), _) => Some(Some(expect_id(&id, "Division", "divisionId")?)),
        (MaybeUndefined::Null, _) | (MaybeUndefined::Undefined, Some(true)) => Some(None),
        (MaybeUndefined::Undefined, _) => None,
    };
    let fields = CitationFields {
        division_id,
        // A case has no title: null empties it; a legal basis's the domain requires.
        title: texts.take_clearable("title", input.title),
        text: texts.take_update("text", input.text),
        position: texts.kept_unless_given("position", input.position),
    };
    let (db, viewer, clock) = writer(ctx)?;
    Ok(texts
        .write(db, |write| {
            citation::update(write, viewer, clock, kind, id, fields)
        })
        .await)
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
        #[graphql(desc = "The fields of the change — 输入")] input: CreateBoundaryMatterInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let list = expect_id(&input.list_id, "ResponsibilityList", "listId")?;
        let mut texts = Texts::default();
        let lead = match input.lead {
            Some(lead) => Some(matter::Lead {
                department_id: expect_id(&lead.department_id, "Department", "lead.departmentId")?,
                text: texts.take("lead.text", lead.text),
            }),
            None => None,
        };
        let fields = matter::MatterFields {
            title: Some(texts.take("title", input.title)),
            disputed: input.disputed,
            position: input.position,
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                matter::create(write, viewer, clock, list, fields, lead)
            })
            .await;
        matter_payload(result)
    }

    /// Change, move or mark disputed a boundary matter — 修改管理事项.
    async fn update_boundary_matter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateBoundaryMatterInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let id = expect_id(&input.id, "BoundaryMatter", "id")?;
        let mut texts = Texts::default();
        let fields = matter::MatterFields {
            title: texts.take_update("title", input.title),
            disputed: texts.kept_unless_given("disputed", input.disputed),
            position: texts.kept_unless_given("position", input.position),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| matter::update(write, viewer, clock, id, fields))
            .await;
        matter_payload(result)
    }

    /// Remove a boundary matter with its divisions, legal bases and cases — 删除管理事项.
    async fn remove_boundary_matter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
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
        #[graphql(desc = "The fields of the change — 输入")] input: CreateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        basis_payload(create(ctx, Kind::LegalBasis, input).await?)
    }

    /// Change, move or re-cite a legal basis — 修改相关依据.
    async fn update_legal_basis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        basis_payload(update(ctx, Kind::LegalBasis, "LegalBasis", input).await?)
    }

    /// Remove a legal basis — 删除相关依据.
    async fn remove_legal_basis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
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
        #[graphql(desc = "The fields of the change — 输入")] input: CreateCitationInput,
    ) -> ApiResult<CasePayload> {
        case_payload(create(ctx, Kind::Case, input).await?)
    }

    /// Change, move or re-cite a case — 修改案例.
    async fn update_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateCitationInput,
    ) -> ApiResult<CasePayload> {
        case_payload(update(ctx, Kind::Case, "Case", input).await?)
    }

    /// Remove a case — 删除案例.
    async fn remove_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<CasePayload> {
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
