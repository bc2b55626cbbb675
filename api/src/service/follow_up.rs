//! Follow-ups: promises with a due date and an owner organisation. `overdue` is derived.

use crate::db::Db;
use chrono::{NaiveDate, Utc};
use entity::enums::FollowUpStatus;
use entity::{activity, follow_up};
use sea_orm::sea_query::Order;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Select, Set,
};

use super::company;
use super::pagination::{self, Page};
use super::read::{FollowUpView, Reader, Visible};
use super::record::{self, check_version};
use super::rows::Columns;
use super::shaped::Shape;
use super::sql::{self, Parents};
use super::uow::{self, UnitOfWork, WriteContext, new_id};
use super::validation::{self as v, NOTE_MAX};
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Default)]
pub struct FollowUpFilter {
    pub organisation_id: Option<String>,
    pub status: Option<FollowUpStatus>,
    pub overdue: Option<bool>,
    pub due_before: Option<NaiveDate>,
}

/// A follow-up as validated from an outcome's input.
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub description: String,
    pub due_on: NaiveDate,
    pub assignee_sub: Option<String>,
}

fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(follow_up::Column::Status.eq(FollowUpStatus::Open))
        .add(follow_up::Column::DueOn.lt(today))
}

/// A page of follow-ups and, when asked for, the companies they belong to (read in the same
/// statement, so a list showing company names costs one statement, not two).
pub struct FollowUpPage {
    pub page: Page<Visible<FollowUpView>>,
    pub companies: Vec<Visible<entity::company::Model>>,
}

/// One page of follow-ups by due date, filtered; `overdue` as of the reader's Danish date.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    filter: &FollowUpFilter,
    first: Option<i32>,
    after: Option<&str>,
    (joined, shown): (company::Joined, Option<&[follow_up::Column]>),
) -> AppResult<FollowUpPage> {
    let size = pagination::page_size("first", first)?;
    let cursor: Option<(NaiveDate, String)> = pagination::decode("after", after)?;
    let today = reader.today();
    // The statement's shape: which filters are given, their values in the order bound.
    let mut shape = Shape::new("follow_up::list");
    shape.part(
        u64::from(filter.organisation_id.is_some())
            | u64::from(filter.status.is_some()) << 1
            | match filter.overdue {
                None => 0,
                Some(true) => 1 << 2,
                Some(false) => 2 << 2,
            }
            | u64::from(filter.due_before.is_some()) << 4,
    );
    if let Some(org) = &filter.organisation_id {
        shape.value(org.as_str());
    }
    if let Some(status) = filter.status {
        shape.value(status);
    }
    if filter.overdue.is_some() {
        shape.value(FollowUpStatus::Open).value(today);
    }
    if let Some(date) = filter.due_before {
        shape.value(date);
    }
    let q = || {
        let mut q = follow_up::Entity::find();
        if let Some(org) = &filter.organisation_id {
            q = q.filter(follow_up::Column::OrganisationId.eq(org.as_str()));
        }
        if let Some(status) = filter.status {
            q = q.filter(follow_up::Column::Status.eq(status));
        }
        match filter.overdue {
            Some(true) => q = q.filter(overdue_condition(today)),
            Some(false) => q = q.filter(overdue_condition(today).not()),
            None => {}
        }
        if let Some(date) = filter.due_before {
            q = q.filter(follow_up::Column::DueOn.lt(date));
        }
        q
    };
    // The cursor's, the company's, and what `overdue` is made of (the reader's).
    let read = Columns::shown_with::<follow_up::Entity>(
        shown,
        &[
            follow_up::Column::Id,
            follow_up::Column::DueOn,
            follow_up::Column::Status,
            follow_up::Column::CompanyId,
        ],
    );
    let (page, companies) = company::page_with_companies(
        db,
        (reader, |f| Some(reader.follow_up(f))),
        (q, read, shape),
        (
            (follow_up::Column::DueOn, follow_up::Column::Id),
            Order::Asc,
        ),
        size,
        cursor,
        (follow_up::Column::CompanyId, joined),
    )
    .await?;
    Ok(FollowUpPage { page, companies })
}

pub fn cursor(f: &follow_up::Model) -> String {
    pagination::encode(&(f.due_on, &f.id))
}

/// Follow-ups whose `parent` column is one of `ids` (with `status`, when given), by due date.
async fn by_parent(
    db: &impl ConnectionTrait,
    reader: &Reader,
    parent: follow_up::Column,
    ids: &[String],
    status: Option<FollowUpStatus>,
) -> AppResult<Vec<Visible<FollowUpView>>> {
    Ok(of(
        db.get_database_backend(),
        parent,
        Parents::Keys(ids),
        status,
    )
    .all(db)
    .await?
    .into_iter()
    .map(|f| reader.follow_up(f))
    .collect())
}

/// The follow-ups of `parents` (by `parent`, a company or an activity), by due date;
/// `status` narrows them.
pub fn of(
    backend: DbBackend,
    parent: follow_up::Column,
    parents: Parents<'_>,
    status: Option<FollowUpStatus>,
) -> Select<follow_up::Entity> {
    let mut query = follow_up::Entity::find().filter(parents.condition(backend, parent));
    if let Some(status) = status {
        // A literal, so that a company's open follow-ups come from their partial index.
        query = query.filter(sql::is(follow_up::Column::Status, status));
    }
    query
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
}

#[tracing::instrument(skip_all)]
pub async fn by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    company_ids: &[String],
    status: Option<FollowUpStatus>,
) -> AppResult<Vec<Visible<FollowUpView>>> {
    by_parent(
        db,
        reader,
        follow_up::Column::CompanyId,
        company_ids,
        status,
    )
    .await
}

#[tracing::instrument(skip_all)]
pub async fn by_activity(
    db: &impl ConnectionTrait,
    reader: &Reader,
    activity_ids: &[String],
) -> AppResult<Vec<Visible<FollowUpView>>> {
    by_parent(
        db,
        reader,
        follow_up::Column::ActivityId,
        activity_ids,
        None,
    )
    .await
}

/// Creates a follow-up promised at `meeting`, owned by the meeting's organisation, in the
/// caller's unit of work (one `followUp.created` event each).
#[tracing::instrument(skip_all)]
pub async fn create_in(
    uow: &mut UnitOfWork<'_>,
    meeting: &activity::Model,
    input: NewFollowUp,
) -> AppResult<follow_up::Model> {
    let now = Utc::now();
    let model = follow_up::ActiveModel {
        id: Set(new_id()),
        company_id: Set(meeting.company_id.clone()),
        activity_id: Set(Some(meeting.id.clone())),
        organisation_id: Set(meeting.organisation_id.clone()),
        assignee_sub: Set(input.assignee_sub),
        description: Set(input.description),
        due_on: Set(input.due_on),
        status: Set(FollowUpStatus::Open),
        completed_at: Set(None),
        completion_note: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(uow.conn())
    .await?;
    uow.created("followUp.created", &model)?;
    Ok(model)
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn complete(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    note: Option<String>,
) -> AppResult<follow_up::Model> {
    uow::write(db, ctx, async |uow| {
        complete_in(uow, id, expected_version, note).await
    })
    .await
}

/// `complete` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn complete_in(
    uow: &mut UnitOfWork<'_>,
    id: &str,
    expected_version: i32,
    note: Option<String>,
) -> AppResult<follow_up::Model> {
    let note = v::optional_text("note", note.as_deref(), NOTE_MAX)?;
    let before: follow_up::Model = record::find(uow.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("follow-up {id} not found")))?;
    uow.authorize(&Action::CompleteFollowUp {
        owner: &before.organisation_id,
    })?;
    check_version(before.version, expected_version, "follow-up")?;
    if before.status != FollowUpStatus::Open {
        return Err(AppError::Conflict(format!(
            "the follow-up is already {}",
            if before.status == FollowUpStatus::Done {
                "DONE"
            } else {
                "CANCELLED"
            }
        )));
    }
    let now = Utc::now();
    let mut am = before.clone().into_active_model();
    am.status = Set(FollowUpStatus::Done);
    am.completed_at = Set(Some(now));
    am.completion_note = Set(note);
    let after = record::update(uow, "followUp.completed", &before, am).await?;
    Ok(after)
}
