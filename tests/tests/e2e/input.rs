//! Text from clients: control characters and over-long strings get a coded answer, the same on
//! SQLite and PostgreSQL (which refuses NUL in text and indexes no key of several KB), and
//! nothing is written.

use qingdan::auth::Role;
use qingdan_tests::{TestApp, first_user_error_message};
use serde_json::{Value, json};

use crate::boundary_editing::{codes, pair};

const BUREAU: &str = "安化县人口和计划生育局";

/// No error of `body`, anywhere, is coded INTERNAL.
fn assert_no_internal(body: &Value) {
    assert!(
        !body.to_string().contains("\"INTERNAL\""),
        "an INTERNAL answer: {body:#}"
    );
}

async fn audit_count(app: &TestApp, admin: &str) -> i64 {
    let body = app
        .query_as(admin, "{ auditEvents(first: 1) { totalCount } }")
        .await;
    body["data"]["auditEvents"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body:#}"))
}

#[tokio::test]
async fn text__query_arguments_at_fault_are_bad_user_input_naming_the_argument() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let long = "清".repeat(10 * 1024);
    let cases = [
        (
            "query($v: String) { department(name: $v) { id } }",
            json!("计生\u{0}局"),
            "name",
        ),
        (
            "query($v: String) { department(name: $v) { id } }",
            json!(long),
            "name",
        ),
        (
            "query($v: String!) { supervisionRegime(code: $v) { code } }",
            json!("TERRITORIAL\u{0}"),
            "code",
        ),
        (
            "query($v: String!) { supervisionRegime(code: $v) { code } }",
            json!("K".repeat(10 * 1024)),
            "code",
        ),
        (
            "query($v: String) { departments(first: 5, filter: { nameContains: $v }) { totalCount } }",
            json!("局\u{0}"),
            "filter.nameContains",
        ),
        (
            "query($v: String) { duties(first: 5, filter: { textContains: $v }) { totalCount } }",
            json!("\u{1b}[31m"),
            "filter.textContains",
        ),
        (
            "query($v: String) { publicServices(first: 5, filter: { textContains: $v }) { totalCount } }",
            json!("药".repeat(10_001)),
            "filter.textContains",
        ),
        (
            "query($v: String) { inspections(first: 5, filter: { regimeCode: $v }) { totalCount } }",
            json!("\u{0}"),
            "filter.regimeCode",
        ),
        (
            "query($v: String) { auditEvents(first: 5, filter: { actor: $v }) { totalCount } }",
            json!("管理员\u{0}"),
            "filter.actor",
        ),
    ];
    for (query, value, field) in cases {
        let body = app.post_as(&admin, query, json!({ "v": value })).await;
        assert_no_internal(&body);
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error["extensions"]["field"], field, "{body:#}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("argument {field} ")),
            "{message}"
        );
    }
    // A filter text may hold tabs and line breaks; a name argument at its limit is looked up
    let data = app
        .gql(
            "query($v: String, $n: String) { duties(first: 5, filter: { textContains: $v }) { totalCount }
               department(name: $n) { id } }",
            json!({ "v": "职责\n\t", "n": "局".repeat(200) }),
        )
        .await;
    assert_eq!(data["duties"]["totalCount"], 0);
    assert!(data["department"].is_null());
    // Ids and cursors are decoded, never stored: a broken one is bad input too
    for query in [
        "{ node(id: \"\\u0000\") { id } }",
        "{ departments(first: 1, after: \"\\u0000\") { totalCount } }",
    ] {
        let body = app.post(query, json!({})).await;
        assert_no_internal(&body);
        assert!(
            body["errors"].is_null() || body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT",
            "{body:#}"
        );
    }
}

const CREATE_DUTY: &str = r#"mutation($input: CreateDutyInput!) {
  createDuty(input: $input) { duty { id text remark } userErrors { field code message } } }"#;
const SET_LEXICON: &str = r#"mutation($input: SetLexiconEntryInput!) {
  setLexiconEntry(input: $input) { entry { term } userErrors { field code message } } }"#;
const CREATE_DEPARTMENT: &str = r#"mutation($input: CreateDepartmentInput!) {
  createDepartment(input: $input) { department { id name aliases } userErrors { field code message } } }"#;
const UPDATE_DEPARTMENT: &str = r#"mutation($input: UpdateDepartmentInput!) {
  updateDepartment(input: $input) { department { id } userErrors { field code message } } }"#;
const REPORT_MISROUTE: &str = r#"mutation($input: ReportMisrouteInput!) {
  reportMisroute(input: $input) { misroute { id } userErrors { field code message } } }"#;
const SUBMIT: &str = r#"mutation($input: SubmitInspectionInput!) {
  submitInspection(input: $input) { inspection { id } userErrors { field code message } } }"#;

#[tokio::test]
async fn text__mutation_inputs_at_fault_are_user_errors_with_their_path_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    app.clock.set_date("2016-07-20".parse().unwrap());
    let admin = app.token("管理员", &[Role::Admin], None);
    let bureau = app.department_id(BUREAU).await;
    let editor = app.token("清单编辑", &[Role::Editor], Some(&bureau));
    let supervisor = app.token("法制监督员", &[Role::Supervisor], None);
    let target = app.department_id("政策法规股").await;
    let ids = app.regime_ids("TERRITORIAL_ENFORCEMENT").await;
    let written = audit_count(&app, &admin).await;
    let inspection = |key: Value, second_name: &str| {
        json!({
            "regimeCode": "TERRITORIAL_ENFORCEMENT", "targetDepartmentId": target,
            "inspectors": [{ "name": "张三", "certificateNo": "湘执001" },
                           { "name": second_name, "certificateNo": "湘执002" }],
            "methodItemIds": [ids.methods[0]], "periodStart": "2016-07-01", "periodEnd": "2016-07-15",
            "findings": [{ "itemId": ids.checklist[0], "outcome": "NONCOMPLIANT", "note": "未公示\n见附件" }],
            "record": "书面记录", "idempotencyKey": key
        })
    };
    // (token, mutation, its field, input, expected user errors)
    let cases = [
        (
            &editor,
            CREATE_DUTY,
            "createDuty",
            json!({ "departmentId": bureau, "text": "负责\u{0}计划生育" }),
            vec![("text", "TEXT_INVALID")],
        ),
        (
            &editor,
            CREATE_DUTY,
            "createDuty",
            json!({ "departmentId": bureau, "text": "职".repeat(10_001), "remark": "\u{7}" }),
            vec![("text", "TEXT_TOO_LONG"), ("remark", "TEXT_INVALID")],
        ),
        (
            &admin,
            SET_LEXICON,
            "setLexiconEntry",
            json!({ "term": "两\u{0}非", "expansion": "词".repeat(201), "kind": "ALIAS" }),
            vec![("term", "TEXT_INVALID"), ("expansion", "TEXT_TOO_LONG")],
        ),
        (
            &admin,
            SET_LEXICON,
            "setLexiconEntry",
            json!({ "term": "词".repeat(10 * 1024), "expansion": "计划生育", "kind": "ALIAS" }),
            vec![("term", "TEXT_TOO_LONG")],
        ),
        (
            &admin,
            CREATE_DEPARTMENT,
            "createDepartment",
            json!({ "name": "局".repeat(10 * 1024), "kind": "DEPARTMENT",
                    "aliases": ["县医保局", "医保\u{0}局", "医".repeat(201)] }),
            vec![
                ("name", "TEXT_TOO_LONG"),
                ("aliases[1]", "TEXT_INVALID"),
                ("aliases[2]", "TEXT_TOO_LONG"),
            ],
        ),
        (
            &admin,
            UPDATE_DEPARTMENT,
            "updateDepartment",
            json!({ "id": bureau, "name": "安化县\n人口和计划生育局" }),
            vec![("name", "TEXT_INVALID")],
        ),
        (
            &admin,
            REPORT_MISROUTE,
            "reportMisroute",
            json!({ "text": "捡到孩子了", "correctDepartmentId": bureau, "note": "派错\u{0}" }),
            vec![("note", "TEXT_INVALID")],
        ),
        (
            &supervisor,
            SUBMIT,
            "submitInspection",
            inspection(json!("k".repeat(10 * 1024)), "李四"),
            vec![("idempotencyKey", "TEXT_TOO_LONG")],
        ),
        (
            &supervisor,
            SUBMIT,
            "submitInspection",
            inspection(json!("key\u{0}"), "李\u{0}四"),
            vec![
                ("inspectors[1].name", "TEXT_INVALID"),
                ("idempotencyKey", "TEXT_INVALID"),
            ],
        ),
    ];
    for (token, mutation, name, input, expected) in cases {
        let body = app
            .post_as(token, mutation, json!({ "input": input }))
            .await;
        assert_no_internal(&body);
        assert!(body["errors"].is_null(), "{body:#}");
        let payload = &body["data"][name];
        let expected_pairs: Vec<_> = expected.iter().map(|(f, c)| pair(f, c)).collect();
        assert_eq!(codes(payload), expected_pairs, "{body:#}");
        let first = first_user_error_message(payload);
        assert!(first.starts_with(expected[0].0), "{first}");
    }
    // Then nothing was written: no audit entry, no draft opened
    assert_eq!(audit_count(&app, &admin).await, written);
    let lists = app
        .query_as(&admin, "{ responsibilityLists { draft { id } } }")
        .await;
    assert!(
        lists["data"]["responsibilityLists"][0]["draft"].is_null(),
        "{lists:#}"
    );

    // And texts within the limits are stored exactly: tabs and line breaks in a long text, a
    // name and a key at their limits (which PostgreSQL indexes)
    let text = "负责计划生育工作：\n\t一、宣传；\r\n\t二、服务。";
    let body = app
        .post_as(
            &editor,
            CREATE_DUTY,
            json!({ "input": { "departmentId": bureau, "text": text, "remark": "备注\n第二行" } }),
        )
        .await;
    assert_eq!(body["data"]["createDuty"]["duty"]["text"], text, "{body:#}");
    assert_eq!(body["data"]["createDuty"]["duty"]["remark"], "备注\n第二行");
    let name = "局".repeat(200);
    let body = app
        .post_as(
            &admin,
            CREATE_DEPARTMENT,
            json!({ "input": { "name": name, "kind": "DEPARTMENT", "aliases": ["医".repeat(200)] } }),
        )
        .await;
    assert_eq!(
        body["data"]["createDepartment"]["department"]["name"], name,
        "{body:#}"
    );
    let key = "键".repeat(255);
    let body = app
        .post_as(
            &supervisor,
            SUBMIT,
            json!({ "input": inspection(json!(key), "李四") }),
        )
        .await;
    assert!(
        body["data"]["submitInspection"]["inspection"]["id"].is_string(),
        "{body:#}"
    );
    let again = app
        .post_as(
            &supervisor,
            SUBMIT,
            json!({ "input": inspection(json!(key), "李四") }),
        )
        .await;
    assert_eq!(
        again["data"]["submitInspection"]["inspection"]["id"],
        body["data"]["submitInspection"]["inspection"]["id"],
        "a retry with the long key returns the first result"
    );
}

#[tokio::test]
async fn date__only_yyyy_mm_dd_is_a_date_and_the_refusal_names_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.token("管理员", &[Role::Admin], None);
    let inspections =
        "query($v: Date) { inspections(first: 5, filter: { from: $v }) { totalCount } }";
    // Given dates written otherwise than YYYY-MM-DD, in a variable and as a literal
    for text in [
        "2016-7-1",
        "2016-07-1",
        "16-07-01",
        "2016-02-30",
        "2016/07/01",
    ] {
        let sent = app.post_as(&admin, inspections, json!({ "v": text })).await;
        let literal =
            format!("{{ inspections(first: 5, filter: {{ from: \"{text}\" }}) {{ totalCount }} }}");
        let inline = app.query_as(&admin, &literal).await;
        // Then each is BAD_USER_INPUT naming the field, and nothing runs
        for body in [sent, inline] {
            assert_no_internal(&body);
            assert!(
                body["data"].is_null() || body["data"]["inspections"].is_null(),
                "{body:#}"
            );
            let error = &body["errors"][0];
            assert_eq!(
                error["extensions"]["code"], "BAD_USER_INPUT",
                "{text}: {body:#}"
            );
            let message = error["message"].as_str().unwrap();
            assert!(message.contains("\"filter.from\""), "{text}: {message}");
            assert!(message.contains("Date"), "{text}: {message}");
        }
    }
    // The same in a mutation's input: the field is named by its place in the input
    let publish = r#"mutation($input: PublishListVersionInput!) {
        publishListVersion(input: $input) { listVersion { id } userErrors { code } } }"#;
    let list = app.gql("{ responsibilityLists { id } }", json!({})).await["responsibilityLists"][0]
        ["id"]
        .clone();
    let input = json!({ "listId": list, "effectiveFrom": "2016-7-1", "reason": "勘误",
                        "reasonKind": "CORRECTION" });
    let body = app
        .post_as(&admin, publish, json!({ "input": input }))
        .await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body:#}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("\"input.effectiveFrom\""), "{body:#}");
    // And a full date is one
    let ok = app
        .post_as(&admin, inspections, json!({ "v": "2016-07-01" }))
        .await;
    assert!(ok["errors"].is_null(), "{ok:#}");
}
