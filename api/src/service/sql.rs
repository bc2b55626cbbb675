//! The few statements whose best SQL differs between SQLite and PostgreSQL, gated on the
//! connection's backend in one place.

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Select, Value,
};

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

/// `column = 'VALUE'` for a value of a closed enum, written into the statement instead of bound
/// as a parameter. A partial index (`WHERE status = 'ACTIVE'`) serves only a predicate that is
/// literally its own: with `status = $n` a generic plan cannot use it. The statement's text
/// changes with the value, so the prepared-statement cache holds one statement per value of
/// the enum, a handful. Never for text a client typed.
pub fn is<C: ColumnTrait, V: ActiveEnum<Value = String>>(column: C, value: V) -> SimpleExpr {
    Expr::col(column.as_column_ref()).eq(Expr::Constant(value.to_value().into()))
}

/// `job_service_agreement.status = 'ACTIVE'` as a literal (see [`is`]): the partial unique index
/// on ACTIVE agreements, which carries the columns the entry point reads, answers each company's
/// lookup on a list from the index alone.
pub fn agreement_is_active() -> SimpleExpr {
    is(
        entity::job_service_agreement::Column::Status,
        entity::enums::JobServiceAgreementStatus::Active,
    )
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    use super::*;

    /// The predicate is the partial indexes' (`WHERE status = 'ACTIVE'`, `'OPEN'`) on both
    /// databases: no parameter.
    #[test]
    fn active_agreements_are_named_by_a_literal() {
        let q = Query::select()
            .column(entity::job_service_agreement::Column::Id)
            .from(entity::job_service_agreement::Entity)
            .and_where(agreement_is_active())
            .to_owned();
        let (pg, values) = q.build(PostgresQueryBuilder);
        assert!(values.0.is_empty(), "{values:?}");
        assert!(
            pg.ends_with(r#"WHERE "job_service_agreement"."status" = 'ACTIVE'"#),
            "{pg}"
        );
        let (sqlite, values) = q.build(SqliteQueryBuilder);
        assert!(values.0.is_empty(), "{values:?}");
        assert!(sqlite.ends_with(r#""status" = 'ACTIVE'"#), "{sqlite}");
        let open = Query::select()
            .column(entity::follow_up::Column::Id)
            .from(entity::follow_up::Entity)
            .and_where(is(
                entity::follow_up::Column::Status,
                entity::enums::FollowUpStatus::Open,
            ))
            .to_owned();
        let (pg, values) = open.build(PostgresQueryBuilder);
        assert!(values.0.is_empty(), "{values:?}");
        assert!(
            pg.ends_with(r#"WHERE "follow_up"."status" = 'OPEN'"#),
            "{pg}"
        );
    }
}
