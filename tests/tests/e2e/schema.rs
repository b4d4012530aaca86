use qingdan_tests::TestApp;
use serde_json::json;

#[test]
fn schema__committed_file_matches_the_served_sdl() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let served = qingdan::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql drifted from the code: run `cargo run -p qingdan-api -- schema > schema.graphql`\n{}",
        line_diff(&committed, &served)
    );
}

/// The lines only one side has, `-` committed and `+` served, in order: enough to see what
/// drifted without a diff crate.
fn line_diff(committed: &str, served: &str) -> String {
    let old: std::collections::HashSet<&str> = committed.lines().collect();
    let new: std::collections::HashSet<&str> = served.lines().collect();
    let removed = committed
        .lines()
        .filter(|l| !new.contains(l))
        .map(|l| format!("- {l}"));
    let added = served
        .lines()
        .filter(|l| !old.contains(l))
        .map(|l| format!("+ {l}"));
    removed.chain(added).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn schema__every_type_and_field_carries_a_description() {
    // Given the running server
    let app = TestApp::spawn().await;
    // When a client introspects it
    let data = app
        .gql(
            "{ __schema { types { name kind description fields { name description } } } }",
            json!({}),
        )
        .await;
    // Then each of our object types and fields explains itself
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__")
            || ty["kind"] == "SCALAR"
            || name == "PageInfo"
            || name.ends_with("Edge")
        {
            continue;
        }
        if ty["description"].is_null() && !name.ends_with("Connection") {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if field["description"].is_null() && !name.ends_with("Connection") {
                missing.push(format!("{name}.{}", field["name"].as_str().unwrap()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

#[tokio::test]
async fn schema__domain_types_carry_their_chinese_term() {
    let app = TestApp::spawn().await;
    for (ty, term) in [
        ("Duty", "主要职责"),
        ("WorkItem", "具体工作事项"),
        ("BoundaryMatter", "管理事项"),
        ("Division", "职责分工"),
        ("PublicService", "公共服务事项"),
        ("SupervisionRegime", "监管制度"),
        ("Department", "部门"),
    ] {
        let data = app
            .gql(
                "query($t: String!) { __type(name: $t) { description } }",
                json!({ "t": ty }),
            )
            .await;
        let description = data["__type"]["description"].as_str().unwrap_or_default();
        assert!(
            description.contains(term),
            "{ty}: {description:?} lacks {term}"
        );
    }
}
