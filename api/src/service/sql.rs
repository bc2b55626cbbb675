//! The few statements whose best SQL differs between SQLite and PostgreSQL, gated on the
//! connection's backend in one place.

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Select,
    Statement, Value,
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

/// `statement` with its final `LIMIT` (a page's size + 1, at most 101) written as a number
/// instead of a parameter. With `LIMIT $n` PostgreSQL's generic plan must assume a tenth of the
/// matching rows: for a municipality of 2,041 companies at 200,000 it costs 2,616 against the
/// custom plan's 692, so a prepared statement was planned afresh on every request (0.24 ms of
/// a 0.85 ms municipality page). With the number the generic plan wins after five executions
/// and is kept (`pgbench -M prepared`, one client, alternating: 1.34–1.78 → 1.03–1.11 ms a
/// page). One statement text per page size: at most 101 per list shape. Any other statement
/// is returned unchanged.
pub fn limit_as_number(mut statement: Statement) -> Statement {
    let Some(values) = statement.values.as_mut() else {
        return statement;
    };
    let n = match values.0.last() {
        Some(Value::BigUnsigned(Some(n))) => *n,
        _ => return statement,
    };
    let placeholder = match statement.db_backend {
        DbBackend::Postgres => format!(" LIMIT ${}", values.0.len()),
        _ => " LIMIT ?".to_owned(),
    };
    if n > 1_000 || !statement.sql.ends_with(&placeholder) {
        return statement;
    }
    values.0.pop();
    let keep = statement.sql.len() - placeholder.len();
    statement.sql.truncate(keep);
    statement.sql.push_str(&format!(" LIMIT {n}"));
    statement
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

    /// A page's final `LIMIT` becomes a number on both databases, its value leaves the
    /// parameters, and the others stay; a statement whose last parameter is not its limit is
    /// unchanged.
    #[test]
    fn a_page_limit_is_written_as_a_number() {
        use sea_orm::{EntityTrait, QueryFilter, QuerySelect, QueryTrait};
        let page = entity::company::Entity::find()
            .filter(entity::company::Column::MunicipalityCode.eq("101"))
            .limit(21)
            .build(DbBackend::Postgres);
        let written = limit_as_number(page.clone());
        assert!(written.sql.ends_with(" LIMIT 21"), "{}", written.sql);
        assert!(!written.sql.contains("$2"), "{}", written.sql);
        assert_eq!(written.values.map(|v| v.0), Some(vec![Value::from("101")]));
        let sqlite = limit_as_number(
            entity::company::Entity::find()
                .filter(entity::company::Column::MunicipalityCode.eq("101"))
                .limit(21)
                .build(DbBackend::Sqlite),
        );
        assert!(sqlite.sql.ends_with(" LIMIT 21"), "{}", sqlite.sql);
        assert_eq!(sqlite.values.map(|v| v.0), Some(vec![Value::from("101")]));
        // No limit, or a limit that is not last: unchanged.
        let plain = entity::company::Entity::find()
            .filter(entity::company::Column::MunicipalityCode.eq("101"))
            .build(DbBackend::Postgres);
        assert_eq!(limit_as_number(plain.clone()).sql, plain.sql);
        let offset = entity::company::Entity::find()
            .limit(21)
            .offset(5)
            .build(DbBackend::Postgres);
        assert_eq!(limit_as_number(offset.clone()).sql, offset.sql);
    }
}
