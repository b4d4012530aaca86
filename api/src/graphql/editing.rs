//! List editing (清单维护): EDITOR of the department, or ADMIN. Broken rules come back as
//! `userErrors` with stable codes; nothing is written then.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::boundary::Division;
use super::department::Department;
use super::duty::{Duty, WorkItem};
use super::kinds::DivisionRole;
use super::node::expect_id;
use super::scalars::Date;
use super::service::PublicService;
use super::text::{Code, Long, Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::write;
use super::{clock, viewer, writer};
use crate::domain::editing::{division, duty, reorganisation, service, work_item};
use crate::error::ApiResult;

/// Input of createPublicService — 新增公共服务事项.
#[derive(InputObject)]
pub struct CreatePublicServiceInput {
    /// 承办机构: the department or unit that provides it.
    unit_id: ID,
    /// 服务事项.
    name: Text<Name>,
    /// 主要内容.
    content: Text<Long>,
    /// 联系电话: a mainland mobile or fixed line with area code, as it is to be published.
    phone: Text<Code>,
    /// 序号: 1-based place among the list's services; last when left out.
    position: Option<i32>,
}

/// Input of updatePublicService — 修改公共服务事项: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdatePublicServiceInput {
    /// The service — 公共服务事项.
    id: ID,
    /// 承办机构.
    unit_id: MaybeUndefined<ID>,
    /// 服务事项.
    name: MaybeUndefined<Text<Name>>,
    /// 主要内容.
    content: MaybeUndefined<Text<Long>>,
    /// 联系电话.
    phone: MaybeUndefined<Text<Code>>,
    /// 序号: moves the service to this place.
    position: MaybeUndefined<i32>,
}

/// Input of every remove mutation — 删除: the row to remove.
#[derive(InputObject)]
pub struct RemoveInput {
    /// The row's global id — 全局标识.
    pub id: ID,
}

/// Result of a public service edit — 编辑结果.
#[derive(SimpleObject)]
pub struct PublicServicePayload {
    /// The service as stored (as it was, for a removal) — 公共服务事项.
    public_service: Option<PublicService>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

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

/// Result of a duty edit — 编辑结果.
#[derive(SimpleObject)]
pub struct DutyPayload {
    /// The duty as stored (as it was, for a removal) — 主要职责.
    duty: Option<Duty>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
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

/// Result of a work item edit — 编辑结果.
#[derive(SimpleObject)]
pub struct WorkItemPayload {
    /// The work item as stored (as it was, for a removal) — 具体工作事项.
    work_item: Option<WorkItem>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
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

/// Result of a division edit — 编辑结果.
#[derive(SimpleObject)]
pub struct DivisionPayload {
    /// The division as stored (as it was, for a removal) — 职责分工.
    division: Option<Division>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Kind of reorganisation — 机构改革类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "reorganisation::Kind")]
pub enum ReorganisationKind {
    /// 更名: a new name; the old one stays an alias.
    Rename,
    /// 合并: merged into a successor that continues.
    Merge,
    /// 撤销: dissolved; its duties pass to a successor.
    Dissolve,
}

/// Input of reorganiseDepartment — 机构调整.
#[derive(InputObject)]
pub struct ReorganiseDepartmentInput {
    /// The department reorganised — 调整部门.
    department_id: ID,
    /// Rename, merge or dissolve — 调整类别.
    kind: ReorganisationKind,
    /// 生效日期: from this day reads and the lookup route the department to its successor.
    effective_from: Date,
    /// RENAME: the new name — 新名称.
    new_name: Option<Text<Name>>,
    /// MERGE, DISSOLVE: the successor — 承接部门…
    successor_id: Option<ID>,
    /// …or its name; a department of that name is created when there is none.
    successor_name: Option<Text<Name>>,
    /// 调整理由, e.g. the document that decided it.
    reason: Text<Long>,
}

/// Result of reorganiseDepartment — 调整结果.
#[derive(SimpleObject)]
pub struct DepartmentPayload {
    /// The department as it is now — 部门.
    department: Option<Department>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

fn optional_id(id: Option<&ID>, type_name: &str, field: &str) -> ApiResult<Option<i32>> {
    id.map(|id| expect_id(id, type_name, field)).transpose()
}

#[derive(Default)]
pub struct EditingMutation;

#[Object]
impl EditingMutation {
    /// Add a public service — 新增公共服务事项.
    async fn create_public_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreatePublicServiceInput,
    ) -> ApiResult<PublicServicePayload> {
        let mut texts = Texts::default();
        let fields = service::ServiceFields {
            unit_id: Some(expect_id(&input.unit_id, "Department", "unitId")?),
            name: Some(texts.take("name", input.name)),
            content: Some(texts.take("content", input.content)),
            phone: Some(texts.take("phone", input.phone)),
            position: input.position,
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| service::create(write, viewer, clock, fields))
            .await;
        service_payload(result)
    }

    /// Change or move a public service — 修改公共服务事项.
    async fn update_public_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdatePublicServiceInput,
    ) -> ApiResult<PublicServicePayload> {
        let id = expect_id(&input.id, "PublicService", "id")?;
        let mut texts = Texts::default();
        let unit_id = texts.kept_unless_given("unitId", input.unit_id);
        let fields = service::ServiceFields {
            unit_id: optional_id(unit_id.as_ref(), "Department", "unitId")?,
            name: texts.take_update("name", input.name),
            content: texts.take_update("content", input.content),
            phone: texts.take_update("phone", input.phone),
            position: texts.kept_unless_given("position", input.position),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                service::update(write, viewer, clock, id, fields)
            })
            .await;
        service_payload(result)
    }

    /// Remove a public service — 删除公共服务事项.
    async fn remove_public_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<PublicServicePayload> {
        let id = expect_id(&input.id, "PublicService", "id")?;
        let result =
            service::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        service_payload(result)
    }

    /// Add a main duty — 新增主要职责.
    async fn create_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateDutyInput,
    ) -> ApiResult<DutyPayload> {
        let dept = expect_id(&input.department_id, "Department", "departmentId")?;
        let mut texts = Texts::default();
        let fields = duty::DutyFields {
            text: Some(texts.take("text", input.text)),
            remark: texts.take_opt("remark", input.remark),
            position: input.position,
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| duty::create(write, viewer, clock, dept, fields))
            .await;
        duty_payload(result)
    }

    /// Change or move a main duty — 修改主要职责.
    async fn update_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateDutyInput,
    ) -> ApiResult<DutyPayload> {
        let id = expect_id(&input.id, "Duty", "id")?;
        let mut texts = Texts::default();
        let fields = duty::DutyFields {
            text: texts.take_update("text", input.text),
            remark: texts.take_clearable("remark", input.remark),
            position: texts.kept_unless_given("position", input.position),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| duty::update(write, viewer, clock, id, fields))
            .await;
        duty_payload(result)
    }

    /// Remove a main duty with its work items — 删除主要职责.
    async fn remove_duty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DutyPayload> {
        let id = expect_id(&input.id, "Duty", "id")?;
        let result = duty::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        duty_payload(result)
    }

    /// Add a work item to a duty — 新增具体工作事项.
    async fn create_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateWorkItemInput,
    ) -> ApiResult<WorkItemPayload> {
        let duty = expect_id(&input.duty_id, "Duty", "dutyId")?;
        let mut texts = Texts::default();
        let fields = work_item::WorkItemFields {
            text: Some(texts.take("text", input.text)),
            remark: texts.take_opt("remark", input.remark),
            position: input.position,
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                work_item::create(write, viewer, clock, duty, fields)
            })
            .await;
        work_item_payload(result)
    }

    /// Change or move a work item — 修改具体工作事项.
    async fn update_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateWorkItemInput,
    ) -> ApiResult<WorkItemPayload> {
        let id = expect_id(&input.id, "WorkItem", "id")?;
        let mut texts = Texts::default();
        let fields = work_item::WorkItemFields {
            text: texts.take_update("text", input.text),
            remark: texts.take_clearable("remark", input.remark),
            position: texts.kept_unless_given("position", input.position),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                work_item::update(write, viewer, clock, id, fields)
            })
            .await;
        work_item_payload(result)
    }

    /// Add a department's division to a boundary matter — 新增职责分工.
    async fn create_division(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateDivisionInput,
    ) -> ApiResult<DivisionPayload> {
        let matter = expect_id(&input.matter_id, "BoundaryMatter", "matterId")?;
        let mut texts = Texts::default();
        let fields = division::DivisionFields {
            department_id: Some(expect_id(
                &input.department_id,
                "Department",
                "departmentId",
            )?),
            role: input.role.map(Into::into),
            text: Some(texts.take("text", input.text)),
            position: input.position,
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                division::create(write, viewer, clock, matter, fields)
            })
            .await;
        division_payload(result)
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
        let fields = division::DivisionFields {
            department_id: optional_id(department_id.as_ref(), "Department", "departmentId")?,
            role: texts.kept_unless_given("role", input.role).map(Into::into),
            text: texts.take_update("text", input.text),
            position: texts.kept_unless_given("position", input.position),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                division::update(write, viewer, clock, id, fields)
            })
            .await;
        division_payload(result)
    }

    /// Remove a division — 删除职责分工.
    async fn remove_division(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DivisionPayload> {
        let id = expect_id(&input.id, "Division", "id")?;
        let result =
            division::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        division_payload(result)
    }

    /// Make a division its matter's lead, the others assisting, in one step — 指定牵头部门.
    async fn set_matter_lead(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: SetMatterLeadInput,
    ) -> ApiResult<DivisionPayload> {
        let id = expect_id(&input.division_id, "Division", "divisionId")?;
        let result =
            division::set_lead(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        division_payload(result)
    }

    /// Rename, merge or dissolve a department from a date (ADMIN) — 机构调整.
    async fn reorganise_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: ReorganiseDepartmentInput,
    ) -> ApiResult<DepartmentPayload> {
        let mut texts = Texts::default();
        let change = reorganisation::Reorganisation {
            department_id: expect_id(&input.department_id, "Department", "departmentId")?,
            kind: input.kind.into(),
            effective_from: input.effective_from.0,
            new_name: texts.take_opt("newName", input.new_name),
            successor_id: optional_id(input.successor_id.as_ref(), "Department", "successorId")?,
            successor_name: texts.take_opt("successorName", input.successor_name),
            reason: texts.take("reason", input.reason),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                reorganisation::reorganise(write, viewer, clock, change)
            })
            .await;
        let (saved, user_errors) = settle(result)?;
        Ok(DepartmentPayload {
            department: saved.map(Department),
            user_errors,
        })
    }

    /// Remove a work item — 删除具体工作事项.
    async fn remove_work_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<WorkItemPayload> {
        let id = expect_id(&input.id, "WorkItem", "id")?;
        let result =
            work_item::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        work_item_payload(result)
    }
}

fn service_payload(
    result: Result<entity::public_service::Model, crate::domain::Failure>,
) -> ApiResult<PublicServicePayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(PublicServicePayload {
        public_service: saved.map(PublicService),
        user_errors,
    })
}

fn division_payload(
    result: Result<entity::division::Model, crate::domain::Failure>,
) -> ApiResult<DivisionPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(DivisionPayload {
        division: saved.map(Division),
        user_errors,
    })
}

fn duty_payload(
    result: Result<entity::duty::Model, crate::domain::Failure>,
) -> ApiResult<DutyPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(DutyPayload {
        duty: saved.map(Duty),
        user_errors,
    })
}

fn work_item_payload(
    result: Result<entity::work_item::Model, crate::domain::Failure>,
) -> ApiResult<WorkItemPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(WorkItemPayload {
        work_item: saved.map(WorkItem),
        user_errors,
    })
}
