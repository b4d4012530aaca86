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
    // Then each of our types (connections and edges too) and fields explains itself
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ty["kind"] == "SCALAR" && BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        if undocumented(&ty["description"]) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if undocumented(&field["description"]) {
                missing.push(format!("{name}.{}", field["name"].as_str().unwrap()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

fn undocumented(description: &serde_json::Value) -> bool {
    description
        .as_str()
        .is_none_or(|text| text.trim().is_empty())
}

#[tokio::test]
async fn schema__every_argument_input_field_and_enum_value_carries_a_description() {
    // Given the running server
    let app = TestApp::spawn().await;
    // When a client introspects what it may send
    let data = app
        .gql(
            "{ __schema { types { name
                 fields { name args { name description } }
                 inputFields { name description }
                 enumValues { name description } } } }",
            json!({}),
        )
        .await;
    // Then every argument, input field and enum value of ours explains itself
    let (mut missing, mut checked) = (Vec::new(), [0usize; 3]);
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") {
            continue;
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            for arg in field["args"].as_array().into_iter().flatten() {
                checked[0] += 1;
                if undocumented(&arg["description"]) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for (kind, list) in [(1, "inputFields"), (2, "enumValues")] {
            for value in ty[list].as_array().into_iter().flatten() {
                checked[kind] += 1;
                if undocumented(&value["description"]) {
                    missing.push(format!("{name}.{}", value["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
    // (and the walk saw the schema: arguments, input fields and enum values by the hundred)
    eprintln!("checked {checked:?} (arguments, input fields, enum values)");
    assert!(checked.iter().all(|&n| n >= 100), "{checked:?}");
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
