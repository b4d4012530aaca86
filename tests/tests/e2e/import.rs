//! Loading list files: all or nothing, never twice, errors that point at the fault.

use qingdan::import::{self, ANHUA, LoadError};
use qingdan_tests::TestApp;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

async fn row_counts(app: &TestApp) -> Vec<u64> {
    use qingdan::import::stored::*;
    let db = &app.db;
    vec![
        department::Entity::find().count(db).await.unwrap(),
        duty::Entity::find().count(db).await.unwrap(),
        work_item::Entity::find().count(db).await.unwrap(),
        division::Entity::find().count(db).await.unwrap(),
        regime_item::Entity::find().count(db).await.unwrap(),
        public_service::Entity::find().count(db).await.unwrap(),
        responsibility_list::Entity::find().count(db).await.unwrap(),
    ]
}

fn anhua_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut file: Value = serde_json::from_str(ANHUA).unwrap();
    edit(&mut file);
    serde_json::to_string_pretty(&file).unwrap()
}

fn invalid(result: Result<import::LoadSummary, LoadError>) -> import::ImportError {
    match result {
        Err(LoadError::Invalid(err)) => err,
        other => panic!("expected a refused file, got {other:?}"),
    }
}

#[tokio::test]
async fn seed__a_restart_never_loads_the_list_twice() {
    // Given a server that seeded at first start
    let app = TestApp::spawn().await;
    let before = row_counts(&app).await;
    // When it starts again on the same database
    assert_eq!(import::seed_if_empty(&app.db).await.unwrap(), None);
    // Then nothing was added
    assert_eq!(row_counts(&app).await, before);
    assert_eq!(before[6], 1);
}

#[tokio::test]
async fn seed__counts_match_the_published_list() {
    let app = TestApp::spawn_empty().await;
    let summary = import::seed_if_empty(&app.db)
        .await
        .unwrap()
        .expect("seeded");
    let file: Value = serde_json::from_str(ANHUA).unwrap();
    let work_items: usize = file["duties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["workItems"].as_array().unwrap().len())
        .sum();
    assert_eq!(summary.duties, 10);
    assert_eq!(summary.work_items, work_items);
    assert_eq!(summary.matters, 2);
    assert_eq!(summary.services, 11);
}

#[tokio::test]
async fn import__malformed_json_names_line_and_column_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let before = row_counts(&app).await;
    // A file cut off in the middle
    let err = invalid(import::import(&app.db, &ANHUA[..ANHUA.len() / 2]).await);
    assert_eq!(err.code, "MALFORMED_FILE");
    assert!(err.at.starts_with("line "), "{err}");
    // A field of the wrong type
    let text = anhua_with(|f| f["duties"][0]["seq"] = json!("一"));
    let err = invalid(import::import(&app.db, &text).await);
    assert_eq!(err.code, "MALFORMED_FILE");
    assert_eq!(row_counts(&app).await, before);
}

/// A broken file: what is wrong, how to break the Anhua file so, and the code and field expected.
type BadFile = (
    &'static str,
    Box<dyn FnOnce(&mut Value)>,
    &'static str,
    &'static str,
);

#[tokio::test]
async fn import__invalid_row_names_its_field_and_writes_nothing() {
    let app = TestApp::spawn_empty().await;
    let cases: Vec<BadFile> = vec![
        (
            "empty text",
            Box::new(|f| f["duties"][3]["workItems"][1]["text"] = json!("  ")),
            "EMPTY_TEXT",
            "duties[3].workItems[1].text",
        ),
        (
            "gap in numbering",
            Box::new(|f| f["duties"][1]["seq"] = json!(3)),
            "SEQ_NOT_DENSE",
            "duties[1].seq",
        ),
        (
            "two leads",
            Box::new(|f| f["boundaryMatters"][1]["divisions"][2]["role"] = json!("LEAD")),
            "LEAD_COUNT",
            "boundaryMatters[1].divisions",
        ),
        (
            "bad phone",
            Box::new(|f| f["publicServices"][0]["phone"] = json!("12ab")),
            "PHONE_INVALID",
            "publicServices[0].phone",
        ),
        (
            "unknown unit",
            Box::new(|f| f["publicServices"][2]["unit"] = json!("不存在站")),
            "UNKNOWN_DEPARTMENT",
            "publicServices[2].unit",
        ),
        (
            "wrong format",
            Box::new(|f| f["format"] = json!("other/v9")),
            "UNSUPPORTED_FORMAT",
            "format",
        ),
    ];
    for (what, edit, code, at) in cases {
        let err = invalid(import::import(&app.db, &anhua_with(edit)).await);
        assert_eq!((err.code, err.at.as_str()), (code, at), "{what}: {err}");
        // Nothing at all was written, not even the departments that come first in the file
        assert_eq!(row_counts(&app).await, vec![0; 7], "{what}");
    }
}

#[tokio::test]
async fn import__another_list_loads_beside_the_first_and_a_duplicate_is_refused() {
    let app = TestApp::spawn().await;
    // Given a second list for the county health commission sharing departments with the first
    let second = anhua_with(|f| {
        f["title"] = json!("安化县卫生局责任清单");
        f["owner"] = json!("安化县卫生局");
    });
    let summary = import::import(&app.db, &second).await.unwrap();
    assert_eq!(summary.duties, 10);
    // Then shared departments are not duplicated
    let data = app
        .gql(
            r#"{ departments(first: 100, filter: { nameContains: "卫生局" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["departments"]["totalCount"], 1);
    // And loading it again is refused
    let err = invalid(import::import(&app.db, &second).await);
    assert_eq!(err.code, "LIST_ALREADY_LOADED");
}

#[tokio::test]
async fn export__round_trips_the_anhua_list_unchanged() {
    let app = TestApp::spawn().await;
    let exported = import::export_list(&app.db, None)
        .await
        .unwrap()
        .expect("a list");
    assert_eq!(exported, import::parse(ANHUA).unwrap());
}

#[tokio::test]
async fn data_file__every_line_of_the_published_source_is_kept() {
    // The source text as published, beside the structured file
    let source = include_str!("../../../data/anhua.source.txt");
    let file: Value = serde_json::from_str(ANHUA).unwrap();
    let mut texts = Vec::new();
    collect_texts(&file, &mut texts);
    let haystack = texts.join("\n");
    let missing: Vec<&str> = source
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !STRUCTURE.contains(line))
        .filter(|line| !haystack.contains(line))
        .collect();
    assert!(
        missing.is_empty(),
        "lines of the source not in data/anhua.json: {missing:#?}"
    );
}

/// Table headers and part headings: structure of the document, not rows of the list.
const STRUCTURE: &[&str] = &[
    "安化县人口和计划生育局责任清单",
    "一、部门职责",
    "序号",
    "主要职责",
    "具体工作事项",
    "备注",
    "二、与相关部门的职责边界",
    "管理事项",
    "相关",
    "部门",
    "职责分工",
    "相关依据",
    "案例",
    "三、事中事后监管制度",
    "四、公共服务事项",
    "服务事项",
    "主要内容",
    "承办机构",
    "联系电话",
];

/// Every string of the file, and each labelled item as label + text, as it was printed.
fn collect_texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_texts(item, out)),
        Value::Object(map) => {
            if let (Some(Value::String(label)), Some(Value::String(text))) =
                (map.get("label"), map.get("text"))
            {
                out.push(format!("{label}{text}"));
            }
            if let (Some(Value::String(label)), Some(Value::String(title))) =
                (map.get("label"), map.get("title"))
            {
                out.push(format!("{label}{title}"));
            }
            map.values().for_each(|value| collect_texts(value, out));
        }
        _ => {}
    }
}

#[tokio::test]
async fn import__a_phone_is_checked_by_the_rule_the_api_applies() {
    // Given a list file whose service 8 is printed without its area code
    let app = TestApp::spawn_empty().await;
    let text = anhua_with(|f| {
        f["publicServices"][7]["publishedPhone"] = json!("7821688");
        f["publicServices"][7]["phone"] = json!("7821688");
    });
    // Then the import refuses it as the API refuses the same phone typed in
    let err = invalid(import::import(&app.db, &text).await);
    assert_eq!(
        (err.code, err.at.as_str()),
        ("PHONE_INVALID", "publicServices[7].publishedPhone")
    );
    assert_eq!(row_counts(&app).await, vec![0; 7]);
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[qingdan::auth::Role::Admin], None);
    let id = app.first_node_id("publicServices").await;
    let body = app
        .post_as(
            &admin,
            r#"mutation($input: UpdatePublicServiceInput!) {
                 updatePublicService(input: $input) { userErrors { field code } } }"#,
            json!({ "input": { "id": id, "phone": "7821688" } }),
        )
        .await;
    assert_eq!(
        body["data"]["updatePublicService"]["userErrors"][0]["code"],
        "PHONE_INVALID"
    );
}

#[tokio::test]
async fn import__a_revised_file_of_a_loaded_list_becomes_its_draft() {
    // Given the Anhua list, and a revision of its file with one work item reworded
    let app = TestApp::spawn().await;
    let mut file = import::parse(ANHUA).unwrap();
    file.duties[4].work_items[3].text.push_str("（修订）");
    // When it is imported
    let clock = qingdan::domain::clock::SystemClock;
    let imported = import::load_or_revise(&app.db, &file, &clock)
        .await
        .unwrap();
    // Then it is the list's draft with that one change, and the published list is as it was
    let import::Imported::Revised(changes) = &imported else {
        panic!("expected a revision, got {imported:?}");
    };
    let total = changes.total();
    assert_eq!((total.added, total.changed, total.removed), (0, 1, 0));
    assert!(
        imported.to_string().contains("publishListVersion"),
        "{imported}"
    );
    assert_eq!(
        import::export_list(&app.db, None).await.unwrap().unwrap(),
        import::parse(ANHUA).unwrap()
    );
    // And the same file again changes nothing more
    let again = import::load_or_revise(&app.db, &file, &clock)
        .await
        .unwrap();
    let import::Imported::Revised(again) = again else {
        panic!("expected a revision");
    };
    assert_eq!(again.total().changed, 0);
    assert_eq!(again.draft_id, changes.draft_id);
}
