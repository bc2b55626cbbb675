//! What every versioned record shares: optimistic locking (`expectedVersion`), the audited
//! update, and soft delete/restore. One implementation serves companies, contact persons,
//! activities and follow-ups.

use super::audit_view::Audited;
use super::uow::{UnitOfWork, WriteContext};
use super::validation as v;
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::{
    activity, call_list_entry, company, company_contact, contact_person, follow_up,
    job_service_agreement,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    Value,
};

/// A record with an id, a `version` and an `updated_at`.
pub trait Versioned: Clone + Send + Sync + IntoActiveModel<Self::Active> {
    type Entity: EntityTrait<Model = Self>;
    type Active: ActiveModelTrait<Entity = Self::Entity> + Send;
    /// How messages name it, e.g. "company".
    const WHAT: &'static str;
    const ID: <Self::Entity as EntityTrait>::Column;
    const VERSION: <Self::Entity as EntityTrait>::Column;
    const UPDATED_AT: <Self::Entity as EntityTrait>::Column;
    fn id(&self) -> &str;
    fn version(&self) -> i32;
}

/// A versioned record owned by an organisation that can be hidden and restored.
pub trait SoftDeletable: Versioned + Audited {
    const DELETED_AT: <Self::Entity as EntityTrait>::Column;
    fn owner(&self) -> &str;
    fn deleted_at(&self) -> Option<DateTime<Utc>>;
    fn action(op: SoftDelete, owner: &str) -> Action<'_>;
    /// The audit action, e.g. "activity.deleted".
    fn event(op: SoftDelete) -> &'static str;
}

macro_rules! versioned {
    ($model:path, $module:ident, $what:literal) => {
        impl Versioned for $model {
            type Entity = $module::Entity;
            type Active = $module::ActiveModel;
            const WHAT: &'static str = $what;
            const ID: $module::Column = $module::Column::Id;
            const VERSION: $module::Column = $module::Column::Version;
            const UPDATED_AT: $module::Column = $module::Column::UpdatedAt;
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
        }
    };
}

versioned!(company::Model, company, "company");
versioned!(contact_person::Model, contact_person, "contact person");
versioned!(activity::Model, activity, "activity");
versioned!(follow_up::Model, follow_up, "follow-up");
versioned!(
    job_service_agreement::Model,
    job_service_agreement,
    "job service agreement"
);
versioned!(company_contact::Model, company_contact, "fixed contact");
versioned!(call_list_entry::Model, call_list_entry, "call list entry");

/// `SoftDeletable` for a model with `organisation_id` and `deleted_at`: its policy actions and
/// audit actions (`<event>.deleted`, `<event>.restored`).
macro_rules! soft_deletable {
    ($model:path, $module:ident, $delete:ident, $restore:ident, $event:literal) => {
        impl SoftDeletable for $model {
            const DELETED_AT: $module::Column = $module::Column::DeletedAt;
            fn owner(&self) -> &str {
                &self.organisation_id
            }
            fn deleted_at(&self) -> Option<DateTime<Utc>> {
                self.deleted_at
            }
            fn action(op: SoftDelete, owner: &str) -> Action<'_> {
                match op {
                    SoftDelete::Delete => Action::$delete { owner },
                    SoftDelete::Restore => Action::$restore { owner },
                }
            }
            fn event(op: SoftDelete) -> &'static str {
                match op {
                    SoftDelete::Delete => concat!($event, ".deleted"),
                    SoftDelete::Restore => concat!($event, ".restored"),
                }
            }
        }
    };
}

soft_deletable!(
    contact_person::Model,
    contact_person,
    DeleteContactPerson,
    RestoreContactPerson,
    "contactPerson"
);
soft_deletable!(
    activity::Model,
    activity,
    DeleteActivity,
    RestoreActivity,
    "activity"
);

pub fn check_version(actual: i32, expected: i32, what: &str) -> AppResult<()> {
    if actual != expected {
        return Err(AppError::VersionConflict(format!(
            "the {what} was changed by someone else (version {actual}, you expected {expected}); reload and try again"
        )));
    }
    Ok(())
}

/// Loads a record by id, or `None` (also for ids that are not UUIDs).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn find<R: Versioned>(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<R>> {
    if !v::is_id(id) {
        return Ok(None);
    }
    Ok(R::Entity::find().filter(R::ID.eq(id)).one(db).await?)
}

/// Writes `am` (the changed `before`), bumping `version` and `updated_at`, but only if the
/// row still has the version that was read (optimistic locking: two writers racing past
/// `check_version` cannot both win), and records the record's audit event.
#[tracing::instrument(skip_all)]
pub async fn update<R: Versioned + Audited>(
    uow: &mut UnitOfWork<'_>,
    action: &'static str,
    before: &R,
    am: R::Active,
) -> AppResult<R> {
    let after = update_row(uow, before, am).await?;
    uow.changed(action, before, &after)?;
    Ok(after)
}

/// `update` without the audit event, for a record whose audit view holds more than its row
/// (the caller records the event).
#[tracing::instrument(skip_all)]
pub async fn update_row<R: Versioned>(
    uow: &mut UnitOfWork<'_>,
    before: &R,
    mut am: R::Active,
) -> AppResult<R> {
    am.set(R::VERSION, Value::Int(Some(before.version() + 1)));
    am.set(R::UPDATED_AT, Utc::now().into());
    let result = R::Entity::update_many()
        .set(am)
        .filter(R::ID.eq(before.id()))
        .filter(R::VERSION.eq(before.version()))
        .exec(uow.conn())
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::VersionConflict(format!(
            "the {} was changed by someone else; reload and try again",
            R::WHAT
        )));
    }
    find(uow.conn(), before.id())
        .await?
        .ok_or_else(|| AppError::Internal(format!("{} vanished during update", R::WHAT)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftDelete {
    Delete,
    Restore,
}

/// The one "find visible by id": a deleted record exists only for those who may restore it,
/// and is `None` to everyone else exactly as a missing one is. Reads redact further
/// (`read::Reader`); writes use the row as it is.
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn find_visible<R: SoftDeletable>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> AppResult<Option<R>> {
    Ok(find::<R>(db, id)
        .await?
        .filter(|r| r.deleted_at().is_none() || policy::sees_deleted(actor, r.owner())))
}

/// `find_visible` for a write: NOT_FOUND when missing or invisible.
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn require_visible<R: SoftDeletable>(uow: &UnitOfWork<'_>, id: &str) -> AppResult<R> {
    find_visible::<R>(uow.conn(), uow.actor(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} {id} not found", R::WHAT)))
}

/// Hides (soft-deletes) or restores a record: kept, audited, restorable.
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn set_deleted<R: SoftDeletable>(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    op: SoftDelete,
) -> AppResult<R> {
    let mut uow = UnitOfWork::begin(db, ctx).await?;
    let before: R = require_visible(&uow, id).await?;
    uow.authorize(&R::action(op, before.owner()))?;
    match (op, before.deleted_at().is_some()) {
        (SoftDelete::Delete, true) => {
            return Err(AppError::Conflict(format!(
                "the {} is already deleted",
                R::WHAT
            )));
        }
        (SoftDelete::Restore, false) => {
            return Err(AppError::Conflict(format!(
                "the {} is not deleted",
                R::WHAT
            )));
        }
        _ => {}
    }
    let mut am = before.clone().into_active_model();
    let deleted_at: Option<DateTime<Utc>> = match op {
        SoftDelete::Delete => Some(Utc::now()),
        SoftDelete::Restore => None,
    };
    am.set(R::DELETED_AT, deleted_at.into());
    let after = update(&mut uow, R::event(op), &before, am).await?;
    uow.commit().await?;
    Ok(after)
}
