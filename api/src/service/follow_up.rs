//! Follow-ups: promises with a due date and an owner organisation. `overdue` is derived.

use chrono::{NaiveDate, Utc};
use entity::enums::FollowUpStatus;
use entity::follow_up;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::pagination::{self, Page};
use super::record::{self, check_version};
use super::uow::{UnitOfWork, WriteContext};
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

/// OPEN and its due date has passed (in Danish time).
pub fn is_overdue(f: &follow_up::Model, today: NaiveDate) -> bool {
    f.status == FollowUpStatus::Open && f.due_on < today
}

fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(follow_up::Column::Status.eq(FollowUpStatus::Open))
        .add(follow_up::Column::DueOn.lt(today))
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &FollowUpFilter,
    first: Option<i32>,
    after: Option<&str>,
    today: NaiveDate,
) -> AppResult<Page<follow_up::Model>> {
    let size = pagination::page_size("first", first)?;
    let cursor: Option<(NaiveDate, String)> = pagination::decode("after", after)?;
    let mut q = follow_up::Entity::find();
    if let Some(org) = &filter.organisation_id {
        q = q.filter(follow_up::Column::OrganisationId.eq(org.clone()));
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
    if let Some((due, id)) = &cursor {
        q = q.filter(
            Condition::any().add(follow_up::Column::DueOn.gt(*due)).add(
                Condition::all()
                    .add(follow_up::Column::DueOn.eq(*due))
                    .add(follow_up::Column::Id.gt(id.clone())),
            ),
        );
    }
    let rows = q
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .limit(size + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, size, cursor.is_some()))
}

pub fn cursor(f: &follow_up::Model) -> String {
    pagination::encode(&(f.due_on, &f.id))
}

pub async fn by_company(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<Vec<follow_up::Model>> {
    Ok(follow_up::Entity::find()
        .filter(follow_up::Column::CompanyId.is_in(company_ids.iter().cloned()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?)
}

pub async fn by_activity(
    db: &impl ConnectionTrait,
    activity_ids: &[String],
) -> AppResult<Vec<follow_up::Model>> {
    Ok(follow_up::Entity::find()
        .filter(follow_up::Column::ActivityId.is_in(activity_ids.iter().cloned()))
        .order_by_asc(follow_up::Column::DueOn)
        .order_by_asc(follow_up::Column::Id)
        .all(db)
        .await?)
}

pub async fn complete(
    db: &DatabaseConnection,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    note: Option<String>,
) -> AppResult<follow_up::Model> {
    let note = v::optional_text("note", note.as_deref(), NOTE_MAX)?;
    let mut uow = UnitOfWork::begin(db, ctx).await?;
    let not_found = || AppError::NotFound(format!("follow-up {id} not found"));
    if !v::is_id(id) {
        return Err(not_found());
    }
    let before = follow_up::Entity::find_by_id(id.to_owned())
        .one(uow.conn())
        .await?
        .ok_or_else(not_found)?;
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
    let after = record::update(&mut uow, "followUp.completed", &before, am).await?;
    uow.commit().await?;
    Ok(after)
}
