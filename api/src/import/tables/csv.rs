//! Tables ⇄ a directory of CSV files, one per sheet, named after it (`主要职责.csv`). UTF-8
//! with a byte-order mark, which Excel and WPS need to open Chinese text as UTF-8; reading
//! accepts files with or without it. Fields are quoted where needed, never trimmed.
//!
//! A phone is written as the formula `="07377821688"`: a spreadsheet opening the file takes
//! a bare 07377821688 for a number and drops the 0, but evaluates the formula to the text.
//! Reading takes the text back out of it (and accepts a bare phone as well).

use std::path::Path;

use super::layout::is_phone_column;
use super::{Sheet, TableError, Tables};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One sheet as CSV bytes.
pub fn to_bytes(sheet: &Sheet) -> Result<Vec<u8>, TableError> {
    let failed = |err: ::csv::Error| {
        TableError::new(
            "MALFORMED_FILE",
            &sheet.name,
            None,
            None,
            format!("cannot write CSV: {err}"),
        )
    };
    let mut writer = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BOM.to_vec());
    let phones = phone_columns(sheet);
    for (r, row) in sheet.rows.iter().enumerate() {
        let record = row.iter().enumerate().map(|(c, cell)| {
            if r > 0 && phones.contains(&c) && !cell.is_empty() {
                format!("=\"{cell}\"")
            } else {
                cell.clone()
            }
        });
        writer.write_record(record).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|err| failed(err.into_error().into()))
}

/// One sheet from CSV bytes; every record is a row, the first the header.
pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Sheet, TableError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let number = rows.len() + 1;
        let record = record.map_err(|err| {
            TableError::new(
                "MALFORMED_FILE",
                name,
                Some(number),
                None,
                format!("not readable as CSV: {err}"),
            )
        })?;
        let row = record
            .iter()
            .map(|field| String::from_utf8(field.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                TableError::new(
                    "MALFORMED_FILE",
                    name,
                    Some(number),
                    None,
                    "not UTF-8 text; save the file as CSV UTF-8",
                )
            })?;
        rows.push(row);
    }
    let mut sheet = Sheet {
        name: name.to_owned(),
        rows,
    };
    let phones = phone_columns(&sheet);
    for row in sheet.rows.iter_mut().skip(1) {
        for c in &phones {
            if let Some(cell) = row.get_mut(*c) {
                *cell = unwrap_text_formula(cell).to_owned();
            }
        }
    }
    Ok(sheet)
}

/// The indexes of the sheet's phone columns, by its header row.
fn phone_columns(sheet: &Sheet) -> Vec<usize> {
    let headers = sheet.rows.first().map(Vec::as_slice).unwrap_or_default();
    (0..headers.len())
        .filter(|&c| is_phone_column(&sheet.name, &headers[c]))
        .collect()
}

/// The text of `="…"`, the formula a spreadsheet evaluates to that text; any other cell as is.
fn unwrap_text_formula(cell: &str) -> &str {
    match cell
        .strip_prefix("=\"")
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(inner) if !inner.contains('"') => inner,
        _ => cell,
    }
}

/// Writes one `SHEET.csv` per sheet into `dir`, creating it if needed.
pub fn write_dir(tables: &Tables, dir: &Path) -> Result<(), TableError> {
    std::fs::create_dir_all(dir).map_err(|err| io_error("", dir, err))?;
    for sheet in &tables.sheets {
        let path = dir.join(format!("{}.csv", sheet.name));
        std::fs::write(&path, to_bytes(sheet)?).map_err(|err| io_error(&sheet.name, &path, err))?;
    }
    Ok(())
}

/// Reads every `*.csv` file of `dir` as the sheet named by its file name.
pub fn read_dir(dir: &Path) -> Result<Tables, TableError> {
    let entries = std::fs::read_dir(dir).map_err(|err| io_error("", dir, err))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|err| io_error("", dir, err))?.path();
        if path.extension().is_some_and(|ext| ext == "csv") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut sheets = Vec::new();
    for path in paths {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| {
                TableError::new(
                    "MALFORMED_FILE",
                    "",
                    None,
                    None,
                    format!("{} is not a UTF-8 file name", path.display()),
                )
            })?
            .to_owned();
        let bytes = std::fs::read(&path).map_err(|err| io_error(&name, &path, err))?;
        sheets.push(from_bytes(&name, &bytes)?);
    }
    Ok(Tables { sheets })
}

fn io_error(sheet: &str, path: &Path, err: std::io::Error) -> TableError {
    TableError::new(
        "IO_ERROR",
        sheet,
        None,
        None,
        format!("{}: {err}", path.display()),
    )
}
