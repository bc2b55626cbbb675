//! Rows read by position, straight from sqlx.
//!
//! sea-orm's `FromQueryResult` reads each column by name and, through sqlx's checked `try_get`,
//! compares the column's type with the Rust type on every row; on every NULL it also formats the
//! column's name into an error it throws away. On a call list page of 95 entries with their
//! companies that was a quarter of the server's instructions (callgrind: sqlx's `compatible`
//! and `PgType::eq_impl`, sea-orm's `try_get_by`). Here a statement's first row is read with
//! sqlx's checked `try_get`, the rest with `try_get_unchecked`: every row of one result has the
//! same column types, so a type mismatch still fails, on the first row.
//!
//! A model's columns are its fields in declaration order, which is also the order of its
//! entity's `Column` (both derive from the same struct); [`model!`] lists them and a unit test
//! checks the list against the entity for every model here.

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::IdenStatic;
use sea_orm::sqlx::{self, Column as _, Row};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, Iterable, QueryResult, QuerySelect, QueryTrait, Select,
};

use crate::error::AppResult;

/// One column's value, at a position of a row.
pub trait Value: Sized {
    /// `checked`: compare the column's type with this one (sqlx's `try_get`).
    fn at(row: &QueryResult, at: usize, checked: bool) -> Result<Self, DbErr>;
    /// The placeholder of a column a row was not read with (see [`Columns`]).
    fn absent() -> Result<Self, DbErr>;
}

/// A model read from consecutive columns of a row.
pub trait Positional: Sized {
    /// The model's columns, in order.
    const COLUMNS: &'static [&'static str];
    /// The model from the columns that start at `from`.
    fn read(row: &QueryResult, from: usize, checked: bool) -> Result<Self, DbErr> {
        Self::read_some(row, from, checked, Columns::ALL)
    }
    /// The model from the columns of `read` (in the model's order) that start at `from`; the
    /// fields of the other columns hold placeholders ([`Value::absent`]).
    fn read_some(
        row: &QueryResult,
        from: usize,
        checked: bool,
        read: Columns,
    ) -> Result<Self, DbErr>;
}

/// Some of a model's columns, by their position in the model (every model here has fewer than
/// 64). A list reads only the columns its selection shows and its service's rules need: on a
/// call list page whole rows were 13 columns for 4 shown, and decoding and moving them a fifth
/// of the server's instructions (callgrind). A row read in fewer columns serves only the
/// selection it was read for; its other fields hold placeholders no client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns(u64);

impl Columns {
    pub const ALL: Columns = Columns(u64::MAX);

    /// `columns` of entity `E` (by name; an unknown name adds nothing).
    pub fn of<E: EntityTrait>(columns: &[E::Column]) -> Columns {
        let mut bits = 0u64;
        for c in columns {
            if let Some(at) = E::Column::iter().position(|k| k.as_str() == c.as_str()) {
                bits |= 1 << at;
            }
        }
        Columns(bits)
    }

    /// What a list reads: `shown` (`None`: every column) with the columns its service needs.
    pub fn shown_with<E: EntityTrait>(
        shown: Option<&[E::Column]>,
        needed: &[E::Column],
    ) -> Columns {
        match shown {
            None => Columns::ALL,
            Some(shown) => Columns(Columns::of::<E>(shown).0 | Columns::of::<E>(needed).0),
        }
    }

    /// The columns as bits, one per position in the model.
    pub fn bits(self) -> u64 {
        self.0
    }

    pub fn has(self, at: usize) -> bool {
        at < 64 && self.0 & (1 << at) != 0
    }

    /// Entity `E`'s columns among these, in the model's order.
    pub fn of_entity<E: EntityTrait>(self) -> impl Iterator<Item = E::Column> {
        E::Column::iter()
            .enumerate()
            .filter(move |(at, _)| self.has(*at))
            .map(|(_, c)| c)
    }
}

fn decode_error(at: usize, e: sqlx::Error) -> DbErr {
    DbErr::Type(format!("column {at}: {e}"))
}

/// Column `at` of a sqlx row: type-checked (`try_get`) or not (`try_get_unchecked`).
fn column<'r, R, T>(r: &'r R, at: usize, checked: bool) -> Result<T, DbErr>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if checked {
        r.try_get(at)
    } else {
        r.try_get_unchecked(at)
    }
    .map_err(|e| decode_error(at, e))
}

/// A value sqlx decodes the same way for both databases.
fn get<T>(row: &QueryResult, at: usize, checked: bool) -> Result<T, DbErr>
where
    T: sea_orm::TryGetable
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>,
{
    if let Some(r) = row.try_as_pg_row() {
        return column(r, at, checked);
    }
    if let Some(r) = row.try_as_sqlite_row() {
        return column(r, at, checked);
    }
    row.try_get_by_index(at)
}

/// The text at `at`, borrowed from the row (a prefetched relation's JSON is large; copying it
/// was a tenth of a list page's instructions).
pub fn text_at(row: &QueryResult, at: usize, checked: bool) -> Result<Option<Cow<'_, str>>, DbErr> {
    let text: Option<&str> = if let Some(r) = row.try_as_pg_row() {
        column(r, at, checked)?
    } else if let Some(r) = row.try_as_sqlite_row() {
        column(r, at, checked)?
    } else {
        return Ok(Option::<String>::at(row, at, checked)?.map(Cow::Owned));
    };
    Ok(text.map(Cow::Borrowed))
}

/// Where the column named `name` is in `row`.
pub fn index_of(row: &QueryResult, name: &str) -> Result<usize, DbErr> {
    let found = if let Some(r) = row.try_as_pg_row() {
        r.try_column(name).ok().map(|c| c.ordinal())
    } else if let Some(r) = row.try_as_sqlite_row() {
        r.try_column(name).ok().map(|c| c.ordinal())
    } else {
        row.column_names().iter().position(|c| c == name)
    };
    found.ok_or_else(|| DbErr::Type(format!("no column {name}")))
}

macro_rules! plain_values {
    ($($t:ty),* $(,)?) => {$(
        impl Value for $t {
            fn at(row: &QueryResult, at: usize, checked: bool) -> Result<Self, DbErr> {
                get(row, at, checked)
            }
            fn absent() -> Result<Self, DbErr> {
                Ok(Self::default())
            }
        }
    )*};
}

plain_values!(
    String,
    Option<String>,
    i32,
    Option<i32>,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    NaiveDate,
    Option<NaiveDate>,
);

/// A stored enum's variant from its text (`None` for NULL), as sea-orm reads it but without a
/// `String` for each value: each enum's texts are listed once, in `texts`. A text that is no
/// variant's fails with sea-orm's own error.
fn variant<T>(
    texts: &'static OnceLock<Vec<(String, T)>>,
    text: Option<Cow<'_, str>>,
) -> Result<Option<T>, DbErr>
where
    T: sea_orm::ActiveEnum<Value = String> + Iterable + Copy + Send + Sync,
{
    let Some(text) = text else {
        return Ok(None);
    };
    let texts = texts.get_or_init(|| T::iter().map(|v| (v.to_value(), v)).collect());
    match texts.iter().find(|(known, _)| known.as_str() == text) {
        Some((_, v)) => Ok(Some(*v)),
        None => T::try_from_value(&text.into_owned()).map(Some),
    }
}

/// Stored enums (`ActiveEnum` over a string), as sea-orm reads them: the text, then the variant.
macro_rules! enum_values {
    ($($t:ty),* $(,)?) => {$(
        impl Value for Option<$t> {
            fn at(row: &QueryResult, at: usize, checked: bool) -> Result<Self, DbErr> {
                static TEXTS: OnceLock<Vec<(String, $t)>> = OnceLock::new();
                variant(&TEXTS, text_at(row, at, checked)?)
            }
            fn absent() -> Result<Self, DbErr> {
                Ok(None)
            }
        }
        impl Value for $t {
            fn at(row: &QueryResult, at: usize, checked: bool) -> Result<Self, DbErr> {
                Option::<$t>::at(row, at, checked)?
                    .ok_or_else(|| DbErr::Type(format!("column {at}: unexpected NULL")))
            }
            fn absent() -> Result<Self, DbErr> {
                <$t as Iterable>::iter()
                    .next()
                    .ok_or_else(|| DbErr::Type(format!("{} has no value", stringify!($t))))
            }
        }
    )*};
}

use entity::enums::*;
enum_values!(
    RarArea,
    OrganisationKind,
    ActivityKind,
    ActivityStatus,
    InitiatedBy,
    Visibility,
    AgreementKind,
    FollowUpStatus,
    JobServiceAgreementStatus,
    CallListStatus,
);

/// `Positional` for a model whose fields are listed in declaration order.
macro_rules! model {
    ($m:ident { $($f:ident),* $(,)? }) => {
        impl Positional for entity::$m::Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($f)),*];
            fn read_some(
                row: &QueryResult,
                from: usize,
                checked: bool,
                read: Columns,
            ) -> Result<Self, DbErr> {
                let mut at = from;
                let mut field = 0;
                let mut value = || {
                    field += 1;
                    if read.has(field - 1) {
                        at += 1;
                        Some(at - 1)
                    } else {
                        None
                    }
                };
                Ok(Self {
                    $($f: match value() {
                        Some(at) => Value::at(row, at, checked)?,
                        None => Value::absent()?,
                    }),*
                })
            }
        }
    };
}

model!(company {
    id,
    cvr,
    name,
    name_search,
    industry_code,
    municipality_code,
    address,
    postal_code,
    employees,
    version,
    created_at,
    updated_at,
});
model!(call_list_entry {
    id,
    campaign_id,
    company_id,
    organisation_id,
    status,
    exclusion_reason,
    call_attempts,
    activity_id,
    cleared_by_sub,
    cleared_at,
    version,
    created_at,
    updated_at,
});
model!(activity {
    id,
    company_id,
    organisation_id,
    kind,
    status,
    initiated_by,
    visibility,
    scheduled_at,
    occurred_at,
    contact_at,
    summary,
    campaign_id,
    assignee_sub,
    outcome_registered,
    created_by_sub,
    version,
    created_at,
    updated_at,
    deleted_at,
});
model!(follow_up {
    id,
    company_id,
    activity_id,
    organisation_id,
    assignee_sub,
    description,
    due_on,
    status,
    completed_at,
    completion_note,
    version,
    created_at,
    updated_at,
});
model!(contact_person {
    id,
    company_id,
    organisation_id,
    name,
    email,
    phone,
    title,
    erased,
    version,
    created_at,
    updated_at,
    deleted_at,
});
model!(production_unit {
    id,
    company_id,
    p_number,
    name,
    municipality_code,
    address,
    created_at,
});
model!(agreement {
    id,
    activity_id,
    company_id,
    organisation_id,
    kind,
    positions,
    note,
    created_at,
});
model!(job_service_agreement {
    id,
    company_id,
    coordinator_id,
    coordinator_contact_name,
    coordinator_contact_email,
    coordinator_contact_phone,
    status,
    signed_on,
    ends_on,
    next_status_meeting_on,
    activated_at,
    ended_at,
    created_by_sub,
    version,
    created_at,
    updated_at,
});
model!(job_service_agreement_participant {
    id,
    agreement_id,
    organisation_id,
    region_label,
    contact_name,
    contact_email,
    contact_phone,
    rar_areas,
    created_at,
});
model!(activity_participant {
    id,
    activity_id,
    company_id,
    organisation_id,
    created_at,
});
model!(campaign {
    id,
    name,
    starts_on,
    ends_on,
    organisation_id,
    created_by_sub,
    version,
    created_at,
    updated_at,
});
model!(company_contact {
    id,
    company_id,
    organisation_id,
    sub,
    name,
    email,
    phone,
    version,
    created_at,
    updated_at,
});

/// The rows of `select` (an entity's own columns, as `Entity::find()` reads them), by position.
pub async fn all<E>(db: &impl ConnectionTrait, select: Select<E>) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
{
    some(db, select, Columns::ALL).await
}

/// The rows of `select` in the columns `read` (see [`Columns`]), by position.
pub async fn some<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    read: Columns,
) -> AppResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
{
    let q = select
        .select_only()
        .columns(read.of_entity::<E>())
        .into_query();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&q))
        .await?;
    read_all(&rows, 0, read)
}

/// Each row's model from the columns `read` that start at `from`; the first row is
/// type-checked.
pub fn read_all<M: Positional>(
    rows: &[QueryResult],
    from: usize,
    read: Columns,
) -> AppResult<Vec<M>> {
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        out.push(M::read_some(row, from, n == 0, read)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::entity::prelude::IdenStatic;

    fn names<E: EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    #[test]
    fn every_model_lists_its_entitys_columns_in_order() {
        use entity::*;
        assert_eq!(names::<company::Entity>(), company::Model::COLUMNS);
        assert_eq!(
            names::<call_list_entry::Entity>(),
            call_list_entry::Model::COLUMNS
        );
        assert_eq!(names::<activity::Entity>(), activity::Model::COLUMNS);
        assert_eq!(names::<follow_up::Entity>(), follow_up::Model::COLUMNS);
        assert_eq!(
            names::<contact_person::Entity>(),
            contact_person::Model::COLUMNS
        );
        assert_eq!(
            names::<production_unit::Entity>(),
            production_unit::Model::COLUMNS
        );
        assert_eq!(names::<agreement::Entity>(), agreement::Model::COLUMNS);
        assert_eq!(
            names::<job_service_agreement::Entity>(),
            job_service_agreement::Model::COLUMNS
        );
        assert_eq!(
            names::<job_service_agreement_participant::Entity>(),
            job_service_agreement_participant::Model::COLUMNS
        );
        assert_eq!(
            names::<activity_participant::Entity>(),
            activity_participant::Model::COLUMNS
        );
        assert_eq!(names::<campaign::Entity>(), campaign::Model::COLUMNS);
        assert_eq!(
            names::<company_contact::Entity>(),
            company_contact::Model::COLUMNS
        );
    }
}
