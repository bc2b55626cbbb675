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
use sea_orm::Iterable;
use sea_orm::entity::prelude::IdenStatic;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, SubQueryStatement};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, QuerySelect, QueryTrait, Select};
use serde::de::DeserializeOwned;

use super::activity as activities;
use super::company as companies;
use super::entry_point::{self, FactRow, Facts};
use super::follow_up as follow_ups;
use super::pagination::Page;
use super::positional;
use super::read::{FollowUpView, Reader, Visible};
use super::rows::{self, Positional};
use super::sql::{self, Parents};
use crate::error::{AppError, AppResult};

/// The most activity pages or follow-up lists of different shapes one statement carries (a
/// selection with more aliases than that loads the rest in batches).
const SHAPES_MAX: usize = 4;

/// Placeholders for the fields a row read in fewer columns must still have (a model's fields
/// without `#[serde(default)]`), by column; a row takes them for the columns it was not read
/// with. No client ever sees one: rows read in fewer columns serve only a selection that reads
/// none of the columns they lack (`Related`'s `*_columns`, checked by the loaders' `Pruned`
/// store), and the reader's rules see the columns they decide on (a summary is read with its
/// owner and visibility: `graphql::activity::field_columns`).
pub const ACTIVITY_FILLERS: &[(&str, &str)] = &[
    ("id", ""),
    ("organisation_id", ""),
    ("kind", "PHONE"),
    ("status", "HELD"),
    ("initiated_by", "JOBCENTRE"),
    ("visibility", "SHARED"),
    ("contact_at", "1970-01-01T00:00:00Z"),
];
pub const CONTACT_PERSON_FILLERS: &[(&str, &str)] = &[("id", ""), ("organisation_id", "")];
pub const FOLLOW_UP_FILLERS: &[(&str, &str)] = &[
    ("id", ""),
    ("organisation_id", ""),
    ("due_on", "1970-01-01"),
    ("status", "DONE"),
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
    /// The columns the selection reads of each relation; `None`: all. Turning columns into JSON is most of PostgreSQL's work here (measured: a page of
    /// 100 companies with whole rows took 2.6 times the time of one without their data).
    pub activity_columns: Option<Vec<activity::Column>>,
    pub contact_person_columns: Option<Vec<contact_person::Column>>,
    pub follow_up_columns: Option<Vec<follow_up::Column>>,
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
    /// The columns the activity pages, contact persons and follow-ups were read with when
    /// fewer than all (`None`: whole rows). Rows read in fewer columns are only for the
    /// selection they were read for: another part of the same request may read the same
    /// relation of the same company with other fields.
    pub activity_columns: Option<Vec<&'static str>>,
    pub contact_person_columns: Option<Vec<&'static str>>,
    pub follow_up_columns: Option<Vec<&'static str>>,
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
        return Ok(rows::all(db, select)
            .await?
            .into_iter()
            .map(|c| (reader.company(c), Related::default()))
            .collect());
    }
    let shapes = Shapes::of(include);
    // The company's own columns first (read by position), then the relations' (by the index
    // of their name in the first row).
    let mut statement = select
        .select_only()
        .columns(company::Column::iter())
        .into_query();
    add_columns(&mut statement, backend, include, &shapes);
    // The page's size as a number: see `sql::limit_as_number`.
    let rows = db
        .query_all_raw(sql::limit_as_number(backend.build(&statement)))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let at = Indexes::of(first, include)?;
    rows.iter()
        .enumerate()
        .map(|(n, row)| decode(row, n == 0, reader, include, &shapes, &at))
        .collect()
}

/// Where each relation's column is in the statement's rows.
struct Indexes {
    contact_persons: usize,
    production_units: usize,
    activities: Vec<usize>,
    follow_ups: Vec<usize>,
    facts: usize,
}

impl Indexes {
    fn of(row: &QueryResult, include: &Include) -> AppResult<Indexes> {
        let at = |wanted: bool, name: &str| -> AppResult<usize> {
            Ok(if wanted {
                rows::index_of(row, name)?
            } else {
                0
            })
        };
        Ok(Indexes {
            contact_persons: at(include.contact_persons, CONTACT_PERSONS)?,
            production_units: at(include.production_units, PRODUCTION_UNITS)?,
            activities: (0..include.activity_pages.len())
                .map(|i| at(true, &activity_column(i)))
                .collect::<AppResult<_>>()?,
            follow_ups: (0..include.follow_ups.len())
                .map(|i| at(true, &follow_up_column(i)))
                .collect::<AppResult<_>>()?,
            facts: at(include.entry_point, FACTS)?,
        })
    }
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

/// The columns of a prefetched relation's rows, in order: each row is a JSON array of them
/// (`json_build_array`; an object's keys cost PostgreSQL as much as its values).
struct Shape {
    table: &'static str,
    columns: Vec<&'static str>,
    fillers: &'static [(&'static str, &'static str)],
}

impl Shape {
    /// The `wanted` columns (each once), or every column when `wanted` is `None`.
    fn new<C: IdenStatic + Iterable>(
        table: &'static str,
        wanted: Option<&Vec<C>>,
        fillers: &'static [(&'static str, &'static str)],
    ) -> Shape {
        let mut columns: Vec<&'static str> = Vec::new();
        let chosen: Vec<C> = match wanted {
            None => C::iter().collect(),
            Some(wanted) => wanted.clone(),
        };
        for c in chosen {
            if !columns.contains(&c.as_str()) {
                columns.push(c.as_str());
            }
        }
        Shape {
            table,
            columns,
            fillers,
        }
    }

    /// `SELECT json_build_array(<columns>) FROM … ORDER BY … LIMIT …` as one JSON array in
    /// text: the ordering and the limit apply at the level that builds the array, so its order
    /// is defined.
    fn rows(&self, mut select: SelectStatement) -> Expr {
        let values: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!(r#""{}"."{c}""#, self.table))
            .collect();
        select.clear_selects();
        select.expr(Expr::cust(format!(
            "json_build_array({})",
            values.join(", ")
        )));
        Expr::cust_with_expr(
            "array_to_json(ARRAY $1)::text",
            Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(select))),
        )
    }

    /// The rows in column `at` of `row`.
    fn decode<T: DeserializeOwned>(
        &self,
        row: &QueryResult,
        at: usize,
        checked: bool,
    ) -> AppResult<Vec<T>> {
        let Some(text) = rows::text_at(row, at, checked)? else {
            return Ok(Vec::new());
        };
        positional::rows(&text, &self.columns, self.fillers)
            .map_err(|e| AppError::Internal(format!("prefetched {}: {e}", self.table)))
    }
}

/// The shapes of one statement's relations.
struct Shapes {
    contact_persons: Shape,
    production_units: Shape,
    activities: Shape,
    follow_ups: Shape,
}

impl Shapes {
    fn of(include: &Include) -> Shapes {
        Shapes {
            contact_persons: Shape::new(
                "contact_person",
                include.contact_person_columns.as_ref(),
                CONTACT_PERSON_FILLERS,
            ),
            production_units: Shape::new::<production_unit::Column>("production_unit", None, &[]),
            activities: Shape::new(
                "activity",
                include.activity_columns.as_ref(),
                ACTIVITY_FILLERS,
            ),
            follow_ups: Shape::new(
                "follow_up",
                include.follow_up_columns.as_ref(),
                FOLLOW_UP_FILLERS,
            ),
        }
    }
}

fn add_columns(
    statement: &mut SelectStatement,
    backend: DbBackend,
    include: &Include,
    shapes: &Shapes,
) {
    let company = Parents::EnclosingCompany;
    if include.contact_persons {
        let q = companies::contact_persons_of(backend, company).into_query();
        statement.expr_as(shapes.contact_persons.rows(q), Alias::new(CONTACT_PERSONS));
    }
    if include.production_units {
        let q = companies::production_units_of(backend, company).into_query();
        statement.expr_as(
            shapes.production_units.rows(q),
            Alias::new(PRODUCTION_UNITS),
        );
    }
    for (i, size) in include.activity_pages.iter().enumerate() {
        let parent = company.condition(backend, activity::Column::CompanyId);
        let q = activities::company_page(parent, *size, None);
        statement.expr_as(shapes.activities.rows(q), Alias::new(activity_column(i)));
    }
    for (i, status) in include.follow_ups.iter().enumerate() {
        let q =
            follow_ups::of(backend, follow_up::Column::CompanyId, company, *status).into_query();
        statement.expr_as(shapes.follow_ups.rows(q), Alias::new(follow_up_column(i)));
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

fn decode(
    row: &QueryResult,
    checked: bool,
    reader: &Reader,
    include: &Include,
    shapes: &Shapes,
    at: &Indexes,
) -> AppResult<(Visible<company::Model>, Related)> {
    let company = company::Model::read(row, 0, checked)?;
    let pruned = |wanted: bool, shape: &Shape| wanted.then(|| shape.columns.clone());
    let mut related = Related {
        activity_columns: pruned(include.activity_columns.is_some(), &shapes.activities),
        contact_person_columns: pruned(
            include.contact_person_columns.is_some(),
            &shapes.contact_persons,
        ),
        follow_up_columns: pruned(include.follow_up_columns.is_some(), &shapes.follow_ups),
        ..Related::default()
    };
    // The company of every relation's row is this one (left out of the rows).
    if include.contact_persons {
        let people: Vec<contact_person::Model> =
            shapes
                .contact_persons
                .decode(row, at.contact_persons, checked)?;
        related.contact_persons = Some(
            people
                .into_iter()
                .filter_map(|mut p| {
                    p.company_id.clone_from(&company.id);
                    reader.contact_person(p)
                })
                .collect(),
        );
    }
    if include.production_units {
        let units: Vec<production_unit::Model> =
            shapes
                .production_units
                .decode(row, at.production_units, checked)?;
        related.production_units = Some(
            units
                .into_iter()
                .map(|u| reader.production_unit(u))
                .collect(),
        );
    }
    for (i, size) in include.activity_pages.iter().enumerate() {
        let mut page: Vec<activity::Model> =
            shapes.activities.decode(row, at.activities[i], checked)?;
        for a in &mut page {
            a.company_id.clone_from(&company.id);
        }
        let page = activities::visible_page(reader, page, *size, false);
        related.activity_pages.push((*size, page));
    }
    for (i, status) in include.follow_ups.iter().enumerate() {
        let list: Vec<follow_up::Model> =
            shapes.follow_ups.decode(row, at.follow_ups[i], checked)?;
        let list = list
            .into_iter()
            .map(|mut f| {
                f.company_id.clone_from(&company.id);
                reader.follow_up(f)
            })
            .collect();
        related.follow_ups.push((*status, list));
    }
    if include.entry_point {
        let text = rows::text_at(row, at.facts, checked)?;
        let rows: Vec<FactRow> = serde_json::from_str(text.as_deref().unwrap_or("[]"))
            .map_err(|e| AppError::Internal(format!("prefetched {FACTS}: {e}")))?;
        let mut facts = Facts::default();
        for r in rows {
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
    use sea_orm::EntityTrait;

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

    /// A row read in no column at all still makes a model: every field without a serde
    /// default has a filler (a field added to a model without one fails here, not in a request).
    fn fills<T: serde::de::DeserializeOwned>(fillers: &[(&'static str, &'static str)]) {
        let rows: Vec<T> = positional::rows("[[]]", &[], fillers).unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn every_required_field_has_a_filler() {
        fills::<activity::Model>(ACTIVITY_FILLERS);
        fills::<contact_person::Model>(CONTACT_PERSON_FILLERS);
        fills::<follow_up::Model>(FOLLOW_UP_FILLERS);
        assert!(positional::rows::<activity::Model>("[[]]", &[], &ACTIVITY_FILLERS[1..]).is_err());
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
        add_columns(&mut q, DbBackend::Postgres, &include, &Shapes::of(&include));
        let sql = DbBackend::Postgres.build(&q).to_string();
        assert!(
            sql.contains(r#""contact_person"."company_id" = "company"."id""#),
            "{sql}"
        );
        assert!(
            sql.contains(r#"json_build_array("activity"."id", "activity"."company_id""#),
            "{sql}"
        );
        assert_eq!(sql.matches("kp_activities_").count(), 4, "{sql}");
        assert!(sql.contains("kp_facts"), "{sql}");

        include.activity_columns = Some(vec![activity::Column::Summary, activity::Column::Id]);
        include.contact_person_columns = Some(vec![contact_person::Column::Name]);
        let mut q = company::Entity::find().into_query();
        add_columns(&mut q, DbBackend::Postgres, &include, &Shapes::of(&include));
        let sql = DbBackend::Postgres.build(&q).to_string();
        assert_eq!(
            sql.matches(r#"json_build_array("activity"."summary", "activity"."id")"#)
                .count(),
            4,
            "{sql}"
        );
        assert!(
            sql.contains(r#"json_build_array("contact_person"."name")"#),
            "{sql}"
        );
        assert!(!sql.contains("created_by_sub"), "{sql}");
    }
}
