//! The audit trail: one event per mutation.

use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::fast::Fast;
use super::reference::{Organisation, load_organisation};
use super::{db, reader};
use crate::service::audit as svc;
use crate::service::read::Visible;

/// An audit event, its snapshots redacted for the caller by the service's `Reader`.
pub struct AuditEvent(pub Visible<audit_event::Model>);

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn actor_sub(&self) -> &str {
        &self.0.actor_sub
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Fast<Organisation>>> {
        match &self.0.organisation_id {
            Some(id) => Ok(Some(load_organisation(ctx, id).await?)),
            None => Ok(None),
        }
    }
    /// What happened, e.g. `company.registered`, `activity.outcomeRecorded`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    async fn entity_id(&self) -> ID {
        ID(self.0.entity_id.clone())
    }
    /// The record before the change: its audit view (`__typename`, `__version`, the schema's
    /// field names); private notes of another organisation and erased personal data are null.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    /// The record after the change (as `before`).
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
    /// Pass as `after` to read the events that follow this one.
    async fn cursor(&self) -> String {
        svc::cursor(&self.0)
    }
    /// The server's id of the request that made the change (`x-server-request-id`).
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    /// The caller's own `x-request-id` of that request, when it sent one.
    async fn client_request_id(&self) -> Option<&str> {
        self.0.client_request_id.as_deref()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit events in the order they happened, optionally of one entity. Admins read all;
    /// others the events of their own organisation's actions and about its own records.
    /// `after` is the `cursor` of the last event read; at most 100 per page.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        entity_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<Fast<AuditEvent>>> {
        let rows = svc::list(
            db(ctx)?,
            reader(ctx)?,
            entity_id.as_ref().map(|i| i.as_str()),
            first,
            after.as_deref(),
        )
        .await?;
        Ok(rows.into_iter().map(|m| Fast(AuditEvent(m))).collect())
    }
}
