//! The data version per scope: beside the count of every write (row 1), one row for each kind
//! of data a write can change (published lists, drafts, supervision records, the lexicon, the
//! rest). A reader keyed on what it read (a cached answer, the in-memory lists, the lookup
//! index) is then invalidated by the writes that changed it, not by every write.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Row ids of the scopes, as `data_version::Scope` numbers them.
const SCOPES: [i32; 5] = [2, 3, 4, 5, 6];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut rows = Query::insert();
        rows.into_table("data_version").columns(["id", "version"]);
        for id in SCOPES {
            rows.values_panic([id.into(), 0i64.into()]);
        }
        manager.exec_stmt(rows.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let rows = Query::delete()
            .from_table("data_version")
            .and_where(Expr::col("id").is_in(SCOPES))
            .to_owned();
        manager.exec_stmt(rows).await
    }
}
