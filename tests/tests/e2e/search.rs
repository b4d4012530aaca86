//! Responsibility lookup (责任查询): ranked departments with role, evidence and an explicit outcome.

use qingdan::auth::Role;
use qingdan_tests::{TestApp, assert_first_error, eval};
use serde_json::{Value, json};

const LOOKUP: &str = r#"query($text: String!) { responsibilityLookup(text: $text, first: 5) {
  outcome
  candidates { department { name } role coordinator { name } score
    evidence { kind title text department { name } highlights { start end } legalBases { title } } } } }"#;

const SET: &str = r#"mutation($input: SetLexiconEntryInput!) { setLexiconEntry(input: $input) {
  entry { term expansion kind } userErrors { field code message } } }"#;

fn names_of(nodes: &Value) -> Vec<String> {
    let nodes = nodes.as_array().expect("a list of nodes");
    nodes
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn lookup(app: &TestApp, text: &str) -> Value {
    app.gql(LOOKUP, json!({ "text": text })).await["responsibilityLookup"].clone()
}

#[tokio::test]
async fn search__a_colloquial_complaint_finds_who_acts_with_highlighted_evidence() {
    let app = TestApp::spawn().await;
    // Given the Anhua list and its starting lexicon
    // When a citizen's words (堕胎药, not the list's 终止妊娠药物) are looked up
    let found = lookup(&app, "有人在网上卖堕胎药，谁来管").await;
    // Then 食药监局, whose division 查处非法经营销售终止妊娠药物, acts on the 两非 matter,
    // and each highlight marks text that is really in the evidence
    assert_ne!(found["outcome"], "NO_MATCH", "{found}");
    let top = &found["candidates"][0];
    assert_eq!(
        top["department"]["name"], "安化县食品药品监督管理局",
        "{found}"
    );
    assert_eq!(top["role"], "ASSIST");
    let evidence = &top["evidence"][0];
    let text: Vec<char> = evidence["text"].as_str().unwrap().chars().collect();
    let spans = evidence["highlights"].as_array().unwrap();
    assert!(!spans.is_empty(), "{evidence}");
    for span in spans {
        let (s, e) = (
            span["start"].as_u64().unwrap() as usize,
            span["end"].as_u64().unwrap() as usize,
        );
        assert!(s < e && e <= text.len(), "{span}");
    }
}

#[tokio::test]
async fn search__two_character_queries_work() {
    let app = TestApp::spawn().await;
    for text in ["两非", "避孕药", "堕胎药"] {
        // When a two- or three-character word is looked up
        let found = lookup(&app, text).await;
        // Then a department is found
        assert_ne!(found["outcome"], "NO_MATCH", "{text}: {found}");
        assert!(!found["candidates"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn search__an_unrelated_complaint_is_no_match_without_candidates() {
    let app = TestApp::spawn().await;
    // When a complaint no department of the list handles is looked up
    let found = lookup(&app, "楼上邻居半夜装修太吵了睡不着").await;
    // Then the answer says so, with no noise
    assert_eq!(found["outcome"], "NO_MATCH", "{found}");
    assert_eq!(found["candidates"], json!([]));
}

#[tokio::test]
async fn search__the_department_whose_division_covers_it_acts_and_the_lead_coordinates() {
    let app = TestApp::spawn().await;
    // Given the 两非 matter: the bureau leads, 公安局's own division 查处弃婴、溺婴行为
    // When a foundling is reported in a citizen's words (捡到孩子 → 弃婴 through the lexicon)
    let found = lookup(&app, "我在桥洞下面捡到孩子了，该找哪个部门").await;
    let top = &found["candidates"][0];
    // Then 公安局 acts, with its published role, and the bureau is named as coordinator
    assert_eq!(top["department"]["name"], "安化县公安局", "{found}");
    assert_eq!(top["role"], "ASSIST");
    assert_eq!(
        top["coordinator"]["name"], "安化县人口和计划生育局",
        "{found}"
    );
    // And the evidence is 公安局's own division, with 弃婴 highlighted
    let evidence = &top["evidence"][0];
    assert_eq!(evidence["department"]["name"], "安化县公安局", "{evidence}");
    let text: Vec<char> = evidence["text"].as_str().unwrap().chars().collect();
    let marked: Vec<String> = evidence["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let (s, e) = (h["start"].as_u64().unwrap(), h["end"].as_u64().unwrap());
            text[s as usize..e as usize].iter().collect()
        })
        .collect();
    assert!(marked.iter().any(|m| m.contains("弃婴")), "{marked:?}");

    // When the complaint is about the lead's own division (investigating a 两非 case)
    let found = lookup(&app, "有个私人诊所给孕妇照B超鉴定胎儿性别，请查处").await;
    let top = &found["candidates"][0];
    // Then the bureau acts as LEAD, coordinating no one
    assert_eq!(
        top["department"]["name"], "安化县人口和计划生育局",
        "{found}"
    );
    assert_eq!(top["role"], "LEAD");
    assert_eq!(top["coordinator"], Value::Null);
}

#[tokio::test]
async fn search__a_units_service_makes_the_unit_the_candidate() {
    let app = TestApp::spawn().await;
    // When a citizen asks for what a unit's public service gives (宣传站: 青春健康服务)
    let found = app
        .gql(
            r#"{ responsibilityLookup(text: "女儿上初中了，想找人免费咨询青春期性心理的问题") {
                 candidates { department { name parent { name } } role coordinator { name }
                   evidence { kind } } } }"#,
            json!({}),
        )
        .await;
    let top = &found["responsibilityLookup"]["candidates"][0];
    // Then the unit is the candidate, its department reachable as its parent
    assert_eq!(top["department"]["name"], "宣传站", "{found}");
    assert_eq!(
        top["department"]["parent"]["name"],
        "安化县人口和计划生育局"
    );
    // And a service has no role on a matter and no coordinator
    assert_eq!(top["evidence"][0]["kind"], "SERVICE", "{found}");
    assert_eq!(top["role"], Value::Null);
    assert_eq!(top["coordinator"], Value::Null);
}

#[tokio::test]
async fn search__bad_text_is_a_bad_user_input_naming_the_argument() {
    let app = TestApp::spawn().await;
    let long = "字".repeat(2_001);
    for text in ["", "   \n ", "两非\u{0}", "两非\u{1b}[0m", long.as_str()] {
        // When a blank, control-laden or over-long complaint is looked up
        let errors = app
            .post(
                "query($t: String!) { responsibilityLookup(text: $t) { outcome } }",
                json!({ "t": text }),
            )
            .await["errors"]
            .clone();
        // Then it is refused with BAD_USER_INPUT naming `text`, never INTERNAL
        assert_first_error(&errors, "BAD_USER_INPUT", "text");
    }
    // And the filters that use the lookup's matching refuse it the same way
    let errors = app
        .post(
            r#"{ departments(first: 5, filter: {responsibleFor: "  "}) { totalCount } }"#,
            json!({}),
        )
        .await["errors"]
        .clone();
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors}"
    );
}

#[tokio::test]
async fn search__a_lexicon_entry_added_by_an_admin_is_searchable_on_another_server() {
    // Given two servers on one database, and a word the lexicon does not know
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_beside(&a).await;
    let word = "小红本";
    assert_eq!(lookup(&a, word).await["outcome"], "NO_MATCH");
    // When an administrator adds it through server B
    let admin = b.token("管理员", &[Role::Admin], None);
    let input = json!({ "term": word, "expansion": "流动人口婚育证明", "kind": "COLLOQUIAL" });
    b.mutate_as(&admin, SET, "setLexiconEntry", input).await;
    // Then server A's lookup finds the bureau, without a restart: on SQLite at its next
    // request (it reads the version row), on PostgreSQL as soon as the write's notification
    // arrives (as `cache__a_write_on_another_server_is_seen_without_a_restart` waits for it)
    let mut asked = 0;
    let found = loop {
        asked += 1;
        let found = lookup(&a, word).await;
        if found["outcome"] != "NO_MATCH" || asked == 200 {
            break found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    assert_ne!(found["outcome"], "NO_MATCH", "{found}");
    if !a.versions.is_live() {
        assert_eq!(asked, 1, "read the version row, so saw the write at once");
    }
}

#[tokio::test]
async fn search__lexicon_writes_need_admin_and_a_term() {
    let app = TestApp::spawn().await;
    let input = json!({ "term": "词", "expansion": "计划生育", "kind": "ALIAS" });
    // When an anonymous caller writes
    let code = app.gql_error_code(SET, json!({ "input": input })).await;
    // Then it is refused as UNAUTHENTICATED
    assert_eq!(code, "UNAUTHENTICATED");
    // When an admin sends a blank term
    let admin = app.token("管理员", &[Role::Admin], None);
    let blank = json!({ "term": " ", "expansion": "计划生育", "kind": "ALIAS" });
    let set = app.post_as(&admin, SET, json!({ "input": blank })).await;
    // Then the payload carries a REQUIRED user error on the term
    assert_eq!(
        set["data"]["setLexiconEntry"]["userErrors"][0]["field"],
        json!(["term"]),
        "{set}"
    );
    assert_eq!(
        set["data"]["setLexiconEntry"]["userErrors"][0]["code"],
        "REQUIRED"
    );
}

#[tokio::test]
async fn search__eval_set_meets_the_floor() {
    // The evaluation set of tests/eval, run in process: fails when the matcher falls below
    // the floor set from its measured figures (README, "Responsibility lookup").
    let (db, _) = qingdan::db::connect(&qingdan::db::PoolSettings::for_url("sqlite::memory:"))
        .await
        .unwrap();
    qingdan::db::migrate(&db).await.unwrap();
    qingdan::import::seed_if_empty(&db).await.unwrap();
    let today = "2026-11-29".parse().unwrap();
    let in_force = qingdan::domain::versions::in_force(&db, today)
        .await
        .unwrap();
    let index = qingdan::search::index::load(&db, &in_force).await.unwrap();
    let cases = eval::parse(include_str!("../../eval/complaints.tsv"));
    assert!(cases.iter().filter(|c| c.acting.is_some()).count() >= 150);
    assert!(cases.iter().filter(|c| c.acting.is_none()).count() >= 40);
    let m = eval::matcher(&index, today, Default::default());
    let f = eval::score(&cases, None, &m);
    assert!(f.top1_rate() >= FLOOR_TOP1, "top-1 {f:?}");
    assert!(f.top3_rate() >= FLOOR_TOP3, "top-3 {f:?}");
    assert!(f.no_match_rate() >= FLOOR_NO_MATCH, "NO_MATCH {f:?}");
    assert!(
        f.coordinator_rate() >= FLOOR_COORDINATOR,
        "coordinators {f:?}"
    );
}

// The whole set (README, "Responsibility lookup"). The floor leaves room for a few cases to
// move when the matcher is tuned, no more.
// Measured: top-1 86.5 %, top-3 95.5 %, NO_MATCH 87.9 %, coordinator 83.3 %.
const FLOOR_TOP1: f64 = 0.84;
const FLOOR_TOP3: f64 = 0.93;
const FLOOR_NO_MATCH: f64 = 0.85;
const FLOOR_COORDINATOR: f64 = 0.80;

#[tokio::test]
async fn search__service_and_department_filters_use_the_lookups_matching() {
    let app = TestApp::spawn().await;
    // When services are filtered by a citizen's word the list never uses (避孕套)
    let services = app
        .gql(
            r#"{ verbatim: publicServices(first: 20, filter: {textContains: "避孕套"}) { totalCount }
                 matching: publicServices(first: 20, filter: {matching: "避孕套"}) { nodes { name } } }"#,
            json!({}),
        )
        .await;
    // Then the verbatim filter finds nothing and the matching one finds the contraceptive services
    assert_eq!(services["verbatim"]["totalCount"], 0, "{services}");
    let names = names_of(&services["matching"]["nodes"]);
    assert!(
        names.iter().any(|n| n == "计划生育药具免费发放"),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.contains("人口日")), "{names:?}");
    // When departments are filtered by what they are responsible for
    let departments = app
        .gql(
            r#"{ departments(first: 20, filter: {responsibleFor: "捡到孩子"}) { nodes { name } } }"#,
            json!({}),
        )
        .await;
    let names = names_of(&departments["departments"]["nodes"]);
    // Then the bureau and 公安局 are among them, and an uninvolved department is not
    assert!(
        names.iter().any(|n| n == "安化县人口和计划生育局"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n == "安化县公安局"), "{names:?}");
    assert!(!names.iter().any(|n| n == "安化县教育局"), "{names:?}");
}

#[tokio::test]
async fn search__first_out_of_range_is_a_bad_user_input() {
    let app = TestApp::spawn().await;
    for first in [0, 21] {
        // When more candidates than allowed, or none, are asked for
        let code = app
            .gql_error_code(
                "query($f: Int!) { responsibilityLookup(text: \"两非\", first: $f) { outcome } }",
                json!({ "f": first }),
            )
            .await;
        // Then it is refused with a stable code
        assert_eq!(code, "BAD_USER_INPUT", "first = {first}");
    }
}
