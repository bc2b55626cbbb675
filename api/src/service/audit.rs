//! Reading the audit trail (writing it is the unit of work's job).

use entity::audit_event;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::pagination;
use super::read::{Reader, Visible};
use crate::auth::policy;
use crate::error::AppResult;

/// Events in the order they happened. Admins see all events; others the events of their own
/// organisation's actions and those about records their organisation owns. Every snapshot is
/// redacted for the reader (`read::Reader::audit_event`).
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    entity_id: Option<&str>,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<Vec<Visible<audit_event::Model>>> {
    let size = pagination::page_size("first", first)?;
    let mut q = audit_event::Entity::find();
    if let Some(id) = entity_id {
        q = q.filter(audit_event::Column::EntityId.eq(id));
    }
    let actor = reader.actor();
    if !policy::reads_all_audit_events(actor) {
        q = q.filter(
            Condition::any()
                .add(audit_event::Column::OrganisationId.eq(actor.organisation_id.clone()))
                .add(audit_event::Column::OwnerOrganisationId.eq(actor.organisation_id.clone())),
        );
    }
    let after: Option<String> = pagination::decode("after", after)?;
    if let Some(after) = after {
        q = q.filter(audit_event::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(audit_event::Column::Id)
        .limit(size)
        .all(db)
        .await?
        .into_iter()
        .map(|e| reader.audit_event(e))
        .collect())
}

/// The opaque position of an event in the trail (its time-ordered id, encoded).
pub fn cursor(event: &audit_event::Model) -> String {
    pagination::encode(&event.id)
}
