//! Reading one sheet: its columns found by header (in any order, none twice, none unknown
//! that holds anything), its data rows numbered as a spreadsheet shows them, and each cell
//! parsed as the column needs (text, whole number, path, entry list, closed vocabulary,
//! department name), every refusal naming its cell.

use std::collections::{HashMap, HashSet};

use super::layout::{ENTRY_SEPARATOR, Words};
use super::{Column, DEPARTMENTS, Origins, Sheet, TableError, Tables};

/// A sheet being read, its columns found by header.
pub(super) struct In<'a> {
    sheet: &'a Sheet,
    name: &'static str,
    columns: HashMap<&'static str, usize>,
}

impl<'a> In<'a> {
    /// Finds the sheet and its columns: every expected header once, in any order, and no other
    /// column holding anything (it would be lost).
    pub(super) fn open(
        tables: &'a Tables,
        name: &'static str,
        headers: &'static [&'static str],
    ) -> Result<Self, TableError> {
        let sheet = tables.sheet(name).ok_or_else(|| {
            TableError::new(
                "MISSING_SHEET",
                name,
                None,
                None,
                format!("the list has no {name} sheet"),
            )
        })?;
        let header_row = sheet.rows.first().map(Vec::as_slice).unwrap_or_default();
        let mut columns = HashMap::new();
        for (index, cell) in header_row.iter().enumerate() {
            let column = Column::new(cell, index);
            match headers.iter().find(|h| **h == cell.as_str()) {
                Some(header) => {
                    if columns.insert(*header, index).is_some() {
                        return Err(TableError::new(
                            "DUPLICATE_HEADER",
                            name,
                            Some(1),
                            Some(column),
                            "this header appears twice",
                        ));
                    }
                }
                None => {
                    let used = sheet
                        .rows
                        .iter()
                        .any(|row| row.get(index).is_some_and(|c| !c.is_empty()));
                    if used {
                        return Err(TableError::new(
                            "UNKNOWN_HEADER",
                            name,
                            Some(1),
                            Some(column),
                            format!(
                                "not a column of this sheet; the columns are {}",
                                headers.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        // A control character (NUL above all, which PostgreSQL refuses in text) is refused
        // as the API refuses it in any text; tab and line breaks belong in long texts.
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if let Some(bad) = cell
                    .chars()
                    .find(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
                {
                    let header = header_row.get(c).map_or("", String::as_str);
                    return Err(TableError::new(
                        "TEXT_INVALID",
                        name,
                        Some(r + 1),
                        Some(Column::new(header, c)),
                        format!("holds the control character U+{:04X}", bad as u32),
                    ));
                }
            }
        }
        if let Some(missing) = headers.iter().find(|h| !columns.contains_key(*h)) {
            return Err(TableError::new(
                "MISSING_HEADER",
                name,
                Some(1),
                Some(Column {
                    header: (*missing).to_owned(),
                    letter: String::new(),
                }),
                format!("no column headed {missing} in the header row"),
            ));
        }
        Ok(Self {
            sheet,
            name,
            columns,
        })
    }

    /// The data rows, numbered as a spreadsheet shows them; rows with no cell filled are skipped.
    pub(super) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.sheet
            .rows
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
            .map(|(i, cells)| Row {
                sheet: self,
                number: i + 1,
                cells,
            })
    }
}

#[derive(Clone)]
pub(super) struct Row<'a> {
    sheet: &'a In<'a>,
    pub(super) number: usize,
    cells: &'a [String],
}

impl Row<'_> {
    pub(super) fn column(&self, header: &str) -> Column {
        Column::new(header, self.sheet.columns[header])
    }

    pub(super) fn cell(&self, header: &str) -> &str {
        let index = self.sheet.columns[header];
        self.cells.get(index).map_or("", String::as_str)
    }

    pub(super) fn error(
        &self,
        code: &'static str,
        header: &str,
        message: impl Into<String>,
    ) -> TableError {
        TableError::new(
            code,
            self.sheet.name,
            Some(self.number),
            Some(self.column(header)),
            message,
        )
    }

    /// Records that the list field at `path` came from this row's `header` cell.
    pub(super) fn mark(&self, origins: &mut Origins, path: &str, header: &str) {
        origins.insert(
            path.to_owned(),
            self.sheet.name,
            Some(self.number),
            Some(self.column(header)),
        );
    }

    pub(super) fn text(&self, header: &str) -> String {
        self.cell(header).to_owned()
    }

    pub(super) fn opt(&self, header: &str) -> Option<String> {
        Some(self.cell(header))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
    }

    /// The entries of a cell that lists one a line; an empty cell lists none.
    pub(super) fn entries(&self, header: &str) -> Vec<String> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Vec::new();
        }
        cell.split(ENTRY_SEPARATOR).map(str::to_owned).collect()
    }

    pub(super) fn int(&self, header: &str) -> Result<i32, TableError> {
        self.opt_int(header)?
            .ok_or_else(|| self.error("EMPTY_CELL", header, "a whole number is required"))
    }

    /// Numbers are not texts: spaces around them are layout and ignored.
    pub(super) fn opt_int(&self, header: &str) -> Result<Option<i32>, TableError> {
        let cell = self.cell(header).trim();
        if cell.is_empty() {
            return Ok(None);
        }
        cell.parse().map(Some).map_err(|_| {
            self.error(
                "NOT_A_NUMBER",
                header,
                format!("{cell:?} is not a whole number"),
            )
        })
    }

    /// A `.`-separated path of whole numbers, e.g. `5.1.2`.
    pub(super) fn path(&self, header: &str) -> Result<Vec<i32>, TableError> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, "a path such as 2 or 2.1.3"));
        }
        cell.split('.')
            .map(|part| part.parse::<i32>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                self.error(
                    "NOT_A_NUMBER",
                    header,
                    format!("{cell:?} is not a path of whole numbers such as 2.1.3"),
                )
            })
    }

    /// A value of a closed vocabulary, in Chinese or as its code.
    pub(super) fn word<T: Copy + PartialEq>(
        &self,
        header: &str,
        words: &Words<T>,
    ) -> Result<T, TableError> {
        let cell = self.cell(header);
        let expected = words.all().join(", ");
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, format!("one of {expected}")));
        }
        words.parse(cell).ok_or_else(|| {
            self.error(
                "INVALID_VALUE",
                header,
                format!("{cell:?} is not one of {expected}"),
            )
        })
    }

    /// A department named on the 部门 sheet (by name or alias).
    pub(super) fn department(
        &self,
        header: &str,
        known: &HashSet<&str>,
    ) -> Result<String, TableError> {
        let cell = self.cell(header);
        if cell.is_empty() {
            return Err(self.error("EMPTY_CELL", header, "a department's name is required"));
        }
        if !known.contains(cell) {
            return Err(self.error(
                "UNKNOWN_DEPARTMENT",
                header,
                format!("no department named {cell:?} on the {DEPARTMENTS} sheet"),
            ));
        }
        Ok(cell.to_owned())
    }

    /// Cells that must stay empty on this kind of row: filled, they would be lost.
    pub(super) fn empty_here(&self, headers: &[&str], why: &str) -> Result<(), TableError> {
        match headers.iter().find(|h| !self.cell(h).is_empty()) {
            Some(header) => Err(self.error("UNEXPECTED_CELL", header, why)),
            None => Ok(()),
        }
    }
}
