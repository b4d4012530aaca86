//! Editing main duties (主要职责) and their work items (具体工作事项): the department's
//! EDITOR, or ADMIN. Edits land in the list's draft.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use entity::{duty, work_item};

use super::duty::{Duty, WorkItem};
use super::editing::{RemoveInput, create, remove, update};
use super::node::expect_id;
use super::text::{Long, Text, Texts};
use super::user_error::payload;
use crate::domain::editing::duty::DutyFields;
use crate::domain::editing::work_item::WorkItemFields;
use crate::error::ApiResult;

/// Input of createDuty — 新增主要职责.
#[derive(InputObject)]
pub struct CreateDutyInput {
    /// The department (or unit) whose duty it is — 责任部门.
    department_id: ID,
    /// 主要职责.
    text: Text<Long>,
    /// 备注.
    remark: Option<Text<Long>>,
    /// 序号: 1-based place among the department's duties; last when left out.
    position: Option<i32>,
}

/// Input of updateDuty — 修改主要职责: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateDutyInput {
    /// The duty — 主要职责.
    id: ID,
    /// 主要职责.
    text: MaybeUndefined<Text<Long>>,
    /// 备注; null or an empty string clears it.
    remark: MaybeUndefined<Text<Long>>,
    /// 序号: moves the duty to this place among its department's.
    position: MaybeUndefined<i32>,
}

payload! {
    /// Result of a duty edit — 编辑结果.
    DutyPayload {
        /// The duty as stored (as it was, for a removal) — 主要职责.
        duty: Duty(duty::Model),
    }
}

/// Input of createWorkItem — 新增具体工作事项.
#[derive(InputObject)]
pub struct CreateWorkItemInput {
    /// The duty (主要职责) it serves.
    duty_id: ID,
    /// 具体工作事项.
    text: Text<Long>,
    /// 备注.
    remark: Option<Text<Long>>,
    /// 序号: 1-based place among the duty's work items; last when left out.
    position: Option<i32>,
}

/// Input of updateWorkItem — 修改具体工作事项: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateWorkItemInput {
    /// The work item — 具体工作事项.
    id: ID,
    /// 具体工作事项.
    text: MaybeUndefined<Text<Long>>,
    /// 备注; null or an empty string clears it.
    remark: MaybeUndefined<Text<Long>>,
    /// 序号: moves the item to this place within its duty.
    position: MaybeUndefined<i32>,
}

payload! {
    /// Result of a work item edit — 编辑结果.
    WorkItemPayload {
        /// The work item as stored (as it was, for a removal) — 具体工作事项.
        work_item: WorkItem(work_item::Model),
    }
}

#[derive(Default)]
pub struct DutyEditingMutation;

#[Object]
impl DutyEditingMutation {
    /// Add a main duty — 新增主要职责.
    async fn create_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateDutyInput,
    ) -> ApiResult<DutyPayload> {
        let dept = expect_id(&input.department_id, "Department", "departmentId")?;
        let mut texts = Texts::default();
        let fields = DutyFields {
            text: Some(texts.take("text", input.text)),
            remark: texts.take_opt("remark", input.remark),
            position: input.position,
        };
        create::<duty::Entity, _>(ctx, texts, dept, fields).await
    }

    /// Change or move a main duty — 修改主要职责.
    async fn update_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateDutyInput,
    ) -> ApiResult<DutyPayload> {
        let id = expect_id(&input.id, "Duty", "id")?;
        let mut texts = Texts::default();
        let fields = DutyFields {
            text: texts.take_update("text", input.text),
            remark: texts.take_clearable("remark", input.remark),
            position: texts.kept_unless_given("position", input.position),
        };
        update::<duty::Entity, _>(ctx, texts, id, fields).await
    }

    /// Remove a main duty with its work items — 删除主要职责.
    async fn remove_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DutyPayload> {
        remove::<duty::Entity, _>(ctx, input).await
    }

    /// Add a work item to a duty — 新增具体工作事项.
    async fn create_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateWorkItemInput,
    ) -> ApiResult<WorkItemPayload> {
        let duty = expect_id(&input.duty_id, "Duty", "dutyId")?;
        let mut texts = Texts::default();
        let fields = WorkItemFields {
            text: Some(texts.take("text", input.text)),
            remark: texts.take_opt("remark", input.remark),
            position: input.position,
        };
        create::<work_item::Entity, _>(ctx, texts, duty, fields).await
    }

    /// Change or move a work item — 修改具体工作事项.
    async fn update_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateWorkItemInput,
    ) -> ApiResult<WorkItemPayload> {
        let id = expect_id(&input.id, "WorkItem", "id")?;
        let mut texts = Texts::default();
        let fields = WorkItemFields {
            text: texts.take_update("text", input.text),
            remark: texts.take_clearable("remark", input.remark),
            position: texts.kept_unless_given("position", input.position),
        };
        update::<work_item::Entity, _>(ctx, texts, id, fields).await
    }

    /// Remove a work item — 删除具体工作事项.
    async fn remove_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<WorkItemPayload> {
        remove::<work_item::Entity, _>(ctx, input).await
    }
}
