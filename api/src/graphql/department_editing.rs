//! Editing departments and units (部门/单位): ADMIN any; a department's EDITOR its own units.
//! Departments are not versioned (every list shares them); dated changes are reorganisations.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use entity::department;

use super::department::Department;
use super::editing::RemoveInput;
use super::editing::edit;
use super::kinds::DepartmentKind;
use super::node::expect_id;
use super::node::optional_id;
use super::scalars::Date;
use super::text::{Long, Name, Text, Texts};
use super::user_error::{Payload, payload};
use super::write;
use super::{clock, viewer};
use crate::domain::editing::organisation::{self, DepartmentFields};
use crate::domain::editing::reorganisation;
use crate::error::ApiResult;

/// Input of createDepartment — 新增部门/单位.
#[derive(InputObject)]
pub struct CreateDepartmentInput {
    /// Official name — 名称.
    name: Text<Name>,
    /// 类别.
    kind: DepartmentKind,
    /// The department it is a unit of — 上级部门; an editor creates units of their own.
    parent_id: Option<ID>,
    /// Other names it is known by — 简称.
    aliases: Option<Vec<Text<Name>>>,
}

/// Input of updateDepartment — 修改部门/单位: only the fields given change;
/// `null` clears a field that may be empty and is REQUIRED on one that may not.
#[derive(InputObject)]
pub struct UpdateDepartmentInput {
    /// The department or unit — 部门/单位.
    id: ID,
    /// 名称: a correction; a rename from a date is reorganiseDepartment(RENAME).
    name: MaybeUndefined<Text<Name>>,
    /// 类别.
    kind: MaybeUndefined<DepartmentKind>,
    /// 上级部门; null makes it stand alone, as `detach` does.
    parent_id: MaybeUndefined<ID>,
    /// Make it stand alone, a unit of no department — 取消上级.
    detach: MaybeUndefined<bool>,
    /// 简称: replaces them all; null or an empty list removes them.
    aliases: MaybeUndefined<Vec<Text<Name>>>,
}

payload! {
    /// Result of a department edit — 编辑结果.
    DepartmentEditPayload {
        /// The department as stored (as it was, for a removal) — 部门.
        department: Department(department::Model),
    }
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

payload! {
    /// Result of reorganiseDepartment — 调整结果.
    DepartmentPayload {
        /// The department as it is now — 部门.
        department: Department(department::Model),
    }
}

#[derive(Default)]
pub struct DepartmentEditingMutation;

#[Object]
impl DepartmentEditingMutation {
    /// Add a department, or a unit of one — 新增部门/单位.
    async fn create_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreateDepartmentInput,
    ) -> ApiResult<DepartmentEditPayload> {
        let parent = optional_id(input.parent_id.as_ref(), "Department", "parentId")?;
        let mut texts = Texts::default();
        let fields = DepartmentFields {
            name: Some(texts.take("name", input.name)),
            kind: Some(input.kind.into()),
            parent_id: Some(parent),
            aliases: input.aliases.map(|a| texts.take_all("aliases", a)),
        };
        edit(ctx, texts, |write, viewer, clock| {
            organisation::create(write, viewer, clock, fields)
        })
        .await
    }

    /// Correct a department's name, kind, parent or aliases — 修改部门/单位.
    async fn update_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: UpdateDepartmentInput,
    ) -> ApiResult<DepartmentEditPayload> {
        let id = expect_id(&input.id, "Department", "id")?;
        let mut texts = Texts::default();
        let detach = texts.kept_unless_given("detach", input.detach);
        let parent_id = match (input.parent_id, detach) {
            (MaybeUndefined::Value(parent), _) => {
                Some(Some(expect_id(&parent, "Department", "parentId")?))
            }
            (MaybeUndefined::Null, _) | (MaybeUndefined::Undefined, Some(true)) => Some(None),
            (MaybeUndefined::Undefined, _) => None,
        };
        let aliases = match input.aliases {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(Vec::new()),
            MaybeUndefined::Value(aliases) => Some(texts.take_all("aliases", aliases)),
        };
        let fields = DepartmentFields {
            name: texts.take_update("name", input.name),
            kind: texts.kept_unless_given("kind", input.kind).map(Into::into),
            parent_id,
            aliases,
        };
        edit(ctx, texts, |write, viewer, clock| {
            organisation::update(write, viewer, clock, id, fields)
        })
        .await
    }

    /// Remove a department nothing refers to any more — 删除部门/单位.
    async fn remove_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DepartmentEditPayload> {
        let id = expect_id(&input.id, "Department", "id")?;
        let result =
            organisation::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
        DepartmentEditPayload::settle(result)
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
        edit(ctx, texts, |write, viewer, clock| {
            reorganisation::reorganise(write, viewer, clock, change)
        })
        .await
    }
}
