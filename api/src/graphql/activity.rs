//! Activities (contacts), their outcome (agreements, follow-ups) and coordination warnings.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AgreementKind, InitiatedBy, Visibility, WarningCode,
};
use entity::{activity, agreement};

use super::company::Company;
use super::follow_up::FollowUp;
use super::loaders::load_one;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{actor, db, loaders, settings, write_context};
use crate::auth::{Actor, policy};
use crate::error::AppError;
use crate::service::activity as svc;
use crate::service::pagination::Page;
use crate::service::record::{self, SoftDelete};

/// An activity as one caller sees it: the private summary of an ORGANISATION-visible
/// activity is withheld from other organisations.
pub struct Activity {
    model: activity::Model,
    private_hidden: bool,
}

impl Activity {
    pub fn for_actor(actor: &Actor, model: activity::Model) -> Self {
        let private_hidden = model.visibility == Visibility::Organisation
            && !policy::sees_private_notes(actor, &model.organisation_id);
        Activity {
            model,
            private_hidden,
        }
    }
}

pub fn activity_connection(
    actor: &Actor,
    page: Page<activity::Model>,
) -> Connection<String, Activity> {
    let mut conn = Connection::new(page.has_previous, page.has_next);
    conn.edges.extend(
        page.rows
            .into_iter()
            .map(|a| Edge::new(svc::activity_cursor(&a), Activity::for_actor(actor, a))),
    );
    conn
}

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Company> {
        load_one(&loaders(ctx)?.company, self.model.company_id.clone())
            .await?
            .map(Company)
            .ok_or_else(|| AppError::Internal("activity without company".into()).into())
    }
    /// The organisation that owns the activity (held or booked it).
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        load_organisation(ctx, &self.model.organisation_id).await
    }
    async fn kind(&self) -> ActivityKind {
        self.model.kind
    }
    async fn status(&self) -> ActivityStatus {
        self.model.status
    }
    async fn initiated_by(&self) -> InitiatedBy {
        self.model.initiated_by
    }
    async fn visibility(&self) -> Visibility {
        self.model.visibility
    }
    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.model.scheduled_at
    }
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.model.occurred_at
    }
    /// Null for other organisations when the activity's visibility is ORGANISATION.
    async fn summary(&self) -> Option<&str> {
        if self.private_hidden {
            None
        } else {
            self.model.summary.as_deref()
        }
    }
    async fn outcome_registered(&self) -> bool {
        self.model.outcome_registered
    }
    async fn agreements(&self, ctx: &Context<'_>) -> Result<Vec<Agreement>> {
        let rows = load_one(&loaders(ctx)?.agreements, self.model.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|model| Agreement {
                model,
                private_hidden: self.private_hidden,
            })
            .collect())
    }
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<FollowUp>> {
        let rows = load_one(&loaders(ctx)?.activity_follow_ups, self.model.id.clone()).await?;
        Ok(rows.unwrap_or_default().into_iter().map(FollowUp).collect())
    }
    async fn version(&self) -> i32 {
        self.model.version
    }
    /// Who logged it (the token's `sub`).
    async fn created_by_sub(&self) -> &str {
        &self.model.created_by_sub
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// Set while the activity is deleted (soft; visible only to those who may restore it).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.model.deleted_at
    }
}

pub struct Agreement {
    model: agreement::Model,
    private_hidden: bool,
}

#[Object]
impl Agreement {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }
    async fn kind(&self) -> AgreementKind {
        self.model.kind
    }
    async fn positions(&self) -> i32 {
        self.model.positions
    }
    /// Null for other organisations when the activity's visibility is ORGANISATION.
    async fn note(&self) -> Option<&str> {
        if self.private_hidden {
            None
        } else {
            self.model.note.as_deref()
        }
    }
    async fn activity(&self, ctx: &Context<'_>) -> Result<Activity> {
        let actor = actor(ctx)?;
        load_one(&loaders(ctx)?.activity, self.model.activity_id.clone())
            .await?
            .map(|a| Activity::for_actor(actor, a))
            .ok_or_else(|| AppError::Internal("agreement without activity".into()).into())
    }
}

/// Advice, not an error: the activity was logged.
pub struct Warning(svc::Warning);

#[Object]
impl Warning {
    async fn code(&self) -> WarningCode {
        self.0.code
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The other organisation, for RECENT_CONTACT_BY_OTHER_ORGANISATION.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        match &self.0.organisation_id {
            Some(id) => Ok(Some(load_organisation(ctx, id).await?)),
            None => Ok(None),
        }
    }
    /// When the other organisation's contact was (or the booked time, for BOOKED_FAR_AHEAD).
    async fn at(&self) -> Option<DateTime<Utc>> {
        self.0.at
    }
}

#[derive(SimpleObject)]
pub struct ActivityResult {
    pub activity: Activity,
    pub warnings: Vec<Warning>,
}

#[derive(InputObject)]
pub struct LogActivityInput {
    pub company_id: ID,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    /// Defaults to JOBCENTRE (NATIONAL for Jobservice Danmark).
    pub initiated_by: Option<InitiatedBy>,
    /// Defaults to SHARED.
    pub visibility: Option<Visibility>,
    /// Required for BOOKED.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Defaults to now for HELD; never in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub campaign_id: Option<ID>,
}

#[derive(InputObject)]
pub struct AgreementInput {
    pub kind: AgreementKind,
    /// At least 1.
    pub positions: i32,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct FollowUpInput {
    pub description: String,
    pub due_on: Date,
    pub assignee_sub: Option<String>,
}

#[derive(InputObject)]
pub struct OutcomeInput {
    pub agreements: Vec<AgreementInput>,
    pub follow_ups: Vec<FollowUpInput>,
    /// Added to the activity's summary.
    pub summary: Option<String>,
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// One activity by id (a deleted one only for its organisation or an admin).
    async fn activity(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Activity>> {
        let actor = actor(ctx)?;
        policy::can_read(actor)?;
        Ok(svc::find_visible(db(ctx)?, actor, &id)
            .await?
            .map(|a| Activity::for_actor(actor, a)))
    }
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Logs or books a contact. `warnings` says when another organisation contacted the
    /// company recently or when the meeting is booked far ahead.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: LogActivityInput,
    ) -> Result<ActivityResult> {
        let w = write_context(ctx)?;
        let (model, warnings) = svc::log(
            db(ctx)?,
            &w,
            settings(ctx)?.contact_cooldown_days,
            svc::LogActivityInput {
                company_id: input.company_id.0,
                kind: input.kind,
                status: input.status,
                initiated_by: input.initiated_by,
                visibility: input.visibility,
                scheduled_at: input.scheduled_at,
                occurred_at: input.occurred_at,
                summary: input.summary,
                campaign_id: input.campaign_id.map(|c| c.0),
            },
        )
        .await?;
        Ok(ActivityResult {
            activity: Activity::for_actor(&w.actor, model),
            warnings: warnings.into_iter().map(Warning).collect(),
        })
    }

    /// Moves a booked meeting to HELD, CANCELLED_BY_COMPANY, CANCELLED_BY_JOBCENTRE or
    /// NO_SHOW (and a draft to BOOKED or HELD).
    async fn set_activity_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        status: ActivityStatus,
    ) -> Result<Activity> {
        let w = write_context(ctx)?;
        let model = svc::set_status(db(ctx)?, &w, &id, expected_version, status).await?;
        Ok(Activity::for_actor(&w.actor, model))
    }

    /// Registers agreements and follow-ups of a held meeting in one transaction; again adds.
    async fn record_outcome(
        &self,
        ctx: &Context<'_>,
        activity_id: ID,
        input: OutcomeInput,
    ) -> Result<Activity> {
        let w = write_context(ctx)?;
        let outcome = svc::OutcomeInput {
            agreements: input
                .agreements
                .into_iter()
                .map(|a| svc::AgreementInput {
                    kind: a.kind,
                    positions: a.positions,
                    note: a.note,
                })
                .collect(),
            follow_ups: input
                .follow_ups
                .into_iter()
                .map(|f| svc::FollowUpInput {
                    description: f.description,
                    due_on: f.due_on.0,
                    assignee_sub: f.assignee_sub,
                })
                .collect(),
            summary: input.summary,
        };
        let model = svc::record_outcome(db(ctx)?, &w, &activity_id, outcome).await?;
        Ok(Activity::for_actor(&w.actor, model))
    }

    /// Hides an activity logged by mistake (soft: kept, audited, restorable).
    async fn delete_activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let w = write_context(ctx)?;
        let model: activity::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Delete).await?;
        Ok(Activity::for_actor(&w.actor, model))
    }

    async fn restore_activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let w = write_context(ctx)?;
        let model: activity::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Restore).await?;
        Ok(Activity::for_actor(&w.actor, model))
    }
}
