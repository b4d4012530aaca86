//! A list as the tables it is published in (主要职责, 职责边界, 公共服务) plus sheets of the
//! project's own for what those tables have no place for (清单, 部门, 监管制度, 监管条目):
//! the layout behind `qingdan import`/`export` of XLSX workbooks and CSV directories.
//! `data/README.md` documents every sheet and column.
//!
//! Conversion is pure (`to_tables` in `write`, `from_tables` in `read`, both after `layout`);
//! `xlsx`, `csv` and `zip` only move cells in and out of bytes, and `load_tables` hands the
//! list to [`super::load`], so a bad file is refused before anything is written and a row
//! the validator rejects is reported at its cell.

mod cells;
pub mod csv;
mod layout;
mod read;
mod write;
pub mod xlsx;
pub mod zip;

use std::collections::HashMap;

use sea_orm::DatabaseConnection;

pub use layout::LAYOUT;
pub use read::from_tables;
pub use write::to_tables;

use super::{ImportError, LoadError, LoadSummary};

/// Sheet names, in the order they are written.
pub const LIST: &str = "清单";
pub const DEPARTMENTS: &str = "部门";
pub const DUTIES: &str = "主要职责";
pub const MATTERS: &str = "职责边界";
pub const REGIMES: &str = "监管制度";
pub const REGIME_ITEMS: &str = "监管条目";
pub const SERVICES: &str = "公共服务";

/// One sheet: `rows[0]` is the header row, so `rows[i]` is spreadsheet row `i + 1`.
/// Every cell is text, exactly as stored; an empty cell is `""`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

/// A workbook (XLSX) or a directory of CSV files, one per sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tables {
    pub sheets: Vec<Sheet>,
}

impl Tables {
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets.iter().find(|s| s.name == name)
    }

    pub fn sheet_mut(&mut self, name: &str) -> Option<&mut Sheet> {
        self.sheets.iter_mut().find(|s| s.name == name)
    }
}

/// A column by its header and its spreadsheet letter (A, B, … AA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    /// Empty for a column the sheet lacks (`MISSING_HEADER`): it has no place to name.
    pub letter: String,
}

impl Column {
    pub fn new(header: &str, index: usize) -> Self {
        Self {
            header: header.to_owned(),
            letter: column_letter(index),
        }
    }
}

/// Spreadsheet letters for a 0-based column index: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Why a table file was refused, or a list cannot be written as tables. `code` is stable (the
/// codes of [`ImportError`] plus the table ones); `row` is 1-based as a spreadsheet shows it
/// (the header is row 1); `sheet` is empty only for a file that could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message} [{code}]", self.place())]
pub struct TableError {
    pub code: &'static str,
    pub sheet: String,
    /// `u32` as in spreadsheets (at most 1,048,576 rows); it keeps the error small.
    pub row: Option<u32>,
    pub column: Option<Column>,
    pub message: String,
}

impl TableError {
    pub fn new(
        code: &'static str,
        sheet: &str,
        row: Option<usize>,
        column: Option<Column>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            sheet: sheet.to_owned(),
            row: row.map(|row| u32::try_from(row).unwrap_or(u32::MAX)),
            column,
            message: message.into(),
        }
    }

    /// Where, in words: `sheet 主要职责, row 5, column 序号 (A)`.
    pub fn place(&self) -> String {
        let mut place = if self.sheet.is_empty() {
            "file".to_owned()
        } else {
            format!("sheet {}", self.sheet)
        };
        if let Some(row) = self.row {
            place.push_str(&format!(", row {row}"));
        }
        if let Some(column) = &self.column {
            place.push_str(&format!(", column {} ({})", column.header, column.letter));
        }
        place
    }
}

/// Where each field of a list read from tables came from, by its path in the list file
/// (`duties[3].workItems[1].text`), so errors found later point at a cell.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origins {
    places: HashMap<String, (&'static str, Option<usize>, Option<Column>)>,
}

impl Origins {
    pub(crate) fn insert(
        &mut self,
        path: String,
        sheet: &'static str,
        row: Option<usize>,
        column: Option<Column>,
    ) {
        self.places.entry(path).or_insert((sheet, row, column));
    }

    /// Places an error found by validation or loading: the field's own cell, else the
    /// nearest enclosing row or sheet (`duties[2].workItems` → the duty's row).
    pub(crate) fn locate(&self, err: ImportError) -> TableError {
        let mut path = err.at.as_str();
        loop {
            if let Some((sheet, row, column)) = self.places.get(path) {
                return TableError::new(
                    err.code,
                    sheet,
                    *row,
                    column.clone(),
                    format!("{} ({})", err.message, err.at),
                );
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => {
                    let message = if err.at.is_empty() {
                        err.message
                    } else {
                        err.to_string()
                    };
                    return TableError::new(err.code, "", None, None, message);
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TableLoadError {
    #[error(transparent)]
    Invalid(#[from] TableError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Reads a list from tables and loads it as a new list or, when its title is loaded already,
/// into that list's draft (`super::load_or_revise`). Every error names its sheet, row and
/// column.
pub async fn import_tables(
    db: &DatabaseConnection,
    tables: &Tables,
    clock: &dyn crate::domain::clock::Clock,
) -> Result<super::Imported, TableLoadError> {
    let (file, origins) = read::read(tables)?;
    super::load_or_revise(db, &file, clock)
        .await
        .map_err(|err| locate(err, &origins))
}

/// Reads a list from tables and loads it into the draft of list `list_id` on behalf of
/// `viewer` (`super::draft::into_draft`): an upload. Every error names its sheet, row and
/// column.
pub async fn upload_tables(
    db: &DatabaseConnection,
    viewer: &crate::auth::Viewer,
    clock: &dyn crate::domain::clock::Clock,
    list_id: i32,
    tables: &Tables,
) -> Result<super::draft::DraftChanges, TableLoadError> {
    let (file, origins) = read::read(tables)?;
    super::draft::into_draft(db, viewer, clock, list_id, &file)
        .await
        .map_err(|err| locate(err, &origins))
}

fn locate(err: LoadError, origins: &Origins) -> TableLoadError {
    match err {
        LoadError::Invalid(err) => origins.locate(err).into(),
        LoadError::Db(err) => err.into(),
    }
}

/// Reads a list from tables and loads it like a list file: validated, then written in one
/// transaction, so a refused file writes nothing. Every error names its sheet, row and column.
pub async fn load_tables(
    db: &DatabaseConnection,
    tables: &Tables,
) -> Result<LoadSummary, TableLoadError> {
    let (file, origins) = read::read(tables)?;
    super::load(db, &file)
        .await
        .map_err(|err| locate(err, &origins))
}

#[cfg(test)]
mod tests;
