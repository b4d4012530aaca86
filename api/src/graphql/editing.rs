//! What the list's editing mutations share (清单维护: EDITOR of the department, or ADMIN):
//! the remove input and the resolver bodies that run a domain edit once its texts pass and
//! answer with its payload. Broken rules come back as `userErrors` with stable codes;
//! nothing is written then. The mutations themselves stand beside their domain's queries.

use std::future::Future;

use async_graphql::{Context, ID, InputObject};

use super::node::expect_id;
use super::text::Texts;
use super::user_error::Payload;
use super::{clock, viewer, write, writer};
use crate::auth::Viewer;
use crate::db::{Turn, Write};
use crate::domain::Failure;
use crate::domain::clock::Clock;
use crate::domain::editing::{self, Versioned};
use crate::error::ApiResult;

/// Input of every remove mutation — 删除: the row to remove.
#[derive(InputObject)]
pub struct RemoveInput {
    /// The row's global id — 全局标识.
    pub id: ID,
}

/// Runs a write use case once `texts` pass, on its transaction, as the caller, and answers
/// with its payload: the body every create and update resolver shares.
pub(crate) async fn edit<'a, P, F, Fut>(
    ctx: &Context<'a>,
    texts: Texts,
    use_case: F,
) -> ApiResult<P>
where
    P: Payload,
    F: FnOnce(Write, &'a Viewer, &'a dyn Clock) -> Fut,
    Fut: Future<Output = Result<P::Row, Failure>>,
{
    edit_with(ctx, Turn::Exclusive, texts, use_case).await
}

/// As `edit`, waiting for other writers as `turn` says.
pub(crate) async fn edit_with<'a, P, F, Fut>(
    ctx: &Context<'a>,
    turn: Turn,
    texts: Texts,
    use_case: F,
) -> ApiResult<P>
where
    P: Payload,
    F: FnOnce(Write, &'a Viewer, &'a dyn Clock) -> Fut,
    Fut: Future<Output = Result<P::Row, Failure>>,
{
    let (db, viewer, clock) = writer(ctx)?;
    P::settle(
        texts
            .write_with(db, turn, |write| use_case(write, viewer, clock))
            .await,
    )
}

/// Adds a row of `R` under `parent`, once `texts` pass.
pub(super) async fn create<R, P>(
    ctx: &Context<'_>,
    texts: Texts,
    parent: R::Parent,
    fields: R::Fields,
) -> ApiResult<P>
where
    R: Versioned,
    P: Payload<Row = R::Model>,
{
    edit(ctx, texts, |write, viewer, clock| {
        editing::create::<R>(write, viewer, clock, parent, fields)
    })
    .await
}

/// Changes row `id` of `R`, once `texts` pass.
pub(super) async fn update<R, P>(
    ctx: &Context<'_>,
    texts: Texts,
    id: i32,
    fields: R::Fields,
) -> ApiResult<P>
where
    R: Versioned,
    P: Payload<Row = R::Model>,
{
    edit(ctx, texts, |write, viewer, clock| {
        editing::update::<R>(write, viewer, clock, id, fields)
    })
    .await
}

/// Removes the row of `R` the input names.
pub(super) async fn remove<R, P>(ctx: &Context<'_>, input: RemoveInput) -> ApiResult<P>
where
    R: Versioned,
    P: Payload<Row = R::Model>,
{
    let id = expect_id(&input.id, P::NODE, "id")?;
    let result =
        editing::remove::<R>(write(ctx).await?, viewer(ctx)?, clock(ctx)?.as_ref(), id).await;
    P::settle(result)
}
