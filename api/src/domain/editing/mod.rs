//! List editing (清单维护, EDITOR of the department or ADMIN): each use case validates every
//! rule, writes in one transaction, keeps sequence numbers dense (1, 2, 3… with no gap) and
//! appends to the audit log, which also moves the data version every cache and search index
//! follows. Edits land in the list's draft (see `versions`): an id of a published row means
//! its copy there.

pub mod citation;
pub mod division;
pub mod duty;
pub mod matter;
pub mod organisation;
pub mod reorganisation;
pub mod service;
pub mod versioned;
pub mod work_item;

pub use versioned::{Versioned, create, remove, update};

use entity::{department, responsibility_list};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Failure, RuleCode, audit, clock::Clock};
use crate::auth::{Role, Viewer};
use crate::db::Write;
use crate::error::ApiError;

/// Succeeds when the caller may edit rows of department `dept`: an ADMIN, or an EDITOR acting
/// for `dept` or for the department `dept` is a unit of (a bureau edits its 股 and 站).
pub async fn require_editor_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    dept: i32,
) -> Result<(), Failure> {
    viewer.require_any(&[Role::Editor])?;
    if viewer.has(Role::Admin) {
        return Ok(());
    }
    let parent = department::Entity::find_by_id(dept)
        .one(db)
        .await?
        .and_then(|d| d.parent_id);
    match viewer.dept {
        Some(own) if own == dept || Some(own) == parent => Ok(()),
        _ => Err(ApiError::Forbidden {
            reason: "an editor edits the rows of their own department only".into(),
        }
        .into()),
    }
}

/// The list a department's rows belong to: its own list, or that of the department it is a
/// unit of. `field` names the input at fault when there is none.
pub async fn list_of(db: &impl ConnectionTrait, dept: i32, field: &str) -> Result<i32, Failure> {
    let found = crate::domain::department_named(db, dept, field).await?;
    let owners: Vec<i32> = [Some(found.id), found.parent_id]
        .into_iter()
        .flatten()
        .collect();
    responsibility_list::Entity::find()
        .filter(responsibility_list::Column::OwnerDepartmentId.is_in(owners))
        .one(db)
        .await?
        .map(|l| l.id)
        .ok_or_else(|| {
            Failure::rule(
                field,
                RuleCode::UnitOutsideList,
                format!(
                    "{} has no list, nor does a department it is a unit of",
                    found.name
                ),
            )
        })
}

/// A mainland China phone number, digits only: a mobile (1[3-9] and 9 digits) or a fixed line
/// with its area code (0, 2–3 digits, then 7–8 digits). Spaces and hyphens typed between the
/// groups are dropped; anything else is refused.
pub fn mainland_phone(typed: &str) -> Option<String> {
    if typed
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == '-' || c == ' '))
    {
        return None;
    }
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let b = digits.as_bytes();
    let mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    let fixed = (10..=12).contains(&b.len()) && b[0] == b'0' && b[1] != b'0';
    (mobile || fixed).then_some(digits)
}

/// Checks a phone, adding PHONE_INVALID for `field`; the digits when valid.
pub fn check_phone(checks: &mut super::rules::Checks, field: &str, typed: &str) -> String {
    match mainland_phone(typed) {
        Some(digits) => digits,
        None => {
            checks.add(
                field,
                RuleCode::PhoneInvalid,
                format!(
                    "「{typed}」 is not a mainland phone number (mobile or area code + number)"
                ),
            );
            String::new()
        }
    }
}

/// Refuses a missing or blank text (on create).
pub fn required_text(field: &str, value: Option<&str>, what: &str) -> Result<(), Failure> {
    let mut checks = super::rules::Checks::default();
    checks.require_text(field, value.unwrap_or(""), what);
    checks.finish()
}

/// Refuses a blank text when one is given (on update; none leaves it as it is).
pub fn given_text(field: &str, value: Option<&str>, what: &str) -> Result<(), Failure> {
    value.map_or(Ok(()), |value| required_text(field, Some(value), what))
}

/// Where `position` (1-based, `None` = at the end) puts a row among `len` others: 1..=len+1.
pub fn insertion_index(position: Option<i32>, len: usize, field: &str) -> Result<usize, Failure> {
    match position {
        None => Ok(len),
        Some(p) if p >= 1 && (p as usize) <= len + 1 => Ok(p as usize - 1),
        Some(p) => Err(Failure::rule(
            field,
            RuleCode::PositionOutOfRange,
            format!("position {p} is outside 1…{}", len + 1),
        )),
    }
}

/// Puts row `id` at `position` among the rows `order` (in their order; `id` may be among
/// them) and renumbers them all 1, 2, 3….
pub async fn place(
    txn: &impl ConnectionTrait,
    table: &'static str,
    mut order: Vec<i32>,
    id: i32,
    position: Option<i32>,
) -> Result<(), Failure> {
    order.retain(|&other| other != id);
    let at = insertion_index(position, order.len(), "position")?;
    order.insert(at, id);
    resequence(txn, table, &order).await?;
    Ok(())
}

/// Row `id` of `E` as the transaction sees it now (after a renumbering).
pub async fn reload<E>(txn: &impl ConnectionTrait, id: i32) -> Result<E::Model, Failure>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    Ok(E::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("{} {id}", E::default().table_name())))?)
}

/// Ids of the rows of `E` under `parent_id` (in column `parent`), in published order.
pub async fn ordered<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    id: E::Column,
    parent: E::Column,
    parent_id: i32,
    seq: E::Column,
) -> Result<Vec<i32>, Failure> {
    Ok(E::find()
        .select_only()
        .column(id)
        .filter(parent.eq(parent_id))
        .order_by_asc(seq)
        .into_tuple::<i32>()
        .all(txn)
        .await?)
}

/// The draft's copy of row `id` of `E` (the row itself when already in a draft), opening the
/// draft in `txn` if need be; the rule `code` ("no such `what`") on input `field` when the
/// draft has no copy.
pub async fn in_draft<E>(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    field: &str,
    id: i32,
    code: RuleCode,
    what: &str,
) -> Result<E::Model, Failure>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    let table = E::default().table_name();
    match super::versions::into_draft(txn, table, id, clock).await? {
        Some(copy) => reload::<E>(txn, copy).await,
        None => Err(Failure::rule(
            field,
            code,
            format!("no such {what} in the draft"),
        )),
    }
}

/// The draft of the list department `dept`'s rows belong to (see `list_of`), opened in `txn`
/// if need be: `(list, draft version)`.
pub async fn draft_for(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    dept: i32,
    field: &str,
) -> Result<(i32, i32), Failure> {
    let list_id = list_of(txn, dept, field).await?;
    let version = super::versions::draft_of(txn, list_id, clock).await?;
    Ok((list_id, version))
}

/// One edit as the audit log records it.
pub struct Edit<'a> {
    pub actor: &'a str,
    pub operation: &'static str,
    pub entity: &'static str,
    pub id: i32,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Edit<'a> {
    /// A row created, with what it holds.
    pub fn created(
        actor: &'a str,
        operation: &'static str,
        entity: &'static str,
        id: i32,
        after: serde_json::Value,
    ) -> Self {
        Self {
            actor,
            operation,
            entity,
            id,
            before: None,
            after: Some(after),
        }
    }

    /// A row changed, with what it held and what it holds.
    pub fn changed(
        actor: &'a str,
        operation: &'static str,
        entity: &'static str,
        id: i32,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> Self {
        Self {
            actor,
            operation,
            entity,
            id,
            before: Some(before),
            after: Some(after),
        }
    }

    /// A row removed, with what it held.
    pub fn removed(
        actor: &'a str,
        operation: &'static str,
        entity: &'static str,
        id: i32,
        before: serde_json::Value,
    ) -> Self {
        Self {
            actor,
            operation,
            entity,
            id,
            before: Some(before),
            after: None,
        }
    }
}

/// Appends `edit` to the audit log (which moves the data version) and commits.
pub async fn commit(txn: Write, clock: &dyn Clock, edit: Edit<'_>) -> Result<(), Failure> {
    let entry = audit::Entry {
        actor: edit.actor,
        operation: edit.operation,
        entity: edit.entity,
        entity_id: Some(edit.id),
        before: edit.before,
        after: edit.after,
    };
    audit::record(&txn, clock.now(), entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Renumbers the rows `ids` of `table` 1, 2, 3… in that order. Two statements, so a unique
/// index on the sequence never sees two rows with one number: first every row steps aside
/// to a negative number, then each takes its place.
pub async fn resequence(
    txn: &impl ConnectionTrait,
    table: &'static str,
    ids: &[i32],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    txn.execute_unprepared(&format!(
        "UPDATE {table} SET seq = -seq - 1000000 WHERE id IN ({list})"
    ))
    .await?;
    let cases: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!(" WHEN {id} THEN {}", i + 1))
        .collect();
    txn.execute_unprepared(&format!(
        "UPDATE {table} SET seq = CASE id{cases} END WHERE id IN ({list})"
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_phone__mobiles_and_fixed_lines_with_area_code_pass() {
        assert_eq!(
            mainland_phone("15717577374").as_deref(),
            Some("15717577374")
        );
        assert_eq!(
            mainland_phone("0737-7821688").as_deref(),
            Some("07377821688")
        );
        assert_eq!(
            mainland_phone("010 12345678").as_deref(),
            Some("01012345678")
        );
    }

    #[test]
    fn mainland_phone__anything_else_is_refused() {
        for bad in [
            "",
            "12345",
            "12717577374",
            "1571757737",
            "7821688",
            "0737-782168x",
            "＋8615717577374",
            "00737821688",
        ] {
            assert_eq!(mainland_phone(bad), None, "{bad}");
        }
    }
}
