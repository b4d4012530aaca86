//! Boundary matters (管理事项) shared by departments: divisions, legal bases and cases.

use async_graphql::{Context, ID, InputObject, Object};
use entity::{boundary_case, boundary_matter, division, legal_basis};

use super::department::Department;
use super::kinds::DivisionRole;
use super::loaders::{
    CasesOfDivision, CasesOfMatter, DepartmentById, DivisionById, DivisionsOfMatter,
    LegalBasesOfDivision, LegalBasesOfMatter, MatterById,
};
use super::node::{global_id, optional_id};
use super::pagination::{connection_query, paginate, paginate_keyed};
use super::scalars::Date;
use super::text::{Long, Text};
use super::{children, db, one};
use crate::domain::kinds;
use crate::domain::list_reads;
use crate::error::ApiResult;

/// Boundary matter — 管理事项: a matter several departments share, with each one's division.
#[derive(Clone)]
pub struct BoundaryMatter(pub boundary_matter::Model);

/// Boundary matter — 管理事项: a matter several departments share, with each one's division.
#[Object]
impl BoundaryMatter {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("BoundaryMatter", self.0.id)
    }

    /// Position in the list, 1, 2, 3… — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The number as printed — 原文序号 (both matters of the Anhua list are printed as 2).
    async fn published_seq(&self) -> &str {
        &self.0.published_seq
    }

    /// The matter — 管理事项.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// True when the departments dispute who leads — 存在争议.
    async fn disputed(&self) -> bool {
        self.0.disputed
    }

    /// Each department's share — 职责分工, in published order.
    async fn divisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Division>> {
        let rows = children(ctx, DivisionsOfMatter(self.0.id)).await?;
        Ok(rows.into_iter().map(Division).collect())
    }

    /// The leading department's division — 牵头部门; null for a disputed matter without one.
    async fn lead(&self, ctx: &Context<'_>) -> ApiResult<Option<Division>> {
        let rows = children(ctx, DivisionsOfMatter(self.0.id)).await?;
        let lead = kinds::DivisionRole::Lead.as_str();
        Ok(rows.into_iter().find(|row| row.role == lead).map(Division))
    }

    /// Legal bases — 相关依据.
    async fn legal_bases(&self, ctx: &Context<'_>) -> ApiResult<Vec<LegalBasis>> {
        let rows = children(ctx, LegalBasesOfMatter(self.0.id)).await?;
        Ok(rows.into_iter().map(LegalBasis).collect())
    }

    /// Cases — 案例.
    async fn cases(&self, ctx: &Context<'_>) -> ApiResult<Vec<Case>> {
        let rows = children(ctx, CasesOfMatter(self.0.id)).await?;
        Ok(rows.into_iter().map(Case).collect())
    }
}

/// Division — 职责分工: one department's share of a boundary matter.
#[derive(Clone)]
pub struct Division(pub division::Model);

/// Division — 职责分工: one department's share of a boundary matter.
#[Object]
impl Division {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Division", self.0.id)
    }

    /// Row within the matter — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// Lead or assist — 牵头/配合.
    async fn role(&self) -> DivisionRole {
        kinds::DivisionRole::parse(&self.0.role)
            .unwrap_or(kinds::DivisionRole::Assist)
            .into()
    }

    /// What this department does in the matter — 职责分工.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The department — 相关部门.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        Ok(Department(
            one(ctx, DepartmentById(self.0.department_id), "Department").await?,
        ))
    }

    /// The department's name as printed in this row — 原文部门名称.
    async fn published_department_name(&self) -> &str {
        &self.0.published_department_name
    }

    /// The matter — 管理事项.
    async fn matter(&self, ctx: &Context<'_>) -> ApiResult<BoundaryMatter> {
        Ok(BoundaryMatter(
            one(ctx, MatterById(self.0.matter_id), "BoundaryMatter").await?,
        ))
    }

    /// Legal bases printed on this row — 相关依据.
    async fn legal_bases(&self, ctx: &Context<'_>) -> ApiResult<Vec<LegalBasis>> {
        let rows = children(ctx, LegalBasesOfDivision(self.0.id)).await?;
        Ok(rows.into_iter().map(LegalBasis).collect())
    }

    /// Cases printed on this row — 案例.
    async fn cases(&self, ctx: &Context<'_>) -> ApiResult<Vec<Case>> {
        let rows = children(ctx, CasesOfDivision(self.0.id)).await?;
        Ok(rows.into_iter().map(Case).collect())
    }
}

/// Legal basis — 相关依据: a law or regulation a boundary matter rests on.
#[derive(Clone)]
pub struct LegalBasis(pub legal_basis::Model);

/// Legal basis — 相关依据: a law or regulation a boundary matter rests on.
#[Object]
impl LegalBasis {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("LegalBasis", self.0.id)
    }

    /// Number within the matter — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The instrument's name — 名称 (without numbering or 《》).
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The line exactly as published — 原文.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The division whose row cites it — 引用行; null when cited on no row.
    async fn division(&self, ctx: &Context<'_>) -> ApiResult<Option<Division>> {
        cited_by(ctx, self.0.division_id).await
    }
}

/// Case — 案例: an example of how a boundary matter is handled.
#[derive(Clone)]
pub struct Case(pub boundary_case::Model);

/// Case — 案例: an example of how a boundary matter is handled.
#[Object]
impl Case {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Case", self.0.id)
    }

    /// Number within the matter — 序号.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// The case as published — 案例.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// The division whose row cites it — 引用行; null when cited on no row.
    async fn division(&self, ctx: &Context<'_>) -> ApiResult<Option<Division>> {
        cited_by(ctx, self.0.division_id).await
    }
}

async fn cited_by(ctx: &Context<'_>, division: Option<i32>) -> ApiResult<Option<Division>> {
    match division {
        Some(id) => Ok(Some(Division(
            one(ctx, DivisionById(id), "Division").await?,
        ))),
        None => Ok(None),
    }
}

/// Boundary matter filter — 管理事项筛选.
#[derive(InputObject, Default)]
pub struct BoundaryMatterFilter {
    /// Only matters in which this department has a division — 相关部门.
    department_id: Option<ID>,
    /// The title or a division contains this text — 文本包含.
    text_contains: Option<Text<Long>>,
}

connection_query! {
    /// Boundary matters with other departments — 与相关部门的职责边界.
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter a GraphQL argument"
    )]
    BoundaryQuery::boundary_matters(
        ctx,
        args,
        filter: BoundaryMatterFilter,
        #[graphql(
            desc = "Answer as of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> BoundaryMatter {
        let department = optional_id(filter.department_id.as_ref(), "Department", "filter.departmentId")?;
        let text_contains = Text::opt_arg(filter.text_contains, "filter.textContains")?;
        let filter = list_reads::MatterFilter {
            department,
            text_contains,
        };
        let day = super::day(ctx, as_of)?;
        if let Some(view) = super::loader(ctx)?.loader().view(day).await? {
            let key = |row: &&boundary_matter::Model| i64::from(row.id);
            return paginate_keyed(filter.over(&view), args, key, |m| BoundaryMatter(m.clone()));
        }
        let backend = db(ctx)?.get_database_backend();
        let select = filter.query(backend, super::in_force(ctx, as_of).await?);
        paginate(
            db(ctx)?,
            select,
            boundary_matter::Column::Id,
            args,
            |row| row.id,
            BoundaryMatter,
        )
        .await
    }
}
