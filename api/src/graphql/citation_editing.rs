//! Editing what a boundary matter cites — legal bases (相关依据) and cases (案例): the list
//! owner's EDITOR, or ADMIN. Edits land in the list's draft.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use entity::{boundary_case, legal_basis};

use super::boundary::{Case, LegalBasis};
use super::editing::{RemoveInput, create, remove, update};
use super::node::expect_id;
use super::node::optional_id;
use super::text::{Long, Name, Text, Texts};
use super::user_error::{Payload, payload};
use crate::domain::editing::Versioned;
use crate::domain::editing::citation::CitationFields;
use crate::error::ApiResult;

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

payload! {
    /// Result of a legal basis edit — 编辑结果.
    LegalBasisPayload {
        /// The legal basis as stored (as it was, for a removal) — 相关依据.
        legal_basis: LegalBasis(legal_basis::Model),
    }
}

payload! {
    /// Result of a case edit — 编辑结果.
    CasePayload {
        /// The case as stored (as it was, for a removal) — 案例.
        case: Case(boundary_case::Model),
    }
}

/// Adds a legal basis or case: its texts checked, then the domain's rules.
async fn create_cited<R, P>(ctx: &Context<'_>, input: CreateCitationInput) -> ApiResult<P>
where
    R: Versioned<Fields = CitationFields, Parent = i32>,
    P: Payload<Row = R::Model>,
{
    let mut texts = Texts::default();
    let matter = expect_id(&input.matter_id, "BoundaryMatter", "matterId")?;
    let division = optional_id(input.division_id.as_ref(), "Division", "divisionId")?;
    let fields = CitationFields {
        division_id: Some(division),
        title: texts.take_opt("title", input.title),
        text: Some(texts.take("text", input.text)),
        position: input.position,
    };
    create::<R, P>(ctx, texts, matter, fields).await
}

/// Changes a legal basis or case.
async fn update_cited<R, P>(ctx: &Context<'_>, input: UpdateCitationInput) -> ApiResult<P>
where
    R: Versioned<Fields = CitationFields>,
    P: Payload<Row = R::Model>,
{
    let mut texts = Texts::default();
    let id = expect_id(&input.id, P::NODE, "id")?;
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
    update::<R, P>(ctx, texts, id, fields).await
}

#[derive(Default)]
pub struct CitationEditingMutation;

#[Object]
impl CitationEditingMutation {
    /// Add a legal basis to a matter — 新增相关依据.
    async fn create_legal_basis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        create_cited::<legal_basis::Entity, _>(ctx, input).await
    }

    /// Change, move or re-cite a legal basis — 修改相关依据.
    async fn update_legal_basis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateCitationInput,
    ) -> ApiResult<LegalBasisPayload> {
        update_cited::<legal_basis::Entity, _>(ctx, input).await
    }

    /// Remove a legal basis — 删除相关依据.
    async fn remove_legal_basis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<LegalBasisPayload> {
        remove::<legal_basis::Entity, _>(ctx, input).await
    }

    /// Add a case to a matter — 新增案例.
    async fn create_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateCitationInput,
    ) -> ApiResult<CasePayload> {
        create_cited::<boundary_case::Entity, _>(ctx, input).await
    }

    /// Change, move or re-cite a case — 修改案例.
    async fn update_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateCitationInput,
    ) -> ApiResult<CasePayload> {
        update_cited::<boundary_case::Entity, _>(ctx, input).await
    }

    /// Remove a case — 删除案例.
    async fn remove_case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<CasePayload> {
        remove::<boundary_case::Entity, _>(ctx, input).await
    }
}
