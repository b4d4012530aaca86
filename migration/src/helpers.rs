//! Table-building helpers shared by the migrations.

use sea_orm_migration::{prelude::*, schema::*};

/// A `NOT NULL` integer column referencing `table.id`, deleted with its parent.
pub fn parent(
    table: &mut TableCreateStatement,
    name: &'static str,
    column: &'static str,
    to: &'static str,
) {
    table.col(integer(column)).foreign_key(
        ForeignKey::create()
            .name(format!("fk_{name}_{column}"))
            .from(name, column)
            .to(to, "id")
            .on_delete(ForeignKeyAction::Cascade),
    );
}

/// A nullable integer column referencing `table.id`.
pub fn optional_ref(
    table: &mut TableCreateStatement,
    name: &'static str,
    column: &'static str,
    to: &'static str,
) {
    table.col(integer_null(column)).foreign_key(
        ForeignKey::create()
            .name(format!("fk_{name}_{column}"))
            .from(name, column)
            .to(to, "id")
            .on_delete(ForeignKeyAction::Cascade),
    );
}

/// A `NOT NULL` reference that must not silently disappear with its target.
pub fn reference(
    table: &mut TableCreateStatement,
    name: &'static str,
    column: &'static str,
    to: &'static str,
) {
    table.col(integer(column)).foreign_key(
        ForeignKey::create()
            .name(format!("fk_{name}_{column}"))
            .from(name, column)
            .to(to, "id")
            .on_delete(ForeignKeyAction::Restrict),
    );
}

pub fn table(name: &'static str) -> TableCreateStatement {
    Table::create().table(name).col(pk_auto("id")).to_owned()
}

pub fn unique(name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).unique().to_owned();
    for column in columns {
        index.col(*column);
    }
    index
}

pub fn index(name: &str, table: &'static str, column: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(column)
        .to_owned()
}
