//! Importing and exporting a list as tables (XLSX workbook, directory of CSV files): the
//! Anhua list survives a trip through the database, and a bad file writes nothing.

use std::path::PathBuf;

use qingdan::import::format::ListFile;
use qingdan::import::tables::{
    self, Column, DUTIES, MATTERS, SERVICES, TableError, TableLoadError, Tables, csv, xlsx,
};
use qingdan::import::{ANHUA, Imported, export_list, parse};
use qingdan_tests::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};

/// A path under the temp directory that no other test or run uses.
fn temp_path(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "qingdan-tables-{}-{nanos}-{name}",
        std::process::id()
    ))
}

fn anhua() -> ListFile {
    parse(ANHUA).unwrap()
}

/// Writes `tables` as a workbook file and reads that file back.
fn via_xlsx_file(tables: &Tables) -> Tables {
    let path = temp_path("list.xlsx");
    std::fs::write(&path, xlsx::write(tables).unwrap()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    xlsx::read(&bytes).unwrap()
}

/// Writes `tables` as a directory of CSV files and reads the directory back.
fn via_csv_dir(tables: &Tables) -> Tables {
    let dir = temp_path("csv");
    csv::write_dir(tables, &dir).unwrap();
    let read = csv::read_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    read
}

async fn counts(app: &TestApp) -> (u64, u64) {
    use qingdan::import::stored::{department, responsibility_list};
    (
        responsibility_list::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        department::Entity::find().count(&app.db).await.unwrap(),
    )
}

fn refused(result: Result<qingdan::import::LoadSummary, TableLoadError>) -> TableError {
    match result {
        Err(TableLoadError::Invalid(err)) => err,
        other => panic!("expected a refused file, got {other:?}"),
    }
}

/// Loads `edit`ed Anhua tables, after a trip through a workbook file, into an empty database.
async fn load_edited(edit: impl FnOnce(&mut Tables)) -> (TestApp, TableError) {
    let app = TestApp::spawn_empty().await;
    let mut tables = tables::to_tables(&anhua()).unwrap();
    edit(&mut tables);
    let read = via_xlsx_file(&tables);
    let err = refused(tables::load_tables(&app.db, &read).await);
    (app, err)
}

fn set(tables: &mut Tables, sheet: &str, row: u32, header: &str, value: &str) {
    let sheet = tables.sheet_mut(sheet).unwrap();
    let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
    sheet.rows[row as usize - 1][index] = value.to_owned();
}

#[tokio::test]
async fn tables__anhua_xlsx_imports_into_an_empty_database_and_exports_unchanged() {
    // Given the Anhua list written as a workbook file
    let app = TestApp::spawn_empty().await;
    let file = anhua();
    let read = via_xlsx_file(&tables::to_tables(&file).unwrap());
    // When it is imported into an empty database
    let summary = tables::load_tables(&app.db, &read).await.unwrap();
    // Then the list exported from the database is the original, every text byte for byte
    assert_eq!(summary.duties, 10);
    let exported = export_list(&app.db, None).await.unwrap().unwrap();
    assert_eq!(exported, file);
    // And exporting it as a workbook gives the same cells again
    let again = tables::to_tables(&exported).unwrap();
    assert_eq!(via_xlsx_file(&again), tables::to_tables(&file).unwrap());
}

#[tokio::test]
async fn tables__anhua_csv_directory_imports_into_an_empty_database_and_exports_unchanged() {
    // Given the Anhua list written as a directory of CSV files
    let app = TestApp::spawn_empty().await;
    let file = anhua();
    let read = via_csv_dir(&tables::to_tables(&file).unwrap());
    // When it is imported
    tables::load_tables(&app.db, &read).await.unwrap();
    // Then the list exported from the database is the original
    assert_eq!(export_list(&app.db, None).await.unwrap().unwrap(), file);
}

#[tokio::test]
async fn tables__a_non_number_seq_is_refused_at_its_cell_and_nothing_is_written() {
    // Given a workbook whose fourth duty has 序号 "abc"
    let fourth_duty_row: u32 = 2 + 3 + 5 + 4;
    let (app, err) = load_edited(|t| set(t, DUTIES, fourth_duty_row, "序号", "abc")).await;
    // Then the error names sheet, row and column
    assert_eq!(err.code, "NOT_A_NUMBER");
    assert_eq!(err.sheet, DUTIES);
    assert_eq!(err.row, Some(fourth_duty_row));
    assert_eq!(err.column, Some(Column::new("序号", 0)));
    // And the database holds no list and no department
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn tables__a_missing_duties_sheet_is_refused_and_nothing_is_written() {
    // Given a CSV directory without 主要职责.csv
    let app = TestApp::spawn_empty().await;
    let mut tables = tables::to_tables(&anhua()).unwrap();
    tables.sheets.retain(|s| s.name != DUTIES);
    let read = via_csv_dir(&tables);
    // When it is imported
    let err = refused(tables::load_tables(&app.db, &read).await);
    // Then the sheet is named, and nothing is written
    assert_eq!((err.code, err.sheet.as_str()), ("MISSING_SHEET", DUTIES));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn tables__a_division_naming_an_unknown_department_is_refused_and_nothing_is_written() {
    // Given a workbook whose second division names a department the list does not have
    let (app, err) = load_edited(|t| set(t, MATTERS, 3, "部门", "安化县不存在局")).await;
    // Then the cell is named, and nothing is written
    assert_eq!(err.code, "UNKNOWN_DEPARTMENT");
    assert_eq!(err.sheet, MATTERS);
    assert_eq!(err.row, Some(3));
    assert_eq!(err.column, Some(Column::new("部门", 7)));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn tables__a_row_the_validator_refuses_is_reported_at_its_cell() {
    // Given a workbook whose fifth division's 职责分工 is only spaces, and one whose second
    // matter has two leads
    let (app, err) = load_edited(|t| set(t, MATTERS, 6, "职责分工", "  ")).await;
    // Then the validator's error points at the cell, and nothing is written
    assert_eq!(err.code, "EMPTY_TEXT");
    assert_eq!(err.place(), "sheet 职责边界, row 6, column 职责分工 (D)");
    assert_eq!(counts(&app).await, (0, 0));

    let (app, err) = load_edited(|t| set(t, MATTERS, 8, "牵头/配合", "牵头")).await;
    assert_eq!(err.code, "LEAD_COUNT");
    assert_eq!((err.sheet.as_str(), err.row), (MATTERS, Some(6)));
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn tables__a_revised_list_with_the_same_title_becomes_its_draft() {
    // Given a server holding the Anhua list
    let app = TestApp::spawn().await;
    let before = export_list(&app.db, None).await.unwrap().unwrap();
    let clock = qingdan::domain::clock::SystemClock;
    // When the same list is imported again from a workbook, unchanged
    let read = via_xlsx_file(&tables::to_tables(&anhua()).unwrap());
    let imported = tables::import_tables(&app.db, &read, &clock).await.unwrap();
    // Then nothing changed and no draft was opened
    let Imported::Revised(changes) = imported else {
        panic!("expected a revision, got {imported:?}");
    };
    assert_eq!((changes.total().added, changes.total().changed), (0, 0));
    assert_eq!(changes.draft_id, None);
    // When a revision of it is imported: a service's phone changed, a duty removed
    let mut revised = tables::to_tables(&anhua()).unwrap();
    set(&mut revised, SERVICES, 9, "联系电话", "0737-7821699");
    set(&mut revised, SERVICES, 9, "电话号码", "");
    let sheet = revised.sheet_mut(DUTIES).unwrap();
    let last_duty = sheet.rows.len() - 2; // duty 10 has two work items, on the last two rows
    sheet.rows.truncate(last_duty);
    let read = via_xlsx_file(&revised);
    let Imported::Revised(changes) = tables::import_tables(&app.db, &read, &clock).await.unwrap()
    else {
        panic!("expected a revision");
    };
    // Then it is the list's draft, the published version untouched
    assert!(changes.draft_id.is_some());
    assert_eq!(changes.tables["public_service"].changed, 1);
    assert_eq!(changes.tables["duty"].removed, 1);
    assert_eq!(changes.tables["work_item"].removed, 2);
    assert_eq!(export_list(&app.db, None).await.unwrap().unwrap(), before);
    assert_eq!(counts(&app).await.0, 1);
    let draft = qingdan::import::stored::public_service::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.published_phone == "0737-7821699")
        .expect("the draft's service");
    assert_eq!(draft.phone, "07377821699");
}

#[tokio::test]
async fn tables__closed_codes_read_in_chinese_or_english() {
    // Given a workbook whose roles and kinds are written as the English codes of older files
    let app = TestApp::spawn_empty().await;
    let mut tables = tables::to_tables(&anhua()).unwrap();
    assert_eq!(cell(&tables, MATTERS, 2, "牵头/配合"), "牵头");
    assert_eq!(cell(&tables, "部门", 2, "类别"), "部门");
    assert_eq!(cell(&tables, "监管制度", 2, "计日方式"), "自然日");
    set(&mut tables, MATTERS, 2, "牵头/配合", "LEAD");
    set(&mut tables, "部门", 2, "类别", "DEPARTMENT");
    set(&mut tables, "监管制度", 2, "计日方式", "NATURAL");
    // When it is imported
    tables::load_tables(&app.db, &via_xlsx_file(&tables))
        .await
        .unwrap();
    // Then the list is the same as from the Chinese words
    assert_eq!(export_list(&app.db, None).await.unwrap().unwrap(), anhua());
}

#[tokio::test]
async fn tables__a_phone_the_api_refuses_is_refused_at_its_cell() {
    // Given a workbook whose service 8 lost its area code's 0, as Excel loses it
    let (app, err) = load_edited(|t| {
        set(t, SERVICES, 9, "联系电话", "7377821688");
        set(t, SERVICES, 9, "电话号码", "7377821688");
    })
    .await;
    // Then it is PHONE_INVALID at the cell, the rule the API applies to a phone typed in
    assert_eq!(err.code, "PHONE_INVALID");
    assert_eq!(err.place(), "sheet 公共服务, row 9, column 联系电话 (E)");
    assert!(err.message.contains("leading 0"), "{}", err.message);
    assert_eq!(counts(&app).await, (0, 0));
}

fn cell<'a>(tables: &'a Tables, sheet: &str, row: u32, header: &str) -> &'a str {
    let sheet = tables.sheet(sheet).unwrap();
    let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
    &sheet.rows[row as usize - 1][index]
}
