//! Relay connections over keyset pagination on the primary key (or on published order, for
//! rows numbered within their list): stable under inserts, and every page costs two
//! statements (count and page) whatever its position.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, CursorType, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QueryTrait, Select, Statement,
};

use crate::error::{ApiError, ApiResult};

/// The largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;

/// Extra fields of every connection.
#[derive(SimpleObject)]
pub struct Counted {
    /// Number of nodes matching the filter, over all pages (cursors aside) — 总数.
    pub total_count: u64,
}

pub type Page<N> = Connection<Cursor, N, Counted>;

/// An edge of a `Page`.
pub type PageEdge<N> = Edge<Cursor, N, async_graphql::connection::EmptyFields>;

/// A row's key in its page's order, written out as an opaque cursor (a `String` in the
/// schema) only when a client selects one: most pages are read for their nodes alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(i64);

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        decode_cursor("cursor", s)
            .map(Cursor)
            .map_err(|_| "not a cursor of this connection")
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

/// The four Relay arguments as a client sent them, and whether it selected `totalCount`.
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    /// `totalCount` is read: every matching row must be counted, not just a page's.
    pub counted: bool,
}

/// Declares `$query`, a query type with one Relay connection field, so that every list
/// states its cursor arguments, their descriptions and the page's cost in one place: the
/// field takes `first`, `after`, `last`, `before` and, where the list is filtered, a `filter`
/// and the further arguments written after it. The body sees the cursor arguments as one
/// `PageArgs` (`$args`) and the filter as given, or its default (`$filter`). Further fields
/// of the type may follow the body, but not one with a `complexity` string: async-graphql
/// resolves that string's names where it was written, apart from the arguments declared
/// here, so such a field takes a type of its own (as `webhookDeliveries` does).
macro_rules! connection_query {
    (
        $(#[$field_meta:meta])*
        $query:ident::$field:ident(
            $ctx:ident,
            $args:ident
            $(, $filter:ident: $filter_type:ty $(, $(#[$arg_meta:meta])* $arg:ident: $arg_type:ty)*)?
            $(,)?
        ) -> $node:ty $body:block
        $($fields:tt)*
    ) => {
        #[derive(Default)]
        pub struct $query;

        #[async_graphql::Object]
        impl $query {
            $(#[$field_meta])*
            #[graphql(complexity = "crate::graphql::page_cost(first, last, child_complexity)")]
            async fn $field(
                &self,
                $ctx: &async_graphql::Context<'_>,
                #[graphql(
                    desc = "At most this many from the start, or after `after` (up to 100) — 前若干条"
                )]
                first: Option<i32>,
                #[graphql(desc = "Start after this cursor — 起始游标")] after: Option<String>,
                #[graphql(
                    desc = "At most this many from the end, or before `before` (up to 100) — 后若干条"
                )]
                last: Option<i32>,
                #[graphql(desc = "End before this cursor — 结束游标")] before: Option<String>,
                $(
                    #[graphql(desc = "Only what matches every condition given — 筛选条件")]
                    filter: Option<$filter_type>,
                    $($(#[$arg_meta])* $arg: $arg_type,)*
                )?
            ) -> $crate::error::ApiResult<$crate::graphql::pagination::Page<$node>> {
                let $args = $crate::graphql::pagination::PageArgs {
                    first,
                    after,
                    last,
                    before,
                    counted: $ctx.look_ahead().field("totalCount").exists(),
                };
                $(let $filter = filter.unwrap_or_default();)?
                $body
            }

            $($fields)*
        }
    };
}
pub(crate) use connection_query;

fn encode_cursor(key: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{key}"))
}

fn decode_cursor(field: &str, cursor: &str) -> ApiResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("cursor:").and_then(|id| id.parse().ok()))
        .ok_or_else(|| ApiError::bad_input(field, "not a cursor of this connection"))
}

fn page_size(field: &str, value: i32) -> ApiResult<u64> {
    if !(0..=MAX_PAGE).contains(&value) {
        return Err(ApiError::bad_input(
            field,
            format!("must be between 0 and {MAX_PAGE}"),
        ));
    }
    Ok(value as u64)
}

/// Pages through `select` ordered by `id`; `wrap` turns each row into its GraphQL type.
pub async fn paginate<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    id: E::Column,
    args: PageArgs,
    row_id: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> N,
) -> ApiResult<Page<N>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    E::Column: ColumnTrait,
    N: OutputType,
{
    let key = Expr::col(id);
    paginate_by(db, select, key, args, |row| i64::from(row_id(row)), wrap).await
}

/// A sort key for rows numbered within their list: `list × 10⁶ + seq`, so a connection
/// reads in published order (序号) even after edits renumbered rows, with one-number cursors.
pub fn published_order(list: impl IntoColumnRef, seq: impl IntoColumnRef) -> SimpleExpr {
    // BIGINT: a province's list ids times 10⁶ do not fit PostgreSQL's 32-bit integer.
    Expr::col(list)
        .cast_as("BIGINT")
        .mul(SEQ_SPAN)
        .add(Expr::col(seq))
}

/// The key `published_order` gives a row.
pub fn published_key(list: i32, seq: i32) -> i64 {
    i64::from(list) * SEQ_SPAN + i64::from(seq)
}

const SEQ_SPAN: i64 = 1_000_000;

/// As `published_order`, for rows numbered within a group (a department's duties) of their
/// list: `list × 10¹² + group × 10⁴ + seq`.
pub fn grouped_order(
    list: impl IntoColumnRef,
    group: impl IntoColumnRef,
    seq: impl IntoColumnRef,
) -> SimpleExpr {
    Expr::col(list)
        .cast_as("BIGINT")
        .mul(GROUP_SPAN * GROUP_SEQ_SPAN)
        .add(Expr::col(group).cast_as("BIGINT").mul(GROUP_SEQ_SPAN))
        .add(Expr::col(seq))
}

/// The key `grouped_order` gives a row.
pub fn grouped_key(list: i32, group: i32, seq: i32) -> i64 {
    (i64::from(list) * GROUP_SPAN + i64::from(group)) * GROUP_SEQ_SPAN + i64::from(seq)
}

const GROUP_SPAN: i64 = 100_000_000;
const GROUP_SEQ_SPAN: i64 = 10_000;

/// Pages through `select` ordered by the unique `key` expression; `row_key` is its value
/// for a row. The count over all pages is made only when the client selected `totalCount`
/// (`PageArgs.counted`; else it reads 0, unseen): a page then costs one statement.
pub async fn paginate_by<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    key: SimpleExpr,
    args: PageArgs,
    row_key: impl Fn(&E::Model) -> i64,
    wrap: impl Fn(E::Model) -> N,
) -> ApiResult<Page<N>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    N: OutputType,
{
    let fetch = async |statement, _: Order| E::find().from_raw_sql(statement).all(db).await;
    paginate_fetched(db, select, key, args, fetch, row_key, wrap).await
}

/// As `paginate_by`, the page's rows read by `fetch` from the page's statement (`select`'s
/// columns, ordered by `key` in the order given and limited), in the statement's order: a
/// reader holding rows that never change (submitted inspections) decodes only the others.
pub async fn paginate_fetched<E, N>(
    db: &DatabaseConnection,
    select: Select<E>,
    key: SimpleExpr,
    args: PageArgs,
    fetch: impl AsyncFnOnce(Statement, Order) -> Result<Vec<E::Model>, DbErr>,
    row_key: impl Fn(&E::Model) -> i64,
    wrap: impl Fn(E::Model) -> N,
) -> ApiResult<Page<N>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    N: OutputType,
{
    let (forward, size) = page_request(&args)?;
    let total_count = if args.counted {
        select.clone().count(db).await?
    } else {
        0
    };
    let mut select = select;
    if let Some(after) = &args.after {
        select = select.filter(key.clone().gt(decode_cursor("after", after)?));
    }
    if let Some(before) = &args.before {
        select = select.filter(key.clone().lt(decode_cursor("before", before)?));
    }
    let order = if forward { Order::Asc } else { Order::Desc };
    let page = select.order_by(key, order.clone());
    let mut rows = fetch(limited(page, db.get_database_backend(), size + 1), order).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    if !forward {
        rows.reverse();
    }
    let (has_previous, has_next) = if forward {
        (args.after.is_some(), more)
    } else {
        (more, args.before.is_some())
    };
    let frame = PageFrame {
        has_previous,
        has_next,
        total_count,
    };
    Ok(frame.with(rows, row_key, wrap))
}

/// A page before its rows are wrapped: where it stands among all the pages.
struct PageFrame {
    has_previous: bool,
    has_next: bool,
    total_count: u64,
}

impl PageFrame {
    fn with<T, N: OutputType>(
        self,
        rows: impl IntoIterator<Item = T>,
        row_key: impl Fn(&T) -> i64,
        wrap: impl Fn(T) -> N,
    ) -> Page<N> {
        let mut connection = Connection::with_additional_fields(
            self.has_previous,
            self.has_next,
            Counted {
                total_count: self.total_count,
            },
        );
        connection.edges.extend(
            rows.into_iter()
                .map(|row| Edge::new(Cursor(row_key(&row)), wrap(row))),
        );
        connection
    }
}

/// `select` with ` LIMIT limit` written after its order, into the statement rather than
/// bound. PostgreSQL plans a prepared statement once for every value of its parameters, and a
/// bound limit is unknown there, taken as a tenth of the matching rows: a page filtered by a
/// column then walked the primary key over the whole table, filtering, instead of reading the
/// filtered column's index (62 inspections of one unit among 2,000: 0.6 ms against 0.3, and
/// twice the database's CPU per page under load). A page asks for one of 102 limits, so the
/// statements stay few.
fn limited<E: EntityTrait>(select: Select<E>, backend: DbBackend, limit: u64) -> Statement {
    let mut statement = select.build(backend);
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    statement
}

/// Pages through rows held in memory and ordered by the unique `row_key`, with the same
/// cursors and limits as `paginate_by` over the same key: the published lists answer from
/// memory exactly as they would from SQL. `rows` is read lazily: a forward page whose
/// `totalCount` is not selected stops at the row after it (a province's 3,600 services
/// matching a text answer their first 100 without checking the rest), and its count reads 0,
/// unseen, as `paginate_by`'s does.
pub fn paginate_keyed<T, N>(
    rows: impl IntoIterator<Item = T>,
    args: PageArgs,
    row_key: impl Fn(&T) -> i64,
    wrap: impl Fn(T) -> N,
) -> ApiResult<Page<N>>
where
    N: OutputType,
{
    let (forward, size) = page_request(&args)?;
    let after = args
        .after
        .as_deref()
        .map(|c| decode_cursor("after", c))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| decode_cursor("before", c))
        .transpose()?;
    let size = size as usize;
    let mut total_count = 0u64;
    let in_range = rows
        .into_iter()
        .inspect(|_| total_count += 1)
        .filter(|row| {
            let key = row_key(row);
            after.is_none_or(|a| key > a) && before.is_none_or(|b| key < b)
        });
    let mut rows: Vec<T> = if forward && !args.counted {
        in_range.take(size + 1).collect()
    } else {
        in_range.collect()
    };
    let more = rows.len() > size;
    if forward {
        rows.truncate(size);
    } else {
        rows.drain(..rows.len().saturating_sub(size));
    }
    let total_count = if args.counted { total_count } else { 0 };
    let (has_previous, has_next) = if forward {
        (after.is_some(), more)
    } else {
        (more, before.is_some())
    };
    let frame = PageFrame {
        has_previous,
        has_next,
        total_count,
    };
    Ok(frame.with(rows, row_key, wrap))
}

/// Direction and size of the page asked for.
fn page_request(args: &PageArgs) -> ApiResult<(bool, u64)> {
    match (args.first, args.last) {
        (Some(first), None) => Ok((true, page_size("first", first)?)),
        (None, Some(last)) => Ok((false, page_size("last", last)?)),
        (Some(_), Some(_)) => Err(ApiError::bad_input("last", "give first or last, not both")),
        (None, None) => Err(ApiError::bad_input(
            "first",
            format!("first or last is required (at most {MAX_PAGE})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor__round_trips() {
        assert_eq!(decode_cursor("after", &encode_cursor(7)).unwrap(), 7);
        assert!(decode_cursor("after", "计生").is_err());
        // An edge's cursor, written out when selected, reads back as an `after` argument.
        let written = Cursor(7).encode_cursor();
        assert_eq!(written, "Y3Vyc29yOjc");
        assert_eq!(decode_cursor("after", &written).unwrap(), 7);
        assert_eq!(Cursor::decode_cursor(&written), Ok(Cursor(7)));
        assert!(Cursor::decode_cursor("计生").is_err());
    }

    #[test]
    fn page__limit_is_written_into_the_statement_not_bound() {
        let select = entity::inspection::Entity::find()
            .filter(entity::inspection::Column::TargetDepartmentId.eq(31))
            .order_by(entity::inspection::Column::Id, Order::Asc);
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let statement = limited(select.clone(), backend, 101);
            assert!(
                statement
                    .sql
                    .ends_with(r#"ORDER BY "inspection"."id" ASC LIMIT 101"#),
                "{}",
                statement.sql
            );
            // The filter's value is the only one bound.
            assert_eq!(statement.values.map(|v| v.0.len()), Some(1));
        }
    }

    #[test]
    fn page_size__bounds() {
        assert_eq!(page_size("first", 100).unwrap(), 100);
        assert!(page_size("first", 101).is_err());
        assert!(page_size("first", -1).is_err());
    }
}
