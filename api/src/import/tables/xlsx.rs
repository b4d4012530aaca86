//! Tables ⇄ an XLSX workbook, one worksheet per sheet: written with `rust_xlsxwriter`, read
//! with `calamine`. Text cells are written as strings, so Excel never reinterprets them.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::convert::NUMBER_COLUMNS;
use super::{Column, Sheet, TableError, Tables};

/// The workbook's bytes.
pub fn write(tables: &Tables) -> Result<Vec<u8>, TableError> {
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold();
    for sheet in &tables.sheets {
        let failed = |row: Option<usize>, column: Option<Column>, err: XlsxError| {
            TableError::new(
                "UNREPRESENTABLE",
                &sheet.name,
                row,
                column,
                format!("cannot be written to a workbook: {err}"),
            )
        };
        let worksheet = workbook.add_worksheet();
        worksheet
            .set_name(&sheet.name)
            .map_err(|err| failed(None, None, err))?;
        let headers = sheet.rows.first().cloned().unwrap_or_default();
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let header_name = headers.get(c).map_or("", String::as_str);
                let at = |err| failed(Some(r + 1), Some(Column::new(header_name, c)), err);
                let (row_index, col_index) = (r as u32, c as u16);
                if r == 0 {
                    worksheet
                        .write_string_with_format(row_index, col_index, cell, &header)
                        .map_err(at)?;
                    continue;
                }
                if cell.is_empty() {
                    continue;
                }
                let numeric = NUMBER_COLUMNS
                    .iter()
                    .any(|(s, h)| *s == sheet.name && *h == header_name);
                // Only a number that prints back as the same text is stored as a number.
                match cell.parse::<i64>() {
                    Ok(n) if numeric && n.to_string() == *cell => {
                        worksheet
                            .write_number(row_index, col_index, n as f64)
                            .map_err(at)?;
                    }
                    _ => {
                        worksheet
                            .write_string(row_index, col_index, cell)
                            .map_err(at)?;
                    }
                }
            }
        }
        for (c, name) in headers.iter().enumerate() {
            let numeric = NUMBER_COLUMNS
                .iter()
                .any(|(s, h)| *s == sheet.name && h == name);
            let width = if numeric { 8.0 } else { 30.0 };
            worksheet
                .set_column_width(c as u16, width)
                .map_err(|err| failed(None, None, err))?;
        }
        worksheet
            .set_freeze_panes(1, 0)
            .map_err(|err| failed(None, None, err))?;
    }
    workbook
        .save_to_buffer()
        .map_err(|err| failed_file(format!("cannot write the workbook: {err}")))
}

/// Every worksheet of the workbook as text cells, from cell A1.
pub fn read(bytes: &[u8]) -> Result<Tables, TableError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|err| failed_file(format!("not a readable XLSX workbook: {err}")))?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).map_err(|err| {
            TableError::new(
                "MALFORMED_FILE",
                &name,
                None,
                None,
                format!("unreadable worksheet: {err}"),
            )
        })?;
        // The range starts at the first used cell; rows and columns count from A1.
        let (height, width) = range
            .end()
            .map_or((0, 0), |(r, c)| (r as usize + 1, c as usize + 1));
        let mut rows = vec![vec![String::new(); width]; height];
        if let Some((top, left)) = range.start() {
            for (r, c, data) in range.used_cells() {
                let (r, c) = (r + top as usize, c + left as usize);
                let value = text(data).map_err(|message| {
                    let header = rows[0].get(c).map_or("", String::as_str);
                    TableError::new(
                        "MALFORMED_FILE",
                        &name,
                        Some(r + 1),
                        Some(Column::new(header, c)),
                        message,
                    )
                })?;
                rows[r][c] = value;
            }
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Tables { sheets })
}

/// A cell as text: strings exactly as stored, whole numbers without a decimal point.
fn text(data: &Data) -> Result<String, String> {
    Ok(match data {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(err) => return Err(format!("the cell holds an error value ({err})")),
        Data::Empty => String::new(),
    })
}

fn failed_file(message: String) -> TableError {
    TableError::new("MALFORMED_FILE", "", None, None, message)
}
