//! The write side: thin resolvers that parse, call the domain, and map the result.

use std::future::Future;

use async_graphql::{Context, Object};

use super::inputs::*;
use super::types::{Accountability, Inspection, Rectification, ReviewRequest, SupervisionDocument};
use crate::auth::Viewer;
use crate::db::{Turn, Write};
use crate::domain::Failure;
use crate::domain::clock::Clock;
use crate::domain::supervision::{accountability, document, followup, inspection};
use crate::error::ApiResult;
use crate::graphql::editing::edit_with;
use crate::graphql::text::Texts;
use crate::graphql::user_error::{Payload, payload};

payload! {
    /// Result of submitInspection — 提交结果.
    SubmitInspectionPayload {
        /// The stored inspection; null when rules were broken — 监督检查.
        inspection: Inspection(entity::inspection::Model),
        /// Rules the input broke; empty on success — 规则错误.
        user_errors,
    }
}

payload! {
    /// Result of issueSupervisionDocument — 制作结果.
    IssueSupervisionDocumentPayload {
        /// The issued document — 监督文书.
        document: SupervisionDocument(entity::supervision_document::Model),
        /// Rules the input broke, one per missing content — 规则错误.
        user_errors,
    }
}

payload! {
    /// Result of reportRectification — 报告结果.
    ReportRectificationPayload {
        /// The stored report — 整改报告.
        rectification: Rectification(entity::rectification::Model),
    }
}

payload! {
    /// Result of requestReview — 申请结果.
    RequestReviewPayload {
        /// The stored request — 复查申请.
        review_request: ReviewRequest(entity::review_request::Model),
    }
}

payload! {
    /// Result of decideReview — 决定结果.
    DecideReviewPayload {
        /// The decided request — 复查申请.
        review_request: ReviewRequest(entity::review_request::Model),
    }
}

payload! {
    /// Result of recordAccountability — 追究结果.
    RecordAccountabilityPayload {
        /// The stored record — 过错责任追究.
        accountability: Accountability(entity::accountability::Model),
    }
}

/// Runs a supervision use case on `input` in its domain form, once its texts pass, waiting
/// for other writers as `turn` says: the body every supervision mutation shares.
async fn record<'a, I, P, F, Fut>(
    ctx: &Context<'a>,
    turn: Turn,
    input: I,
    use_case: F,
) -> ApiResult<P>
where
    I: SupervisionInput,
    P: Payload,
    F: FnOnce(Write, &'a Viewer, &'a dyn Clock, I::Domain) -> Fut,
    Fut: Future<Output = Result<P::Row, Failure>>,
{
    let mut texts = Texts::default();
    let input = input.into_domain(&mut texts)?;
    edit_with(ctx, turn, texts, |write, viewer, clock| {
        use_case(write, viewer, clock, input)
    })
    .await
}

#[derive(Default)]
pub struct SupervisionMutation;

#[Object]
impl SupervisionMutation {
    /// Submit an inspection (SUPERVISOR) — 提交监督检查结果.
    async fn submit_inspection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: SubmitInspectionInput,
    ) -> ApiResult<SubmitInspectionPayload> {
        // A submission only adds rows of its own: it writes beside other writers.
        record(ctx, Turn::Alongside, input, inspection::submit).await
    }

    /// Issue a notice or decision (SUPERVISOR) — 制作行政执法监督通知书/决定书.
    async fn issue_supervision_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: IssueSupervisionDocumentInput,
    ) -> ApiResult<IssueSupervisionDocumentPayload> {
        record(ctx, Turn::Exclusive, input, document::issue).await
    }

    /// Report what was corrected (the addressed UNIT) — 书面报告整改情况.
    async fn report_rectification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: ReportRectificationInput,
    ) -> ApiResult<ReportRectificationPayload> {
        record(ctx, Turn::Exclusive, input, followup::report_rectification).await
    }

    /// Contest a document within 10 days of receipt (the addressed UNIT) — 申请复查.
    async fn request_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RequestReviewInput,
    ) -> ApiResult<RequestReviewPayload> {
        record(ctx, Turn::Exclusive, input, followup::request_review).await
    }

    /// Decide a review (SUPERVISOR); later than 15 days is marked late — 做出复查决定.
    async fn decide_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: DecideReviewInput,
    ) -> ApiResult<DecideReviewPayload> {
        record(ctx, Turn::Exclusive, input, followup::decide_review).await
    }

    /// Record fault situations and forms of accountability (SUPERVISOR) — 追究过错责任.
    async fn record_accountability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RecordAccountabilityInput,
    ) -> ApiResult<RecordAccountabilityPayload> {
        record(ctx, Turn::Exclusive, input, accountability::record).await
    }
}
