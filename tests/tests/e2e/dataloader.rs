//! Nested reads cost a fixed number of SQL statements, whatever the number of parents.

use qingdan_tests::TestApp;
use serde_json::{Value, json};

const NESTED: &str = r#"query($first: Int) {
  departments(first: $first) {
    totalCount
    nodes {
      name aliases parent { name } units { name }
      duties { text department { name } workItems { text duty { seq } } }
      divisions { role matter { title legalBases { title } cases { text } } legalBases { text } cases { text } }
      publicServices { name unit { name } }
    }
  }
}"#;

/// One statement per relation the query names, plus two for the page (count and rows), one
/// for the data version the response cache checks and one for the list versions in force:
/// aliases, parent, units, duties, duty.department, workItems, workItem.duty, divisions,
/// division.matter, matter.legalBases, matter.cases, division.legalBases, division.cases,
/// and for publicServices the units, their services and each service's unit.
const RELATIONS_IN_QUERY: u64 = 16;
const BOUND: u64 = RELATIONS_IN_QUERY + 4;

async fn statements_for(app: &TestApp, first: i32) -> (u64, usize) {
    let before = app.statements.get();
    let data = app.gql(NESTED, json!({ "first": first })).await;
    (
        app.statements.get() - before,
        data["departments"]["nodes"].as_array().unwrap().len(),
    )
}

#[tokio::test]
async fn nested_read__statement_count_is_bounded_by_the_query_not_the_data() {
    // Given the Anhua list
    let app = TestApp::spawn().await;
    // When two departments, then every department, are read with all their relations
    let (two, two_rows) = statements_for(&app, 2).await;
    let (all, all_rows) = statements_for(&app, 100).await;
    assert_eq!(two_rows, 2);
    assert!(all_rows > 10, "{all_rows} departments");
    // Then each costs at most one statement per relation, never one per row. (Batches are
    // cut by a short time window, so two relations at one depth may share a statement or
    // not; the bound is what the shape of the query fixes.)
    assert!(
        two <= BOUND && all <= BOUND,
        "2 departments: {two} statements, {all_rows}: {all}"
    );

    // And when the data doubles (a second list), the bound still holds
    let second = qingdan::import::ANHUA.replace("安化县人口和计划生育局责任清单", "第二份责任清单");
    let second = second.replacen(
        "\"owner\": \"安化县人口和计划生育局\"",
        "\"owner\": \"安化县公安局\"",
        1,
    );
    qingdan::import::import(&app.db, &second)
        .await
        .expect("second list");
    let (doubled, rows) = statements_for(&app, 100).await;
    assert!(
        doubled <= BOUND,
        "{rows} departments with twice the duties: {doubled} statements"
    );
}

/// Reads `query` as `token` with its own unused variable `tag`, so the response cache cannot
/// answer it: the answer, and the SQL statements it cost.
async fn uncached(app: &TestApp, token: &str, query: &str, tag: &str) -> (Value, u64) {
    let before = app.statements.get();
    let body = app.post_as(token, query, json!({ "tag": tag })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    (body, app.statements.get() - before)
}

#[tokio::test]
async fn inspections_page__loads_its_relations_ahead_and_answers_as_each_node_does() {
    use crate::supervision::setup;
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for _ in 0..3 {
        s.noticed(&app).await;
    }
    let fields = "id status overdue findings { outcome item { id } } inspectors { name } \
                  methods { id } documents { id kind }";
    let page_query = format!("{{ inspections(first: 10) {{ nodes {{ {fields} }} }} }}");
    let read = |few: bool, tag: &'static str| {
        let query = page_query.replace("first: 10", if few { "first: 1" } else { "first: 10" });
        let (app, s) = (&app, &s);
        async move { uncached(app, &s.supervisor, &query, tag).await }
    };
    read(false, "warm").await; // what a first read of the process loads once
    let (one, one_statements) = read(true, "one").await;
    let (page, statements) = read(false, "page").await;
    let nodes = page["data"]["inspections"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(nodes.len(), 3);
    assert_eq!(one["data"]["inspections"]["nodes"][0], nodes[0]);
    // The relations cost the same statements for one row as for three
    assert_eq!(
        statements, one_statements,
        "{statements} statements for 3 rows"
    );
    // Each row as the page answers it is the row as `node` answers it, through the loaders
    let node =
        format!("query($id: ID!) {{ node(id: $id) {{ ... on Inspection {{ {fields} }} }} }}");
    for row in &nodes {
        let body = app
            .post_as(&s.supervisor, &node, json!({ "id": row["id"] }))
            .await;
        assert_eq!(&body["data"]["node"], row, "{body:#}");
    }
}

/// A page read whole brings along, on PostgreSQL in its one statement, the findings,
/// inspectors and methods its query selects: they answer as the loaders read them, a
/// relation at a time, in another process; on SQLite (no arrays) they cost a statement each.
#[tokio::test]
async fn inspections_page__read_whole_brings_the_relations_it_selects_along() {
    use crate::supervision::setup;
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    for _ in 0..3 {
        s.submitted(&app).await;
    }
    let recorded = "id findings { outcome note } inspectors { name certificateNo } methods { id }";
    let page = |first: i32, fields: &str| {
        format!("{{ inspections(first: {first}) {{ nodes {{ {fields} }} }} }}")
    };
    // This process holds the rows of a page it read without their relations, and reads
    // them through the loaders; its first read is of another page (a first read of the
    // process loads what it loads once).
    uncached(&app, &s.supervisor, &page(1, "id"), "warm").await;
    let (_, bare) = uncached(&app, &s.supervisor, &page(10, "id"), "bare").await;
    let (by_loaders, _) = uncached(&app, &s.supervisor, &page(10, recorded), "loaders").await;
    // Another process reads the page whole for the first time, with its relations
    let other = TestApp::spawn_beside(&app).await;
    uncached(&other, &s.supervisor, &page(1, "id"), "warm").await;
    let (along, statements) = uncached(&other, &s.supervisor, &page(10, recorded), "along").await;
    assert_eq!(along, by_loaders);
    let nodes = along["data"]["inspections"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0]["inspectors"][0]["name"], "张三");
    assert_eq!(nodes[0]["findings"][0]["note"], "执法主体资格未公示");
    assert_eq!(nodes[0]["findings"][1]["note"], Value::Null);
    // Beyond the bare page: the checklist items the methods name (the regime's), and on
    // SQLite the three relations
    let relations = if qingdan::db::is_postgres(&app.db) {
        0
    } else {
        3
    };
    assert_eq!(statements, bare + 1 + relations, "{along:#}");
    // And what came along is held: read again, the relations cost nothing more
    let (again, statements) = uncached(&other, &s.supervisor, &page(10, recorded), "again").await;
    assert_eq!(again, along);
    assert!(statements <= bare + 1, "{statements} statements read again");
}

/// A page decodes only the rows of inspections the process does not hold: one it holds is
/// answered as first read even when its row changed behind the API's back (no use case
/// changes one), while a process that never read it answers the change.
#[tokio::test]
async fn inspections_page__answers_the_rows_it_holds_without_decoding_them_again() {
    use crate::supervision::setup;
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    s.submitted(&app).await;
    let query = "{ inspections(first: 10) { nodes { id record } } }";
    let (first, _) = uncached(&app, &s.supervisor, query, "first").await;
    let nodes = first["data"]["inspections"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{first:#}");
    app.db
        .execute_unprepared("UPDATE inspection SET record = '改写的书面记录'")
        .await
        .unwrap();
    let (again, _) = uncached(&app, &s.supervisor, query, "again").await;
    assert_eq!(again, first, "the row held, not the one changed in SQL");
    let other = TestApp::spawn_beside(&app).await;
    let (fresh, _) = uncached(&other, &s.supervisor, query, "fresh").await;
    assert_eq!(
        fresh["data"]["inspections"]["nodes"][0]["record"],
        "改写的书面记录"
    );
}

/// What a submitted inspection recorded, decoded by column position, is what sea-orm decodes
/// by column name: every column of every row, a note present and one absent, dates and the
/// time of submission, on this backend.
#[tokio::test]
async fn rows_read_by_position__are_the_rows_sea_orm_reads_by_name() {
    use crate::supervision::setup;
    use entity::{finding, inspection, inspection_method, inspector};
    use qingdan::db::by_position;
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    s.submitted(&app).await;
    s.submitted(&app).await;

    macro_rules! same {
        ($entity:ident) => {{
            let select = || $entity::Entity::find().order_by_asc($entity::Column::Id);
            let by_name = select().all(&app.db).await.unwrap();
            let by_position = by_position::all(&app.db, select()).await.unwrap();
            assert!(!by_name.is_empty(), stringify!($entity));
            assert_eq!(by_position, by_name, stringify!($entity));
            by_name
        }};
    }
    let inspections = same!(inspection);
    assert_eq!(inspections.len(), 2);
    assert_eq!(inspections[0].record, s.inspection()["record"]);
    let findings = same!(finding);
    let notes: Vec<_> = findings.iter().map(|row| row.note.as_deref()).collect();
    assert_eq!(notes[..2], [Some("执法主体资格未公示"), None]);
    same!(inspector);
    same!(inspection_method);
}

#[tokio::test]
async fn what_an_inspection_recorded_is_read_from_sql_once_and_a_new_one_from_sql() {
    use crate::supervision::setup;
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    s.submitted(&app).await;
    let recorded = "id findings { outcome note } inspectors { name certificateNo } methods { id }";
    let read = |fields: &'static str, tag: &'static str| {
        let query = format!("{{ inspections(first: 10) {{ nodes {{ {fields} }} }} }}");
        let (app, s) = (&app, &s);
        async move { uncached(app, &s.supervisor, &query, tag).await }
    };
    let (first, _) = read(recorded, "first").await;
    let (_, bare) = read("id", "bare").await;
    let (again, statements) = read(recorded, "again").await;
    assert_eq!(again, first);
    // The one statement beyond the bare page: the checklist items the methods name, which
    // are the regime's, not the inspection's.
    assert_eq!(
        statements,
        bare + 1,
        "findings, inspectors and methods read once are not read again"
    );

    // An inspection submitted since, its answer selecting none of its relations: they come
    // from SQL, the first one's from memory.
    let mut input = s.inspection();
    input["inspectors"][1]["name"] = json!("王五");
    input["findings"][1]["note"] = json!("已公示");
    let submitted = app
        .post_as(
            &s.supervisor,
            "mutation($input: SubmitInspectionInput!) { \
             submitInspection(input: $input) { inspection { id } userErrors { code } } }",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(
        submitted["data"]["submitInspection"]["userErrors"],
        json!([]),
        "{submitted:#}"
    );
    // The first request after a write of this process reads the data version back (on
    // PostgreSQL; on SQLite every request does): not counted against the page.
    uncached(&app, &s.supervisor, "{ __typename }", "version").await;
    let (_, after) = read("id", "after the write").await;
    let (_, bare) = read("id", "bare again").await;
    // A page read before, its rows all still held, is asked on PostgreSQL for its ids alone,
    // then for the one row not held, the new inspection's. On SQLite the rows come with it.
    let new_row = u64::from(qingdan::db::is_postgres(&app.db));
    assert_eq!(
        after,
        bare + new_row,
        "a new inspection's own row is read, and only it"
    );
    let (both, statements) = read(recorded, "both").await;
    let nodes = both["data"]["inspections"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0], first["data"]["inspections"]["nodes"][0]);
    assert_eq!(nodes[1]["inspectors"][1]["name"], "王五");
    assert_eq!(nodes[1]["findings"][1]["note"], "已公示");
    assert_eq!(
        statements,
        bare + 1 + 3,
        "one statement a relation for the new one"
    );
}

/// Lists of small objects (findings, inspectors, work items), and a page's inspections with
/// the findings and inspectors it loaded, whose selection is only fields of the row are
/// answered without the executor's per-object resolution: the same answer as through the
/// executor, which a fragment or a directive in the selection brings back — aliases, a field
/// or a relation selected twice (the executor merges the relation's selections),
/// `__typename` and an absent note included.
#[tokio::test]
async fn plain_lists__answer_as_the_executor_does() {
    use crate::supervision::setup;
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    s.submitted(&app).await;
    s.submitted(&app).await;
    // The body as sent: the order of each object's members is part of the answer.
    let read = |query: String| {
        let (app, token) = (&app, &s.supervisor);
        async move {
            let response = app.send_as(token, &query, json!({})).await;
            let body = response.text().await.unwrap();
            assert!(
                body.starts_with(r#"{"data":{"#) && !body.contains(r#""errors""#),
                "{body}"
            );
            body
        }
    };
    let cases = [
        (
            "{ inspections(first: 10) { nodes { findings { $ } } } }",
            "Finding",
            "note outcome __typename again: outcome outcome",
        ),
        (
            "{ inspections(first: 10) { nodes { inspectors { $ } } } }",
            "Inspector",
            "certificateNo name n: name __typename",
        ),
        (
            "{ inspections(first: 10) { nodes { $ } } }",
            "Inspection",
            concat!(
                "record id periodStart periodEnd submittedBy submittedAt __typename r: record ",
                "findings { outcome note } inspectors { name } i: inspectors { certificateNo }"
            ),
        ),
        (
            "{ inspections(first: 10) { edges { node { $ } } } }",
            "Inspection",
            "id findings { outcome } findings { note __typename } __typename",
        ),
        (
            "{ duties(first: 100) { nodes { workItems { $ } } } }",
            "WorkItem",
            "id seq text remark __typename s: seq",
        ),
        (
            "{ responsibilityLookup(text: \"有人非法鉴定胎儿性别\", first: 20) { candidates { $ } } }",
            "LookupCandidate",
            concat!(
                "role score department { name id kind dissolvedOn __typename n: name } ",
                "coordinator { name id } routedFrom { name } __typename s: score c: coordinator { kind }"
            ),
        ),
        (
            "{ responsibilityLookup(text: \"有人非法鉴定胎儿性别\", first: 20) { candidates { $ } } }",
            "LookupCandidate",
            "score department { name } department { id } role __typename",
        ),
    ];
    for (query, kind, fields) in cases {
        let plain = read(query.replace('$', fields)).await;
        let fragment = read(query.replace('$', &format!("... on {kind} {{ {fields} }}"))).await;
        let (first, rest) = fields.split_once(' ').unwrap();
        let directive =
            read(query.replace('$', &format!("{first} @include(if: true) {rest}"))).await;
        assert_eq!(plain, fragment, "{kind}");
        assert_eq!(plain, directive, "{kind}");
        assert!(
            plain.contains(&format!(r#""__typename":"{kind}""#)),
            "{plain}"
        );
    }
    // A lookup's candidates name their coordinator (the matter's lead) through the plain path
    let lookup = read(
        "{ responsibilityLookup(text: \"有人非法鉴定胎儿性别\") { candidates { role coordinator { name } } } }"
            .into(),
    )
    .await;
    assert!(
        lookup.contains(r#"{"role":"ASSIST","coordinator":{"name":"安化县人口和计划生育局"}}"#),
        "{lookup}"
    );
    let findings = read(
        "{ inspections(first: 1) { nodes { findings { note outcome again: outcome } } } }".into(),
    )
    .await;
    assert_eq!(
        findings,
        concat!(
            r#"{"data":{"inspections":{"nodes":[{"findings":["#,
            r#"{"note":"执法主体资格未公示","outcome":"NONCOMPLIANT","again":"NONCOMPLIANT"},"#,
            r#"{"note":null,"outcome":"COMPLIANT","again":"COMPLIANT"}]}]}}}"#
        )
    );
}
