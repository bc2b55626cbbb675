//! Activities (contacts), their outcome (agreements, follow-ups) and coordination warnings.
//! What a caller sees of an activity is decided by the service's `Reader`; this module maps.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AgreementKind, InitiatedBy, Visibility, WarningCode,
};
use entity::{activity, agreement};

use super::campaign::Campaign;
use super::company::Company;
use super::fast::Fast;
use super::follow_up::FollowUp;
use super::loaders::load_one;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{
    catalogue, connection, db, feed_companies, list_columns, loaders, reader, row_company,
    settings, shows_companies, write_context,
};
use crate::error::AppError;
use crate::service::activity as svc;
use crate::service::pagination::Page;
use crate::service::read::{Reader, Visible};
use crate::service::record::{self, SoftDelete};

pub struct Activity(pub Visible<activity::Model>);

pub fn activity_connection(
    ctx: &Context<'_>,
    page: Page<Visible<activity::Model>>,
) -> Connection<String, Fast<Activity>> {
    connection(ctx, page, |a| svc::activity_cursor(a), Activity)
}

/// A mutation's result as the writer may see it (an admin of another organisation does not
/// see a private summary; a deleted activity only by those who may restore it).
fn shown(reader: &Reader, model: activity::Model) -> Result<Activity> {
    reader
        .activity(model)
        .map(Activity)
        .ok_or_else(|| AppError::NotFound("activity not found".into()).into())
}

/// The activity columns a field of `Activity` reads, so that a prefetched page reads no more;
/// `None` for a field not listed here, which makes the page read every column (a new field is
/// safe before it is listed). A page read in fewer columns serves only selections whose fields
/// read none it lacks. Tested field by field against the unpruned read (`tests/api/prefetch.rs`).
pub fn field_columns(field: &str) -> Option<&'static [activity::Column]> {
    use activity::Column as C;
    Some(match field {
        // The company is the enclosing one's (filled in); a page holds no deleted activity.
        "company" | "deletedAt" | "__typename" => &[],
        "id" => &[C::Id],
        "organisation" => &[C::OrganisationId],
        "kind" => &[C::Kind],
        "status" => &[C::Status],
        "initiatedBy" => &[C::InitiatedBy],
        "visibility" => &[C::Visibility],
        // Loaded by the activity; an agreement's note is as private as the activity's summary.
        "participants" | "followUps" => &[C::Id],
        "agreements" => &[C::Id, C::OrganisationId, C::Visibility],
        "scheduledAt" => &[C::ScheduledAt],
        "occurredAt" => &[C::OccurredAt],
        // The reader's rule: the owner and the visibility decide whether it is shown.
        "summary" => &[C::Summary, C::OrganisationId, C::Visibility],
        "outcomeRegistered" => &[C::OutcomeRegistered],
        "campaign" => &[C::CampaignId],
        "assigneeSub" => &[C::AssigneeSub],
        "version" => &[C::Version],
        "createdBySub" => &[C::CreatedBySub],
        "createdAt" => &[C::CreatedAt],
        _ => return None,
    })
}

/// The activity columns a page's cursors are made of.
pub const CURSOR_COLUMNS: &[activity::Column] =
    &[activity::Column::ContactAt, activity::Column::Id];

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Fast<Company>> {
        row_company(ctx, &self.0.company_id).await
    }
    /// The organisation that owns the activity (held or booked it).
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    async fn kind(&self) -> ActivityKind {
        self.0.kind
    }
    async fn status(&self) -> ActivityStatus {
        self.0.status
    }
    async fn initiated_by(&self) -> InitiatedBy {
        self.0.initiated_by
    }
    async fn visibility(&self) -> Visibility {
        self.0.visibility
    }
    async fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_at
    }
    async fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.0.occurred_at
    }
    /// Null for other organisations when the activity's visibility is ORGANISATION.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    async fn outcome_registered(&self) -> bool {
        self.0.outcome_registered
    }
    /// The campaign the contact belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        match &self.0.campaign_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.campaign, id.clone())
                .await?
                .map(Campaign)),
            None => Ok(None),
        }
    }
    /// The consultant (token `sub`) who holds the meeting.
    async fn assignee_sub(&self) -> Option<&str> {
        self.0.assignee_sub.as_deref()
    }
    /// Other organisations that took part (a joint visit); the activity is `organisation`'s.
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Fast<Organisation>>> {
        let ids = load_one(&loaders(ctx)?.activity_participants, self.0.id.clone())
            .await?
            .unwrap_or_default();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(load_organisation(ctx, &id).await?);
        }
        Ok(out)
    }
    async fn agreements(&self, ctx: &Context<'_>) -> Result<Vec<Fast<Agreement>>> {
        let rows = load_one(&loaders(ctx)?.agreements, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|m| Fast(Agreement(m)))
            .collect())
    }
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<Fast<FollowUp>>> {
        let rows = load_one(&loaders(ctx)?.activity_follow_ups, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|m| Fast(FollowUp(m)))
            .collect())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Who logged it (the token's `sub`).
    async fn created_by_sub(&self) -> &str {
        &self.0.created_by_sub
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Set while the activity is deleted (soft; visible only to those who may restore it).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
}

pub struct Agreement(Visible<agreement::Model>);

#[Object]
impl Agreement {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> AgreementKind {
        self.0.kind
    }
    async fn positions(&self) -> i32 {
        self.0.positions
    }
    /// Null for other organisations when the activity's visibility is ORGANISATION.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The meeting the agreement was made at.
    async fn activity(&self, ctx: &Context<'_>) -> Result<Activity> {
        load_one(&loaders(ctx)?.activity, self.0.activity_id.clone())
            .await?
            .map(Activity)
            .ok_or_else(|| AppError::NotFound("activity not found".into()).into())
    }
}

/// Advice, not an error: the activity was logged.
pub struct Warning(pub svc::Warning);

#[Object]
impl Warning {
    async fn code(&self) -> WarningCode {
        self.0.code
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The other organisation, for RECENT_CONTACT_BY_OTHER_ORGANISATION.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Fast<Organisation>>> {
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
    /// Other organisations that took part (a joint visit). The activity stays owned by the
    /// logging organisation; each participant finds it in `activities(filter: {organisationId})`.
    pub participant_organisation_ids: Option<Vec<ID>>,
    /// The consultant (token `sub`) who holds a booked meeting; their calendar feed lists it.
    pub assignee_sub: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ActivityFilter {
    /// Activities the organisation owns or took part in.
    pub organisation_id: Option<ID>,
    /// Contacts by any organisation with the companies whose ACTIVE job service agreement
    /// this organisation coordinates.
    pub coordinated_by: Option<ID>,
    /// Contacts at or after this moment.
    pub since: Option<DateTime<Utc>>,
    pub company_id: Option<ID>,
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
        Ok(svc::get(db(ctx)?, reader(ctx)?, &id).await?.map(Activity))
    }

    /// Contacts across companies, newest first, filtered; at most 100 per page. Private
    /// summaries stay hidden from other organisations as everywhere.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<Activity>>> {
        let f = filter.unwrap_or_default();
        let filter = svc::ActivityFilter {
            organisation_id: f.organisation_id.map(|i| i.0),
            coordinated_by: f.coordinated_by.map(|i| i.0),
            since: f.since,
            company_id: f.company_id.map(|i| i.0),
        };
        let joined = shows_companies(ctx);
        let shown = list_columns(ctx, true, field_columns);
        let (page, companies) = svc::list(
            db(ctx)?,
            reader(ctx)?,
            catalogue(ctx)?,
            &filter,
            first,
            after.as_deref(),
            (joined, shown.as_deref()),
        )
        .await?;
        feed_companies(ctx, companies, joined).await?;
        Ok(activity_connection(ctx, page))
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
            catalogue(ctx)?,
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
                participant_organisation_ids: input
                    .participant_organisation_ids
                    .unwrap_or_default()
                    .into_iter()
                    .map(|i| i.0)
                    .collect(),
                owner_organisation_id: None,
                assignee_sub: input.assignee_sub,
            },
        )
        .await?;
        Ok(ActivityResult {
            activity: shown(reader(ctx)?, model)?,
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
        shown(reader(ctx)?, model)
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
        shown(reader(ctx)?, model)
    }

    /// Hides an activity logged by mistake (soft: kept, audited, restorable).
    async fn delete_activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let w = write_context(ctx)?;
        let model: activity::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Delete).await?;
        shown(reader(ctx)?, model)
    }

    async fn restore_activity(&self, ctx: &Context<'_>, id: ID) -> Result<Activity> {
        let w = write_context(ctx)?;
        let model: activity::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Restore).await?;
        shown(reader(ctx)?, model)
    }
}
