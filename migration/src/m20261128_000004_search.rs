//! The lexicon of the responsibility lookup (责任查询词库): aliases and citizens' words.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("lexicon_entry")
                    .col(pk_auto("id"))
                    .col(string_uniq("term"))
                    .col(text("expansion"))
                    .col(string("kind"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("lexicon_entry").to_owned())
            .await
    }
}
