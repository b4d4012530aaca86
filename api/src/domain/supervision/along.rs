//! The relations a page of inspections brings along. On PostgreSQL a page read whole asks,
//! in its one statement, for the findings, inspectors and methods its query selects, each
//! inspection's as arrays of their columns (a lateral aggregate a row); they are then held
//! (`Submitted`), so the loaders answer them without a statement of their own. A unit's page
//! read for the first time is then one round trip, not one plus one a relation: under load
//! each round trip waits for the database's turn on the CPU, and that wait, not the SQL, made
//! most of such a read's time.

use std::sync::Arc;

use entity::{finding, inspection_method, inspector};
use sea_orm::{DbErr, Order, QueryResult, Statement};

use super::submitted::Submitted;
use crate::db::by_position::array;

/// Which relations of its inspections a page's query selects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Along {
    pub findings: bool,
    pub inspectors: bool,
    pub methods: bool,
}

/// A relation read as arrays of its columns: `id` first, then `columns`.
struct Relation {
    table: &'static str,
    columns: &'static [&'static str],
}

impl Relation {
    /// The columns read as arrays, in the order they are decoded.
    fn arrays(&self) -> impl Iterator<Item = &'static str> + use<> {
        std::iter::once("id").chain(self.columns.iter().copied())
    }
}

const FINDINGS: Relation = Relation {
    table: "finding",
    columns: &["item_id", "outcome", "note"],
};
const INSPECTORS: Relation = Relation {
    table: "inspector",
    columns: &["seq", "name", "certificate_no"],
};
const METHODS: Relation = Relation {
    table: "inspection_method",
    columns: &["item_id"],
};

impl Along {
    /// Whether anything comes along.
    pub fn any(self) -> bool {
        self.findings || self.inspectors || self.methods
    }

    fn relations(self) -> impl Iterator<Item = &'static Relation> {
        [
            (self.findings, &FINDINGS),
            (self.inspectors, &INSPECTORS),
            (self.methods, &METHODS),
        ]
        .into_iter()
        .filter_map(|(wanted, relation)| wanted.then_some(relation))
    }

    /// `page` (every column of the inspections, by id in `order`) with the relations' arrays
    /// after the inspection's own columns, in the same order. The arrays of one relation are
    /// aggregated from the same rows in the same pass, so they line up; their rows are put in
    /// order when decoded (`keep`), which costs less than an ordered aggregate each.
    pub fn statement(self, page: Statement, order: &Order) -> Statement {
        let mut columns = String::new();
        let mut joins = String::new();
        for (n, relation) in self.relations().enumerate() {
            let arrays = (relation.arrays())
                .map(|column| format!(r#"array_agg(r."{column}")"#))
                .collect::<Vec<_>>()
                .join(", ");
            columns.push_str(&format!(", a{n}.*"));
            joins.push_str(&format!(
                r#" LEFT JOIN LATERAL (SELECT {arrays} FROM "{table}" AS r WHERE r."inspection_id" = p."id") AS a{n} ON TRUE"#,
                table = relation.table,
            ));
        }
        let direction = match order {
            Order::Desc => "DESC",
            _ => "ASC",
        };
        let sql = format!(
            r#"SELECT p.*{columns} FROM ({}) AS p{joins} ORDER BY p."id" {direction}"#,
            page.sql
        );
        Statement { sql, ..page }
    }

    /// Holds what `row`, inspection `inspection`'s, brought along: its arrays start at
    /// column `first`, after the inspection's own.
    pub fn keep(
        self,
        submitted: &Submitted,
        inspection: i32,
        row: &QueryResult,
        first: usize,
    ) -> Result<(), DbErr> {
        let mut columns = first..;
        let mut next = || columns.next().unwrap_or_default();
        if self.findings {
            let (ids, items) = (array::<i32>(row, next())?, array::<i32>(row, next())?);
            let outcomes = array::<String>(row, next())?;
            let notes = array::<Option<String>>(row, next())?;
            let mut rows: Vec<finding::Model> = (ids.into_iter().zip(items))
                .zip(outcomes.into_iter().zip(notes))
                .map(|((id, item_id), (outcome, note))| finding::Model {
                    id,
                    inspection_id: inspection,
                    item_id,
                    outcome,
                    note,
                })
                .collect();
            rows.sort_by_key(|row| row.id);
            submitted.findings.keep(inspection, Arc::from(rows));
        }
        if self.inspectors {
            let (ids, seqs) = (array::<i32>(row, next())?, array::<i32>(row, next())?);
            let names = array::<String>(row, next())?;
            let certificates = array::<String>(row, next())?;
            let mut rows: Vec<inspector::Model> = (ids.into_iter().zip(seqs))
                .zip(names.into_iter().zip(certificates))
                .map(|((id, seq), (name, certificate_no))| inspector::Model {
                    id,
                    inspection_id: inspection,
                    seq,
                    name,
                    certificate_no,
                })
                .collect();
            rows.sort_by_key(|row| (row.seq, row.id));
            submitted.inspectors.keep(inspection, Arc::from(rows));
        }
        if self.methods {
            let (ids, items) = (array::<i32>(row, next())?, array::<i32>(row, next())?);
            let mut rows: Vec<inspection_method::Model> = (ids.into_iter().zip(items))
                .map(|(id, item_id)| inspection_method::Model {
                    id,
                    inspection_id: inspection,
                    item_id,
                })
                .collect();
            rows.sort_by_key(|row| row.id);
            submitted.methods.keep(inspection, Arc::from(rows));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use entity::{finding, inspection_method, inspector};

    use super::{FINDINGS, INSPECTORS, METHODS, Relation};
    use crate::db::by_position::ByPosition;

    fn arrays(relation: &Relation) -> Vec<&'static str> {
        relation.arrays().collect()
    }

    fn fields_but_parent(fields: &[&'static str]) -> Vec<&'static str> {
        fields
            .iter()
            .copied()
            .filter(|field| *field != "inspection_id")
            .collect()
    }

    #[test]
    fn arrays__are_every_column_of_the_relation_in_the_order_they_are_decoded() {
        // Given each relation a page brings along, Then its arrays are its model's fields
        // but the parent's id, in the order `keep` decodes them (the models' own order)
        assert_eq!(arrays(&FINDINGS), fields_but_parent(finding::Model::FIELDS));
        assert_eq!(
            arrays(&INSPECTORS),
            fields_but_parent(inspector::Model::FIELDS)
        );
        assert_eq!(
            arrays(&METHODS),
            fields_but_parent(inspection_method::Model::FIELDS)
        );
    }
}
