//! Conversions between a list and its tables, through XLSX and CSV bytes.

use super::*;
use crate::import::format::{DutyRow, ListFile};
use crate::import::{ANHUA, parse};

fn anhua() -> ListFile {
    parse(ANHUA).unwrap()
}

fn through_xlsx(file: &ListFile) -> ListFile {
    let tables = to_tables(file).unwrap();
    let bytes = xlsx::write(&tables).unwrap();
    let read = xlsx::read(&bytes).unwrap();
    // The cells themselves come back unchanged, not only what they add up to.
    assert_eq!(read, tables);
    from_tables(&read).unwrap()
}

fn through_csv(file: &ListFile) -> ListFile {
    let tables = to_tables(file).unwrap();
    let read = Tables {
        sheets: tables
            .sheets
            .iter()
            .map(|sheet| csv::from_bytes(&sheet.name, &csv::to_bytes(sheet).unwrap()).unwrap())
            .collect(),
    };
    assert_eq!(read, tables);
    from_tables(&read).unwrap()
}

fn sheet<'a>(tables: &'a Tables, name: &str) -> &'a Sheet {
    tables.sheet(name).unwrap()
}

/// The cell of `header` in spreadsheet row `row` of `name`.
fn cell<'a>(tables: &'a mut Tables, name: &str, row: usize, header: &str) -> &'a mut String {
    let sheet = tables.sheet_mut(name).unwrap();
    let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
    &mut sheet.rows[row - 1][index]
}

/// A list whose texts hold what spreadsheets and CSV are known to bend: edge spaces,
/// full-width spaces, line breaks of both kinds, tabs, quotes and commas, formula- and
/// number-looking text, Excel's own escape syntax, characters outside the BMP.
fn tricky() -> ListFile {
    let mut file = anhua();
    let duty = &mut file.duties[0];
    duty.text = "  前后有空格  ".into();
    duty.remark = Some("\u{3000}全角空格\u{3000}".into());
    duty.work_items[0].text = "第一行\r\n第二行\n第三行\r".into();
    duty.work_items[0].remark = Some("\t制表符\t".into());
    duty.work_items[1].text = "=SUM(A1:A2)".into();
    duty.work_items[1].remark = Some("0737".into());
    duty.work_items[2].text = "\"引号\",逗号,\"".into();
    duty.work_items[2].remark = Some("_x0041_ 与 _x000D_".into());
    file.public_services[0].content = "𠀀𪚥 扩展汉字 ✓".into();
    file.public_services[0].name = "1.50".into();
    file.supervision_regimes[0].preamble = Some("段一\n\n段二 ".into());
    file.boundary_matters[0].published_seq = "02".into();
    file
}

#[test]
fn tables__anhua_round_trips_through_xlsx() {
    // Given the Anhua list
    let file = anhua();
    // When it is written as a workbook and read back
    let back = through_xlsx(&file);
    // Then every field is as it was, texts byte for byte
    assert_eq!(back, file);
}

#[test]
fn tables__anhua_round_trips_through_csv() {
    // Given the Anhua list
    let file = anhua();
    // When each sheet is written as CSV and read back
    let back = through_csv(&file);
    // Then every field is as it was
    assert_eq!(back, file);
}

#[test]
fn tables__anhua_round_trips_through_a_csv_directory() {
    // Given the Anhua list written as a directory of CSV files
    let dir = std::env::temp_dir().join(format!(
        "qingdan-tables-unit-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let file = anhua();
    csv::write_dir(&to_tables(&file).unwrap(), &dir).unwrap();
    // When the directory is read back
    let names: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let back = from_tables(&csv::read_dir(&dir).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // Then there is one file a sheet, named after it, and the list is unchanged
    assert!(names.contains("主要职责.csv"), "{names:?}");
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(back, file);
}

#[test]
fn tables__texts_spreadsheets_bend_survive_xlsx_and_csv() {
    // Given texts with edge spaces, line breaks, tabs, quotes, escapes and rare characters
    let file = tricky();
    // When they go through a workbook and through CSV
    // Then they come back byte for byte
    assert_eq!(through_xlsx(&file), file);
    assert_eq!(through_csv(&file), file);
}

#[test]
fn tables__duties_are_laid_out_as_published() {
    // Given the Anhua list as tables
    let tables = to_tables(&anhua()).unwrap();
    let duties = sheet(&tables, DUTIES);
    // Then the header is the published one, extra columns after it
    assert_eq!(
        duties.rows[0],
        [
            "序号",
            "主要职责",
            "具体工作事项",
            "备注",
            "职责备注",
            "部门"
        ]
    );
    // And a duty's first row holds its number, text and first work item; the next rows only
    // the work items
    let first = &anhua().duties[0];
    assert_eq!(duties.rows[1][0], "1");
    assert_eq!(duties.rows[1][1], first.text);
    assert_eq!(duties.rows[1][2], first.work_items[0].text);
    assert_eq!(duties.rows[1][5], "安化县人口和计划生育局");
    assert_eq!(duties.rows[2][..2], ["", ""]);
    assert_eq!(duties.rows[2][2], first.work_items[1].text);
    // And there is one row a work item (51 in the list)
    assert_eq!(duties.rows.len(), 1 + 51);
}

#[test]
fn tables__divisions_carry_role_and_names_in_extra_columns() {
    // Given the Anhua list as tables
    let tables = to_tables(&anhua()).unwrap();
    let matters = sheet(&tables, MATTERS);
    // Then there is one row a division (4 + 8), the published columns first
    assert_eq!(matters.rows.len(), 1 + 12);
    assert_eq!(
        matters.rows[0][..6],
        [
            "序号",
            "管理事项",
            "相关部门",
            "职责分工",
            "相关依据",
            "案例"
        ]
    );
    // And the second matter's first row names the bureau as printed and as canonical, as lead
    let row = &matters.rows[5];
    assert_eq!(row[0], "2");
    assert_eq!(row[1], "流动人口管理");
    assert_eq!(row[2], "县人口计生局");
    assert_eq!(row[6], "牵头");
    assert_eq!(row[7], "安化县人口和计划生育局");
    assert_eq!(row[9], "否");
    // And its three legal bases are one a line
    assert_eq!(row[4].split('\n').count(), 3);
    assert_eq!(matters.rows[6][6], "配合");
}

#[test]
fn tables__a_duty_without_work_items_and_a_matter_without_divisions_round_trip() {
    // Given a duty with no work item but a remark of its own, and a disputed matter with no
    // division
    let mut file = anhua();
    file.duties.push(DutyRow {
        seq: 11,
        department: file.owner.clone(),
        text: "新增职责".into(),
        remark: Some("职责自己的备注".into()),
        work_items: Vec::new(),
    });
    file.duties[1].remark = Some("有工作事项的职责的备注".into());
    file.boundary_matters[1].disputed = true;
    let mut empty = file.boundary_matters[1].clone();
    empty.seq = 3;
    empty.title = "争议事项".into();
    empty.divisions.clear();
    file.boundary_matters.push(empty);
    // When they go through both formats
    // Then they come back as they were
    assert_eq!(through_xlsx(&file), file);
    assert_eq!(through_csv(&file), file);
}

#[test]
fn from_tables__a_non_number_seq_is_refused_at_its_cell() {
    // Given the duties sheet with 序号 "abc" on the first duty's row
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, DUTIES, 2, "序号") = "abc".into();
    // When it is read
    let err = from_tables(&tables).unwrap_err();
    // Then the error names the sheet, row and column
    assert_eq!(err.code, "NOT_A_NUMBER");
    assert_eq!(err.sheet, DUTIES);
    assert_eq!(err.row, Some(2));
    assert_eq!(err.column, Some(Column::new("序号", 0)));
    assert_eq!(err.place(), "sheet 主要职责, row 2, column 序号 (A)");
}

#[test]
fn from_tables__a_missing_sheet_is_named() {
    // Given tables without the 主要职责 sheet
    let mut tables = to_tables(&anhua()).unwrap();
    tables.sheets.retain(|s| s.name != DUTIES);
    // When they are read
    let err = from_tables(&tables).unwrap_err();
    // Then the missing sheet is named
    assert_eq!((err.code, err.sheet.as_str()), ("MISSING_SHEET", DUTIES));
}

#[test]
fn from_tables__a_missing_header_is_named() {
    // Given a 公共服务 sheet whose 联系电话 header was renamed
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, SERVICES, 1, "联系电话") = "电话".into();
    // When it is read
    let err = from_tables(&tables).unwrap_err();
    // Then the renamed column is refused first, as one whose data would be lost
    assert_eq!(err.code, "UNKNOWN_HEADER");
    assert_eq!(err.column, Some(Column::new("电话", 4)));
    // And once the column is gone, the missing header is named
    for row in &mut tables.sheet_mut(SERVICES).unwrap().rows {
        row.remove(4);
    }
    let err = from_tables(&tables).unwrap_err();
    assert_eq!((err.code, err.sheet.as_str()), ("MISSING_HEADER", SERVICES));
    assert_eq!(err.column.unwrap().header, "联系电话");
}

#[test]
fn from_tables__a_division_naming_an_unknown_department_is_refused() {
    // Given a division whose 部门 is on no row of the 部门 sheet
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, MATTERS, 4, "部门") = "安化县不存在局".into();
    // When it is read
    let err = from_tables(&tables).unwrap_err();
    // Then the cell is named
    assert_eq!(err.code, "UNKNOWN_DEPARTMENT");
    assert_eq!(err.sheet, MATTERS);
    assert_eq!(err.row, Some(4));
    assert_eq!(err.column, Some(Column::new("部门", 7)));
}

#[test]
fn from_tables__columns_are_found_by_header_in_any_order() {
    // Given the 公共服务 sheet with its columns reversed
    let file = anhua();
    let mut tables = to_tables(&file).unwrap();
    for row in &mut tables.sheet_mut(SERVICES).unwrap().rows {
        row.reverse();
    }
    // When it is read
    // Then the list is the same
    assert_eq!(from_tables(&tables).unwrap(), file);
}

#[test]
fn from_tables__a_work_item_cell_on_a_continuation_row_keeps_its_duty() {
    // Given a 主要职责 text on a row without 序号 (it would be lost)
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, DUTIES, 3, "主要职责") = "漏掉的职责".into();
    // When it is read
    let err = from_tables(&tables).unwrap_err();
    // Then the row is refused at that cell
    assert_eq!(err.code, "UNEXPECTED_CELL");
    assert_eq!(
        (err.row, err.column.unwrap().letter.as_str()),
        (Some(3), "B")
    );
}

#[test]
fn from_tables__an_item_row_without_its_parent_above_is_refused() {
    // Given a regime item whose path names a section that is not the one above it
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, REGIME_ITEMS, 3, "路径") = "9.1".into();
    // When it is read
    let err = from_tables(&tables).unwrap_err();
    // Then it is refused at its path
    assert_eq!((err.code, err.sheet.as_str()), ("ORPHAN_ROW", REGIME_ITEMS));
    assert_eq!(err.row, Some(3));
}

#[test]
fn to_tables__an_empty_optional_text_is_refused_not_dropped() {
    // Given a work item whose remark is an empty text (a table would read it back as none)
    let mut file = anhua();
    file.duties[0].work_items[1].remark = Some(String::new());
    // When it is written as tables
    let err = to_tables(&file).unwrap_err();
    // Then it is refused at the cell it would go to
    assert_eq!(err.code, "UNREPRESENTABLE");
    assert_eq!(err.place(), "sheet 主要职责, row 3, column 备注 (D)");
}

#[test]
fn to_tables__a_line_break_inside_a_listed_entry_is_refused() {
    // Given a legal basis whose text holds a line break (entries are one a line)
    let mut file = anhua();
    file.boundary_matters[1].divisions[0].legal_bases[0].text = "一\n二".into();
    // When it is written as tables
    let err = to_tables(&file).unwrap_err();
    // Then it is refused
    assert_eq!(err.code, "UNREPRESENTABLE");
    assert_eq!(err.column.unwrap().header, "相关依据");
}

#[test]
fn column_letter__counts_like_a_spreadsheet() {
    let letters: Vec<String> = [0, 1, 25, 26, 27, 701, 702]
        .into_iter()
        .map(column_letter)
        .collect();
    assert_eq!(letters, ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]);
}

#[test]
fn xlsx__a_file_that_is_not_a_workbook_is_refused() {
    let err = xlsx::read(b"not a zip").unwrap_err();
    assert_eq!(err.code, "MALFORMED_FILE");
}

#[test]
fn csv__a_file_in_another_encoding_is_refused_at_its_row() {
    // Given a CSV whose second row is GBK, not UTF-8
    let bytes = b"\xEF\xBB\xBF\xE5\xBA\x8F\xE5\x8F\xB7\n\xD0\xF2\n";
    // When it is read
    let err = csv::from_bytes(SERVICES, bytes).unwrap_err();
    // Then the row is named
    assert_eq!((err.code, err.row), ("MALFORMED_FILE", Some(2)));
}

/// The text of part `name` of a workbook.
fn workbook_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn xlsx__every_column_sized_the_header_frozen_and_closed_sets_a_drop_down() {
    // Given the Anhua list as a workbook
    let bytes = xlsx::write(&to_tables(&anhua()).unwrap()).unwrap();
    for (n, (name, headers)) in LAYOUT.iter().enumerate() {
        let xml = workbook_part(&bytes, &format!("xl/worksheets/sheet{}.xml", n + 1));
        // Then every column has a width of its own (adjacent alike columns share a <col>)
        let spans: Vec<(usize, usize)> = xml
            .split("<col ")
            .skip(1)
            .map(|col| {
                let number = |key: &str| -> usize {
                    let start = col.find(key).unwrap() + key.len();
                    col[start..].split('"').next().unwrap().parse().unwrap()
                };
                assert!(col.contains("customWidth=\"1\""), "{name}: {col}");
                (number("min=\""), number("max=\""))
            })
            .collect();
        for c in 1..=headers.len() {
            assert!(
                spans.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)),
                "{name} column {c}"
            );
        }
        // And the header row is frozen
        assert!(xml.contains("ySplit=\"1\""), "{name}");
    }
    // And 牵头/配合 and 有争议 offer their choices, in Chinese
    let matters = workbook_part(&bytes, "xl/worksheets/sheet4.xml");
    assert!(
        matters.contains("<formula1>\"牵头,配合\"</formula1>"),
        "{matters}"
    );
    assert!(matters.contains("<formula1>\"是,否\"</formula1>"));
    let departments = workbook_part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(departments.contains("部门,内设机构,党的机关,乡镇,上级机关"));
    // And long texts wrap, and phones are text cells in a text-formatted column
    let styles = workbook_part(&bytes, "xl/styles.xml");
    assert!(styles.contains("wrapText=\"1\""));
    assert!(styles.contains("formatCode=\"@\""), "{styles}");
    let services = workbook_part(&bytes, "xl/worksheets/sheet7.xml");
    let phone = services.split("<c r=\"E9\"").nth(1).unwrap();
    assert!(
        phone.split('>').next().unwrap().contains("t=\"s\""),
        "{phone}"
    );
}

#[test]
fn csv__a_phone_is_written_as_a_text_formula_and_read_back_as_the_phone() {
    let tables = to_tables(&anhua()).unwrap();
    let sheet = sheet(&tables, SERVICES);
    let text = String::from_utf8(csv::to_bytes(sheet).unwrap()).unwrap();
    assert!(
        text.contains(r#""=""07377821688""","=""07377821688""""#),
        "{text}"
    );
    // A bare phone (typed into the file by hand) reads as it is
    let bare = text.replace(r#""=""07377821688""""#, "07377821688");
    let read = csv::from_bytes(SERVICES, bare.as_bytes()).unwrap();
    assert_eq!(&read, sheet);
    assert_eq!(&csv::from_bytes(SERVICES, text.as_bytes()).unwrap(), sheet);
}

#[test]
fn from_tables__a_control_character_is_refused_at_its_cell() {
    let mut tables = to_tables(&anhua()).unwrap();
    *cell(&mut tables, DUTIES, 3, "具体工作事项") = "事项\u{0}".into();
    let err = from_tables(&tables).unwrap_err();
    assert_eq!(err.code, "TEXT_INVALID");
    assert_eq!(
        err.place(),
        "sheet 主要职责, row 3, column 具体工作事项 (C)"
    );
}
