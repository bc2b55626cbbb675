//! Reading the audit trail (writing it is the unit of work's job).

use entity::audit_event;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::pagination;
use crate::auth::Actor;
use crate::auth::policy;
use crate::error::AppResult;

/// Events in the order they happened; admins see all, others their own organisation's.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity_id: Option<&str>,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<Vec<audit_event::Model>> {
    let size = pagination::page_size("first", first)?;
    let mut q = audit_event::Entity::find();
    if let Some(id) = entity_id {
        q = q.filter(audit_event::Column::EntityId.eq(id));
    }
    if !policy::reads_all_audit_events(actor) {
        q = q.filter(audit_event::Column::OrganisationId.eq(actor.organisation_id.clone()));
    }
    if let Some(after) = after {
        q = q.filter(audit_event::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(audit_event::Column::Id)
        .limit(size)
        .all(db)
        .await?)
}
