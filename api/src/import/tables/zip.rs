//! Tables ⇄ one ZIP of CSV files (`主要职责.csv` …, as `csv` writes them): what travels over
//! HTTP where a command line would use a directory. Reading takes every `*.csv` entry, in
//! any folder of the archive, as the sheet its file name names; a name Windows wrote in GBK
//! (without the archive's UTF-8 flag) is read as GBK. Unpacking stops past a limit, so a
//! small archive cannot unpack into gigabytes.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{TableError, Tables, csv};

/// The archive's bytes: one CSV file a sheet, deflated.
pub fn write(tables: &Tables) -> Result<Vec<u8>, TableError> {
    let failed = |err: zip::result::ZipError| malformed(format!("cannot write the ZIP: {err}"));
    let mut archive = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for sheet in &tables.sheets {
        archive
            .start_file(format!("{}.csv", sheet.name), options)
            .map_err(failed)?;
        archive
            .write_all(&csv::to_bytes(sheet)?)
            .map_err(|err| failed(err.into()))?;
    }
    Ok(archive.finish().map_err(failed)?.into_inner())
}

/// Every `*.csv` entry of the archive as a sheet, in the archive's order; at most
/// `max_unpacked` bytes are unpacked in all.
pub fn read(bytes: &[u8], max_unpacked: u64) -> Result<Tables, TableError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|err| malformed(format!("not a readable ZIP archive: {err}")))?;
    let mut sheets = Vec::new();
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|err| malformed(format!("entry {} cannot be read: {err}", i + 1)))?;
        if entry.is_dir() {
            continue;
        }
        let path = entry_name(entry.name_raw());
        let file = path.rsplit('/').next().unwrap_or_default();
        // Archivers add metadata of their own (macOS `__MACOSX/._主要职责.csv`).
        if path.starts_with("__MACOSX/") || file.starts_with("._") {
            continue;
        }
        let Some(name) = file.strip_suffix(".csv") else {
            continue;
        };
        let mut data = Vec::new();
        (&mut entry)
            .take(max_unpacked.saturating_sub(unpacked) + 1)
            .read_to_end(&mut data)
            .map_err(|err| malformed(format!("{path} cannot be unpacked: {err}")))?;
        unpacked += data.len() as u64;
        if unpacked > max_unpacked {
            return Err(too_large(max_unpacked));
        }
        sheets.push(csv::from_bytes(name, &data)?);
    }
    Ok(Tables { sheets })
}

/// Refuses an archive (a workbook is one too) whose entries say they unpack to more than
/// `max_unpacked` bytes, before anything is unpacked.
pub fn check_unpacked_size(bytes: &[u8], max_unpacked: u64) -> Result<(), TableError> {
    let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
        // Not an archive at all: the reader that follows says so.
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        if let Ok(entry) = archive.by_index_raw(i) {
            total = total.saturating_add(entry.size());
        }
    }
    if total > max_unpacked {
        return Err(too_large(max_unpacked));
    }
    Ok(())
}

/// An entry's name: UTF-8 when it is, else GBK, which Windows' own archiver writes on a
/// Chinese system.
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(name) => name.to_owned(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

fn malformed(message: String) -> TableError {
    TableError::new("MALFORMED_FILE", "", None, None, message)
}

fn too_large(max_unpacked: u64) -> TableError {
    TableError::new(
        "FILE_TOO_LARGE",
        "",
        None,
        None,
        format!("the file unpacks to more than {max_unpacked} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tables::Sheet;

    fn tables() -> Tables {
        Tables {
            sheets: vec![Sheet {
                name: "公共服务".into(),
                rows: vec![vec!["联系电话".into()], vec!["07377821688".into()]],
            }],
        }
    }

    #[test]
    fn zip__tables_round_trip_and_phones_keep_their_zero() {
        let bytes = write(&tables()).unwrap();
        assert_eq!(read(&bytes, 1 << 20).unwrap(), tables());
    }

    #[test]
    fn zip__an_archive_unpacking_past_the_limit_is_refused() {
        let bytes = write(&tables()).unwrap();
        assert_eq!(read(&bytes, 10).unwrap_err().code, "FILE_TOO_LARGE");
        assert_eq!(
            check_unpacked_size(&bytes, 10).unwrap_err().code,
            "FILE_TOO_LARGE"
        );
    }

    #[test]
    fn zip__a_file_that_is_not_an_archive_is_malformed() {
        assert_eq!(read(b"not a zip", 100).unwrap_err().code, "MALFORMED_FILE");
    }

    #[test]
    fn zip__a_gbk_file_name_is_read_as_chinese() {
        let (gbk, _, _) = encoding_rs::GBK.encode("公共服务.csv");
        assert_eq!(entry_name(&gbk), "公共服务.csv");
    }
}
