//! Reading Qingdan's caller out of a verified token's claims, wherever the identity provider
//! puts them: roles under a dotted path (Keycloak's `realm_access.roles`), as a list or one
//! string, in any case; the department as a global id or by name.

use serde_json::Value;

use super::Role;

/// The department a token names: a department's global id, or a name or alias that is
/// resolved against the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepartmentClaim {
    Id(i32),
    Name(String),
}

/// The value at a dotted path (`realm_access.roles`). A claim whose own name holds a dot
/// (`https://example.cn/roles`) is found whole first.
pub fn at_path<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    path.split('.')
        .try_fold(claims, |value, segment| value.get(segment))
}

/// The roles Qingdan knows among the claim's values. Identity providers add roles of their
/// own (`offline_access`, `uma_authorization`, `default-roles-county`): those are ignored.
pub fn roles(value: Option<&Value>) -> Vec<Role> {
    let names: Vec<&str> = match value {
        Some(Value::String(text)) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut roles = Vec::new();
    for name in names {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match Role::parse(name) {
            Some(role) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => tracing::debug!(role = name, "token role unknown to Qingdan, ignored"),
        }
    }
    roles
}

/// The department claim, if any: a global id of a department, else a name to resolve.
pub fn department(
    value: Option<&Value>,
    decode_id: impl Fn(&str) -> Option<i32>,
) -> Result<Option<DepartmentClaim>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(match decode_id(text) {
            Some(id) => DepartmentClaim::Id(id),
            None => DepartmentClaim::Name(text.trim().to_owned()),
        })),
        // Some providers send a user attribute as a one-element list.
        Some(Value::Array(items)) if items.len() == 1 => department(items.first(), decode_id),
        Some(_) => Err("the department claim is not a string".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn at_path__follows_dots_and_prefers_a_whole_name() {
        let claims = json!({ "realm_access": { "roles": ["editor"] }, "a.b": 1, "a": { "b": 2 } });
        assert_eq!(
            at_path(&claims, "realm_access.roles"),
            Some(&json!(["editor"]))
        );
        assert_eq!(at_path(&claims, "a.b"), Some(&json!(1)));
        assert_eq!(at_path(&claims, "realm_access.groups"), None);
    }

    #[test]
    fn roles__any_case_unknown_ignored_string_or_list() {
        let list = json!([
            "offline_access",
            "editor",
            "Supervisor",
            "EDITOR",
            "uma_authorization"
        ]);
        assert_eq!(roles(Some(&list)), [Role::Editor, Role::Supervisor]);
        assert_eq!(roles(Some(&json!("admin unit"))), [Role::Admin, Role::Unit]);
        assert_eq!(roles(Some(&json!("dispatcher"))), [Role::Dispatcher]);
        assert!(roles(Some(&json!(42))).is_empty());
        assert!(roles(None).is_empty());
    }

    #[test]
    fn department__global_id_or_name() {
        let decode = |text: &str| (text == "RGVwYXJ0bWVudDo3").then_some(7);
        assert_eq!(
            department(Some(&json!("RGVwYXJ0bWVudDo3")), decode),
            Ok(Some(DepartmentClaim::Id(7)))
        );
        assert_eq!(
            department(Some(&json!(["政策法规股"])), decode),
            Ok(Some(DepartmentClaim::Name("政策法规股".into())))
        );
        assert_eq!(department(None, decode), Ok(None));
        assert!(department(Some(&json!({"x": 1})), decode).is_err());
    }
}
