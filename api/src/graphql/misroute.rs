//! Dispatchers' corrections of the lookup (派单异议).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::misroute;
use sea_orm::EntityTrait;

use super::scalars::DateTime;

use super::department::Department;
use super::loaders::DepartmentById;
use super::node::{expect_id, global_id, optional_id};
use super::pagination::{connection_query, paginate};
use super::search::{LookupResult, lookup_result, searcher};
use super::text::{Long, Text, Texts};
use super::user_error::{UserError, settle};
use super::{db, one, viewer, writer};
use crate::domain::misroute::{self as reports, READERS, Report};
use crate::error::ApiResult;

/// Misroute — 派单异议: a complaint the lookup sent to the wrong department, and where it
/// belonged.
#[derive(Clone)]
pub struct Misroute(pub misroute::Model);

/// Misroute — 派单异议: a complaint the lookup sent to the wrong department, and where it
/// belonged.
#[Object]
impl Misroute {
    /// Opaque global id — 全局标识.
    pub async fn id(&self) -> ID {
        global_id("Misroute", self.0.id)
    }

    /// The complaint as received — 诉求原文.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Where the lookup sent it — 原派单部门.
    async fn suggested_department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match self.0.suggested_department_id {
            Some(id) => Ok(Some(Department(
                one(ctx, DepartmentById(id), "Department").await?,
            ))),
            None => Ok(None),
        }
    }

    /// The department that had to act — 正确承办部门.
    async fn correct_department(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        let id = self.0.correct_department_id;
        Ok(Department(
            one(ctx, DepartmentById(id), "Department").await?,
        ))
    }

    /// The dispatcher's note — 备注.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Who reported it (token subject) — 报告人.
    async fn reported_by(&self) -> &str {
        &self.0.reported_by
    }

    /// When — 报告时间.
    async fn reported_at(&self) -> DateTime {
        DateTime(self.0.reported_at)
    }

    /// What the lookup answers for the same text today, with the lexicon and list in force
    /// now — 当前查询结果.
    async fn lookup_today(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 3, desc = "At most this many candidates (1–20) — 候选数")] first: i32,
    ) -> ApiResult<LookupResult> {
        let first = super::search::candidates_wanted(first)?;
        let day = super::day(ctx, None)?;
        let found = searcher(ctx)?.lookup(day, &self.0.text, first).await?;
        Ok(lookup_result(found))
    }
}

pub(crate) async fn find(ctx: &Context<'_>, id: i32) -> ApiResult<Option<Misroute>> {
    if viewer(ctx)?.require_any(READERS).is_err() {
        return Ok(None);
    }
    Ok(misroute::Entity::find_by_id(id)
        .one(db(ctx)?)
        .await?
        .map(Misroute))
}

connection_query! {
    /// Dispatchers' corrections, oldest first (DISPATCHER, ADMIN), each with what the lookup
    /// answers today: the lexicon administrators' work list — 派单异议.
    MisrouteQuery::misroutes(ctx, args) -> Misroute {
        viewer(ctx)?.require_any(READERS)?;
        paginate(
            db(ctx)?,
            misroute::Entity::find(),
            misroute::Column::Id,
            args,
            |row| row.id,
            Misroute,
        )
        .await
    }
}

/// Input of reportMisroute — 报告派单异议.
#[derive(InputObject)]
pub struct ReportMisrouteInput {
    /// The complaint as received — 诉求原文.
    text: String,
    /// The department the lookup suggested, if any — 原派单部门.
    suggested_department_id: Option<ID>,
    /// The department that had to act — 正确承办部门.
    correct_department_id: ID,
    /// Why, in the dispatcher's words — 备注.
    note: Option<Text<Long>>,
}

/// Result of reportMisroute — 报告结果.
#[derive(SimpleObject)]
pub struct ReportMisroutePayload {
    /// The correction as stored — 派单异议.
    misroute: Option<Misroute>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct MisrouteMutation;

#[Object]
impl MisrouteMutation {
    /// Record that a complaint had to be re-routed (DISPATCHER, ADMIN); audited — 报告派单异议.
    async fn report_misroute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: ReportMisrouteInput,
    ) -> ApiResult<ReportMisroutePayload> {
        let suggested = optional_id(
            input.suggested_department_id.as_ref(),
            "Department",
            "suggestedDepartmentId",
        )?;
        let correct = expect_id(
            &input.correct_department_id,
            "Department",
            "correctDepartmentId",
        )?;
        let mut texts = Texts::default();
        let report = Report {
            text: input.text,
            suggested_department_id: suggested,
            correct_department_id: correct,
            note: texts.take_opt("note", input.note),
        };
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| reports::report(write, viewer, clock, report))
            .await;
        let (saved, user_errors) = settle(result)?;
        Ok(ReportMisroutePayload {
            misroute: saved.map(Misroute),
            user_errors,
        })
    }
}
