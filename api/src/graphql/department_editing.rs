//! Editing departments and units (部门/单位): ADMIN any; a department's EDITOR its own units.
//! Departments are not versioned (every list shares them); dated changes are reorganisations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::department::Department;
use super::editing::RemoveInput;
use super::kinds::DepartmentKind;
use super::node::expect_id;
use super::text::{Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::write;
use super::{clock, viewer, writer};
use crate::domain::Failure;
use crate::domain::editing::organisation::{self, DepartmentFields};
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

/// Result of a department edit — 编辑结果.
#[derive(SimpleObject)]
pub struct DepartmentEditPayload {
    /// The department as stored (as it was, for a removal) — 部门.
    department: Option<Department>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

fn payload(result: Result<entity::department::Model, Failure>) -> ApiResult<DepartmentEditPayload> {
    let (saved, user_errors) = settle(result)?;
    Ok(DepartmentEditPayload {
        department: saved.map(Department),
        user_errors,
    })
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
        let parent = match &input.parent_id {
            Some(id) => Some(expect_id(id, "Department", "parentId")?),
            None => None,
        };
        let mut texts = Texts::default();
        let fields = DepartmentFields {
            name: Some(texts.take("name", input.name)),
            kind: Some(input.kind.into()),
            parent_id: Some(parent),
            aliases: input.aliases.map(|a| texts.take_all("aliases", a)),
        };
        let (db, viewer, clock) = writer(ctx)?;
        payload(
            texts
                .write(db, |write| {
                    organisation::create(write, viewer, clock, fields)
                })
                .await,
        )
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
        let (db, viewer, clock) = writer(ctx)?;
        payload(
            texts
                .write(db, |write| {
                    organisation::update(write, viewer, clock, id, fields)
                })
                .await,
        )
    }

    /// Remove a department nothing refers to any more — 删除部门/单位.
    async fn remove_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<DepartmentEditPayload> {
        let id = expect_id(&input.id, "Department", "id")?;
        payload(
            organisation::remove(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await,
        )
    }
}
