//! Schema migrations of Qingdan, in order. Each runs unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261128_000001_list;
mod m20261128_000002_supervision;
mod m20261128_000003_data_version;
mod m20261128_000004_search;
mod m20261129_000005_reorganisation;
mod m20261129_000006_versions;
mod m20261130_000007_misroute;
mod m20261130_000008_idempotency_scope;
mod m20261204_000014_events;
mod m20261205_000015_data_scopes;
mod m20261205_000016_inspection_pages;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_list::Migration),
            Box::new(m20261128_000002_supervision::Migration),
            Box::new(m20261128_000003_data_version::Migration),
            Box::new(m20261128_000004_search::Migration),
            Box::new(m20261129_000005_reorganisation::Migration),
            Box::new(m20261129_000006_versions::Migration),
            Box::new(m20261130_000007_misroute::Migration),
            Box::new(m20261130_000008_idempotency_scope::Migration),
            Box::new(m20261204_000014_events::Migration),
            Box::new(m20261205_000015_data_scopes::Migration),
            Box::new(m20261205_000016_inspection_pages::Migration),
        ]
    }
}
