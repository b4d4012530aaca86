//! Global ids: the opaque `Type:row` strings every object is known by outside the server.
//! A leaf module: `auth` reads a token's department with it, `graphql` builds and checks ids,
//! `domain` names rows with it, and it imports none of them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Encodes `Type:row` so clients treat ids as opaque and never build them by hand.
pub fn encode(type_name: &str, row: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{type_name}:{row}"))
}

/// The type name and row id a global id names; `None` for anything else.
pub fn decode(id: &str) -> Option<(String, i32)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (type_name, row) = text.split_once(':')?;
    Some((type_name.to_owned(), row.parse().ok()?))
}

/// The row id of a global id that names a `type_name`.
pub fn decode_as(id: &str, type_name: &str) -> Option<i32> {
    match decode(id)? {
        (found, row) if found == type_name => Some(row),
        _ => None,
    }
}

/// The row id in a department's global id, e.g. from a token's department claim.
pub fn decode_department(id: &str) -> Option<i32> {
    decode_as(id, "Department")
}

/// The global id clients see for a department row.
pub fn department(row: i32) -> String {
    encode("Department", row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids__round_trip_and_reject_garbage() {
        let id = encode("Department", 42);
        assert_eq!(decode(&id), Some(("Department".into(), 42)));
        assert_eq!(decode_department(&id), Some(42));
        assert_eq!(decode_as(&id, "Duty"), None);
        assert_eq!(department(42), id);
        assert_eq!(decode("部门"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Department:x")), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Department")), None);
    }
}
