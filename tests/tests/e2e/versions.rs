//! List versions (清单版本): edits go into a draft, publication freezes it with an effective
//! date and a reason, and every list query answers as of a day.

use qingdan::auth::Role;
use qingdan_tests::{PUBLISH, TestApp, query_row};
use serde_json::{Value, json};

const BUREAU: &str = "安化县人口和计划生育局";
const TODAY: &str = "2026-11-29";

const UPDATE_SERVICE: &str = r#"mutation($input: UpdatePublicServiceInput!) {
  updatePublicService(input: $input) { publicService { id name } userErrors { field code } } }"#;
const CREATE_ITEM: &str = r#"mutation($input: CreateWorkItemInput!) {
  createWorkItem(input: $input) { workItem { id } userErrors { field code } } }"#;
const REMOVE_DUTY: &str = r#"mutation($input: RemoveInput!) {
  removeDuty(input: $input) { duty { text } userErrors { field code } } }"#;
const DISCARD: &str = r#"mutation($input: DiscardListDraftInput!) {
  discardListDraft(input: $input) { listVersion { id } userErrors { field code } } }"#;
const LISTS: &str = "{ responsibilityLists { id title owner { name } \
                     versions { id number status effectiveFrom reason reasonKind basedOn { number } } \
                     draft { id publicServices { name } } } }";
const SERVICES: &str =
    r#"query($d: Date) { publicServices(first: 100, asOf: $d) { nodes { id name } } }"#;
const LOOKUP: &str =
    r#"query($t: String!, $d: Date) { responsibilityLookup(text: $t, asOf: $d) { outcome } }"#;
const DIFF: &str = r#"query($from: ID!, $to: ID!) { listVersionDiff(from: $from, to: $to) {
  rowKind lineage change fields before after } }"#;

/// An app whose clock reads 29 November 2026.
async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.clock.set_date(TODAY.parse().unwrap());
    app
}

/// The bureau's list as its editor sees it.
async fn list(app: &TestApp) -> Value {
    let token = app.editor_token(BUREAU).await;
    let body = app.query_as(&token, LISTS).await;
    body["data"]["responsibilityLists"][0].clone()
}

async fn service_names(app: &TestApp, as_of: Option<&str>) -> Vec<String> {
    let data = app.gql(SERVICES, json!({ "d": as_of })).await;
    data["publicServices"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn rename_first_service(app: &TestApp, token: &str, name: &str) -> Value {
    let id = app.gql(SERVICES, json!({})).await["publicServices"]["nodes"][0]["id"].clone();
    let body = app
        .mutate_as(
            token,
            UPDATE_SERVICE,
            "updatePublicService",
            json!({ "id": id, "name": name }),
        )
        .await;
    body["publicService"].clone()
}

/// Has the bureau's editor rename the first service to `name`, in a draft; returns the
/// editor's token and the service names as published before.
async fn bureau_draft_renaming_first_service(app: &TestApp, name: &str) -> (String, Vec<String>) {
    let token = app.editor_token(BUREAU).await;
    let published = service_names(app, None).await;
    rename_first_service(app, &token, name).await;
    (token, published)
}

async fn publish(app: &TestApp, token: &str, input: Value) -> Value {
    let body = app.post_as(token, PUBLISH, json!({ "input": input })).await;
    body["data"]["publishListVersion"].clone()
}

async fn lookup(app: &TestApp, text: &str, as_of: Option<&str>) -> String {
    let data = app.gql(LOOKUP, json!({ "t": text, "d": as_of })).await;
    data["responsibilityLookup"]["outcome"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn versions__an_edit_is_a_draft_until_published_and_in_force_from_its_day() {
    let app = app().await;
    // Given the bureau's editor renames the first service
    let (token, published) = bureau_draft_renaming_first_service(&app, "蝴蝶兰培育咨询").await;

    // Then readers still see the published list, and the lookup does not know the new word
    assert_eq!(service_names(&app, None).await, published);
    assert_eq!(lookup(&app, "蝴蝶兰培育", None).await, "NO_MATCH");
    // And the editor sees the draft, based on version 1; readers cannot
    let before = list(&app).await;
    assert_eq!(
        before["draft"]["publicServices"][0]["name"],
        "蝴蝶兰培育咨询"
    );
    assert_eq!(before["versions"][0]["status"], "DRAFT");
    assert_eq!(before["versions"][0]["basedOn"]["number"], 1);
    let anonymous = app.gql(LISTS, json!({})).await;
    let seen = &anonymous["responsibilityLists"][0];
    assert!(seen["draft"].is_null(), "{anonymous}");
    assert_eq!(seen["versions"].as_array().unwrap().len(), 1, "{anonymous}");
    let versions = app
        .gql("{ listVersions { number status } }", json!({}))
        .await;
    assert_eq!(
        versions["listVersions"],
        json!([{ "number": 1, "status": "PUBLISHED" }])
    );

    // When it is published to take effect on 1 December
    let input = json!({ "listId": before["id"], "effectiveFrom": "2026-12-01",
                        "reason": "《湖南省人口与计划生育条例》修正", "reasonKind": "LAW_CHANGE" });
    let saved = publish(&app, &token, input).await;
    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    assert_eq!(saved["listVersion"]["number"], 2);
    assert_eq!(saved["listVersion"]["status"], "PUBLISHED");
    assert_eq!(
        saved["listVersion"]["reason"],
        "《湖南省人口与计划生育条例》修正"
    );

    // Then today still answers from version 1, and 1 December from version 2
    assert_eq!(service_names(&app, None).await, published);
    assert_eq!(service_names(&app, Some("2026-11-30")).await, published);
    let from_december = service_names(&app, Some("2026-12-01")).await;
    assert_eq!(from_december[0], "蝴蝶兰培育咨询");
    assert_eq!(from_december[1..], published[1..]);
    assert_eq!(lookup(&app, "蝴蝶兰培育", None).await, "NO_MATCH");
    assert_ne!(
        lookup(&app, "蝴蝶兰培育", Some("2026-12-01")).await,
        "NO_MATCH"
    );
    // And once that day comes, the same request answers from version 2 (no stale cache)
    app.clock.set_date("2026-12-01".parse().unwrap());
    assert_eq!(service_names(&app, None).await, from_december);
    assert_ne!(lookup(&app, "蝴蝶兰培育", None).await, "NO_MATCH");
    // And the history lists both, newest first, with no draft left open
    let after = list(&app).await;
    assert!(after["draft"].is_null(), "{after}");
    let history: Vec<(Value, Value, Value)> = after["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["number"].clone(),
                v["effectiveFrom"].clone(),
                v["reasonKind"].clone(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (json!(2), json!("2026-12-01"), json!("LAW_CHANGE")),
            (json!(1), Value::Null, Value::Null),
        ]
    );
}

#[tokio::test]
async fn versions__a_published_row_is_never_changed_by_an_edit() {
    let app = app().await;
    let token = app.editor_token(BUREAU).await;
    let original = app.gql(SERVICES, json!({})).await["publicServices"]["nodes"][0].clone();
    // When the editor updates the published service, twice, by its published id
    let first = rename_first_service(&app, &token, "第一次修改").await;
    let second = rename_first_service(&app, &token, "第二次修改").await;
    // Then both edits land on one copy in the draft, never on the published row
    assert_ne!(first["id"], original["id"]);
    assert_eq!(first["id"], second["id"]);
    let node = r#"query($id: ID!) { node(id: $id) { ... on PublicService { name } } }"#;
    let published = app.gql(node, json!({ "id": original["id"] })).await;
    assert_eq!(published["node"]["name"], original["name"]);
    // And the draft's copy is for editors only
    let draft = app.post(node, json!({ "id": second["id"] })).await;
    assert!(draft["data"]["node"].is_null(), "{draft}");
    let draft = app
        .post_as(&token, node, json!({ "id": second["id"] }))
        .await;
    assert_eq!(draft["data"]["node"]["name"], "第二次修改");
}

#[tokio::test]
async fn versions__publication_rules_are_enforced_and_a_refusal_changes_nothing() {
    let app = app().await;
    let token = app.editor_token(BUREAU).await;
    let list_id = list(&app).await["id"].clone();
    let input = |from: &str, reason: &str| json!({ "listId": list_id, "effectiveFrom": from, "reason": reason, "reasonKind": "CORRECTION" });
    let code = |saved: &Value| {
        saved["userErrors"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    // Nothing edited: NO_DRAFT
    assert_eq!(
        code(&publish(&app, &token, input(TODAY, "勘误")).await),
        "NO_DRAFT"
    );
    // An edit undone in the draft: NO_CHANGES
    let original = service_names(&app, None).await[0].clone();
    rename_first_service(&app, &token, "临时名称").await;
    rename_first_service(&app, &token, &original).await;
    assert_eq!(
        code(&publish(&app, &token, input(TODAY, "勘误")).await),
        "NO_CHANGES"
    );
    // A blank reason: REQUIRED on reason
    rename_first_service(&app, &token, "新名称").await;
    let saved = publish(&app, &token, input(TODAY, "  ")).await;
    assert_eq!(
        saved["userErrors"][0]["field"],
        json!(["reason"]),
        "{saved}"
    );
    assert_eq!(code(&saved), "REQUIRED");
    // Another department's editor: FORBIDDEN; anonymous: UNAUTHENTICATED
    let police = app.editor_token("安化县公安局").await;
    assert_eq!(
        app.gql_error_code_as(&police, PUBLISH, json!({ "input": input(TODAY, "勘误") }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_error_code(PUBLISH, json!({ "input": input(TODAY, "勘误") }))
            .await,
        "UNAUTHENTICATED"
    );
    // Then nothing was published by the refusals
    assert_eq!(list(&app).await["versions"].as_array().unwrap().len(), 2);
    assert_eq!(service_names(&app, None).await[0], original);

    // Given version 2 in force from 1 December
    let saved = publish(&app, &token, input("2026-12-01", "勘误")).await;
    assert_eq!(saved["userErrors"], json!([]), "{saved}");
    // A version 3 cannot take effect before it: EFFECTIVE_BEFORE_PREVIOUS
    rename_first_service(&app, &token, "更新的名称").await;
    let saved = publish(&app, &token, input("2026-11-30", "勘误")).await;
    assert_eq!(code(&saved), "EFFECTIVE_BEFORE_PREVIOUS", "{saved}");
    assert_eq!(saved["userErrors"][0]["field"], json!(["effectiveFrom"]));
    // But on the same day it may, and then wins that day
    let saved = publish(&app, &token, input("2026-12-01", "勘误")).await;
    assert_eq!(saved["listVersion"]["number"], 3, "{saved}");
    assert_eq!(
        service_names(&app, Some("2026-12-01")).await[0],
        "更新的名称"
    );
}

#[tokio::test]
async fn versions__the_diff_names_each_row_added_removed_and_changed() {
    let app = app().await;
    let token = app.editor_token(BUREAU).await;
    // Given a draft with a service renamed, a work item added and the last duty removed
    rename_first_service(&app, &token, "蝴蝶兰培育咨询").await;
    let duties = app
        .gql(
            "{ duties(first: 50) { nodes { id text workItems { id } } } }",
            json!({}),
        )
        .await;
    let duties = duties["duties"]["nodes"].as_array().unwrap().clone();
    app.mutate_as(
        &token,
        CREATE_ITEM,
        "createWorkItem",
        json!({ "dutyId": duties[0]["id"], "text": "新增的工作事项" }),
    )
    .await;
    let last = duties.last().unwrap();
    app.mutate_as(
        &token,
        REMOVE_DUTY,
        "removeDuty",
        json!({ "id": last["id"] }),
    )
    .await;
    let removed_items = last["workItems"].as_array().unwrap().len();

    // When the draft is compared with version 1
    let versions = list(&app).await["versions"].clone();
    let (draft, v1) = (versions[0]["id"].clone(), versions[1]["id"].clone());
    let changes = app
        .post_as(&token, DIFF, json!({ "from": v1, "to": draft }))
        .await;
    let changes = changes["data"]["listVersionDiff"]
        .as_array()
        .unwrap()
        .clone();

    // Then each row is named once, with what it held before and after
    let of = |kind: &str, change: &str| -> Vec<Value> {
        changes
            .iter()
            .filter(|c| c["rowKind"] == kind && c["change"] == change)
            .cloned()
            .collect()
    };
    let renamed = of("PUBLIC_SERVICE", "CHANGED");
    assert_eq!(renamed.len(), 1, "{changes:#?}");
    assert_eq!(renamed[0]["fields"], json!(["name"]));
    assert_eq!(renamed[0]["after"]["name"], "蝴蝶兰培育咨询");
    assert_eq!(renamed[0]["before"]["unit"], renamed[0]["after"]["unit"]);
    let added = of("WORK_ITEM", "ADDED");
    assert_eq!(added.len(), 1, "{changes:#?}");
    assert_eq!(added[0]["after"]["text"], "新增的工作事项");
    assert!(added[0]["before"].is_null());
    assert!(
        added[0]["lineage"].as_i64().unwrap() > 0,
        "a new row starts its own lineage"
    );
    let gone = of("DUTY", "REMOVED");
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0]["before"]["text"], last["text"]);
    assert_eq!(gone[0]["before"]["department"], BUREAU);
    assert_eq!(of("WORK_ITEM", "REMOVED").len(), removed_items);
    assert_eq!(
        changes.len(),
        3 + removed_items,
        "nothing else differs: {changes:#?}"
    );
    // And readers may not compare with a draft
    assert_eq!(
        app.gql_error_code(DIFF, json!({ "from": v1, "to": draft }))
            .await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn versions__a_discarded_draft_leaves_the_list_as_published() {
    let app = app().await;
    let (token, published) = bureau_draft_renaming_first_service(&app, "不再需要的修改").await;
    let list_id = list(&app).await["id"].clone();
    // Another department's editor may not discard it
    let police = app.editor_token("安化县公安局").await;
    assert_eq!(
        app.gql_error_code_as(&police, DISCARD, json!({ "input": { "listId": list_id } }))
            .await,
        "FORBIDDEN"
    );
    // When the editor discards the draft
    app.mutate_as(
        &token,
        DISCARD,
        "discardListDraft",
        json!({ "listId": list_id }),
    )
    .await;
    // Then no draft is left, the list is as published, and a second discard has nothing to drop
    let after = list(&app).await;
    assert!(after["draft"].is_null(), "{after}");
    assert_eq!(after["versions"].as_array().unwrap().len(), 1);
    let body = app
        .post_as(&token, DISCARD, json!({ "input": { "listId": list_id } }))
        .await;
    assert_eq!(
        body["data"]["discardListDraft"]["userErrors"][0]["code"],
        "NO_DRAFT"
    );
    // And the next edit opens a fresh draft from the published list
    rename_first_service(&app, &token, "新的修改").await;
    let draft = list(&app).await["draft"]["publicServices"].clone();
    let names: Vec<&str> = draft
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "新的修改");
    assert_eq!(
        names[1..],
        published[1..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()[..]
    );
}

#[tokio::test]
async fn versions__lists_loaded_before_versions_become_their_version_1() {
    // Given a database migrated to the schema before versions, holding a list
    let database = qingdan_tests::TestDatabase::create().await;
    let (db, _) = qingdan::db::connect(&qingdan::db::PoolSettings::for_url(&database.url))
        .await
        .unwrap();
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    migration::Migrator::up(&db, Some(5)).await.unwrap();
    for sql in [
        "INSERT INTO department (name, kind) VALUES ('局', 'DEPARTMENT')",
        "INSERT INTO responsibility_list (title, format, owner_department_id, imported_at) \
         VALUES ('清单', 'qingdan.list/v1', 1, '2026-01-01 00:00:00+00:00')",
        "INSERT INTO duty (list_id, department_id, seq, text) VALUES (1, 1, 1, '职责')",
        "INSERT INTO work_item (duty_id, seq, text) VALUES (1, 1, '事项')",
        "INSERT INTO public_service (list_id, seq, name, content, unit_id, phone, published_phone) \
         VALUES (1, 1, '服务', '内容', 1, '07377821688', '7821688')",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    // When the remaining migrations run
    migration::Migrator::up(&db, None).await.unwrap();
    // Then the list is its version 1, published and undated, and each row starts its lineage
    let today = "2026-11-29".parse().unwrap();
    let in_force = qingdan::domain::versions::in_force(&db, today)
        .await
        .unwrap();
    assert_eq!(in_force.len(), 1);
    for table in ["duty", "work_item", "public_service"] {
        let row = query_row(&db, format!("SELECT version_id, lineage, id FROM {table}")).await;
        let version: i32 = row.try_get("", "version_id").unwrap();
        let lineage: i32 = row.try_get("", "lineage").unwrap();
        let id: i32 = row.try_get("", "id").unwrap();
        assert_eq!((version, lineage), (in_force[0], id), "{table}");
    }
}

#[tokio::test]
async fn versions__an_editor_reads_the_drafts_of_their_own_department_only() {
    let app = app().await;
    // Given a draft of the bureau's list, with a renamed service
    let bureau_editor = app.editor_token(BUREAU).await;
    let copy = rename_first_service(&app, &bureau_editor, "草稿中的名称").await;
    let copy_id = copy["id"].clone();
    let police_editor = app.editor_token("安化县公安局").await;
    let unit_editor = app.editor_token("政策法规股").await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let node = r#"query($id: ID!) { node(id: $id) { ... on PublicService { name } } }"#;
    let versions = "{ listVersions { id status } }";
    // Then the bureau's editors (of the bureau, of a unit whose rows are in it) and an
    // administrator read it: its rows, the list's draft, its version
    for token in [&bureau_editor, &unit_editor, &admin] {
        let body = app.post_as(token, node, json!({ "id": copy_id })).await;
        assert_eq!(body["data"]["node"]["name"], "草稿中的名称", "{body}");
        let body = app.query_as(token, LISTS).await;
        assert!(
            !body["data"]["responsibilityLists"][0]["draft"].is_null(),
            "{body}"
        );
        let body = app.query_as(token, versions).await;
        assert!(body.to_string().contains("DRAFT"), "{body}");
    }
    // And an editor of another department reads none of it
    {
        let token = &police_editor;
        let body = app.post_as(token, node, json!({ "id": copy_id })).await;
        assert!(body["data"]["node"].is_null(), "{body}");
        let body = app.query_as(token, LISTS).await;
        assert!(
            body["data"]["responsibilityLists"][0]["draft"].is_null(),
            "{body}"
        );
        let body = app.query_as(token, versions).await;
        assert!(!body.to_string().contains("DRAFT"), "{body}");
        assert!(!body.to_string().contains("草稿中的名称"), "{body}");
    }
    // And comparing with the draft is forbidden to them
    let all = app.query_as(&admin, versions).await;
    let (draft, v1) = (
        all["data"]["listVersions"][0]["id"].clone(),
        all["data"]["listVersions"][1]["id"].clone(),
    );
    assert_eq!(
        app.gql_error_code_as(&police_editor, DIFF, json!({ "from": v1, "to": draft }))
            .await,
        "FORBIDDEN"
    );
    let body = app
        .post_as(&bureau_editor, DIFF, json!({ "from": v1, "to": draft }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn node__lists_versions_and_audit_events_resolve_with_their_read_rules() {
    // Given the bureau's list with a draft open, and an audit event of that edit
    let app = app().await;
    let token = app.editor_token(BUREAU).await;
    rename_first_service(&app, &token, "草稿中的名称").await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let list = list(&app).await;
    let published = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "PUBLISHED")
        .unwrap()["id"]
        .clone();
    let draft = list["draft"]["id"].clone();
    let events = app
        .query_as(
            &admin,
            "{ auditEvents(first: 1) { nodes { id operation } } }",
        )
        .await;
    let event = events["data"]["auditEvents"]["nodes"][0].clone();
    let query = r#"query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on ResponsibilityList { title }
        ... on ListVersion { status }
        ... on AuditEvent { operation } } }"#;
    let ids = json!({ "ids": [list["id"], published, draft, event["id"]] });
    // When an administrator resolves them by id, each is itself
    let body = app.post_as(&admin, query, ids.clone()).await;
    let nodes = &body["data"]["nodes"];
    assert_eq!(nodes[0]["__typename"], "ResponsibilityList", "{body}");
    assert_eq!(nodes[0]["id"], list["id"]);
    assert_eq!(nodes[0]["title"], list["title"]);
    assert_eq!(nodes[1]["status"], "PUBLISHED", "{body}");
    assert_eq!(nodes[2]["status"], "DRAFT", "{body}");
    assert_eq!(nodes[3]["operation"], event["operation"], "{body}");
    // And the list's editor reads the list and its draft; the audit trail is for ADMIN only
    assert_eq!(
        app.gql_error_code_as(&token, query, ids.clone()).await,
        "FORBIDDEN"
    );
    let without_event = json!({ "ids": [list["id"], published, draft] });
    let body = app.post_as(&token, query, without_event.clone()).await;
    assert_eq!(body["data"]["nodes"][2]["status"], "DRAFT", "{body}");
    // And an anonymous reader gets the list and the published version, not the draft
    let body = app.post(query, without_event).await;
    let nodes = &body["data"]["nodes"];
    assert_eq!(nodes[0]["__typename"], "ResponsibilityList", "{body}");
    assert_eq!(nodes[1]["status"], "PUBLISHED", "{body}");
    assert!(nodes[2].is_null(), "{body}");
    // And Node is what they implement, so a client may refetch them by it
    let data = app
        .gql(
            r#"{ __type(name: "Node") { possibleTypes { name } } }"#,
            json!({}),
        )
        .await;
    let names: Vec<&str> = data["__type"]["possibleTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in ["ResponsibilityList", "ListVersion", "AuditEvent"] {
        assert!(names.contains(&name), "{names:?}");
    }
}
