//! Dispatchers' corrections of the lookup (派单异议): the complaint, where the lookup sent it
//! and where it belonged.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("misroute")
                    .col(pk_auto("id"))
                    .col(text("text"))
                    .col(integer_null("suggested_department_id"))
                    .col(integer("correct_department_id"))
                    .col(text_null("note"))
                    .col(string("reported_by"))
                    .col(timestamp_with_time_zone("reported_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("misroute", "suggested_department_id")
                            .to("department", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("misroute", "correct_department_id")
                            .to("department", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("misroute").to_owned())
            .await
    }
}
