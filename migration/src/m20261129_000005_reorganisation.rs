//! Reorganisations (机构改革): a department dissolved or merged on a date, and its successor.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters a table one column at a time.
        for column in [date_null("dissolved_on"), integer_null("successor_id")] {
            manager
                .alter_table(
                    Table::alter()
                        .table("department")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["dissolved_on", "successor_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("department")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
