//! Tables ⇄ an XLSX workbook, one worksheet per sheet: written with `rust_xlsxwriter`, read
//! with `calamine`. Text cells are written as strings, so Excel never reinterprets them.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{DataValidation, Format, FormatAlign, Workbook, XlsxError};

use super::layout;
use super::{Column, Sheet, TableError, Tables};

/// The workbook's bytes. Every column gets a width and a format (long texts wrap, phones are
/// text cells in a text-formatted column), the header row is frozen, and a column that takes
/// a closed set offers it as a drop-down list.
pub fn write(tables: &Tables) -> Result<Vec<u8>, TableError> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
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
        let formats: Vec<Format> = headers
            .iter()
            .map(|name| column_format(&sheet.name, name))
            .collect();
        for (c, name) in headers.iter().enumerate() {
            let sheet_failed = |err| failed(None, Some(Column::new(name, c)), err);
            let col = c as u16;
            let (width, _) = layout::width(&sheet.name, name);
            worksheet
                .set_column_width(col, width)
                .map_err(sheet_failed)?;
            worksheet
                .set_column_format(col, &formats[c])
                .map_err(sheet_failed)?;
            if let Some(choices) = layout::choices(&sheet.name, name) {
                worksheet
                    .add_data_validation(1, col, LAST_ROW, col, &drop_down(&choices)?)
                    .map_err(sheet_failed)?;
            }
        }
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
                let format = formats.get(c).cloned().unwrap_or_default();
                let numeric = layout::is_number_column(&sheet.name, header_name);
                // Only a number that prints back as the same text is stored as a number.
                match cell.parse::<i64>() {
                    Ok(n) if numeric && n.to_string() == *cell => {
                        worksheet
                            .write_number_with_format(row_index, col_index, n as f64, &format)
                            .map_err(at)?;
                    }
                    _ => {
                        worksheet
                            .write_string_with_format(row_index, col_index, cell, &format)
                            .map_err(at)?;
                    }
                }
            }
        }
        worksheet
            .set_freeze_panes(1, 0)
            .map_err(|err| failed(None, None, err))?;
    }
    workbook
        .save_to_buffer()
        .map_err(|err| failed_file(format!("cannot write the workbook: {err}")))
}

/// The last row a drop-down list covers (0-based): the whole column under the header, so
/// rows a clerk adds get it too.
const LAST_ROW: u32 = 1_048_575;

/// How a column's cells look: texts top-aligned, long ones wrapped, phones as text (Excel's
/// `@` number format), so a phone typed into the column later keeps its leading 0 as well.
fn column_format(sheet: &str, header: &str) -> Format {
    let mut format = Format::new().set_align(FormatAlign::Top);
    if layout::width(sheet, header).1 {
        format = format.set_text_wrap();
    }
    if layout::is_phone_column(sheet, header) {
        format = format.set_num_format("@");
    }
    format
}

/// A drop-down list of `choices` that refuses anything else typed into the cell.
fn drop_down(choices: &[&str]) -> Result<DataValidation, TableError> {
    let list = choices.join("、");
    let failed = |err: XlsxError| failed_file(format!("cannot write a drop-down list: {err}"));
    DataValidation::new()
        .allow_list_strings(choices)
        .and_then(|v| v.set_error_title("请从下拉列表中选择"))
        .and_then(|v| v.set_error_message(format!("只能填写：{list}")))
        .map_err(failed)
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
