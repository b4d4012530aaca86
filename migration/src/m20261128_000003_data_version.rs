//! One row counting committed writes: the version the response cache checks. Every write
//! increments it in its own transaction, so the row lock orders writers and each commit is a
//! new version (an id sequence would not do: ids are handed out before commit, not in its order).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("data_version")
                    .col(integer("id").primary_key())
                    .col(big_integer("version"))
                    .to_owned(),
            )
            .await?;
        let row = Query::insert()
            .into_table("data_version")
            .columns(["id", "version"])
            .values_panic([1.into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(row).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("data_version").to_owned())
            .await
    }
}
