//! Companies and what hangs directly off them: production units and contact persons.

use crate::db::Db;
use chrono::{DateTime, Utc};
use entity::enums::RarArea;
use entity::{
    audit_event, audit_event_subject, company, contact_person, job_service_agreement, municipality,
    production_unit,
};
use sea_orm::entity::prelude::IdenStatic;
use sea_orm::sea_query::{
    Alias, Asterisk, CommonTableExpression, Expr, ExprTrait, LikeExpr, Order, Query,
    SelectStatement, SimpleExpr, UnionType,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, Iterable, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Set, Statement,
};

use super::audit_view;
use super::pagination::{self, Page};
use super::prefetch::{self, Include, Related};
use super::read::{Reader, Visible};
use super::record;
use super::rows::{self, Columns, Positional};
use super::shaped::Shape;
use super::sql::{self, Parents};
use super::uow::{self, UnitOfWork, WriteContext, new_id};
use super::validation::{self as v, Cvr, NAME_MAX, PNumber};
use crate::auth::policy::Action;
use crate::error::{self, AppError, AppResult};

/// A field of an update: leave it, clear it, or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// Parses one optional text field of an input (see `validation`).
pub type FieldParser = dyn Fn(&str, Option<&str>) -> AppResult<Option<String>>;

impl<T> Patch<T> {
    /// The patch with its value checked by `parse`: `None` keeps the field, `Some(None)`
    /// clears it, `Some(Some(v))` sets it.
    pub fn parse<U>(
        &self,
        parse: impl FnOnce(&T) -> AppResult<Option<U>>,
    ) -> AppResult<Option<Option<U>>> {
        Ok(match self {
            Patch::Keep => None,
            Patch::Clear => Some(None),
            Patch::Set(x) => Some(parse(x)?),
        })
    }
}

/// `patch`'s text checked by a field parser of `validation`.
pub fn patch(
    field: &str,
    p: &Patch<String>,
    parse: &FieldParser,
) -> AppResult<Option<Option<String>>> {
    p.parse(|s| parse(field, Some(s)))
}

#[derive(Debug, Clone, Default)]
pub struct RegisterCompanyInput {
    pub cvr: String,
    pub name: String,
    pub industry_code: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub employees: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct UpdateCompanyInput {
    pub name: Patch<String>,
    pub industry_code: Patch<String>,
    pub municipality_code: Patch<String>,
    pub address: Patch<String>,
    pub postal_code: Patch<String>,
    pub employees: Patch<i32>,
}

/// Employees as the CVR register publishes them: 0 to 1,000,000.
fn employees(field: &str, n: i32) -> AppResult<Option<i32>> {
    if !(0..=1_000_000).contains(&n) {
        return Err(AppError::validation(
            field,
            "must be between 0 and 1,000,000",
        ));
    }
    Ok(Some(n))
}

#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    pub municipality_code: Option<String>,
    pub rar_area: Option<RarArea>,
    pub name_contains: Option<String>,
    pub industry_code: Option<String>,
    pub has_active_job_service_agreement: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductionUnitInput {
    pub p_number: String,
    pub name: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactPersonInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
}

/// Lower case for search: Unicode-aware, so "ÆBLE" finds "æblegården".
pub fn search_key(name: &str) -> String {
    name.to_lowercase()
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<company::Model>> {
    record::find(db, id).await
}

#[tracing::instrument(skip_all, fields(cvr = %cvr))]
pub async fn find_by_cvr(
    db: &impl ConnectionTrait,
    cvr: &str,
) -> AppResult<Option<company::Model>> {
    let Ok(cvr) = Cvr::parse("cvr", cvr) else {
        return Ok(None);
    };
    Ok(company::Entity::find()
        .filter(company::Column::Cvr.eq(cvr.into_string()))
        .one(db)
        .await?)
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn require(db: &impl ConnectionTrait, id: &str) -> AppResult<company::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("company {id} not found")))
}

/// One company by id or by CVR number (exactly one of them), as `reader` sees it, with the
/// relations in `include` (see `prefetch`).
#[tracing::instrument(skip_all, fields(id = ?id, cvr = ?cvr))]
pub async fn get(
    db: &impl ConnectionTrait,
    reader: &Reader,
    id: Option<&str>,
    cvr: Option<&str>,
    include: &Include,
) -> AppResult<Option<(Visible<company::Model>, Related)>> {
    let select = match (id, cvr) {
        (Some(id), None) => company::Entity::find_by_id(id.to_owned()),
        (None, Some(cvr)) => {
            let Ok(cvr) = Cvr::parse("cvr", cvr) else {
                return Ok(None);
            };
            company::Entity::find().filter(company::Column::Cvr.eq(cvr.into_string()))
        }
        _ => return Err(AppError::validation("id", "give either id or cvr")),
    };
    Ok(prefetch::companies(db, reader, select, include)
        .await?
        .into_iter()
        .next())
}

#[tracing::instrument(skip_all)]
pub async fn by_ids(
    db: &impl ConnectionTrait,
    reader: &Reader,
    ids: &[String],
) -> AppResult<Vec<Visible<company::Model>>> {
    Ok(rows::all(
        db,
        sql::find_in(company::Entity, db, company::Column::Id, ids),
    )
    .await?
    .into_iter()
    .map(|c| reader.company(c))
    .collect())
}

async fn check_municipality(
    db: &impl ConnectionTrait,
    field: &str,
    code: Option<&str>,
) -> AppResult<()> {
    if let Some(code) = code {
        let exists = municipality::Entity::find_by_id(code.to_owned())
            .one(db)
            .await?
            .is_some();
        if !exists {
            return Err(AppError::validation(
                field,
                format!("unknown municipality {code}"),
            ));
        }
    }
    Ok(())
}

/// Registers a company by CVR. An existing CVR returns the existing company unchanged: no
/// duplicate, no error, and nothing written (so no audit event).
#[tracing::instrument(skip_all)]
pub async fn register(
    db: &Db,
    ctx: &WriteContext,
    input: RegisterCompanyInput,
) -> AppResult<company::Model> {
    let cvr = Cvr::parse("input.cvr", &input.cvr)?;
    let name = v::required_text("input.name", &input.name, NAME_MAX)?;
    let industry_code = v::industry_code("input.industryCode", input.industry_code.as_deref())?;
    let municipality_code =
        v::municipality_code("input.municipalityCode", input.municipality_code.as_deref())?;
    let address = v::optional_text("input.address", input.address.as_deref(), NAME_MAX)?;
    let postal_code = v::postal_code("input.postalCode", input.postal_code.as_deref())?;
    let employees = input
        .employees
        .map(|n| employees("input.employees", n))
        .transpose()?
        .flatten();

    let mut uow = UnitOfWork::begin(db, ctx).await?;
    uow.authorize(&Action::RegisterCompany)?;
    if let Some(existing) = find_by_cvr(uow.conn(), cvr.as_str()).await? {
        return Ok(existing);
    }
    check_municipality(
        uow.conn(),
        "input.municipalityCode",
        municipality_code.as_deref(),
    )
    .await?;
    let now = Utc::now();
    let inserted = company::ActiveModel {
        id: Set(new_id()),
        cvr: Set(cvr.as_str().to_owned()),
        name_search: Set(search_key(&name)),
        name: Set(name),
        industry_code: Set(industry_code),
        municipality_code: Set(municipality_code),
        address: Set(address),
        postal_code: Set(postal_code),
        employees: Set(employees),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await;
    let model = match inserted {
        Ok(m) => m,
        // Registered by someone else a moment ago: theirs is the record.
        Err(e) if error::violates(&e, &error::COMPANY_CVR) => {
            drop(uow);
            return find_by_cvr(db, cvr.as_str()).await?.ok_or_else(|| {
                AppError::Conflict("the company was registered concurrently; retry".into())
            });
        }
        Err(e) => return Err(e.into()),
    };
    uow.created("company.registered", &model)?;
    uow.commit().await?;
    Ok(model)
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn update(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    input: UpdateCompanyInput,
) -> AppResult<company::Model> {
    uow::write(db, ctx, async |uow| {
        update_in(uow, id, expected_version, input).await
    })
    .await
}

/// `update` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn update_in(
    uow: &mut UnitOfWork<'_>,
    id: &str,
    expected_version: i32,
    input: UpdateCompanyInput,
) -> AppResult<company::Model> {
    let name = match &input.name {
        Patch::Keep => None,
        Patch::Clear => return Err(AppError::validation("input.name", "a company needs a name")),
        Patch::Set(n) => Some(v::required_text("input.name", n, NAME_MAX)?),
    };
    let industry_code = patch(
        "input.industryCode",
        &input.industry_code,
        &v::industry_code,
    )?;
    let municipality_code = patch(
        "input.municipalityCode",
        &input.municipality_code,
        &v::municipality_code,
    )?;
    let address = patch("input.address", &input.address, &|f, s| {
        v::optional_text(f, s, NAME_MAX)
    })?;
    let postal_code = patch("input.postalCode", &input.postal_code, &v::postal_code)?;
    let employee_count = input
        .employees
        .parse(|n| employees("input.employees", *n))?;

    uow.authorize(&Action::UpdateCompany)?;
    let before = require(uow.conn(), id).await?;
    record::check_version(before.version, expected_version, "company")?;
    if let Some(Some(code)) = &municipality_code {
        check_municipality(uow.conn(), "input.municipalityCode", Some(code)).await?;
    }
    let mut am = before.clone().into_active_model();
    if let Some(name) = name {
        am.name_search = Set(search_key(&name));
        am.name = Set(name);
    }
    if let Some(x) = industry_code {
        am.industry_code = Set(x);
    }
    if let Some(x) = municipality_code {
        am.municipality_code = Set(x);
    }
    if let Some(x) = address {
        am.address = Set(x);
    }
    if let Some(x) = postal_code {
        am.postal_code = Set(x);
    }
    if let Some(x) = employee_count {
        am.employees = Set(x);
    }
    let after = record::update(uow, "company.updated", &before, am).await?;
    Ok(after)
}

/// One page of companies ordered by name, filtered, with the relations in `include`.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    filter: &CompanyFilter,
    first: Option<i32>,
    after: Option<&str>,
    include: &Include,
) -> AppResult<Page<(Visible<company::Model>, Related)>> {
    let size = pagination::page_size("first", first)?;
    let cursor: Option<(String, String)> = pagination::decode("after", after)?;
    let mut q = company::Entity::find();
    if let Some(code) = &filter.municipality_code {
        q = q.filter(company::Column::MunicipalityCode.eq(code.trim()));
    }
    if let Some(area) = filter.rar_area {
        q = q.filter(
            company::Column::MunicipalityCode.in_subquery(
                Query::select()
                    .column(municipality::Column::Code)
                    .from(municipality::Entity)
                    .and_where(municipality::Column::RarArea.eq(area))
                    .to_owned(),
            ),
        );
    }
    let mut like = None;
    if let Some(text) = filter
        .name_contains
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if text.chars().count() > NAME_MAX {
            return Err(AppError::validation("filter.nameContains", "too long"));
        }
        let escaped = search_key(text)
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        like = Some(
            Expr::col((company::Entity, company::Column::NameSearch))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(code) = filter
        .industry_code
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        q = q.filter(company::Column::IndustryCode.starts_with(code));
    }
    if let Some(wanted) = filter.has_active_job_service_agreement {
        let active = Query::select()
            .column(job_service_agreement::Column::CompanyId)
            .from(job_service_agreement::Entity)
            .and_where(sql::agreement_is_active())
            .to_owned();
        q = q.filter(if wanted {
            company::Column::Id.in_subquery(active)
        } else {
            company::Column::Id.not_in_subquery(active)
        });
    }
    let order = (company::Column::NameSearch, company::Column::Id);
    let backend = db.get_database_backend();
    let walk = match (&like, backend) {
        (Some(_), DbBackend::Postgres) => search_walk(db).await?,
        _ => SEARCH_WALK_MIN,
    };
    let q = match like {
        None => pagination::page_select(q, order, Order::Asc, size, cursor.as_ref()),
        // A name fragment (`LIKE '%…%'`) finds the page's ids first ([`search_ids`]), then the
        // page's companies by id.
        Some(like) => pagination::page_select(
            company::Entity::find().filter(
                Expr::col((company::Entity, company::Column::Id)).in_subquery(search_ids(
                    backend,
                    q,
                    like,
                    (size, walk),
                    cursor.as_ref(),
                )),
            ),
            order,
            Order::Asc,
            size,
            None::<&(String, String)>,
        ),
    };
    let rows = prefetch::companies(db, reader, q, include).await?;
    Ok(Page::from_overfetch(rows, size, cursor.is_some()))
}

/// The fewest companies in name order a search looks at before it asks the trigram index
/// instead (see [`search_ids`]): a twentieth of the companies, at least this many. At 20,000
/// companies, over the bench's 100 fragments, the inner statement cost 1.98 ms on average
/// walking the name index to the end, 1.34 ms asking the trigram index for every fragment, and
/// 1.20 / 1.10 / 1.24 ms with a walk of 500 / 1,000 / 2,000 names first (one session, the
/// variants interleaved fragment by fragment, 4 × 3 each). At 200,000 a fragment in 1 % of the
/// names is thousands of rows for the trigram index: a walk of 1,000 ran the bench's page 115–124
/// times a second, 10,000 ran it 133–157 times (`pgbench -M prepared`, 16 clients, the
/// server's statement).
pub const SEARCH_WALK_MIN: u64 = 1_000;

/// How long the company count behind the walk's length is kept.
const SEARCH_WALK_KEPT: std::time::Duration = std::time::Duration::from_secs(600);

/// The walk's length for the number of companies: PostgreSQL's own estimate (`reltuples`, kept
/// by autovacuum), read at most every ten minutes per process. Only speed depends on it.
static SEARCH_WALK: std::sync::Mutex<Option<(std::time::Instant, u64)>> =
    std::sync::Mutex::new(None);

async fn search_walk(db: &impl ConnectionTrait) -> AppResult<u64> {
    // The lock is never held across an await; a poisoned one still holds a valid value.
    let kept = || {
        SEARCH_WALK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some((at, walk)) = *kept()
        && at.elapsed() < SEARCH_WALK_KEPT
    {
        return Ok(walk);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class \
             WHERE oid = 'company'::regclass",
        ))
        .await?;
    let companies = match row {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    let walk = Ord::max(u64::try_from(companies).unwrap_or(0) / 20, SEARCH_WALK_MIN);
    *kept() = Some((std::time::Instant::now(), walk));
    Ok(walk)
}

/// The ids of a page of companies whose names contain a fragment (`like`): the `size + 1` first
/// after `cursor` in name order among `select`'s. Not the companies' rows: a fragment is checked
/// on the `(name_search, id)` index's copy of each name (an index-only scan), and the page's
/// companies are then read by id. Reading each company's row for the check cost PostgreSQL up
/// to 164 ms for a fragment whose first 20 matches lie 180,000 names in (200,000 companies),
/// 24 ms from the index.
///
/// On PostgreSQL, two ways to the same ids, chosen as the statement runs:
/// - a fragment in many names (say `sen`) is found in the first few hundred names in order:
///   walking the name index is cheapest, and it stops once the page is full;
/// - a fragment in a few hundred of 20,000 names may lie anywhere: the walk would read the whole
///   index, where the trigram index (`idx_company_name_trigram`) finds them at once, and the
///   few are sorted.
///
/// So the statement walks at most `walk` names after the cursor ([`search_walk`]); when that
/// fills the page, those are the page (the first `size + 1` matches in order, as the walk is in
/// order). Otherwise (the count is a one-time filter, so the other branch runs only then) every
/// match comes from the trigram index behind an `OFFSET 0` fence, which keeps the planner from
/// walking the name index instead, and is sorted. A generic plan suits both: one statement
/// text, planned once per connection. Without `pg_trgm` the second branch scans the table,
/// which costs what the walk to the end did. SQLite has no trigram index: the walk alone.
fn search_ids(
    backend: DbBackend,
    select: Select<company::Entity>,
    like: SimpleExpr,
    (size, walk): (u64, u64),
    cursor: Option<&(String, String)>,
) -> SelectStatement {
    let order = (company::Column::NameSearch, company::Column::Id);
    let filtered = select.clone().filter(like.clone());
    if backend != DbBackend::Postgres {
        return pagination::page_select(filtered, order, Order::Asc, size, cursor)
            .select_only()
            .column(company::Column::Id)
            .into_query();
    }
    // The two ways' rows: ids and names. Both subqueries are named `company`, so the
    // fragment's and the order's columns ("company"."name_search") mean their rows.
    let named = |q: Select<company::Entity>| {
        q.select_only()
            .columns([company::Column::Id, company::Column::NameSearch])
    };
    // The first `size + 1` ids of `rows` meeting `condition`, in name order.
    let first = |rows: SelectStatement, condition: SimpleExpr| {
        Query::select()
            .expr(Expr::col((company::Entity, company::Column::Id)))
            .from_subquery(rows, company::Entity)
            .and_where(condition)
            .order_by((company::Entity, company::Column::NameSearch), Order::Asc)
            .order_by((company::Entity, company::Column::Id), Order::Asc)
            .limit(size + 1)
            .to_owned()
    };
    let walked = named(pagination::page_select(
        select,
        order,
        Order::Asc,
        walk - 1,
        cursor,
    ))
    .into_query();
    let walk = first(walked, like);
    let mut fenced = filtered;
    if let Some(c) = cursor {
        fenced = fenced.filter(pagination::after(order.0, order.1, c, Order::Asc));
    }
    let fenced = named(fenced).offset(0).into_query();
    let walked_rows = Alias::new("kp_walk");
    let walk_was_short = Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .expr(Expr::col(Asterisk).count())
                .from(walked_rows.clone())
                .to_owned()
                .into(),
        ),
    )
    .lt(size + 1);
    let fallback = first(fenced, walk_was_short);
    Query::select()
        .column((walked_rows.clone(), company::Column::Id))
        .from(walked_rows.clone())
        .union(UnionType::All, fallback)
        .with_cte(
            CommonTableExpression::new()
                .query(walk)
                .table_name(walked_rows)
                .materialized(true)
                .to_owned(),
        )
        .to_owned()
}

/// A page of rows and the companies joined to it (see [`page_with_companies`]).
pub type PageWithCompanies<T> = (Page<T>, Vec<Visible<company::Model>>);

/// What a page shows of its rows' companies, and so what its statement reads of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// Nothing: the page's rows alone.
    None,
    /// Only their ids and names (a list of follow-ups, call list entries or activities naming
    /// each row's company): two columns instead of twelve. The other fields of these companies
    /// are placeholders ([`named`]) that no client can see: they serve only selections reading
    /// no more than `id` and `name`, and never enter the company loader's cache.
    Names,
    /// Every column: the companies are the loader's.
    Whole,
}

/// A company known by its id and name only (see [`Joined::Names`]): the other fields are
/// placeholders.
pub fn named(id: String, name: String) -> company::Model {
    company::Model {
        id,
        cvr: String::new(),
        name,
        name_search: String::new(),
        industry_code: None,
        municipality_code: None,
        address: None,
        postal_code: None,
        employees: None,
        version: 0,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// One page of `select` (rows with a company, in `column`), read in the columns `read`, with
/// the rows' companies, as much of them as the caller will show (`joined`): joined in the
/// page's statement, so the caller has them without a second statement.
pub async fn page_with_companies<E, V, U>(
    db: &impl ConnectionTrait,
    (reader, mut visible): (&Reader, impl FnMut(E::Model) -> Option<U>),
    (select, read, shape): (impl Fn() -> Select<E>, Columns, Shape),
    order: ((E::Column, E::Column), Order),
    size: u64,
    cursor: Option<pagination::Cursor<V>>,
    (column, joined): (E::Column, Joined),
) -> AppResult<PageWithCompanies<U>>
where
    E: EntityTrait,
    E::Model: Positional,
    V: Into<sea_orm::Value> + Clone,
{
    let (columns, order) = order;
    if joined == Joined::None {
        let page = pagination::page(db, (select(), read), columns, order, size, cursor).await?;
        return Ok((page.filter_map(visible), Vec::new()));
    }
    // The site's shape and values, then the page's: what is joined, the columns read, the
    // cursor's position and the limit, in the order `joined_page_query` binds them.
    let mut shape = shape;
    shape
        .part(joined as u64)
        .part(read.bits())
        .part(u64::from(cursor.is_some()));
    if let Some((value, id)) = &cursor {
        shape.value(value.clone()).value(id.clone());
    }
    shape.value(size + 1);
    let statement = shape.statement(db.get_database_backend(), || {
        joined_page_query(
            (select(), read),
            (columns, order.clone()),
            size,
            cursor.as_ref(),
            (column, joined),
        )
        .0
    });
    let own = company_columns(joined).len();
    let rows = db.query_all_raw(statement).await?;
    // One pass over the rows, each model moved once: a row's company is read only when the
    // page has not shown it yet (the id first, borrowed from the row), and the row's own
    // model goes straight to `visible`. Passes that moved whole rows from vector to vector
    // were a tenth of a list page's instructions (callgrind: `memcpy`).
    let has_next = rows.len() as u64 > size;
    let mut page = Vec::with_capacity(rows.len().min(size as usize));
    let mut companies: Vec<Visible<company::Model>> = Vec::new();
    for (n, row) in rows.iter().take(size as usize).enumerate() {
        let checked = n == 0;
        let id = rows::text_at(row, 0, checked)?.unwrap_or_default();
        if !companies.iter().any(|known| known.id == id) {
            let company = match joined {
                Joined::Names => named(id.into_owned(), rows::Value::at(row, 1, checked)?),
                _ => company::Model::read(row, 0, checked)?,
            };
            companies.push(reader.company(company));
        }
        if let Some(row) = visible(E::Model::read_some(row, own, checked, read)?) {
            page.push(row);
        }
    }
    let page = Page {
        rows: page,
        has_next,
        has_previous: cursor.is_some(),
    };
    Ok((page, companies))
}

/// The company's columns a page with companies reads first, for what it shows of them.
fn company_columns(joined: Joined) -> Vec<company::Column> {
    match joined {
        Joined::None => Vec::new(),
        Joined::Names => vec![company::Column::Id, company::Column::Name],
        Joined::Whole => company::Column::iter().collect(),
    }
}

/// The statement `page_with_companies` runs when it joins the rows' companies, and how many of
/// its leading columns are the company's. Also what the plan tests explain.
pub fn joined_page_query<E, V>(
    (select, read): (Select<E>, Columns),
    (columns, order): ((E::Column, E::Column), Order),
    size: u64,
    cursor: Option<&pagination::Cursor<V>>,
    (column, joined): (E::Column, Joined),
) -> (SelectStatement, usize)
where
    E: EntityTrait,
    V: Into<sea_orm::Value> + Clone,
{
    // The company's columns first, then the row's own, all read by position (`rows`):
    // sea-orm reads a join's columns by prefixed names, formatting each name for each row,
    // which cost more than the rest of a list page (callgrind: half the server's instructions
    // on the overdue follow-ups).
    let mut select = pagination::page_select(select, columns, order, size, cursor)
        .select_only()
        .join(
            JoinType::InnerJoin,
            E::belongs_to(company::Entity)
                .from(column)
                .to(company::Column::Id)
                .into(),
        );
    let of_company = company_columns(joined);
    for c in &of_company {
        select = select.expr_as(
            Expr::col((company::Entity, *c)),
            format!("kp_c_{}", c.as_str()),
        );
    }
    (
        select.columns(read.of_entity::<E>()).into_query(),
        of_company.len(),
    )
}

pub fn company_cursor(c: &company::Model) -> String {
    pagination::encode(&(&c.name_search, &c.id))
}

// ---- production units ----

#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn add_production_unit(
    db: &Db,
    ctx: &WriteContext,
    company_id: &str,
    input: ProductionUnitInput,
) -> AppResult<production_unit::Model> {
    uow::write(db, ctx, async |uow| {
        add_production_unit_in(uow, company_id, input).await
    })
    .await
}

/// `add_production_unit` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn add_production_unit_in(
    uow: &mut UnitOfWork<'_>,
    company_id: &str,
    input: ProductionUnitInput,
) -> AppResult<production_unit::Model> {
    let p_number = PNumber::parse("input.pNumber", &input.p_number)?.into_string();
    let name = v::optional_text("input.name", input.name.as_deref(), NAME_MAX)?;
    let municipality_code =
        v::municipality_code("input.municipalityCode", input.municipality_code.as_deref())?;
    let address = v::optional_text("input.address", input.address.as_deref(), NAME_MAX)?;

    uow.authorize(&Action::AddProductionUnit)?;
    let company = require(uow.conn(), company_id).await?;
    if let Some(existing) = production_unit::Entity::find()
        .filter(production_unit::Column::PNumber.eq(p_number.clone()))
        .one(uow.conn())
        .await?
    {
        if existing.company_id == company.id {
            uow.unchanged();
            return Ok(existing);
        }
        return Err(AppError::Conflict(format!(
            "P-number {p_number} belongs to another company"
        )));
    }
    check_municipality(
        uow.conn(),
        "input.municipalityCode",
        municipality_code.as_deref(),
    )
    .await?;
    let model = production_unit::ActiveModel {
        id: Set(new_id()),
        company_id: Set(company.id.clone()),
        p_number: Set(p_number),
        name: Set(name),
        municipality_code: Set(municipality_code),
        address: Set(address),
        created_at: Set(Utc::now()),
    }
    .insert(uow.conn())
    .await
    .map_err(|e| {
        error::on_constraint(e, &error::PRODUCTION_UNIT_P_NUMBER, || {
            AppError::Conflict("the P-number was registered concurrently".into())
        })
    })?;
    uow.created("productionUnit.added", &model)?;
    Ok(model)
}

/// The production units of `parents`, by P-number.
pub fn production_units_of(
    backend: DbBackend,
    parents: Parents<'_>,
) -> Select<production_unit::Entity> {
    production_unit::Entity::find()
        .filter(parents.condition(backend, production_unit::Column::CompanyId))
        .order_by_asc(production_unit::Column::PNumber)
}

#[tracing::instrument(skip_all)]
pub async fn production_units_by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    company_ids: &[String],
) -> AppResult<Vec<Visible<production_unit::Model>>> {
    Ok(
        production_units_of(db.get_database_backend(), Parents::Keys(company_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| reader.production_unit(p))
            .collect(),
    )
}

// ---- contact persons ----

#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn add_contact_person(
    db: &Db,
    ctx: &WriteContext,
    company_id: &str,
    input: ContactPersonInput,
) -> AppResult<contact_person::Model> {
    uow::write(db, ctx, async |uow| {
        add_contact_person_in(uow, company_id, input).await
    })
    .await
}

/// `add_contact_person` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn add_contact_person_in(
    uow: &mut UnitOfWork<'_>,
    company_id: &str,
    input: ContactPersonInput,
) -> AppResult<contact_person::Model> {
    let name = v::required_text("input.name", &input.name, NAME_MAX)?;
    let email = v::email("input.email", input.email.as_deref())?;
    let phone = v::phone("input.phone", input.phone.as_deref())?;
    let title = v::optional_text("input.title", input.title.as_deref(), NAME_MAX)?;

    uow.authorize(&Action::AddContactPerson)?;
    let company = require(uow.conn(), company_id).await?;
    let now = Utc::now();
    let model = contact_person::ActiveModel {
        id: Set(new_id()),
        company_id: Set(company.id),
        organisation_id: Set(uow.actor().organisation_id.clone()),
        name: Set(Some(name)),
        email: Set(email),
        phone: Set(phone),
        title: Set(title),
        erased: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(uow.conn())
    .await?;
    uow.created("contactPerson.added", &model)?;
    Ok(model)
}

/// The contact persons of `parents` (deleted ones are left out), oldest first.
pub fn contact_persons_of(
    backend: DbBackend,
    parents: Parents<'_>,
) -> Select<contact_person::Entity> {
    contact_person::Entity::find()
        .filter(parents.condition(backend, contact_person::Column::CompanyId))
        .filter(contact_person::Column::DeletedAt.is_null())
        .order_by_asc(contact_person::Column::CreatedAt)
        .order_by_asc(contact_person::Column::Id)
}

/// The company's contact persons (deleted ones are left out of the list).
#[tracing::instrument(skip_all)]
pub async fn contact_persons_by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    company_ids: &[String],
) -> AppResult<Vec<Visible<contact_person::Model>>> {
    Ok(
        contact_persons_of(db.get_database_backend(), Parents::Keys(company_ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|p| reader.contact_person(p))
            .collect(),
    )
}

/// Removes name, e-mail and phone from the row and from every audit snapshot that holds the
/// person (found through the subject index, nested snapshots included); the anonymous row
/// stays so that history still adds up.
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn erase_contact_person(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
) -> AppResult<contact_person::Model> {
    let mut uow = UnitOfWork::begin(db, ctx).await?;
    uow.authorize(&Action::EraseContactPerson)?;
    let before: contact_person::Model = record::require_visible(&uow, id).await?;
    let mut am = before.clone().into_active_model();
    am.name = Set(None);
    am.email = Set(None);
    am.phone = Set(None);
    am.erased = Set(true);
    let event_ids = audit_event_subject::Entity::find()
        .select_only()
        .column(audit_event_subject::Column::EventId)
        .filter(audit_event_subject::Column::SubjectId.eq(before.id.clone()))
        .into_tuple::<String>()
        .all(uow.conn())
        .await?;
    let events = audit_event::Entity::find()
        .filter(
            Condition::any()
                .add(audit_event::Column::Id.is_in(event_ids))
                // Events written before the subject index existed.
                .add(audit_event::Column::EntityId.eq(before.id.clone())),
        )
        .all(uow.conn())
        .await?;
    for event in events {
        let (mut before_json, mut after_json) = (event.before.clone(), event.after.clone());
        let mut changed = false;
        let own = event.entity_id == before.id;
        for snapshot in [&mut before_json, &mut after_json].into_iter().flatten() {
            changed |= audit_view::erase(snapshot, &before.id);
            if own {
                changed |= audit_view::erase_untyped(snapshot, &audit_view::CONTACT_PERSON);
            }
        }
        if changed {
            let mut am = event.into_active_model();
            am.before = Set(before_json);
            am.after = Set(after_json);
            am.update(uow.conn()).await?;
        }
    }
    // This erasure's own event starts redacted: its `before` holds no personal data either.
    let mut redacted = before.clone();
    redacted.name = None;
    redacted.email = None;
    redacted.phone = None;
    let after = record::update(&mut uow, "contactPerson.erased", &redacted, am).await?;
    uow.commit().await?;
    Ok(after)
}
