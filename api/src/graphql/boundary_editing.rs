//! Editing boundary matters (管理事项) and their divisions (职责分工): the list owner's
//! EDITOR, or ADMIN. Edits land in the list's draft.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use entity::{boundary_matter, division};

use super::boundary::{BoundaryMatter, Division};
use super::editing::{RemoveInput, create, remove, update};
use super::kinds::DivisionRole;
use super::node::expect_id;
use super::node::optional_id;
use super::text::{Long, Name, Text, Texts};
use super::user_error::{Payload, payload};
use super::{clock, viewer, write};
use crate::domain::editing::division::{DivisionFields, set_lead};
use crate::domain::editing::matter::{Lead, MatterFields};
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

payload! {
    /// Result of a matter edit — 编辑结果.
    BoundaryMatterPayload {
        /// The matter as stored (as it was, for a removal) — 管理事项.
        boundary_matter: BoundaryMatter(boundary_matter::Model),
    }
}

/// Input of createDivision — 新增职责分工.
#[derive(InputObject)]
pub struct CreateDivisionInput {
    /// The boundary matter (管理事项).
    matter_id: ID,
    /// 相关部门.
    department_id: ID,
    /// 牵头/配合; ASSIST when left out. A matter not marked disputed keeps exactly one LEAD.
    role: Option<DivisionRole>,
    /// 职责分工.
    text: Text<Long>,
    /// 序号: 1-based place among the matter's divisions; last when left out.
    position: Option<i32>,
}

/// Input of updateDivision — 修改职责分工: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateDivisionInput {
    /// The division — 职责分工.
    id: ID,
    /// 相关部门.
    department_id: MaybeUndefined<ID>,
    /// 牵头/配合.
    role: MaybeUndefined<DivisionRole>,
    /// 职责分工.
    text: MaybeUndefined<Text<Long>>,
    /// 序号: moves the division to this place within its matter.
    position: MaybeUndefined<i32>,
}

/// Input of setMatterLead — 指定牵头部门.
#[derive(InputObject)]
pub struct SetMatterLeadInput {
    /// The division that is to lead; the matter's other divisions become ASSIST.
    division_id: ID,
}

payload! {
    /// Result of a division edit — 编辑结果.
    DivisionPayload {
        /// The division as stored (as it was, for a removal) — 职责分工.
        division: Division(division::Model),
    }
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
            Some(lead) => Some(Lead {
                department_id: expect_id(&lead.department_id, "Department", "lead.departmentId")?,
                text: texts.take("lead.text", lead.text),
            }),
            None => None,
        };
        let fields = MatterFields {
            title: Some(texts.take("title", input.title)),
            disputed: input.disputed,
            position: input.position,
            lead,
        };
        create::<boundary_matter::Entity, _>(ctx, texts, list, fields).await
    }

    /// Change, move or mark disputed a boundary matter — 修改管理事项.
    async fn update_boundary_matter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateBoundaryMatterInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        let id = expect_id(&input.id, "BoundaryMatter", "id")?;
        let mut texts = Texts::default();
        let fields = MatterFields {
            title: texts.take_update("title", input.title),
            disputed: texts.kept_unless_given("disputed", input.disputed),
            position: texts.kept_unless_given("position", input.position),
            lead: None,
        };
        update::<boundary_matter::Entity, _>(ctx, texts, id, fields).await
    }

    /// Remove a boundary matter with its divisions, legal bases and cases — 删除管理事项.
    async fn remove_boundary_matter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<BoundaryMatterPayload> {
        remove::<boundary_matter::Entity, _>(ctx, input).await
    }

    /// Add a department's division to a boundary matter — 新增职责分工.
    async fn create_division(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateDivisionInput,
    ) -> ApiResult<DivisionPayload> {
        let matter = expect_id(&input.matter_id, "BoundaryMatter", "matterId")?;
        let mut texts = Texts::default();
        let fields = DivisionFields {
            department_id: Some(expect_id(
                &input.department_id,
                "Department",
                "departmentId",
            )?),
            role: input.role.map(Into::into),
            text: Some(texts.take("text", input.text)),
            position: input.position,
        };
        create::<division::Entity, _>(ctx, texts, matter, fields).await
    }

    /// Change or move a division — 修改职责分工.
    async fn update_division(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateDivisionInput,
    ) -> ApiResult<DivisionPayload> {
        let id = expect_id(&input.id, "Division", "id")?;
        let mut texts = Texts::default();
        let department_id = texts.kept_unless_given("departmentId", input.department_id);
        let fields = DivisionFields {
            department_id: optional_id(department_id.as_ref(), "Department", "departmentId")?,
            role: texts.kept_unless_given("role", input.role).map(Into::into),
            text: texts.take_update("text", input.text),
            position: texts.kept_unless_given("position", input.position),
        };
        update::<division::Entity, _>(ctx, texts, id, fields).await
    }

    /// Remove a division — 删除职责分工.
    async fn remove_division(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DivisionPayload> {
        remove::<division::Entity, _>(ctx, input).await
    }

    /// Make a division its matter's lead, the others assisting, in one step — 指定牵头部门.
    async fn set_matter_lead(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: SetMatterLeadInput,
    ) -> ApiResult<DivisionPayload> {
        let id = expect_id(&input.division_id, "Division", "divisionId")?;
        let result = set_lead(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        DivisionPayload::settle(result)
    }
}
