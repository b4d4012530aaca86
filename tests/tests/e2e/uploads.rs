//! Lists as spreadsheets over HTTP (`GET /lists/{id}/export.xlsx|zip`, `PUT /lists/{id}/draft`):
//! a clerk downloads the list, edits it in Excel and uploads it into the draft, where
//! `listVersionDiff` shows exactly what changed; every refusal writes nothing.

use qingdan::auth::Role;
use qingdan::import::tables::{SERVICES, Tables, xlsx, zip};
use qingdan_tests::{TestApp, assert_no_user_errors};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const BUREAU: &str = "安化县人口和计划生育局";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const LISTS: &str = "{ responsibilityLists { id versions { id number } draft { id } } }";
const DIFF: &str = r#"query($from: ID!, $to: ID!) { listVersionDiff(from: $from, to: $to) {
  rowKind change fields before after } }"#;

/// The bureau's list: its id, its version 1's id, and its draft's (if open), as `token` sees them.
async fn list(app: &TestApp, token: &str) -> (String, String, Option<String>) {
    let body = app.query_as(token, LISTS).await;
    let list = &body["data"]["responsibilityLists"][0];
    let first = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["number"] == 1)
        .unwrap();
    (
        list["id"].as_str().unwrap().to_owned(),
        first["id"].as_str().unwrap().to_owned(),
        list["draft"]["id"].as_str().map(str::to_owned),
    )
}

async fn editor_of(app: &TestApp, dept: &str) -> String {
    let id = app.department_id(dept).await;
    app.token("清单编辑", &[Role::Editor], Some(&id))
}

async fn download(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

async fn download_xlsx(app: &TestApp, token: &str, list: &str) -> Vec<u8> {
    let response = download(app, Some(token), &format!("/lists/{list}/export.xlsx")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], XLSX);
    response.bytes().await.unwrap().to_vec()
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    list: &str,
    media: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = app
        .client
        .put(format!("{}/lists/{list}/draft", app.url))
        .header("content-type", media)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// Uploads `tables` as a workbook into the list's draft as the bearer of `token`.
async fn upload_workbook(app: &TestApp, token: &str, list: &str, tables: &Tables) -> (u16, Value) {
    upload(app, Some(token), list, XLSX, xlsx::write(tables).unwrap()).await
}

/// Audit entries and list versions: an upload that is refused changes neither.
async fn written(app: &TestApp) -> (Value, u64) {
    use qingdan::import::stored::list_version;
    let admin = app.token("审计", &[Role::Admin], None);
    let body = app
        .query_as(&admin, "{ auditEvents(first: 1) { totalCount } }")
        .await;
    let versions = list_version::Entity::find().count(&app.db).await.unwrap();
    (body["data"]["auditEvents"]["totalCount"].clone(), versions)
}

fn set(tables: &mut Tables, sheet: &str, row: usize, header: &str, value: &str) {
    let sheet = tables.sheet_mut(sheet).unwrap();
    let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
    sheet.rows[row - 1][index] = value.to_owned();
}

fn cell<'a>(tables: &'a Tables, sheet: &str, row: usize, header: &str) -> &'a str {
    let sheet = tables.sheet(sheet).unwrap();
    let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
    &sheet.rows[row - 1][index]
}

/// The workbook with a row inserted before spreadsheet row `row` of `sheet`.
fn insert_row(tables: &mut Tables, sheet: &str, row: usize, cells: &[(&str, &str)]) {
    let sheet = tables.sheet_mut(sheet).unwrap();
    let mut new = vec![String::new(); sheet.rows[0].len()];
    for (header, value) in cells {
        let index = sheet.rows[0].iter().position(|h| h == header).unwrap();
        new[index] = (*value).to_owned();
    }
    sheet.rows.insert(row - 1, new);
}

#[tokio::test]
async fn uploads__a_download_uploaded_unchanged_changes_nothing() {
    // Given the bureau's editor and its list as a workbook and as a CSV ZIP
    let app = TestApp::spawn().await;
    let token = editor_of(&app, BUREAU).await;
    let (list, _, draft) = list(&app, &token).await;
    assert_eq!(draft, None);
    let before = written(&app).await;
    let workbook = download_xlsx(&app, &token, &list).await;
    let archive = download(&app, Some(&token), &format!("/lists/{list}/export.zip")).await;
    assert_eq!(archive.headers()["content-type"], "application/zip");
    let archive = archive.bytes().await.unwrap().to_vec();
    for (media, body) in [(XLSX, workbook), ("application/zip", archive)] {
        // When it is uploaded as it was downloaded
        let (status, answer) = upload(&app, Some(&token), &list, media, body).await;
        // Then nothing changed, no draft was opened and nothing was written
        assert_eq!(status, 200, "{media}: {answer:#}");
        assert_eq!(answer["changed"], false, "{answer:#}");
        assert_eq!(answer["draftId"], Value::Null);
        assert_eq!(list_draft(&app, &token).await, None);
        assert_eq!(written(&app).await, before);
    }
}

async fn list_draft(app: &TestApp, token: &str) -> Option<String> {
    list(app, token).await.2
}

#[tokio::test]
async fn uploads__an_edited_work_item_and_a_new_one_are_exactly_the_diff() {
    // Given the workbook with duty 1's second work item reworded and a fourth one added
    let app = TestApp::spawn().await;
    let token = editor_of(&app, BUREAU).await;
    let (list, first, _) = list(&app, &token).await;
    let mut tables = xlsx::read(&download_xlsx(&app, &token, &list).await).unwrap();
    let old = cell(&tables, "主要职责", 3, "具体工作事项").to_owned();
    let edited = format!("{old}（含流动人口）");
    set(&mut tables, "主要职责", 3, "具体工作事项", &edited);
    insert_row(
        &mut tables,
        "主要职责",
        5,
        &[("具体工作事项", "开展人口监测与统计分析")],
    );
    // When it is uploaded
    let (status, answer) = upload_workbook(&app, &token, &list, &tables).await;
    // Then the draft has one work item changed and one added, nothing else
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(
        answer["tables"],
        json!({ "work_item": { "added": 1, "changed": 1, "removed": 0 } })
    );
    let draft = answer["draftId"].as_str().unwrap().to_owned();
    assert_eq!(
        list_draft(&app, &token).await.as_deref(),
        Some(draft.as_str())
    );
    // And listVersionDiff shows exactly those two rows
    let body = app
        .post_as(&token, DIFF, json!({ "from": first, "to": draft }))
        .await;
    let rows = body["data"]["listVersionDiff"]
        .as_array()
        .unwrap_or_else(|| panic!("{body:#}"));
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let changed = rows.iter().find(|r| r["change"] == "CHANGED").unwrap();
    assert_eq!(changed["fields"], json!(["text"]));
    assert_eq!(changed["before"]["text"], old);
    assert_eq!(changed["after"]["text"], edited);
    let added = rows.iter().find(|r| r["change"] == "ADDED").unwrap();
    assert_eq!(added["after"]["text"], "开展人口监测与统计分析");
    assert_eq!(added["after"]["seq"], 4);
    // And the published list is unchanged until the draft is published
    let published = download_xlsx(&app, &token, &list).await;
    assert_eq!(
        cell(
            &xlsx::read(&published).unwrap(),
            "主要职责",
            3,
            "具体工作事项"
        ),
        old
    );
    // And the draft downloads as uploaded, to its editor only
    let draft_path = format!("/lists/{list}/export.xlsx?draft=true");
    let response = download(&app, Some(&token), &draft_path).await;
    assert_eq!(response.status(), 200);
    let back = xlsx::read(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(cell(&back, "主要职责", 3, "具体工作事项"), edited);
    assert_eq!(download(&app, None, &draft_path).await.status(), 401);
    let unit = app.token("股室", &[Role::Unit], Some(&app.bureau_id().await));
    assert_eq!(download(&app, Some(&unit), &draft_path).await.status(), 403);
    // And uploading the same workbook again changes nothing more
    let (status, again) = upload_workbook(&app, &token, &list, &tables).await;
    assert_eq!(
        (status, &again["changed"]),
        (200, &json!(false)),
        "{again:#}"
    );
    assert_eq!(again["draftId"], draft);
}

#[tokio::test]
async fn uploads__each_refusal_is_coded_and_writes_nothing() {
    // Given a server with a small upload limit and the bureau's workbook
    let app = TestApp::spawn_with_limits(qingdan::config::Limits {
        max_upload_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let token = editor_of(&app, BUREAU).await;
    let (list, _, _) = list(&app, &token).await;
    let workbook = download_xlsx(&app, &token, &list).await;
    let mut edited = xlsx::read(&workbook).unwrap();
    set(&mut edited, "主要职责", 2, "主要职责", "改写的第一项职责");
    let edited = xlsx::write(&edited).unwrap();
    let before = written(&app).await;
    let code = |answer: &Value| {
        answer["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // No token: 401, with the challenge /graphql sends
    let response = app
        .client
        .put(format!("{}/lists/{list}/draft", app.url))
        .header("content-type", XLSX)
        .body(edited.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    // A bad token: 401
    let (status, _) = upload(&app, Some("not-a-token"), &list, XLSX, edited.clone()).await;
    assert_eq!(status, 401);
    // A UNIT: 403
    let unit = app.token("股室", &[Role::Unit], Some(&app.bureau_id().await));
    let (status, answer) = upload(&app, Some(&unit), &list, XLSX, edited.clone()).await;
    assert_eq!((status, code(&answer)), (403, "FORBIDDEN".into()));
    // Another department's editor: 403
    let other = editor_of(&app, "安化县教育局").await;
    let (status, answer) = upload(&app, Some(&other), &list, XLSX, edited.clone()).await;
    assert_eq!(
        (status, code(&answer)),
        (403, "FORBIDDEN".into()),
        "{answer:#}"
    );
    // A unit's editor changing the bureau's own duty: 403 at the duty's row
    let station = editor_of(&app, "宣传站").await;
    let (status, answer) = upload(&app, Some(&station), &list, XLSX, edited.clone()).await;
    assert_eq!(
        (status, code(&answer)),
        (403, "FORBIDDEN".into()),
        "{answer:#}"
    );
    assert_eq!(answer["errors"][0]["sheet"], "主要职责");
    assert_eq!(answer["errors"][0]["row"], 2);
    // Too large: 413
    let (status, answer) = upload(&app, Some(&token), &list, XLSX, vec![b'x'; 65 * 1024]).await;
    assert_eq!((status, code(&answer)), (413, "LIMIT_EXCEEDED".into()));
    // A malformed workbook: 422
    let (status, answer) = upload(
        &app,
        Some(&token),
        &list,
        XLSX,
        b"PK\x03\x04 not really".to_vec(),
    )
    .await;
    assert_eq!(
        (status, code(&answer)),
        (422, "MALFORMED_FILE".into()),
        "{answer:#}"
    );
    // A body of another kind: 415
    let (status, _) = upload(&app, Some(&token), &list, "text/plain", edited.clone()).await;
    assert_eq!(status, 415);
    // An unknown list: 404
    let (status, _) = upload(&app, Some(&token), "not-a-list-id", XLSX, edited.clone()).await;
    assert_eq!(status, 404);
    // A phone whose area code's 0 a spreadsheet dropped: 422 at its cell
    let mut bad = xlsx::read(&workbook).unwrap();
    set(&mut bad, SERVICES, 9, "联系电话", "7377821688");
    set(&mut bad, SERVICES, 9, "电话号码", "");
    let (status, answer) = upload_workbook(&app, &token, &list, &bad).await;
    assert_eq!(
        (status, code(&answer)),
        (422, "PHONE_INVALID".into()),
        "{answer:#}"
    );
    let error = &answer["errors"][0];
    assert_eq!(
        (&error["sheet"], &error["row"], &error["column"]),
        (&json!(SERVICES), &json!(9), &json!("联系电话"))
    );
    assert_eq!(error["columnLetter"], "E");
    assert_eq!(error["place"], "sheet 公共服务, row 9, column 联系电话 (E)");
    // A department changed on the 部门 sheet: 422 READ_ONLY
    let mut renamed = xlsx::read(&workbook).unwrap();
    set(&mut renamed, "部门", 2, "类别", "乡镇");
    let (status, answer) = upload_workbook(&app, &token, &list, &renamed).await;
    assert_eq!(
        (status, code(&answer)),
        (422, "READ_ONLY".into()),
        "{answer:#}"
    );
    // And after every refusal, nothing was written and no draft was opened
    assert_eq!(written(&app).await, before);
    assert_eq!(list_draft(&app, &token).await, None);
    // While the same workbook from the bureau's own editor is taken
    let (status, answer) = upload(&app, Some(&token), &list, XLSX, edited).await;
    assert_eq!(
        (status, &answer["tables"]["duty"]["changed"]),
        (200, &json!(1)),
        "{answer:#}"
    );
}

#[tokio::test]
async fn uploads__a_phone_keeps_its_leading_zero_in_xlsx_and_csv() {
    // Given the list downloaded as a workbook and as CSV files
    let app = TestApp::spawn().await;
    let token = editor_of(&app, BUREAU).await;
    let (list, _, _) = list(&app, &token).await;
    let workbook = xlsx::read(&download_xlsx(&app, &token, &list).await).unwrap();
    let archive = download(&app, None, &format!("/lists/{list}/export.zip")).await;
    assert_eq!(
        archive.status(),
        200,
        "anonymous callers download the published list"
    );
    let archive = archive.bytes().await.unwrap().to_vec();
    // Then the bureau's fixed line is text with its 0 in the workbook
    assert_eq!(cell(&workbook, SERVICES, 9, "联系电话"), "07377821688");
    // And in the CSV file it is the formula a spreadsheet evaluates to that text
    let csv = raw_entry(&archive, "公共服务.csv");
    assert!(csv.contains(r#""=""07377821688""""#), "{csv}");
    // And reading the CSV back gives the phone again
    let tables = zip::read(&archive, 1 << 24).unwrap();
    assert_eq!(cell(&tables, SERVICES, 9, "联系电话"), "07377821688");
    assert_eq!(cell(&tables, SERVICES, 9, "电话号码"), "07377821688");
}

/// The text of one file of a ZIP archive, as stored.
fn raw_entry(archive: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn uploads__as_of_picks_the_version_in_force_and_a_bad_date_is_refused() {
    let app = TestApp::spawn().await;
    let token = editor_of(&app, BUREAU).await;
    let (list, _, _) = list(&app, &token).await;
    // Version 1 is undated: in force on any day; a date not written as YYYY-MM-DD is refused
    for (as_of, status) in [("2016-07-01", 200), ("2016-7-1", 400)] {
        let path = format!("/lists/{list}/export.xlsx?asOf={as_of}");
        let response = download(&app, None, &path).await;
        assert_eq!(response.status(), status, "{as_of}");
    }
    // There is no draft to download yet
    let response = download(
        &app,
        Some(&token),
        &format!("/lists/{list}/export.zip?draft=true"),
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn uploads__legal_bases_numbered_across_divisions_keep_their_numbers() {
    // Given the draft's second matter citing a basis on 教育局's row, then one more on the
    // bureau's: numbered 4 and 5 in the matter, listed per division in the workbook
    let app = TestApp::spawn().await;
    let token = editor_of(&app, BUREAU).await;
    let (list, _, _) = list(&app, &token).await;
    let matters = app
        .gql(
            "{ boundaryMatters(first: 10) { nodes { id divisions { id department { name } } } } }",
            json!({}),
        )
        .await;
    let matter = &matters["boundaryMatters"]["nodes"][1];
    let division = |name: &str| {
        matter["divisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["department"]["name"] == name)
            .unwrap()["id"]
            .clone()
    };
    let create = r#"mutation($input: CreateCitationInput!) {
        createLegalBasis(input: $input) { legalBasis { seq } userErrors { code } } }"#;
    for (dept, title) in [("安化县教育局", "义务教育法"), (BUREAU, "人口与计划生育法")]
    {
        let input = json!({ "input": { "matterId": matter["id"], "divisionId": division(dept),
                                       "title": title, "text": format!("《{title}》") } });
        let body = app.post_as(&token, create, input).await;
        assert_no_user_errors(&body, "createLegalBasis");
    }
    let draft = list_draft(&app, &token).await;
    let before = written(&app).await;
    // When the draft is downloaded and uploaded unchanged
    let response = download(
        &app,
        Some(&token),
        &format!("/lists/{list}/export.xlsx?draft=true"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let workbook = response.bytes().await.unwrap().to_vec();
    let (status, answer) = upload(&app, Some(&token), &list, XLSX, workbook).await;
    // Then nothing changed
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["changed"], false, "{answer:#}");
    assert_eq!(answer["draftId"].as_str(), draft.as_deref());
    assert_eq!(written(&app).await, before);
}

#[tokio::test]
async fn uploads__spreadsheet_requests_are_rate_limited_counted_and_logged() {
    // Given a limit of one request a minute with a burst of two
    let app = TestApp::spawn_with_limits(qingdan::config::Limits {
        rate_limit_per_minute: 1,
        rate_limit_burst: 2,
        ..qingdan::config::Limits::default()
    })
    .await;
    let editor = editor_of(&app, "安化县人口和计划生育局").await;
    let (list, ..) = list(&app, &editor).await;
    // When the editor downloads twice, Then both are answered; the third is refused
    download_xlsx(&app, &editor, &list).await;
    let path = format!("/lists/{list}/export.zip");
    assert_eq!(download(&app, Some(&editor), &path).await.status(), 429);
    // And /metrics counts them under their own label
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"qingdan_requests_total{operation="spreadsheet",outcome="ok"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"qingdan_requests_total{operation="spreadsheet",outcome="rate_limited"} 1"#
        ),
        "{metrics}"
    );
}
