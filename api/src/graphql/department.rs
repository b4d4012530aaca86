//! Departments (部门/单位): the bureau, its units, and the departments it shares matters with.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, InputType, Object, Value};
use entity::department;
use sea_orm::EntityTrait;

use super::boundary::Division;
use super::duty::Duty;
use super::kinds::DepartmentKind;
use super::loaders::{
    AliasesOf, DepartmentById, DivisionsOfDepartment, DutiesOf, ServicesOfUnit, UnitsOf,
};
use super::node::{expect_id, global_id, optional_id};
use super::pagination::{connection_query, paginate, paginate_keyed};
use super::plain::PlainFields;
use super::scalars::Date;
use super::service::PublicService;
use super::text::{Name, Text};
use super::{children, db, one};
use crate::domain::editing::reorganisation;
use crate::domain::kinds;
use crate::domain::list_reads;
use crate::error::ApiResult;

/// Department — 部门/单位: a county department, an internal unit (股, 站), a township or an
/// upper-level body.
#[derive(Clone)]
pub struct Department(pub department::Model);

impl Department {
    fn kind_value(&self) -> DepartmentKind {
        kinds::DepartmentKind::parse(&self.0.kind)
            .unwrap_or(kinds::DepartmentKind::Department)
            .into()
    }
}

/// A lookup's candidates name departments by their own fields alone.
impl PlainFields for Department {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "id" => global_id("Department", self.0.id).0.into(),
            "name" => self.0.name.as_str().into(),
            "kind" => self.kind_value().to_value(),
            "dissolvedOn" => self.0.dissolved_on.map(Date).to_value(),
            _ => return None,
        })
    }
}

/// Department — 部门/单位: a county department, an internal unit (股, 站), a township or an
/// upper-level body.
#[Object]
impl Department {
    /// Opaque global id — 全局标识.
    pub(crate) async fn id(&self) -> ID {
        global_id("Department", self.0.id)
    }

    /// Official name — 名称, exactly as published.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Other names it is printed under — 别称 (e.g. 县人口计生局).
    async fn aliases(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let rows = children(ctx, AliasesOf(self.0.id)).await?;
        Ok(rows.into_iter().map(|row| row.alias).collect())
    }

    /// Kind of body — 类别.
    async fn kind(&self) -> DepartmentKind {
        self.kind_value()
    }

    /// The department this unit belongs to — 上级部门; null for a department itself.
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match self.0.parent_id {
            Some(id) => Ok(Some(Department(
                one(ctx, DepartmentById(id), "Department").await?,
            ))),
            None => Ok(None),
        }
    }

    /// The day from which it no longer exists — 撤销/合并日期; null while it exists.
    async fn dissolved_on(&self) -> Option<Date> {
        self.0.dissolved_on.map(Date)
    }

    /// The department that took over its duties — 承接部门; null while it exists.
    async fn successor(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match self.0.successor_id {
            Some(id) => Ok(Some(Department(
                one(ctx, DepartmentById(id), "Department").await?,
            ))),
            None => Ok(None),
        }
    }

    /// The department holding its duties on `asOf` (default today) — 现承接部门: itself,
    /// or the successor its reorganisations lead to by then.
    async fn current(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day (default today) — 查询日期")] as_of: Option<Date>,
    ) -> ApiResult<Department> {
        let day = super::day(ctx, as_of)?;
        let departments = reorganisation::with_successors(db(ctx)?, vec![self.0.id]).await?;
        let (holder, _) = reorganisation::holder_on(&departments, self.0.id, day);
        Ok(Department(
            departments
                .get(&holder)
                .cloned()
                .unwrap_or_else(|| self.0.clone()),
        ))
    }

    /// Its internal units — 内设机构/直属单位 (股, 站).
    async fn units(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        let rows = children(ctx, UnitsOf(self.0.id)).await?;
        Ok(rows.into_iter().map(Department).collect())
    }

    /// Its main duties — 主要职责, in published order.
    async fn duties(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "As of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> ApiResult<Vec<Duty>> {
        let rows = children(ctx, DutiesOf(self.0.id, super::day(ctx, as_of)?)).await?;
        Ok(rows.into_iter().map(Duty).collect())
    }

    /// Its shares of boundary matters — 职责分工.
    async fn divisions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "As of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> ApiResult<Vec<Division>> {
        let day = super::day(ctx, as_of)?;
        let rows = children(ctx, DivisionsOfDepartment(self.0.id, day)).await?;
        Ok(rows.into_iter().map(Division).collect())
    }

    /// Public services it or its units provide — 公共服务事项.
    async fn public_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Include the services of its internal units (default true) — 含内设单位",
            default = true
        )]
        include_units: bool,
        #[graphql(
            desc = "As of this day (default today), from the list versions in force then — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> ApiResult<Vec<PublicService>> {
        let day = super::day(ctx, as_of)?;
        let mut units = vec![self.0.id];
        if include_units {
            units.extend(
                children(ctx, UnitsOf(self.0.id))
                    .await?
                    .into_iter()
                    .map(|unit| unit.id),
            );
        }
        let loaded = super::loader(ctx)?
            .load_many(units.iter().map(|id| ServicesOfUnit(*id, day)))
            .await?;
        let mut services: Vec<_> = units
            .iter()
            .flat_map(|id| {
                loaded
                    .get(&ServicesOfUnit(*id, day))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        services.sort_by_key(|service| (service.list_id, service.seq));
        Ok(services.into_iter().map(PublicService).collect())
    }
}

/// Department filter — 部门筛选.
#[derive(InputObject, Default)]
pub struct DepartmentFilter {
    /// Name or alias contains this text — 名称包含.
    name_contains: Option<Text<Name>>,
    /// Only this kind — 类别.
    kind: Option<DepartmentKind>,
    /// Only units of this department — 上级部门.
    parent_id: Option<ID>,
    /// Departments `responsibilityLookup` names for this text, leading or assisting
    /// (e.g. 捡到孩子), a department reorganised away by `asOf` being its successor —
    /// 按诉求查找责任部门. Results stay in published order.
    responsible_for: Option<String>,
}

connection_query! {
    /// Departments and units — 部门列表, in published order.
    #[expect(
        clippy::too_many_arguments,
        reason = "one parameter a GraphQL argument"
    )]
    DepartmentQuery::departments(
        ctx,
        args,
        filter: DepartmentFilter,
        #[graphql(
            desc = "For `filter.responsibleFor`: match the list versions in force on this day (default today) — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> Department {
        let name_contains = Text::opt_arg(filter.name_contains, "filter.nameContains")?;
        let kind = filter.kind.map(kinds::DepartmentKind::from);
        let day = super::day(ctx, as_of)?;
        let responsible = match filter.responsible_for.as_deref() {
            Some(text) => {
                let text = super::search::complaint(text, "filter.responsibleFor")?;
                let found = super::search::searcher(ctx)?
                    .lookup(day, text, super::search::MAX_CANDIDATES)
                    .await?;
                // Who acts, as the lookup answers (reorganised departments already routed),
                // and the leads who coordinate them.
                let ids: BTreeSet<i32> = found
                    .candidates
                    .iter()
                    .flat_map(|c| {
                        std::iter::once(c.department.id).chain(c.coordinator.as_ref().map(|d| d.id))
                    })
                    .collect();
                Some(ids)
            }
            None => None,
        };
        let parent = optional_id(filter.parent_id.as_ref(), "Department", "filter.parentId")?;
        let filter = list_reads::DepartmentFilter {
            name_contains,
            kind,
            among: responsible,
            parent,
        };
        if let Some(view) = super::loader(ctx)?.loader().view(day).await? {
            let key = |row: &&department::Model| i64::from(row.id);
            return paginate_keyed(filter.over(&view), args, key, |d| Department(d.clone()));
        }
        let select = filter.query();
        paginate(
            db(ctx)?,
            select,
            department::Column::Id,
            args,
            |row| row.id,
            Department,
        )
        .await
    }

    /// One department by id, or by name or alias (e.g. 县人口计生局) — 按标识或名称查询部门.
    async fn department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its global id — 全局标识")] id: Option<ID>,
        #[graphql(desc = "Its name or an alias — 名称或简称")] name: Option<Text<Name>>,
    ) -> ApiResult<Option<Department>> {
        let name = Text::opt_arg(name, "name")?;
        if let (Some(_), Some(_)) | (None, None) = (&id, &name) {
            return Err(crate::error::ApiError::bad_input(
                "id",
                "give exactly one of id and name",
            ));
        }
        let today = super::clock(ctx)?.today();
        if let Some(view) = super::loader(ctx)?.loader().view(today).await? {
            let found = match (id, name) {
                (Some(id), _) => view.catalog.department(expect_id(&id, "Department", "id")?),
                (_, Some(name)) => view.catalog.named(&name),
                _ => None,
            };
            return Ok(found.cloned().map(Department));
        }
        let db = db(ctx)?;
        let found = match (id, name) {
            (Some(id), None) => {
                department::Entity::find_by_id(expect_id(&id, "Department", "id")?)
                    .one(db)
                    .await?
            }
            (None, Some(name)) => match crate::domain::find_department(db, &name).await? {
                Some(id) => department::Entity::find_by_id(id).one(db).await?,
                None => None,
            },
            _ => {
                return Err(crate::error::ApiError::bad_input(
                    "id",
                    "give exactly one of id and name",
                ));
            }
        };
        Ok(found.map(Department))
    }
}
