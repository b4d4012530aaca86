//! Which module may import which: data flows HTTP → GraphQL → domain → sea-orm, so imports
//! point down only. A test reads the sources and fails on an import that points up, naming
//! the file and the line.

/// The modules (top-level names under `crate::`) a module must never import, and the outside
/// crates it must not use, by module.
const FORBIDDEN: &[(&str, &[&str], &[&str])] = &[
    // (module, crate modules it must not import, outside crates it must not use)
    (
        "domain",
        &["graphql", "http", "import"],
        &["async_graphql", "axum"],
    ),
    (
        "search",
        &["graphql", "http", "import"],
        &["async_graphql", "axum"],
    ),
    (
        "auth",
        &["graphql", "http", "import"],
        &["async_graphql", "axum"],
    ),
    ("import", &["graphql", "http"], &["async_graphql", "axum"]),
    (
        "events",
        &["graphql", "http", "import"],
        &["async_graphql", "axum"],
    ),
    (
        "db",
        &["graphql", "http", "domain", "import"],
        &["async_graphql", "axum"],
    ),
    (
        "data_version",
        &["graphql", "http", "domain", "import"],
        &["async_graphql", "axum"],
    ),
    ("graphql", &["http"], &["axum"]),
    // Leaves: the error vocabulary and global ids, used by every layer.
    (
        "error",
        &["graphql", "http", "domain", "import", "auth", "search"],
        &["async_graphql", "axum"],
    ),
    (
        "ids",
        &[
            "graphql", "http", "domain", "import", "auth", "search", "db",
        ],
        &["axum"],
    ),
    (
        "config",
        &["graphql", "domain", "import", "search"],
        &["async_graphql", "axum"],
    ),
];

mod tests {
    use std::path::{Path, PathBuf};

    use super::FORBIDDEN;

    fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable sources") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// The top-level module a source file belongs to: `domain` for `domain/editing/duty.rs`,
    /// `db` for `db.rs`.
    fn module_of(root: &Path, path: &Path) -> String {
        let relative = path.strip_prefix(root).expect("under src");
        let first = relative.components().next().expect("a component");
        let name = first.as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_owned()
    }

    /// The `crate::` modules a line names, plain (`crate::graphql::x`) or grouped
    /// (`use crate::{auth, graphql::node}`).
    fn crate_modules(line: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.push(name);
                }
            } else {
                names.push(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                );
            }
        }
        names
    }

    fn uses_crate(line: &str, outside: &str) -> bool {
        let code = line.split("//").next().unwrap_or("");
        code.match_indices(outside).any(|(at, _)| {
            let before = code[..at].chars().last();
            let after = code[at + outside.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && after.is_some_and(|c| c == ':')
        })
    }

    #[test]
    fn layers__imports_point_down_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let mut upward = Vec::new();
        for path in &files {
            let module = module_of(&root, path);
            let Some((_, modules, crates)) = FORBIDDEN.iter().find(|(name, ..)| *name == module)
            else {
                continue;
            };
            let text = std::fs::read_to_string(path).expect("a readable source");
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                let named = crate_modules(line);
                let bad_module = named.iter().find(|name| modules.contains(&name.as_str()));
                let bad_crate = crates.iter().find(|outside| uses_crate(line, outside));
                if let Some(bad) = bad_module.map(String::as_str).or(bad_crate.copied()) {
                    upward.push(format!(
                        "{}:{}: {module} imports {bad}: {}",
                        path.strip_prefix(&root).unwrap().display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
        assert!(files.len() > 50, "the sources were read: {}", files.len());
        assert!(
            upward.is_empty(),
            "imports that point up:\n{}",
            upward.join("\n")
        );
    }

    #[test]
    fn layers__the_reader_sees_grouped_and_plain_imports() {
        assert_eq!(
            crate_modules("use crate::{auth::Viewer, graphql};"),
            ["auth", "graphql"]
        );
        assert_eq!(crate_modules("let x = crate::http::y();"), ["http"]);
        assert!(uses_crate("use async_graphql::ID;", "async_graphql"));
        assert!(!uses_crate("// async_graphql::ID", "async_graphql"));
        assert!(!uses_crate("my_async_graphql::x", "async_graphql"));
    }
}
