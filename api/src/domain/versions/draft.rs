//! Opening a list's draft as a copy of its latest version, and landing edits in it.

use entity::list_version;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Statement,
};

use super::{TABLES, is_draft};
use crate::domain::clock::Clock;

/// The draft of `list_id`, opened now as a copy of its latest published version if there is
/// none. Call inside the edit's transaction: a refused edit leaves no draft behind.
pub async fn draft_of(
    txn: &impl ConnectionTrait,
    list_id: i32,
    clock: &dyn Clock,
) -> Result<i32, DbErr> {
    // Touching the list's row serialises concurrent openers: both would otherwise copy.
    txn.execute_unprepared(&format!(
        "UPDATE responsibility_list SET id = id WHERE id = {list_id}"
    ))
    .await?;
    let versions = list_version::Entity::find()
        .filter(list_version::Column::ListId.eq(list_id))
        .order_by_desc(list_version::Column::Number)
        .all(txn)
        .await?;
    if let Some(draft) = versions.iter().find(|v| is_draft(v)) {
        return Ok(draft.id);
    }
    let latest = versions.iter().find(|v| !is_draft(v));
    let draft = list_version::ActiveModel {
        list_id: Set(list_id),
        based_on_id: Set(latest.map(|v| v.id)),
        created_at: Set(clock.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if let Some(latest) = latest {
        copy(txn, latest.id, draft.id).await?;
    }
    Ok(draft.id)
}

/// Copies every row of version `from` into version `to`, keeping lineages and pointing each
/// copy at the copies of its parents. One statement a table; copies keep the rows' order.
async fn copy(txn: &impl ConnectionTrait, from: i32, to: i32) -> Result<(), DbErr> {
    for t in &TABLES {
        let mut columns = vec![t.columns.to_owned()];
        let mut values = vec![prefixed("r", t.columns)];
        let mut joins = String::new();
        for (i, (column, parent)) in t.parents.iter().enumerate() {
            columns.push((*column).to_owned());
            values.push(format!("n{i}.id"));
            joins.push_str(&format!(
                " LEFT JOIN {parent} o{i} ON o{i}.id = r.{column} \
                 LEFT JOIN {parent} n{i} ON n{i}.version_id = {to} AND n{i}.lineage = o{i}.lineage"
            ));
        }
        txn.execute_unprepared(&format!(
            "INSERT INTO {table} ({columns}, version_id, lineage) \
             SELECT {values}, {to}, r.lineage FROM {table} r{joins} WHERE r.version_id = {from} \
             ORDER BY r.id",
            table = t.table,
            columns = columns.join(", "),
            values = values.join(", "),
        ))
        .await?;
    }
    Ok(())
}

fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Starts the lineage of row `id` of `table`, just created in a draft: it is its own first row.
pub async fn start_lineage(txn: &impl ConnectionTrait, table: &str, id: i32) -> Result<(), DbErr> {
    txn.execute_unprepared(&format!("UPDATE {table} SET lineage = id WHERE id = {id}"))
        .await?;
    Ok(())
}

/// Starts the lineage of every row loaded without one (a list being imported).
pub async fn start_lineages(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    for t in &TABLES {
        txn.execute_unprepared(&format!(
            "UPDATE {} SET lineage = id WHERE lineage = 0",
            t.table
        ))
        .await?;
    }
    Ok(())
}

/// Where an edit addressed to row `id` of `table` lands: the row itself when it is in a
/// draft, else its copy in its list's draft (opened if need be). `None` when the draft
/// no longer has that row (it was removed there).
pub async fn into_draft(
    txn: &impl ConnectionTrait,
    table: &str,
    id: i32,
    clock: &dyn Clock,
) -> Result<Option<i32>, DbErr> {
    let Some((version_id, lineage)) = ids(
        txn,
        &format!("SELECT version_id AS a, lineage AS b FROM {table} WHERE id = {id}"),
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(version) = list_version::Entity::find_by_id(version_id)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if is_draft(&version) {
        return Ok(Some(id));
    }
    let draft = draft_of(txn, version.list_id, clock).await?;
    Ok(ids(
        txn,
        &format!(
            "SELECT id AS a, id AS b FROM {table} WHERE version_id = {draft} AND lineage = {lineage}"
        ),
    )
    .await?
    .map(|(copy, _)| copy))
}

async fn ids(txn: &impl ConnectionTrait, sql: &str) -> Result<Option<(i32, i32)>, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(txn.get_database_backend(), sql))
        .await?;
    row.map(|r| Ok((r.try_get("", "a")?, r.try_get("", "b")?)))
        .transpose()
}
