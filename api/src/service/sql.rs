//! The few statements whose best SQL differs between SQLite and PostgreSQL, gated on the
//! connection's backend in one place.

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Select, Value};

/// `column` is one of `keys`. On PostgreSQL `column = ANY($1)` with the keys as one array
/// parameter: the statement's text is the same for 1 or 100 keys, so each connection prepares
/// it once (an `IN ($1, …, $n)` list is a new statement for every batch size). SQLite has no
/// arrays and keeps `IN`.
pub fn one_of<C: ColumnTrait>(backend: DbBackend, column: C, keys: &[String]) -> SimpleExpr {
    let expr = Expr::col(column.as_column_ref());
    match backend {
        DbBackend::Postgres => {
            let array = keys.iter().map(|k| Value::from(k.as_str())).collect();
            expr.eq(PgFunc::any(Expr::val(Value::Array(
                ArrayType::String,
                Some(Box::new(array)),
            ))))
        }
        _ => expr.is_in(keys.iter().cloned()),
    }
}

/// The rows of `entity` whose `column` is one of `keys` (see [`one_of`]), to narrow further.
pub fn find_in<E: EntityTrait>(
    entity: E,
    db: &impl ConnectionTrait,
    column: E::Column,
    keys: &[String],
) -> Select<E> {
    let _ = entity;
    E::find().filter(one_of(db.get_database_backend(), column, keys))
}

/// Whose rows a relation's statement fetches: a batch of parent keys (a DataLoader's), or the
/// one `company` row of an enclosing statement (a correlated subquery, see `prefetch`). One
/// builder per relation serves both, so the two paths cannot drift apart.
#[derive(Debug, Clone, Copy)]
pub enum Parents<'a> {
    Keys(&'a [String]),
    EnclosingCompany,
}

impl Parents<'_> {
    /// `column` (a relation's parent key) narrowed to these parents.
    pub fn condition<C: ColumnTrait>(&self, backend: DbBackend, column: C) -> SimpleExpr {
        match self {
            Parents::Keys(keys) => one_of(backend, column, keys),
            Parents::EnclosingCompany => Expr::col(column.as_column_ref())
                .equals((entity::company::Entity, entity::company::Column::Id)),
        }
    }
}
