//! The unit of work: the one path every write takes.
//!
//! `begin` opens the transaction (IMMEDIATE on SQLite, so two writers queue instead of failing
//! on a lock upgrade), `authorize` asks the policy, the service writes through `conn`,
//! `record` notes the mutation's audit event, and `commit` writes that event in the same
//! transaction and commits. A mutation that records no event, or two, fails instead of
//! committing. Later steps (a change log for integrations, idempotency keys) go into `commit`.

use chrono::Utc;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, Set, TransactionOptions,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;

use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};

/// Who is writing, and the request it came with (for the audit trail).
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub actor: Actor,
    pub request_id: String,
}

struct PendingEvent {
    action: &'static str,
    entity_type: &'static str,
    entity_id: String,
    before: Option<Value>,
    after: Option<Value>,
}

pub struct UnitOfWork<'a> {
    txn: DatabaseTransaction,
    ctx: &'a WriteContext,
    event: Option<PendingEvent>,
}

pub fn snapshot(value: &impl Serialize) -> AppResult<Value> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(format!("audit snapshot: {e}")))
}

impl<'a> UnitOfWork<'a> {
    pub async fn begin(db: &DatabaseConnection, ctx: &'a WriteContext) -> AppResult<Self> {
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(UnitOfWork {
            txn,
            ctx,
            event: None,
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }

    pub fn authorize(&self, action: &Action<'_>) -> AppResult<()> {
        policy::authorize(&self.ctx.actor, action)
    }

    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Notes the one audit event of this mutation (snapshots before and after the change).
    pub fn record(
        &mut self,
        action: &'static str,
        entity_type: &'static str,
        entity_id: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AppResult<()> {
        if self.event.is_some() {
            return Err(AppError::Internal(format!(
                "{action}: a mutation records exactly one audit event"
            )));
        }
        self.event = Some(PendingEvent {
            action,
            entity_type,
            entity_id: entity_id.to_owned(),
            before,
            after,
        });
        Ok(())
    }

    /// Records the creation of `model` (no before, the new row after).
    pub fn record_created(
        &mut self,
        action: &'static str,
        entity_type: &'static str,
        entity_id: &str,
        model: &impl Serialize,
    ) -> AppResult<()> {
        self.record(action, entity_type, entity_id, None, Some(snapshot(model)?))
    }

    /// Writes the audit event and commits; without a recorded event nothing is committed.
    pub async fn commit(self) -> AppResult<()> {
        let Some(event) = self.event else {
            return Err(AppError::Internal(
                "a write was about to commit without an audit event".into(),
            ));
        };
        audit_event::ActiveModel {
            id: Set(new_id()),
            at: Set(Utc::now()),
            actor_sub: Set(self.ctx.actor.sub.clone()),
            organisation_id: Set(Some(self.ctx.actor.organisation_id.clone())),
            action: Set(event.action.to_owned()),
            entity_type: Set(event.entity_type.to_owned()),
            entity_id: Set(event.entity_id),
            before: Set(event.before),
            after: Set(event.after),
            request_id: Set(self.ctx.request_id.clone()),
        }
        .insert(&self.txn)
        .await?;
        self.txn.commit().await?;
        Ok(())
    }
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
