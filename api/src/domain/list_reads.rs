//! The top-level reads of the published lists and their filters, in two forms that answer the
//! same rows: over a day's view held in memory (`domain::published`), and as SQL over the
//! versions in force, for a day whose view is not held. `tests/e2e/published.rs` compares the
//! two byte for byte. Paging and the order of each list stay with the caller.

use std::collections::{BTreeSet, HashSet};

use entity::{
    boundary_matter, department, department_alias, division, duty, public_service, work_item,
};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Select};

use super::kinds::DepartmentKind;
use super::published::View;
use crate::db::one_of;

/// Departments — 部门: every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct DepartmentFilter {
    /// The name or an alias contains this text.
    pub name_contains: Option<String>,
    pub kind: Option<DepartmentKind>,
    /// Only these departments (those the lookup found responsible for a text).
    pub among: Option<BTreeSet<i32>>,
    /// Only the internal units of this department.
    pub parent: Option<i32>,
}

impl DepartmentFilter {
    /// The matching departments of `view`'s catalog, in id order, found as they are read.
    pub fn over<'v>(&'v self, view: &'v View) -> impl Iterator<Item = &'v department::Model> {
        let catalog = &view.catalog;
        let kind = self.kind.map(DepartmentKind::as_str);
        catalog.departments().iter().filter(move |d| {
            self.name_contains.as_deref().is_none_or(|text| {
                d.name.contains(text)
                    || catalog.aliases(d.id).iter().any(|a| a.alias.contains(text))
            }) && kind.is_none_or(|kind| d.kind == kind)
                && self.among.as_ref().is_none_or(|ids| ids.contains(&d.id))
                && self.parent.is_none_or(|parent| d.parent_id == Some(parent))
        })
    }

    /// The same, as a query.
    pub fn query(&self) -> Select<department::Entity> {
        let mut select = department::Entity::find();
        if let Some(text) = self.name_contains.as_deref() {
            select = select.filter(here_or_in_children(
                (department::Column::Id, department::Column::Name),
                (
                    department_alias::Column::DepartmentId,
                    department_alias::Column::Alias,
                ),
                text,
            ));
        }
        if let Some(kind) = self.kind {
            select = select.filter(department::Column::Kind.eq(kind.as_str()));
        }
        if let Some(ids) = &self.among {
            select = select.filter(department::Column::Id.is_in(ids.iter().copied()));
        }
        if let Some(parent) = self.parent {
            select = select.filter(department::Column::ParentId.eq(parent));
        }
        select
    }
}

/// Main duties — 主要职责: every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct DutyFilter {
    pub department: Option<i32>,
    /// The duty or one of its work items contains this text.
    pub text_contains: Option<String>,
}

impl DutyFilter {
    /// The matching duties in force in `view`, in its order, checked as they are read.
    pub fn over<'v>(&'v self, view: &'v View) -> impl Iterator<Item = &'v duty::Model> {
        view.duties_to_check(self.text_contains.as_deref())
            .into_iter()
            .filter(move |d| {
                self.department.is_none_or(|dept| d.department_id == dept)
                    && self.text_contains.as_deref().is_none_or(|text| {
                        d.text.contains(text)
                            || view.work_items(d.id).iter().any(|w| w.text.contains(text))
                    })
            })
    }

    /// The matching duties of `versions`, as a query.
    pub fn query(&self, backend: DbBackend, versions: Vec<i32>) -> Select<duty::Entity> {
        let mut select =
            duty::Entity::find().filter(one_of(backend, duty::Column::VersionId, versions));
        if let Some(department) = self.department {
            select = select.filter(duty::Column::DepartmentId.eq(department));
        }
        if let Some(text) = self.text_contains.as_deref() {
            select = select.filter(here_or_in_children(
                (duty::Column::Id, duty::Column::Text),
                (work_item::Column::DutyId, work_item::Column::Text),
                text,
            ));
        }
        select
    }
}

/// Boundary matters — 职责边界事项: every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct MatterFilter {
    /// The department has a division of the matter.
    pub department: Option<i32>,
    /// The title or one of its divisions contains this text.
    pub text_contains: Option<String>,
}

impl MatterFilter {
    /// The matching matters in force in `view`, in its order, checked as they are read.
    pub fn over<'v>(&'v self, view: &'v View) -> impl Iterator<Item = &'v boundary_matter::Model> {
        view.matters_to_check(self.text_contains.as_deref())
            .into_iter()
            .filter(move |m| {
                let divisions = view.divisions(m.id);
                self.department
                    .is_none_or(|dept| divisions.iter().any(|d| d.department_id == dept))
                    && self.text_contains.as_deref().is_none_or(|text| {
                        m.title.contains(text) || divisions.iter().any(|d| d.text.contains(text))
                    })
            })
    }

    /// The matching matters of `versions`, as a query.
    pub fn query(&self, backend: DbBackend, versions: Vec<i32>) -> Select<boundary_matter::Entity> {
        let mut select = boundary_matter::Entity::find().filter(one_of(
            backend,
            boundary_matter::Column::VersionId,
            versions,
        ));
        if let Some(department) = self.department {
            let with_division = Query::select()
                .column(division::Column::MatterId)
                .from(division::Entity)
                .and_where(division::Column::DepartmentId.eq(department))
                .to_owned();
            select = select.filter(boundary_matter::Column::Id.in_subquery(with_division));
        }
        if let Some(text) = self.text_contains.as_deref() {
            select = select.filter(here_or_in_children(
                (boundary_matter::Column::Id, boundary_matter::Column::Title),
                (division::Column::MatterId, division::Column::Text),
                text,
            ));
        }
        select
    }
}

/// Public services — 公共服务事项: every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct ServiceFilter {
    /// Services of this unit or of its internal units.
    pub unit: Option<i32>,
    /// The name or content contains this text.
    pub text_contains: Option<String>,
    /// Only these services (those the lookup's matching found).
    pub among: Option<HashSet<i32>>,
}

impl ServiceFilter {
    /// The matching services in force in `view`, in its order, checked as they are read.
    pub fn over<'v>(&'v self, view: &'v View) -> impl Iterator<Item = &'v public_service::Model> {
        let units: Option<Vec<i32>> = self.unit.map(|unit| {
            std::iter::once(unit)
                .chain(view.catalog.units(unit).iter().map(|u| u.id))
                .collect()
        });
        view.services_to_check(self.text_contains.as_deref())
            .into_iter()
            .filter(move |s| {
                units
                    .as_ref()
                    .is_none_or(|units| units.contains(&s.unit_id))
                    && self
                        .text_contains
                        .as_deref()
                        .is_none_or(|text| s.name.contains(text) || s.content.contains(text))
                    && self.among.as_ref().is_none_or(|ids| ids.contains(&s.id))
            })
    }

    /// The matching services of `versions`, as a query.
    pub fn query(&self, backend: DbBackend, versions: Vec<i32>) -> Select<public_service::Entity> {
        let mut select = public_service::Entity::find().filter(one_of(
            backend,
            public_service::Column::VersionId,
            versions,
        ));
        if let Some(unit) = self.unit {
            let sub_units = Query::select()
                .column(department::Column::Id)
                .from(department::Entity)
                .and_where(department::Column::ParentId.eq(unit))
                .to_owned();
            select = select.filter(
                Condition::any()
                    .add(public_service::Column::UnitId.eq(unit))
                    .add(public_service::Column::UnitId.in_subquery(sub_units)),
            );
        }
        if let Some(text) = self.text_contains.as_deref() {
            select = select.filter(
                Condition::any()
                    .add(contains(public_service::Column::Name, text))
                    .add(contains(public_service::Column::Content, text)),
            );
        }
        if let Some(ids) = &self.among {
            select = select.filter(public_service::Column::Id.is_in(ids.iter().copied()));
        }
        select
    }
}

/// A row whose own text column (`row`: its id, its text) contains `text`, or one of whose
/// children's does (`children`: the column naming the parent, the text column).
fn here_or_in_children<R: ColumnTrait, C: ColumnTrait>(
    (id, own): (R, R),
    (parent, child_text): (C, C),
    text: &str,
) -> Condition {
    let children = Query::select()
        .column(parent)
        .from(parent.entity_name())
        .and_where(contains(child_text, text))
        .to_owned();
    Condition::any()
        .add(contains(own, text))
        .add(id.in_subquery(children))
}

/// A `LIKE` pattern matching `text` anywhere, with the wildcards in `text` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column LIKE '%text%'` with `\` as the escape character, on SQLite and PostgreSQL alike: what
/// `str::contains` answers in memory.
pub fn contains(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> Expr {
    Expr::col(column).like(LikeExpr::new(contains_pattern(text)).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern__escapes_wildcards() {
        assert_eq!(contains_pattern("两非"), "%两非%");
        assert_eq!(contains_pattern("100%_x"), "%100\\%\\_x%");
    }
}
