//! Rows read in bulk, decoded by the position of their columns.
//!
//! sea-orm decodes a model by column name: for every value it formats the name into a new
//! `String`, looks it up among the statement's columns and checks the column's type twice,
//! some 670 instructions a value. A unit's page of inspections read for the first time, with
//! the findings under it, spent over a quarter of its instructions there (`bench/RESULTS.md`).
//!
//! A statement built by `Entity::find()` selects the entity's columns in the order of its
//! `Column` enumeration, which is the order of the model's fields; a model read in bulk
//! decodes each value at that position instead, by sqlx's decoder for the field's type.
//! `FIELDS` names the order a model is decoded in, and a unit test holds it to the entity's
//! columns (a column added to an entity and not here fails the build or that test, not a
//! read); an e2e test reads every such model both ways, on SQLite and on PostgreSQL.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryResult, QueryTrait, Select, sqlx};

/// A model decoded from a row of its entity's `find()`, column by column in order.
pub trait ByPosition: Sized {
    /// The model's fields in the order they are decoded: its entity's columns.
    const FIELDS: &'static [&'static str];

    fn by_position(row: &QueryResult) -> Result<Self, DbErr>;
}

/// The rows `select` finds, decoded by position. `select` must select the entity's columns
/// as `find()` does, before any column of its own.
pub async fn all<E>(db: &impl ConnectionTrait, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: ByPosition,
{
    let statement = select.build(db.get_database_backend());
    let rows = db.query_all_raw(statement).await?;
    rows.iter().map(E::Model::by_position).collect()
}

/// The value of column `index`, decoded as `T` without sqlx's check that the column's type
/// is one `T` decodes (a third of the cost, for text): the column is the entity's own, of the
/// type its migration gave it, which the tests read back through sea-orm's checked decoding.
pub fn column<T>(row: &QueryResult, index: usize) -> Result<T, DbErr>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    use sqlx::Row;
    let decoded = if let Some(row) = row.try_as_pg_row() {
        row.try_get_unchecked(index)
    } else if let Some(row) = row.try_as_sqlite_row() {
        row.try_get_unchecked(index)
    } else {
        return Err(DbErr::Type(format!(
            "column {index}: rows by position are read from PostgreSQL or SQLite"
        )));
    };
    decoded.map_err(|err| DbErr::Type(format!("column {index}: {err}")))
}

/// The values of column `index` of a PostgreSQL row, an array (`array_agg`), decoded as `T`
/// unchecked, as `column` decodes; none for NULL (`array_agg` of no rows).
pub fn array<T>(row: &QueryResult, index: usize) -> Result<Vec<T>, DbErr>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    use sqlx::Row;
    let Some(row) = row.try_as_pg_row() else {
        return Err(DbErr::Type(format!(
            "column {index}: arrays are read from PostgreSQL"
        )));
    };
    (row.try_get_unchecked::<Option<Vec<T>>, _>(index))
        .map(Option::unwrap_or_default)
        .map_err(|err| DbErr::Type(format!("column {index}: {err}")))
}

/// Implements `ByPosition` for `entity::NAME::Model`, its fields listed in column order.
macro_rules! by_position {
    ($($entity:ident { $($field:ident),+ $(,)? })+) => {$(
        impl ByPosition for entity::$entity::Model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn by_position(row: &QueryResult) -> Result<Self, DbErr> {
                let mut index = 0..;
                // Field initialisers run in the order written: the columns' order.
                Ok(Self { $($field: column(row, index.next().unwrap_or_default())?),+ })
            }
        }
    )+};
}

// What a submitted inspection recorded, read in pages and batches (`domain::supervision`).
by_position! {
    inspection {
        id, regime_id, target_department_id, period_start, period_end, record, submitted_by,
        submitted_at,
    }
    finding { id, inspection_id, item_id, outcome, note }
    inspector { id, inspection_id, seq, name, certificate_no }
    inspection_method { id, inspection_id, item_id }
}

#[cfg(test)]
mod tests {
    use sea_orm::{IdenStatic, Iterable};

    use super::ByPosition;

    fn columns<E: sea_orm::EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|column| column.as_str()).collect()
    }

    #[test]
    fn fields__are_the_entities_columns_in_order() {
        // Given each model decoded by position, Then its fields are its entity's columns,
        // every one, in the order `find()` selects them
        use entity::{finding, inspection, inspection_method, inspector};
        assert_eq!(inspection::Model::FIELDS, columns::<inspection::Entity>());
        assert_eq!(finding::Model::FIELDS, columns::<finding::Entity>());
        assert_eq!(inspector::Model::FIELDS, columns::<inspector::Entity>());
        assert_eq!(
            inspection_method::Model::FIELDS,
            columns::<inspection_method::Entity>()
        );
    }
}
