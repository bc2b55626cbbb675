//! Cursor pagination: opaque cursors (base64url of the sort key), page size at most 100, and
//! the one keyset condition every list pages with (sort column, then id as tie-breaker).

use base64::Engine as _;
use sea_orm::sea_query::{Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use serde::{Serialize, de::DeserializeOwned};

use super::rows::{self, Positional};
use crate::error::{AppError, AppResult};

pub const MAX_PAGE_SIZE: i32 = 100;
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// `first` as a row count: default 20, 0..=100; more is LIMIT_EXCEEDED.
pub fn page_size(field: &str, first: Option<i32>) -> AppResult<u64> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE as u64),
        Some(n) if n < 0 => Err(AppError::validation(field, "first must not be negative")),
        Some(n) if n > MAX_PAGE_SIZE => Err(AppError::LimitExceeded(format!(
            "first may be at most {MAX_PAGE_SIZE} (got {n})"
        ))),
        Some(n) => Ok(n as u64),
    }
}

pub fn encode<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode<T: DeserializeOwned>(field: &str, cursor: Option<&str>) -> AppResult<Option<T>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        // A cursor is ours only if it holds nothing the database could not compare.
        .filter(|bytes| !bytes.contains(&0) && !bytes.windows(6).any(|w| w == b"\\u0000"))
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| AppError::validation(field, "not a cursor this list gave out"))
}

/// One page of rows: `rows` has at most the requested size; `has_next` says more exist.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// From a query that fetched `size + 1` rows.
    pub fn from_overfetch(mut rows: Vec<T>, size: u64, has_previous: bool) -> Self {
        let has_next = rows.len() as u64 > size;
        rows.truncate(size as usize);
        Page {
            rows,
            has_next,
            has_previous,
        }
    }
}

impl<T> Page<T> {
    /// The same page with each row mapped; rows mapped to `None` are left out.
    pub fn filter_map<U>(self, f: impl FnMut(T) -> Option<U>) -> Page<U> {
        Page {
            rows: self.rows.into_iter().filter_map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }

    pub fn empty() -> Self {
        Page {
            rows: Vec::new(),
            has_next: false,
            has_previous: false,
        }
    }
}

/// A position in a list: the sort value and the id of the last row seen.
pub type Cursor<V> = (V, String);

/// Rows after `cursor` in (`sort`, `id`) order, ascending or descending. A row-value
/// comparison, `(sort, id) > ($1, $2)`: both databases read it as a range of the (sort, id)
/// index and start the scan at the cursor (the equivalent `sort > $1 OR (sort = $1 AND
/// id > $2)` makes PostgreSQL scan the index from its first entry and filter: measured
/// 8.5 ms against 0.1 ms for a page in the middle of 20,000 companies).
pub fn after<C, V>(sort: C, id: C, cursor: &Cursor<V>, order: Order) -> Condition
where
    C: ColumnTrait,
    V: Into<sea_orm::Value> + Clone,
{
    let (value, last_id) = cursor;
    let columns = Expr::tuple([
        Expr::col(sort.as_column_ref()),
        Expr::col(id.as_column_ref()),
    ]);
    let position = Expr::tuple([Expr::val(value.clone()), Expr::val(last_id.clone())]);
    let beyond = match order {
        Order::Desc => columns.lt(position),
        _ => columns.gt(position),
    };
    Condition::all().add(beyond)
}

/// `select` narrowed to one page in (`sort`, `id`) order after `cursor`, `size + 1` rows (the
/// extra row tells whether there is a next page). For callers that join more to the page.
pub fn page_select<E, V>(
    select: Select<E>,
    (sort, id): (E::Column, E::Column),
    order: Order,
    size: u64,
    cursor: Option<&Cursor<V>>,
) -> Select<E>
where
    E: EntityTrait,
    V: Into<sea_orm::Value> + Clone,
{
    let mut q = select;
    if let Some(c) = cursor {
        q = q.filter(after(sort, id, c, order.clone()));
    }
    q.order_by(sort, order.clone())
        .order_by(id, order)
        .limit(size + 1)
}

/// One page of `select` (in the columns `read`) in (`sort`, `id`) order after `cursor`: fetches
/// `size + 1` rows to know whether there is a next page.
pub async fn page<E, V>(
    db: &impl ConnectionTrait,
    (select, read): (Select<E>, rows::Columns),
    columns: (E::Column, E::Column),
    order: Order,
    size: u64,
    cursor: Option<Cursor<V>>,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
    V: Into<sea_orm::Value> + Clone,
{
    let rows = rows::some(
        db,
        page_select(select, columns, order, size, cursor.as_ref()),
        read,
    )
    .await?;
    Ok(Page::from_overfetch(rows, size, cursor.is_some()))
}
