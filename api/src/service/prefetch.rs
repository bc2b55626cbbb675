//! A page of companies and the relations its reader asked for, in one statement (PostgreSQL).
//!
//! Every statement costs two round trips (sqlx tests each connection when it is returned to the
//! pool) and wakes a PostgreSQL process twice; on a company page that, not the SQL, was most of
//! the cost. So when the caller says which relations it will show ([`Include`], chosen by the
//! GraphQL layer from the selection), the company statement carries each of them as a
//! correlated subquery that returns the relation's rows as one JSON array: contact persons,
//! production units, the first page of activities, follow-ups and the entry point's facts. The
//! subqueries are the relations' own statements (`Parents::EnclosingCompany` instead of a
//! batch of keys), and their rows pass the same reader as the batched path's, so the two paths
//! answer alike (tested on every company read on PostgreSQL). SQLite keeps the batched path.

use entity::enums::FollowUpStatus;
use entity::{activity, company, contact_person, follow_up, production_unit};
use sea_orm::entity::prelude::IdenStatic;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, SubQueryStatement};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, QueryTrait, Select};
use serde::de::DeserializeOwned;

use super::activity as activities;
use super::company as companies;
use super::entry_point::{self, FactRow, Facts};
use super::follow_up as follow_ups;
use super::pagination::Page;
use super::read::{FollowUpView, Reader, Visible};
use super::sql::Parents;
use crate::error::{AppError, AppResult};

/// The most activity pages or follow-up lists of different shapes one statement carries (a
/// selection with more aliases than that loads the rest in batches).
const SHAPES_MAX: usize = 4;

/// The activity columns every prefetched activity carries: the reader's (owner, visibility,
/// deletion), the page's order (contact_at, id) and the cheap ones.
pub const ACTIVITY_ALWAYS: [activity::Column; 9] = [
    activity::Column::Id,
    activity::Column::CompanyId,
    activity::Column::OrganisationId,
    activity::Column::Kind,
    activity::Column::Status,
    activity::Column::InitiatedBy,
    activity::Column::Visibility,
    activity::Column::ContactAt,
    activity::Column::DeletedAt,
];

/// Which relations of each company to load with it.
#[derive(Debug, Clone, Default)]
pub struct Include {
    pub contact_persons: bool,
    pub production_units: bool,
    /// First pages (no cursor) of activities, by page size.
    pub activity_pages: Vec<u64>,
    /// Follow-ups, by status filter (`None`: all).
    pub follow_ups: Vec<Option<FollowUpStatus>>,
    /// The facts of the company-level entry point (no site).
    pub entry_point: bool,
    /// The activity columns besides [`ACTIVITY_ALWAYS`] the selection reads; `None`: all.
    /// Turning columns into JSON is most of PostgreSQL's work here (measured: a page of 100
    /// companies with whole activity rows took 2.6 times the time of one without their data).
    pub activity_columns: Option<Vec<activity::Column>>,
}

impl Include {
    pub fn is_empty(&self) -> bool {
        !self.contact_persons
            && !self.production_units
            && self.activity_pages.is_empty()
            && self.follow_ups.is_empty()
            && !self.entry_point
    }

    pub fn activity_page(&mut self, size: u64) {
        if !self.activity_pages.contains(&size) && self.activity_pages.len() < SHAPES_MAX {
            self.activity_pages.push(size);
        }
    }

    pub fn follow_ups(&mut self, status: Option<FollowUpStatus>) {
        if !self.follow_ups.contains(&status) && self.follow_ups.len() < SHAPES_MAX {
            self.follow_ups.push(status);
        }
    }
}

/// One company's relations as its reader sees them; `None` (or absent) where not loaded.
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub contact_persons: Option<Vec<Visible<contact_person::Model>>>,
    pub production_units: Option<Vec<Visible<production_unit::Model>>>,
    pub activity_pages: Vec<(u64, Page<Visible<activity::Model>>)>,
    pub follow_ups: Vec<(Option<FollowUpStatus>, Vec<Visible<FollowUpView>>)>,
    pub facts: Option<Facts>,
}

/// The rows of `select` (a statement over `company`) with their `include`d relations. On
/// SQLite, or with nothing to include, the companies alone (the batched path loads the rest).
pub async fn companies(
    db: &impl ConnectionTrait,
    reader: &Reader,
    select: Select<company::Entity>,
    include: &Include,
) -> AppResult<Vec<(Visible<company::Model>, Related)>> {
    let backend = db.get_database_backend();
    if include.is_empty() || backend != DbBackend::Postgres {
        return Ok(select
            .all(db)
            .await?
            .into_iter()
            .map(|c| (reader.company(c), Related::default()))
            .collect());
    }
    let mut statement = select.into_query();
    add_columns(&mut statement, backend, include);
    let rows = db.query_all_raw(backend.build(&statement)).await?;
    rows.iter()
        .map(|row| decode(row, reader, include))
        .collect()
}

const CONTACT_PERSONS: &str = "kp_contact_persons";
const PRODUCTION_UNITS: &str = "kp_production_units";
const FACTS: &str = "kp_facts";

fn activity_column(i: usize) -> String {
    format!("kp_activities_{i}")
}

fn follow_up_column(i: usize) -> String {
    format!("kp_follow_ups_{i}")
}

/// `SELECT row_to_json(<table>) FROM … ORDER BY … LIMIT …` as a JSON array in text: the
/// ordering and the limit apply at the level that builds the array, so its order is defined.
fn rows_as_json(mut select: SelectStatement, table: &str) -> Expr {
    select.clear_selects();
    select.expr(Expr::cust(format!(r#"row_to_json("{table}")"#)));
    array_of(select)
}

/// As [`rows_as_json`], each row an object of `columns` only.
fn columns_as_json<'c, C: IdenStatic + 'c>(
    select: SelectStatement,
    table: &str,
    columns: impl Iterator<Item = &'c C>,
) -> Expr {
    let mut seen = Vec::new();
    let mut pairs = Vec::new();
    for column in columns {
        let name = column.as_str();
        if !seen.contains(&name) {
            seen.push(name);
            pairs.push(format!(r#"'{name}', "{table}"."{name}""#));
        }
    }
    let mut select = select;
    select.clear_selects();
    select.expr(Expr::cust(format!(
        "json_build_object({})",
        pairs.join(", ")
    )));
    array_of(select)
}

fn array_of(select: SelectStatement) -> Expr {
    Expr::cust_with_expr(
        "array_to_json(ARRAY $1)::text",
        Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(select))),
    )
}

fn add_columns(statement: &mut SelectStatement, backend: DbBackend, include: &Include) {
    let company = Parents::EnclosingCompany;
    if include.contact_persons {
        let q = companies::contact_persons_of(backend, company).into_query();
        statement.expr_as(
            rows_as_json(q, "contact_person"),
            Alias::new(CONTACT_PERSONS),
        );
    }
    if include.production_units {
        let q = companies::production_units_of(backend, company).into_query();
        statement.expr_as(
            rows_as_json(q, "production_unit"),
            Alias::new(PRODUCTION_UNITS),
        );
    }
    for (i, size) in include.activity_pages.iter().enumerate() {
        let parent = company.condition(backend, activity::Column::CompanyId);
        let q = activities::company_page(parent, *size, None);
        let rows = match &include.activity_columns {
            None => rows_as_json(q, "activity"),
            Some(more) => columns_as_json(q, "activity", ACTIVITY_ALWAYS.iter().chain(more)),
        };
        statement.expr_as(rows, Alias::new(activity_column(i)));
    }
    for (i, status) in include.follow_ups.iter().enumerate() {
        let q =
            follow_ups::of(backend, follow_up::Column::CompanyId, company, *status).into_query();
        statement.expr_as(
            rows_as_json(q, "follow_up"),
            Alias::new(follow_up_column(i)),
        );
    }
    if include.entry_point {
        let union = entry_point::facts_of(backend, company);
        let q = Query::select()
            .expr(Expr::cust(r#"coalesce(json_agg("f"), '[]')::text"#))
            .from_subquery(union, Alias::new("f"))
            .to_owned();
        statement.expr_as(
            Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q))),
            Alias::new(FACTS),
        );
    }
}

/// The JSON array in `column` as rows.
fn rows<T: DeserializeOwned>(row: &QueryResult, column: &str) -> AppResult<Vec<T>> {
    let text: Option<String> = row.try_get("", column)?;
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| AppError::Internal(format!("prefetched {column}: {e}"))),
    }
}

fn decode(
    row: &QueryResult,
    reader: &Reader,
    include: &Include,
) -> AppResult<(Visible<company::Model>, Related)> {
    let company = company::Model::from_query_result(row, "")?;
    let mut related = Related::default();
    if include.contact_persons {
        let people: Vec<contact_person::Model> = rows(row, CONTACT_PERSONS)?;
        related.contact_persons = Some(
            people
                .into_iter()
                .filter_map(|p| reader.contact_person(p))
                .collect(),
        );
    }
    if include.production_units {
        let units: Vec<production_unit::Model> = rows(row, PRODUCTION_UNITS)?;
        related.production_units = Some(
            units
                .into_iter()
                .map(|u| reader.production_unit(u))
                .collect(),
        );
    }
    for (i, size) in include.activity_pages.iter().enumerate() {
        let page: Vec<activity::Model> = rows(row, &activity_column(i))?;
        let page = activities::visible_page(reader, page, *size, false);
        related.activity_pages.push((*size, page));
    }
    for (i, status) in include.follow_ups.iter().enumerate() {
        let list: Vec<follow_up::Model> = rows(row, &follow_up_column(i))?;
        let list = list.into_iter().map(|f| reader.follow_up(f)).collect();
        related.follow_ups.push((*status, list));
    }
    if include.entry_point {
        let mut facts = Facts::default();
        for r in rows::<FactRow>(row, FACTS)? {
            facts.add(r, &[]);
        }
        related.facts = Some(facts);
    }
    Ok((reader.company(company), related))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum;
    use sea_orm::{EntityTrait, Iterable};

    /// The JSON of a prefetched row names an enum by its stored value; serde must read it so.
    fn same_names<E: ActiveEnum<Value = String> + Iterable + serde::Serialize>() {
        for v in E::iter() {
            assert_eq!(
                serde_json::to_value(&v).ok(),
                Some(serde_json::Value::String(v.to_value())),
                "{}",
                v.to_value()
            );
        }
    }

    #[test]
    fn serde_names_are_the_stored_values() {
        use entity::enums::*;
        same_names::<ActivityKind>();
        same_names::<ActivityStatus>();
        same_names::<InitiatedBy>();
        same_names::<Visibility>();
        same_names::<FollowUpStatus>();
    }

    #[test]
    fn the_statement_carries_each_relation_once() {
        let mut include = Include {
            contact_persons: true,
            production_units: true,
            entry_point: true,
            ..Include::default()
        };
        include.activity_page(5);
        include.activity_page(5);
        include.follow_ups(Some(FollowUpStatus::Open));
        for size in 1..10 {
            include.activity_page(size);
        }
        assert_eq!(include.activity_pages, vec![5, 1, 2, 3]);
        let mut q = company::Entity::find().into_query();
        add_columns(&mut q, DbBackend::Postgres, &include);
        let sql = DbBackend::Postgres.build(&q).to_string();
        assert!(
            sql.contains(r#""contact_person"."company_id" = "company"."id""#),
            "{sql}"
        );
        assert!(sql.contains(r#"row_to_json("activity")"#), "{sql}");
        assert_eq!(sql.matches("kp_activities_").count(), 4, "{sql}");
        assert!(sql.contains("kp_facts"), "{sql}");

        include.activity_columns = Some(vec![activity::Column::Summary, activity::Column::Id]);
        let mut q = company::Entity::find().into_query();
        add_columns(&mut q, DbBackend::Postgres, &include);
        let sql = DbBackend::Postgres.build(&q).to_string();
        assert!(!sql.contains(r#"row_to_json("activity")"#), "{sql}");
        assert_eq!(sql.matches(r#"'id', "activity"."id""#).count(), 4, "{sql}");
        assert!(sql.contains(r#"'summary', "activity"."summary")"#), "{sql}");
        assert!(!sql.contains("created_by_sub"), "{sql}");
    }
}
