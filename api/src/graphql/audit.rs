//! The audit trail (ADMIN) and administrators' reference data (the working-day calendar).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::pagination::{connection_query, paginate};
use super::scalars::{Date, DateTime, Json};
use super::text::{Code, Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::{db, node::global_id, viewer, writer};
use crate::auth::Role;
use crate::domain::calendar::{self, CalendarDay};
use crate::error::ApiResult;

/// Audit event — 审计记录: one write, who made it, and the data before and after.
#[derive(Clone)]
pub struct AuditEvent(pub audit_event::Model);

/// Audit event — 审计记录: one write, who made it, and the data before and after.
#[Object]
impl AuditEvent {
    /// Opaque id — 标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("AuditEvent", self.0.id)
    }

    /// When — 时间.
    async fn at(&self) -> DateTime {
        DateTime(self.0.at)
    }

    /// Who (token subject) — 操作人.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// The mutation, e.g. submitInspection — 操作.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The entity written, e.g. Inspection — 对象类别.
    async fn entity(&self) -> &str {
        &self.0.entity
    }

    /// The entity's global id, when it has one — 对象标识.
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(|id| global_id(&self.0.entity, id))
    }

    /// The data before the write — 变更前.
    async fn before(&self) -> Option<Json> {
        self.0.before.clone().map(Json)
    }

    /// The data after the write — 变更后.
    async fn after(&self) -> Option<Json> {
        self.0.after.clone().map(Json)
    }
}

/// Audit filter — 审计筛选.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Only this entity kind, e.g. Inspection — 对象类别.
    entity: Option<Text<Code>>,
    /// Only this actor — 操作人.
    actor: Option<Text<Code>>,
    /// Only this operation — 操作.
    operation: Option<Text<Code>>,
}

connection_query! {
    /// The append-only audit log, oldest first (ADMIN) — 审计日志.
    AuditQuery::audit_events(ctx, args, filter: AuditEventFilter) -> AuditEvent {
        viewer(ctx)?.require_any(&[Role::Admin])?;
        let mut select = audit_event::Entity::find();
        if let Some(entity) = Text::opt_arg(filter.entity, "filter.entity")? {
            select = select.filter(audit_event::Column::Entity.eq(entity));
        }
        if let Some(actor) = Text::opt_arg(filter.actor, "filter.actor")? {
            select = select.filter(audit_event::Column::Actor.eq(actor));
        }
        if let Some(operation) = Text::opt_arg(filter.operation, "filter.operation")? {
            select = select.filter(audit_event::Column::Operation.eq(operation));
        }
        paginate(
            db(ctx)?,
            select,
            audit_event::Column::Id,
            args,
            |row| row.id,
            AuditEvent,
        )
        .await
    }
}

/// A calendar exception — 日历例外: a public holiday or a make-up working day (调休).
#[derive(InputObject)]
pub struct CalendarDayInput {
    /// The day — 日期.
    day: Date,
    /// Whether it is a working day — 是否工作日.
    working: bool,
    /// E.g. 国庆节 — 说明.
    note: Option<Text<Name>>,
}

/// Load calendar exceptions — 导入工作日历.
#[derive(InputObject)]
pub struct LoadCalendarInput {
    /// The days, replacing any already loaded for the same dates — 日期.
    days: Vec<CalendarDayInput>,
}

/// Result of loadCalendar — 导入结果.
#[derive(SimpleObject)]
pub struct LoadCalendarPayload {
    /// Days loaded — 导入天数.
    loaded: Option<i32>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Load the working-day calendar used by regimes that count working days (ADMIN) — 导入工作日历.
    async fn load_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: LoadCalendarInput,
    ) -> ApiResult<LoadCalendarPayload> {
        let mut texts = Texts::default();
        let days = input
            .days
            .into_iter()
            .enumerate()
            .map(|(i, d)| CalendarDay {
                day: d.day.0,
                working: d.working,
                note: texts.take_opt(&format!("days[{i}].note"), d.note),
            })
            .collect();
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| calendar::load_days(write, viewer, clock, days))
            .await;
        let (loaded, user_errors) = settle(result)?;
        Ok(LoadCalendarPayload {
            loaded: loaded.map(|n| n as i32),
            user_errors,
        })
    }
}
