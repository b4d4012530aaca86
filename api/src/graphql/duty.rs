//! Duties (主要职责) and their work items (具体工作事项).

use async_graphql::{Context, ID, InputObject, Object, Value};
use entity::{duty, work_item};

use super::department::Department;
use super::loaders::{DepartmentById, DutyById, WorkItemsOf};
use super::node::{global_id, optional_id};
use super::pagination::{
    connection_query, grouped_key, grouped_order, paginate_by, paginate_keyed,
};
use super::plain::{PlainFields, PlainList};
use super::scalars::Date;
use super::text::{Long, Text};
use super::{children, db, one};
use crate::domain::list_reads;
use crate::error::ApiResult;

/// Duty — 主要职责: a numbered main duty of a department.
#[derive(Clone)]
pub struct Duty(pub duty::Model);

/// Duty — 主要职责: a numbered main duty of a department.
#[Object]
impl Duty {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Duty", self.0.id)
    }

    /// Number in the list — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The duty as published — 主要职责.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Remark — 备注.
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }

    /// The department that holds it — 责任部门.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        Ok(Department(
            one(ctx, DepartmentById(self.0.department_id), "Department").await?,
        ))
    }

    /// Its concrete work items — 具体工作事项, in published order.
    async fn work_items(&self, ctx: &Context<'_>) -> ApiResult<PlainList<WorkItem>> {
        let rows = children(ctx, WorkItemsOf(self.0.id)).await?;
        Ok(rows.into_iter().map(WorkItem).collect())
    }
}

/// Work item — 具体工作事项: a concrete task under a duty.
#[derive(Clone)]
pub struct WorkItem(pub work_item::Model);

/// Work item — 具体工作事项: a concrete task under a duty.
#[Object]
impl WorkItem {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("WorkItem", self.0.id)
    }

    /// Number within the duty — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The work item as published — 具体工作事项.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Remark — 备注.
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }

    /// The duty it belongs to — 所属职责.
    async fn duty(&self, ctx: &Context<'_>) -> ApiResult<Duty> {
        Ok(Duty(one(ctx, DutyById(self.0.duty_id), "Duty").await?))
    }
}

impl PlainFields for WorkItem {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "id" => global_id("WorkItem", self.0.id).0.into(),
            "seq" => self.0.seq.into(),
            "text" => self.0.text.as_str().into(),
            "remark" => self.0.remark.as_deref().into(),
            _ => return None,
        })
    }
}

/// Duty filter — 职责筛选.
#[derive(InputObject, Default)]
pub struct DutyFilter {
    /// Only duties of this department — 责任部门.
    department_id: Option<ID>,
    /// The duty or one of its work items contains this text — 文本包含.
    text_contains: Option<Text<Long>>,
}

connection_query! {
    /// Main duties — 主要职责列表, in published order.
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter a GraphQL argument"
    )]
    DutyQuery::duties(
        ctx,
        args,
        filter: DutyFilter,
        #[graphql(
            desc = "Answer as of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> Duty {
        let department = optional_id(filter.department_id.as_ref(), "Department", "filter.departmentId")?;
        let text_contains = Text::opt_arg(filter.text_contains, "filter.textContains")?;
        let row_key = |row: &duty::Model| grouped_key(row.list_id, row.department_id, row.seq);
        let filter = list_reads::DutyFilter {
            department,
            text_contains,
        };
        let day = super::day(ctx, as_of)?;
        if let Some(view) = super::loader(ctx)?.loader().view(day).await? {
            let rows = filter.over(&view);
            return paginate_keyed(rows, args, |d| row_key(d), |d| Duty(d.clone()));
        }
        let backend = db(ctx)?.get_database_backend();
        let select = filter.query(backend, super::in_force(ctx, as_of).await?);
        // Published order (序号 within each department): edits renumber duties, so ids no
        // longer follow it.
        let key = grouped_order(
            duty::Column::ListId,
            duty::Column::DepartmentId,
            duty::Column::Seq,
        );
        paginate_by(db(ctx)?, select, key, args, row_key, Duty).await
    }
}
