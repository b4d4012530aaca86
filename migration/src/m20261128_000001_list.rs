//! The published list: departments, duties, boundary matters, supervision regimes, services.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut department = table("department");
        department.col(string_uniq("name")).col(string("kind"));
        optional_ref(&mut department, "department", "parent_id", "department");

        let mut alias = table("department_alias");
        parent(
            &mut alias,
            "department_alias",
            "department_id",
            "department",
        );
        alias.col(string_uniq("alias"));

        let mut list = table("responsibility_list");
        list.col(string_uniq("title")).col(string("format"));
        reference(
            &mut list,
            "responsibility_list",
            "owner_department_id",
            "department",
        );
        list.col(timestamp_with_time_zone("imported_at"));

        let mut duty = table("duty");
        parent(&mut duty, "duty", "list_id", "responsibility_list");
        reference(&mut duty, "duty", "department_id", "department");
        duty.col(integer("seq"))
            .col(text("text"))
            .col(text_null("remark"));

        let mut work_item = table("work_item");
        parent(&mut work_item, "work_item", "duty_id", "duty");
        work_item
            .col(integer("seq"))
            .col(text("text"))
            .col(text_null("remark"));

        let mut matter = table("boundary_matter");
        parent(
            &mut matter,
            "boundary_matter",
            "list_id",
            "responsibility_list",
        );
        matter
            .col(integer("seq"))
            .col(string("published_seq"))
            .col(text("title"))
            .col(boolean("disputed").default(false));

        let mut division = table("division");
        parent(&mut division, "division", "matter_id", "boundary_matter");
        reference(&mut division, "division", "department_id", "department");
        division
            .col(integer("seq"))
            .col(string("published_department_name"))
            .col(string("role"))
            .col(text("text"));

        let mut legal_basis = table("legal_basis");
        parent(
            &mut legal_basis,
            "legal_basis",
            "matter_id",
            "boundary_matter",
        );
        optional_ref(&mut legal_basis, "legal_basis", "division_id", "division");
        legal_basis
            .col(integer("seq"))
            .col(text("title"))
            .col(text("text"));

        let mut case = table("boundary_case");
        parent(&mut case, "boundary_case", "matter_id", "boundary_matter");
        optional_ref(&mut case, "boundary_case", "division_id", "division");
        case.col(integer("seq")).col(text("text"));

        let mut regime = table("supervision_regime");
        parent(
            &mut regime,
            "supervision_regime",
            "list_id",
            "responsibility_list",
        );
        regime
            .col(string("code"))
            .col(integer("seq"))
            .col(string("label"))
            .col(text("title"))
            .col(text_null("preamble"))
            .col(integer_null("min_inspectors"))
            .col(text_null("min_inspectors_clause"))
            .col(integer_null("review_request_days"))
            .col(integer_null("review_decision_days"))
            .col(text_null("review_clause"))
            .col(string("day_count"))
            .col(string_null("fault_situations_path"))
            .col(string_null("accountability_forms_path"));

        let mut section = table("regime_section");
        parent(
            &mut section,
            "regime_section",
            "regime_id",
            "supervision_regime",
        );
        section
            .col(integer("seq"))
            .col(string("label"))
            .col(string("kind"))
            .col(text("title"))
            .col(text_null("intro"));

        let mut item = table("regime_item");
        parent(&mut item, "regime_item", "section_id", "regime_section");
        optional_ref(&mut item, "regime_item", "parent_id", "regime_item");
        item.col(integer("seq"))
            .col(string("path"))
            .col(string_null("label"))
            .col(text("text"));

        let mut service = table("public_service");
        parent(
            &mut service,
            "public_service",
            "list_id",
            "responsibility_list",
        );
        reference(&mut service, "public_service", "unit_id", "department");
        service
            .col(integer("seq"))
            .col(text("name"))
            .col(text("content"))
            .col(string("phone"))
            .col(string("published_phone"));

        for table in [
            department,
            alias,
            list,
            duty,
            work_item,
            matter,
            division,
            legal_basis,
            case,
            regime,
            section,
            item,
            service,
        ] {
            manager.create_table(table).await?;
        }

        for index in [
            index("ix_department_parent", "department", "parent_id"),
            index("ix_alias_department", "department_alias", "department_id"),
            unique("ux_duty_seq", "duty", &["list_id", "department_id", "seq"]),
            index("ix_duty_department", "duty", "department_id"),
            unique("ux_work_item_seq", "work_item", &["duty_id", "seq"]),
            unique("ux_matter_seq", "boundary_matter", &["list_id", "seq"]),
            unique("ux_division_seq", "division", &["matter_id", "seq"]),
            unique(
                "ux_division_department",
                "division",
                &["matter_id", "department_id"],
            ),
            index("ix_division_department", "division", "department_id"),
            unique("ux_legal_basis_seq", "legal_basis", &["matter_id", "seq"]),
            index("ix_legal_basis_division", "legal_basis", "division_id"),
            unique("ux_case_seq", "boundary_case", &["matter_id", "seq"]),
            index("ix_case_division", "boundary_case", "division_id"),
            unique("ux_regime_code", "supervision_regime", &["list_id", "code"]),
            unique("ux_section_seq", "regime_section", &["regime_id", "seq"]),
            unique("ux_item_path", "regime_item", &["section_id", "path"]),
            index("ix_item_parent", "regime_item", "parent_id"),
            unique("ux_service_seq", "public_service", &["list_id", "seq"]),
            index("ix_service_unit", "public_service", "unit_id"),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "public_service",
            "regime_item",
            "regime_section",
            "supervision_regime",
            "boundary_case",
            "legal_basis",
            "division",
            "boundary_matter",
            "work_item",
            "duty",
            "responsibility_list",
            "department_alias",
            "department",
        ] {
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
