//! Editing public services (公共服务事项): the unit's EDITOR, or ADMIN. Edits land in the
//! list's draft.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use entity::public_service;

use super::editing::{RemoveInput, create, remove, update};
use super::node::expect_id;
use super::node::optional_id;
use super::service::PublicService;
use super::text::{Code, Long, Name, Text, Texts};
use super::user_error::payload;
use crate::domain::editing::service::ServiceFields;
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

payload! {
    /// Result of a public service edit — 编辑结果.
    PublicServicePayload {
        /// The service as stored (as it was, for a removal) — 公共服务事项.
        public_service: PublicService(public_service::Model),
    }
}

#[derive(Default)]
pub struct ServiceEditingMutation;

#[Object]
impl ServiceEditingMutation {
    /// Add a public service — 新增公共服务事项.
    async fn create_public_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: CreatePublicServiceInput,
    ) -> ApiResult<PublicServicePayload> {
        let mut texts = Texts::default();
        let fields = ServiceFields {
            unit_id: Some(expect_id(&input.unit_id, "Department", "unitId")?),
            name: Some(texts.take("name", input.name)),
            content: Some(texts.take("content", input.content)),
            phone: Some(texts.take("phone", input.phone)),
            position: input.position,
        };
        create::<public_service::Entity, _>(ctx, texts, (), fields).await
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
        let fields = ServiceFields {
            unit_id: optional_id(unit_id.as_ref(), "Department", "unitId")?,
            name: texts.take_update("name", input.name),
            content: texts.take_update("content", input.content),
            phone: texts.take_update("phone", input.phone),
            position: texts.kept_unless_given("position", input.position),
        };
        update::<public_service::Entity, _>(ctx, texts, id, fields).await
    }

    /// Remove a public service — 删除公共服务事项.
    async fn remove_public_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveInput,
    ) -> ApiResult<PublicServicePayload> {
        remove::<public_service::Entity, _>(ctx, input).await
    }
}
