//! List versions (清单版本): every row of a list belongs to one version, and keeps its
//! identity across versions in `lineage`. Lists loaded before this migration become their
//! version 1, published, with no recorded effective date.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The versioned tables, each with how a row finds its version: its own list, or its parent.
const VERSIONED: [(&str, &str); 7] = [
    (
        "duty",
        "(SELECT v.id FROM list_version v WHERE v.list_id = duty.list_id)",
    ),
    (
        "boundary_matter",
        "(SELECT v.id FROM list_version v WHERE v.list_id = boundary_matter.list_id)",
    ),
    (
        "public_service",
        "(SELECT v.id FROM list_version v WHERE v.list_id = public_service.list_id)",
    ),
    (
        "work_item",
        "(SELECT d.version_id FROM duty d WHERE d.id = work_item.duty_id)",
    ),
    (
        "division",
        "(SELECT m.version_id FROM boundary_matter m WHERE m.id = division.matter_id)",
    ),
    (
        "legal_basis",
        "(SELECT m.version_id FROM boundary_matter m WHERE m.id = legal_basis.matter_id)",
    ),
    (
        "boundary_case",
        "(SELECT m.version_id FROM boundary_matter m WHERE m.id = boundary_case.matter_id)",
    ),
];

/// Sequence numbers are unique within a version, no longer within a list: (the index
/// replaced, the table, the new index, its columns).
const RESEQUENCED: [(&str, &str, &str, &str); 3] = [
    (
        "ux_duty_seq",
        "duty",
        "ux_duty_version_seq",
        "version_id, department_id, seq",
    ),
    (
        "ux_matter_seq",
        "boundary_matter",
        "ux_matter_version_seq",
        "version_id, seq",
    ),
    (
        "ux_service_seq",
        "public_service",
        "ux_service_version_seq",
        "version_id, seq",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut version = table("list_version");
        parent(
            &mut version,
            "list_version",
            "list_id",
            "responsibility_list",
        );
        version
            .col(integer_null("number"))
            .col(date_null("effective_from"))
            .col(text_null("reason"))
            .col(string_null("reason_kind"))
            .col(integer_null("based_on_id"))
            .col(timestamp_with_time_zone("created_at"))
            .col(timestamp_with_time_zone_null("published_at"))
            .col(string_null("published_by"));
        manager.create_table(version).await?;
        manager
            .create_index(unique(
                "ux_list_version_number",
                "list_version",
                &["list_id", "number"],
            ))
            .await?;

        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO list_version (list_id, number, created_at, published_at) \
             SELECT id, 1, imported_at, imported_at FROM responsibility_list",
        )
        .await?;
        for (name, version_of_row) in VERSIONED {
            // One column a statement: SQLite alters a table one column at a time.
            for column in ["version_id", "lineage"] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(name)
                            .add_column(integer(column).default(0))
                            .to_owned(),
                    )
                    .await?;
            }
            db.execute_unprepared(&format!(
                "UPDATE {name} SET version_id = {version_of_row}, lineage = id"
            ))
            .await?;
            let by_version = Index::create()
                .name(format!("ix_{name}_version_lineage"))
                .table(name)
                .col("version_id")
                .col("lineage")
                .to_owned();
            manager.create_index(by_version).await?;
        }
        for (old, table, new, columns) in RESEQUENCED {
            db.execute_unprepared(&format!("DROP INDEX {old}")).await?;
            db.execute_unprepared(&format!("CREATE UNIQUE INDEX {new} ON {table} ({columns})"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (old, table, new, columns) in RESEQUENCED {
            db.execute_unprepared(&format!("DROP INDEX {new}")).await?;
            let columns = columns.replacen("version_id", "list_id", 1);
            db.execute_unprepared(&format!("CREATE UNIQUE INDEX {old} ON {table} ({columns})"))
                .await?;
        }
        for (name, _) in VERSIONED {
            db.execute_unprepared(&format!("DROP INDEX ix_{name}_version_lineage"))
                .await?;
            for column in ["version_id", "lineage"] {
                manager
                    .alter_table(Table::alter().table(name).drop_column(column).to_owned())
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table("list_version").to_owned())
            .await?;
        Ok(())
    }
}
