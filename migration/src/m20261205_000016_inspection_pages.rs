//! Inspections are paged by id within a filter (keyset pagination): an index on the filtered
//! column and the id serves both the filter and the order, so a page reads only its rows.
//! With the column alone, PostgreSQL's generic plan for the prepared page query walks the
//! primary key over every inspection and filters.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (new index, the single-column index it replaces, its column)
const INDEXES: [(&str, &str, &str); 2] = [
    (
        "ix_inspection_target_id",
        "ix_inspection_target",
        "target_department_id",
    ),
    (
        "ix_inspection_regime_id",
        "ix_inspection_regime",
        "regime_id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, old, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("inspection")
                        .col(column)
                        .col("id")
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(Index::drop().name(old).table("inspection").to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, old, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(old)
                        .table("inspection")
                        .col(column)
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(Index::drop().name(name).table("inspection").to_owned())
                .await?;
        }
        Ok(())
    }
}
