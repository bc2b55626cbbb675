//! Contacts with a company (activities), their status, and the outcome of meetings:
//! agreements and follow-ups.

use crate::db::Db;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AgreementKind, InitiatedBy, Visibility, WarningCode,
};
use entity::{activity, activity_participant, agreement, job_service_agreement};
use sea_orm::sea_query::{
    Alias, ArrayType, Asterisk, Condition, Expr, ExprTrait, Func, JoinType, Order, Query,
    SelectStatement, SimpleExpr,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel,
    Iterable, QueryFilter, QueryOrder, QuerySelect, Set, Value,
};

use super::audit_view::AgreementOf;
use super::campaign as campaigns;
use super::company;
use super::follow_up::{self, NewFollowUp};
use super::job_service_agreement as agreements;
use super::pagination::{self, Page};
use super::read::{Reader, Visible};
use super::record::{self, check_version};
use super::reference::{self, Catalogue};
use super::rows::{self, Columns};
use super::shaped::Shape;
use super::sql;
use super::uow::{self, UnitOfWork, WriteContext, new_id};
use super::validation::{self as v, NOTE_MAX, SUMMARY_MAX};
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};

/// Meetings booked further ahead than this are cancelled far more often (field reports).
pub const BOOKED_FAR_AHEAD_DAYS: i64 = 42;
/// A consultant's booked meetings closer than this to each other are double-booked.
pub const DOUBLE_BOOKING_HOURS: i64 = 2;
/// Clock skew tolerated for "occurred" times slightly in the future.
const FUTURE_SKEW_MINUTES: i64 = 10;
const MAX_ITEMS_PER_OUTCOME: usize = 100;

#[derive(Debug, Clone)]
pub struct LogActivityInput {
    pub company_id: String,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    pub initiated_by: Option<InitiatedBy>,
    pub visibility: Option<Visibility>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub campaign_id: Option<String>,
    /// Other organisations that took part (a joint visit); the activity stays the logger's.
    pub participant_organisation_ids: Vec<String>,
    /// The organisation that owns the activity when it is booked on its behalf (a campaign's
    /// booking); `None`: the actor's. Never taken from a client's input.
    pub owner_organisation_id: Option<String>,
    /// The consultant who holds the meeting (their calendar feed lists it).
    pub assignee_sub: Option<String>,
}

/// What `activities(filter:)` narrows the list to.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Activities the organisation owns or took part in.
    pub organisation_id: Option<String>,
    /// Activities with companies whose ACTIVE job service agreement this organisation
    /// coordinates, by any organisation.
    pub coordinated_by: Option<String>,
    /// Contacts at or after this moment.
    pub since: Option<DateTime<Utc>>,
    pub company_id: Option<String>,
}

/// At most this many organisations take part in one activity besides its owner.
const MAX_PARTICIPANTS: usize = 20;

#[derive(Debug, Clone)]
pub struct AgreementInput {
    pub kind: AgreementKind,
    pub positions: i32,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FollowUpInput {
    pub description: String,
    pub due_on: NaiveDate,
    pub assignee_sub: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OutcomeInput {
    pub agreements: Vec<AgreementInput>,
    pub follow_ups: Vec<FollowUpInput>,
    pub summary: Option<String>,
}

/// Advice returned with a logged activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
    pub organisation_id: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// The moment an activity counts for: when it happened, else when it is booked, else now.
fn contact_at(
    occurred: Option<DateTime<Utc>>,
    scheduled: Option<DateTime<Utc>>,
    fallback: DateTime<Utc>,
) -> DateTime<Utc> {
    occurred.or(scheduled).unwrap_or(fallback)
}

fn check_not_future(field: &str, at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AppResult<()> {
    if at.is_some_and(|t| t > now + Duration::minutes(FUTURE_SKEW_MINUTES)) {
        return Err(AppError::validation(field, "cannot lie in the future"));
    }
    Ok(())
}

/// One activity as `reader` sees it (a deleted one only for those who may restore it).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get(
    db: &impl ConnectionTrait,
    reader: &Reader,
    id: &str,
) -> AppResult<Option<Visible<activity::Model>>> {
    Ok(
        record::find_visible::<activity::Model>(db, reader.actor(), id)
            .await?
            .and_then(|a| reader.activity(a)),
    )
}

/// What a new contact with a company is checked against.
struct ContactContext {
    company_id: String,
    /// The company's ACTIVE job service agreement (at most one: a partial unique index).
    agreement: Option<job_service_agreement::Model>,
    /// The latest contact of each other organisation since the start of the coordination
    /// window, by organisation id.
    recent: Vec<(String, DateTime<Utc>)>,
}

/// The latest contact of each other organisation with the company since `since` (the
/// activities `own` took part in are its own contacts; `present` are coordinating already).
fn recent_contacts_query(
    company_id: &str,
    own: &str,
    present: &[String],
    since: DateTime<Utc>,
) -> SelectStatement {
    // A joint visit the own organisation took part in is its own contact too.
    let joined = Query::select()
        .column(activity_participant::Column::ActivityId)
        .from(activity_participant::Entity)
        .and_where(activity_participant::Column::OrganisationId.eq(own))
        .and_where(activity_participant::Column::CompanyId.eq(company_id))
        .to_owned();
    let mut query = Query::select();
    query
        .column((activity::Entity, activity::Column::OrganisationId))
        .expr_as(
            Expr::col((activity::Entity, activity::Column::ContactAt)).max(),
            Alias::new("last_contact"),
        )
        .from(activity::Entity)
        .and_where(activity::Column::CompanyId.eq(company_id))
        .and_where(activity::Column::OrganisationId.ne(own))
        .and_where(activity::Column::Status.ne(ActivityStatus::Draft))
        .and_where(activity::Column::DeletedAt.is_null())
        .and_where(activity::Column::ContactAt.gte(since))
        .and_where(activity::Column::Id.not_in_subquery(joined))
        .group_by_col((activity::Entity, activity::Column::OrganisationId));
    if !present.is_empty() {
        // Organisations taking part in the contact being logged are coordinating already.
        query.and_where(activity::Column::OrganisationId.is_not_in(present.iter().cloned()));
    }
    query
}

/// Whether the company exists, its ACTIVE job service agreement and, when `since` is set, the
/// other organisations' recent contacts (`recent_contacts_query`): one statement, one row per
/// recent organisation (at least one). Each statement of a write is a round trip with its
/// own wake-ups on both sides; as three statements these checks were a quarter of
/// logActivity's CPU (bench/run, 16 writers).
async fn contact_context(
    db: &impl ConnectionTrait,
    company_id: &str,
    own: &str,
    present: &[String],
    since: Option<DateTime<Utc>>,
) -> AppResult<Option<ContactContext>> {
    if !v::is_id(company_id) {
        return Ok(None);
    }
    let q = contact_context_query(company_id, own, present, since);
    let rows = db
        .query_all_raw(db.get_database_backend().build(&q))
        .await?;
    read_contact_context(&rows, since.is_some())
}

/// The statement of `contact_context`.
fn contact_context_query(
    company_id: &str,
    own: &str,
    present: &[String],
    since: Option<DateTime<Utc>>,
) -> SelectStatement {
    let recent = Alias::new("recent");
    let mut q = Query::select();
    q.column((entity::company::Entity, entity::company::Column::Id))
        .columns(job_service_agreement::Column::iter().map(|c| (job_service_agreement::Entity, c)))
        .from(entity::company::Entity)
        .join(
            JoinType::LeftJoin,
            job_service_agreement::Entity,
            Condition::all()
                .add(
                    Expr::col((
                        job_service_agreement::Entity,
                        job_service_agreement::Column::CompanyId,
                    ))
                    .equals((entity::company::Entity, entity::company::Column::Id)),
                )
                .add(sql::agreement_is_active()),
        )
        .and_where(
            Expr::col((entity::company::Entity, entity::company::Column::Id)).eq(company_id),
        );
    if let Some(since) = since {
        q.join_subquery(
            JoinType::LeftJoin,
            recent_contacts_query(company_id, own, present, since),
            recent.clone(),
            Expr::cust("1 = 1"),
        )
        .column((recent.clone(), activity::Column::OrganisationId))
        .column((recent.clone(), Alias::new("last_contact")))
        .order_by((recent, activity::Column::OrganisationId), Order::Asc);
    }
    q
}

/// The rows of `contact_context_query` (`with_recent`: it asked for the recent contacts).
fn read_contact_context(
    rows: &[sea_orm::QueryResult],
    with_recent: bool,
) -> AppResult<Option<ContactContext>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let agreement_at = 1;
    let recent_at =
        agreement_at + <job_service_agreement::Model as rows::Positional>::COLUMNS.len();
    let agreement = match rows::text_at(first, agreement_at, true)? {
        Some(_) => Some(<job_service_agreement::Model as rows::Positional>::read(
            first,
            agreement_at,
            true,
        )?),
        None => None,
    };
    let mut recent = Vec::new();
    if with_recent {
        for row in rows {
            let org = <Option<String> as rows::Value>::at(row, recent_at, true)?;
            let at = <Option<DateTime<Utc>> as rows::Value>::at(row, recent_at + 1, true)?;
            if let (Some(org), Some(at)) = (org, at) {
                recent.push((org, at));
            }
        }
    }
    Ok(Some(ContactContext {
        company_id: <String as rows::Value>::at(first, 0, true)?,
        agreement,
        recent,
    }))
}

/// What the coordination warnings of one new contact depend on.
struct WarningContext<'a> {
    /// The organisation the contact belongs to (the actor's, or the one booked for).
    own: &'a str,
    /// The consultant holding a BOOKED meeting.
    assignee: Option<&'a str>,
    /// Organisations taking part in the contact besides the actor's.
    participants: &'a [String],
    /// The company's ACTIVE job service agreement and its participants' organisations.
    agreement: Option<(&'a job_service_agreement::Model, Vec<String>)>,
    /// The other organisations' latest contacts in the coordination window (`contact_context`).
    recent: &'a [(String, DateTime<Utc>)],
    cooldown_days: u32,
    scheduled_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

async fn warnings_for(
    db: &impl ConnectionTrait,
    w: WarningContext<'_>,
    catalogue: &Catalogue,
) -> AppResult<Vec<Warning>> {
    let mut warnings = Vec::new();
    let own = w.own;
    if let Some((agreement, participants)) = &w.agreement {
        let coordinator = agreement.coordinator_id.as_str();
        let involved = own == coordinator
            || participants.iter().any(|p| p == own)
            || w.participants.iter().any(|p| p == coordinator);
        if !involved {
            let name = catalogue
                .organisation(coordinator)
                .map_or(coordinator, |o| o.name.as_str());
            warnings.push(Warning {
                code: WarningCode::JobServiceAgreementInPlace,
                message: format!(
                    "this company has an active job service agreement; {name} coordinates it and is the company's entry point: coordinate with them"
                ),
                organisation_id: Some(coordinator.to_owned()),
                at: None,
            });
        }
    }
    let cooldown_days = w.cooldown_days;
    for (org, at) in w.recent {
        let name = catalogue
            .organisation(org)
            .map_or(org.as_str(), |o| o.name.as_str());
        let when = if *at > w.now {
            "has a contact booked"
        } else {
            "had contact"
        };
        warnings.push(Warning {
            code: WarningCode::RecentContactByOtherOrganisation,
            message: format!(
                "{name} {when} with this company on {} (within the {cooldown_days}-day coordination window); coordinate before contacting",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            organisation_id: Some(org.clone()),
            at: Some(*at),
        });
    }
    if let (Some(assignee), Some(at)) = (w.assignee, w.scheduled_at) {
        let window = Duration::hours(DOUBLE_BOOKING_HOURS);
        let clashes = activity::Entity::find()
            .filter(activity::Column::AssigneeSub.eq(assignee))
            .filter(activity::Column::Status.eq(ActivityStatus::Booked))
            .filter(activity::Column::DeletedAt.is_null())
            .filter(activity::Column::ScheduledAt.gt(at - window))
            .filter(activity::Column::ScheduledAt.lt(at + window))
            .order_by_asc(activity::Column::ScheduledAt)
            .limit(10)
            .all(db)
            .await?;
        for clash in clashes {
            let when = clash.scheduled_at.unwrap_or(at);
            warnings.push(Warning {
                code: WarningCode::AssigneeDoubleBooked,
                message: format!(
                    "{assignee} already has a meeting booked at {} (within {DOUBLE_BOOKING_HOURS} hours of this one)",
                    when.format("%Y-%m-%d %H:%M UTC")
                ),
                organisation_id: Some(clash.organisation_id),
                at: Some(when),
            });
        }
    }
    if let Some(at) = w.scheduled_at
        && at > w.now + Duration::days(BOOKED_FAR_AHEAD_DAYS)
    {
        warnings.push(Warning {
            code: WarningCode::BookedFarAhead,
            message: format!(
                "booked {} days ahead; meetings booked more than {BOOKED_FAR_AHEAD_DAYS} days ahead are often cancelled",
                (at - w.now).num_days()
            ),
            organisation_id: None,
            at: Some(at),
        });
    }
    Ok(warnings)
}

/// The organisations that took part besides the owner: known, distinct, not the owner.
fn participant_ids(catalogue: &Catalogue, owner: &str, raw: &[String]) -> AppResult<Vec<String>> {
    if raw.len() > MAX_PARTICIPANTS {
        return Err(AppError::validation(
            "input.participantOrganisationIds",
            format!("at most {MAX_PARTICIPANTS} organisations take part in one activity"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, id) in raw.iter().enumerate() {
        let id = id.trim();
        let field = format!("input.participantOrganisationIds[{i}]");
        catalogue.require_organisation(&field, id)?;
        if id == owner {
            return Err(AppError::validation(
                field,
                "the organisation logging the activity owns it; list only the others",
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

fn is_held_meeting(activity: &activity::Model) -> bool {
    activity.kind == ActivityKind::Meeting && activity.status == ActivityStatus::Held
}

/// A MEETING that is HELD by the coordinator of the company's ACTIVE agreement (`agreement`,
/// as the caller read it in this unit of work) moves the agreement's next status meeting on.
async fn after_meeting_held(
    uow: &mut UnitOfWork<'_>,
    activity: &activity::Model,
    agreement: Option<job_service_agreement::Model>,
) -> AppResult<()> {
    if !is_held_meeting(activity) {
        return Ok(());
    }
    if let Some(agreement) = agreement
        && agreement.coordinator_id == activity.organisation_id
    {
        let held_on = v::danish_today(activity.contact_at);
        agreements::status_meeting_held_in(uow, agreement, held_on).await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn log(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    cooldown_days: u32,
    input: LogActivityInput,
) -> AppResult<(activity::Model, Vec<Warning>)> {
    if checked_at_write(db.get_database_backend(), &input) {
        let mut uow = UnitOfWork::begin_lazy(db, ctx).await?;
        let prepared = prepare(&mut uow, catalogue, cooldown_days, &input)?;
        let model = record(&mut uow, &prepared, &input, input.company_id.clone(), None)?;
        let checks = contact_context_query(
            &input.company_id,
            &prepared.owner,
            &prepared.participants,
            prepared.since,
        );
        if let Some(rows) = uow.commit_reading(checks).await? {
            let context =
                read_contact_context(&rows, prepared.since.is_some())?.ok_or_else(|| {
                    AppError::Internal("a contact was written for a company not there".into())
                })?;
            let warnings = warnings_of(db, &prepared, &input, &context, catalogue).await?;
            return Ok((model, warnings));
        }
        // A foreign key refused the row (no such company): nothing was written, and the
        // checks below say what is missing.
    }
    // Reads first, then defers its rows: on PostgreSQL the checks run on the pool and the
    // activity and its audit event are one statement, without BEGIN and COMMIT.
    uow::write_lazy(db, ctx, async |uow| {
        log_in(uow, catalogue, cooldown_days, input).await
    })
    .await
}

/// Whether a contact's checks can be answered by the statement that writes it (PostgreSQL,
/// `UnitOfWork::commit_reading`): one round trip instead of two. Not when the checks decide
/// what is written (a campaign's call list entry, a held meeting moving the company's
/// agreement on) or would see the new row (a booked meeting's double-booking check reads the
/// assignee's bookings). The checks see the database as it stood before the write, so the
/// warnings are the same either way; a company that is not there is refused by the foreign
/// key, and the checks then run first to say so.
fn checked_at_write(backend: DbBackend, input: &LogActivityInput) -> bool {
    backend == DbBackend::Postgres
        && v::is_id(&input.company_id)
        && input.campaign_id.is_none()
        && !(input.kind == ActivityKind::Meeting && input.status == ActivityStatus::Held)
        && !(input.status == ActivityStatus::Booked && input.assignee_sub.is_some())
}

/// A contact to log, checked as far as it can be without reading the database.
struct Prepared {
    now: DateTime<Utc>,
    summary: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
    assignee: Option<String>,
    /// The organisation that owns the activity.
    owner: String,
    participants: Vec<String>,
    /// The start of the coordination window (`None`: no window).
    since: Option<DateTime<Utc>>,
    cooldown_days: u32,
    initiated_by: InitiatedBy,
}

/// Validates `input` and asks the policy.
fn prepare(
    uow: &mut UnitOfWork<'_>,
    catalogue: &Catalogue,
    cooldown_days: u32,
    input: &LogActivityInput,
) -> AppResult<Prepared> {
    let now = Utc::now();
    let summary = v::optional_text("input.summary", input.summary.as_deref(), SUMMARY_MAX)?;
    check_not_future("input.occurredAt", input.occurred_at, now)?;
    let mut occurred_at = input.occurred_at;
    match input.status {
        ActivityStatus::Booked if input.scheduled_at.is_none() => {
            return Err(AppError::validation(
                "input.scheduledAt",
                "a BOOKED activity needs scheduledAt",
            ));
        }
        ActivityStatus::Held if occurred_at.is_none() => occurred_at = Some(now),
        _ => {}
    }
    let assignee = v::subject("input.assigneeSub", input.assignee_sub.as_deref())?;

    uow.authorize(&Action::LogActivity)?;
    let actor = uow.actor();
    let owner = input
        .owner_organisation_id
        .clone()
        .unwrap_or_else(|| actor.organisation_id.clone());
    let initiated_by =
        input
            .initiated_by
            .unwrap_or(if reference::is_national(&actor.organisation_id) {
                InitiatedBy::National
            } else {
                InitiatedBy::Jobcentre
            });
    let participants = participant_ids(catalogue, &owner, &input.participant_organisation_ids)?;
    let since = (cooldown_days > 0).then(|| now - Duration::days(i64::from(cooldown_days)));
    Ok(Prepared {
        now,
        summary,
        occurred_at,
        assignee,
        owner,
        participants,
        since,
        cooldown_days,
        initiated_by,
    })
}

/// The coordination warnings of a contact, from its checks.
async fn warnings_of(
    db: &impl ConnectionTrait,
    prepared: &Prepared,
    input: &LogActivityInput,
    context: &ContactContext,
    catalogue: &Catalogue,
) -> AppResult<Vec<Warning>> {
    let agreement = context.agreement.as_ref();
    let agreement_participants = match agreement {
        Some(a) => agreements::participants_of(db, std::slice::from_ref(&a.id))
            .await?
            .into_iter()
            .map(|p| p.organisation_id)
            .collect(),
        None => Vec::new(),
    };
    warnings_for(
        db,
        WarningContext {
            own: &prepared.owner,
            assignee: prepared
                .assignee
                .as_deref()
                .filter(|_| input.status == ActivityStatus::Booked),
            participants: &prepared.participants,
            agreement: agreement.map(|a| (a, agreement_participants)),
            recent: &context.recent,
            cooldown_days: prepared.cooldown_days,
            scheduled_at: input.scheduled_at,
            now: prepared.now,
        },
        catalogue,
    )
    .await
}

/// Defers the activity (and its participants) with their audit events: written at commit.
fn record(
    uow: &mut UnitOfWork<'_>,
    prepared: &Prepared,
    input: &LogActivityInput,
    company_id: String,
    campaign_id: Option<String>,
) -> AppResult<activity::Model> {
    // The row as the database stores it (timestamps to the microsecond), so that the answer,
    // the audit event and a later read agree; written with the audit event at commit.
    let stored = |at: DateTime<Utc>| at.trunc_subsecs(6);
    let now = stored(prepared.now);
    let occurred_at = prepared.occurred_at.map(stored);
    let scheduled_at = input.scheduled_at.map(stored);
    let model = activity::Model {
        id: new_id(),
        company_id,
        organisation_id: prepared.owner.clone(),
        kind: input.kind,
        status: input.status,
        initiated_by: prepared.initiated_by,
        visibility: input.visibility.unwrap_or(Visibility::Shared),
        scheduled_at,
        occurred_at,
        contact_at: contact_at(occurred_at, scheduled_at, now),
        summary: prepared.summary.clone(),
        campaign_id,
        assignee_sub: prepared.assignee.clone(),
        outcome_registered: false,
        created_by_sub: uow.actor().sub.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    uow.defer(activity::Entity::insert(activity::ActiveModel::from(
        model.clone(),
    )));
    uow.created("activity.logged", &model)?;
    if !prepared.participants.is_empty() {
        let rows: Vec<activity_participant::Model> = prepared
            .participants
            .iter()
            .map(|org| activity_participant::Model {
                id: new_id(),
                activity_id: model.id.clone(),
                company_id: model.company_id.clone(),
                organisation_id: org.clone(),
                created_at: now,
            })
            .collect();
        uow.defer(activity_participant::Entity::insert_many(
            rows.iter()
                .cloned()
                .map(activity_participant::ActiveModel::from),
        ));
        for row in &rows {
            uow.created("activity.participantAdded", row)?;
        }
    }
    Ok(model)
}

/// `log` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all)]
pub async fn log_in(
    uow: &mut UnitOfWork<'_>,
    catalogue: &Catalogue,
    cooldown_days: u32,
    input: LogActivityInput,
) -> AppResult<(activity::Model, Vec<Warning>)> {
    let prepared = prepare(uow, catalogue, cooldown_days, &input)?;
    let context = contact_context(
        uow.conn(),
        &input.company_id,
        &prepared.owner,
        &prepared.participants,
        prepared.since,
    )
    .await?
    .ok_or_else(|| AppError::NotFound(format!("company {} not found", input.company_id)))?;
    let campaign = match input.campaign_id.as_deref() {
        Some(id) => {
            Some(campaigns::check_activity_in(uow, id, &context.company_id, input.kind).await?)
        }
        None => None,
    };
    let warnings = warnings_of(uow.conn(), &prepared, &input, &context, catalogue).await?;
    let campaign_id = campaign.as_ref().map(|(c, _)| c.id.clone());
    let model = record(uow, &prepared, &input, context.company_id, campaign_id)?;
    if let Some((campaign, entry)) = campaign {
        campaigns::apply_activity_in(uow, &campaign, entry, &model, true).await?;
    }
    after_meeting_held(uow, &model, context.agreement).await?;
    Ok((model, warnings))
}

/// Allowed moves: a draft is booked or held; a booked meeting is held, cancelled by either
/// side, or not attended. Held, cancelled and no-show are final.
pub fn transition_allowed(from: ActivityStatus, to: ActivityStatus) -> bool {
    use ActivityStatus::*;
    matches!(
        (from, to),
        (Draft, Booked)
            | (Draft, Held)
            | (Booked, Held)
            | (Booked, CancelledByCompany)
            | (Booked, CancelledByJobcentre)
            | (Booked, NoShow)
    )
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn set_status(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    status: ActivityStatus,
) -> AppResult<activity::Model> {
    uow::write(db, ctx, async |uow| {
        set_status_in(uow, id, expected_version, status).await
    })
    .await
}

/// `set_status` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn set_status_in(
    uow: &mut UnitOfWork<'_>,
    id: &str,
    expected_version: i32,
    status: ActivityStatus,
) -> AppResult<activity::Model> {
    let before: activity::Model = record::require_visible(uow, id).await?;
    uow.authorize(&Action::SetActivityStatus {
        owner: &before.organisation_id,
    })?;
    if before.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "the activity is deleted; restore it first".into(),
        ));
    }
    check_version(before.version, expected_version, "activity")?;
    if !transition_allowed(before.status, status) {
        return Err(AppError::validation(
            "status",
            format!(
                "an activity cannot move from {} to {}",
                enum_name(before.status),
                enum_name(status)
            ),
        ));
    }
    if status == ActivityStatus::Booked && before.scheduled_at.is_none() {
        return Err(AppError::validation(
            "status",
            "a BOOKED activity needs scheduledAt; log it with scheduledAt",
        ));
    }
    let now = Utc::now();
    let mut am = before.clone().into_active_model();
    if status == ActivityStatus::Held && before.occurred_at.is_none() {
        // A meeting marked held after its time happened at its time; otherwise now.
        let occurred = before.scheduled_at.filter(|s| *s <= now).unwrap_or(now);
        am.occurred_at = Set(Some(occurred));
        am.contact_at = Set(occurred);
    }
    am.status = Set(status);
    let after = record::update(uow, "activity.statusChanged", &before, am).await?;
    if let Some(campaign_id) = after.campaign_id.as_deref()
        && status == ActivityStatus::CancelledByCompany
    {
        let campaign = campaigns::require(uow.conn(), "campaignId", campaign_id).await?;
        let entry = campaigns::entry_of(uow.conn(), &campaign.id, &after.company_id).await?;
        campaigns::apply_activity_in(uow, &campaign, entry, &after, false).await?;
    }
    if is_held_meeting(&after) {
        let agreement =
            agreements::active_by_company(uow.conn(), std::slice::from_ref(&after.company_id))
                .await?
                .into_iter()
                .next();
        after_meeting_held(uow, &after, agreement).await?;
    }
    Ok(after)
}

fn enum_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Registers what a held meeting led to, in one transaction. Calling it again adds to the
/// outcome; an outcome with nothing in it is valid (the meeting led to nothing).
#[tracing::instrument(skip_all, fields(activity_id = %activity_id))]
pub async fn record_outcome(
    db: &Db,
    ctx: &WriteContext,
    activity_id: &str,
    input: OutcomeInput,
) -> AppResult<activity::Model> {
    uow::write(db, ctx, async |uow| {
        record_outcome_in(uow, activity_id, input).await
    })
    .await
}

/// `record_outcome` inside the caller's unit of work (several services can share one transaction).
#[tracing::instrument(skip_all, fields(activity_id = %activity_id))]
pub async fn record_outcome_in(
    uow: &mut UnitOfWork<'_>,
    activity_id: &str,
    input: OutcomeInput,
) -> AppResult<activity::Model> {
    let now = Utc::now();
    let today = v::danish_today(now);
    if input.agreements.len() > MAX_ITEMS_PER_OUTCOME {
        return Err(AppError::validation(
            "input.agreements",
            format!("at most {MAX_ITEMS_PER_OUTCOME} agreements at a time"),
        ));
    }
    if input.follow_ups.len() > MAX_ITEMS_PER_OUTCOME {
        return Err(AppError::validation(
            "input.followUps",
            format!("at most {MAX_ITEMS_PER_OUTCOME} follow-ups at a time"),
        ));
    }
    let summary = v::optional_text("input.summary", input.summary.as_deref(), SUMMARY_MAX)?;
    let mut agreements = Vec::with_capacity(input.agreements.len());
    for (i, a) in input.agreements.iter().enumerate() {
        let positions = v::positions(&format!("input.agreements[{i}].positions"), a.positions)?;
        let note = v::optional_text(
            &format!("input.agreements[{i}].note"),
            a.note.as_deref(),
            NOTE_MAX,
        )?;
        agreements.push((a.kind, positions, note));
    }
    let mut follow_ups = Vec::with_capacity(input.follow_ups.len());
    for (i, f) in input.follow_ups.iter().enumerate() {
        let description = v::required_text(
            &format!("input.followUps[{i}].description"),
            &f.description,
            NOTE_MAX,
        )?;
        if f.due_on > today + Duration::days(2 * 366) {
            return Err(AppError::validation(
                format!("input.followUps[{i}].dueOn"),
                "a follow-up is due within two years",
            ));
        }
        let assignee = v::subject(
            &format!("input.followUps[{i}].assigneeSub"),
            f.assignee_sub.as_deref(),
        )?;
        follow_ups.push(NewFollowUp {
            description,
            due_on: f.due_on,
            assignee_sub: assignee,
        });
    }

    let before: activity::Model = record::require_visible(uow, activity_id).await?;
    uow.authorize(&Action::RecordOutcome {
        owner: &before.organisation_id,
    })?;
    if before.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "the activity is deleted; restore it first".into(),
        ));
    }
    if before.status != ActivityStatus::Held {
        return Err(AppError::validation(
            "activityId",
            format!(
                "an outcome is recorded for a HELD meeting; this activity is {}",
                enum_name(before.status)
            ),
        ));
    }
    let meeting_day = before.contact_at.date_naive();
    for (i, f) in follow_ups.iter().enumerate() {
        if f.due_on < meeting_day {
            return Err(AppError::validation(
                format!("input.followUps[{i}].dueOn"),
                format!("a follow-up cannot be due before the meeting ({meeting_day})"),
            ));
        }
    }

    // Private notes are written only inside the owning organisation; asked before anything
    // about the existing summary (its length included) can show in an answer.
    let writes_notes = summary.is_some() || agreements.iter().any(|(_, _, note)| note.is_some());
    if before.visibility == Visibility::Organisation && writes_notes {
        uow.authorize(&Action::WritePrivateNotes {
            owner: &before.organisation_id,
        })?;
    }
    let mut am = before.clone().into_active_model();
    if let Some(text) = summary {
        let combined = match before.summary.as_deref().filter(|s| !s.is_empty()) {
            Some(existing) => format!("{existing}\n\n{text}"),
            None => text,
        };
        if combined.chars().count() > SUMMARY_MAX {
            return Err(AppError::validation(
                "input.summary",
                format!("the activity's summary would exceed {SUMMARY_MAX} characters"),
            ));
        }
        am.summary = Set(Some(combined));
    }
    am.outcome_registered = Set(true);
    let after = record::update(uow, "activity.outcomeRecorded", &before, am).await?;
    for (kind, positions, note) in agreements {
        add_agreement_in(uow, &after, kind, positions, note).await?;
    }
    for f in follow_ups {
        follow_up::create_in(uow, &after, f).await?;
    }
    Ok(after)
}

/// Adds an agreement made at `meeting`, in the caller's unit of work (`agreement.created`).
#[tracing::instrument(skip_all)]
pub async fn add_agreement_in(
    uow: &mut UnitOfWork<'_>,
    meeting: &activity::Model,
    kind: AgreementKind,
    positions: i32,
    note: Option<String>,
) -> AppResult<agreement::Model> {
    let model = agreement::ActiveModel {
        id: Set(new_id()),
        activity_id: Set(meeting.id.clone()),
        company_id: Set(meeting.company_id.clone()),
        organisation_id: Set(meeting.organisation_id.clone()),
        kind: Set(kind),
        positions: Set(positions),
        note: Set(note),
        created_at: Set(Utc::now()),
    }
    .insert(uow.conn())
    .await?;
    uow.created(
        "agreement.created",
        &AgreementOf {
            agreement: &model,
            activity_visibility: meeting.visibility,
        },
    )?;
    Ok(model)
}

#[tracing::instrument(skip_all)]
pub async fn by_ids(
    db: &impl ConnectionTrait,
    reader: &Reader,
    ids: &[String],
) -> AppResult<Vec<Visible<activity::Model>>> {
    Ok(rows::all(
        db,
        sql::find_in(activity::Entity, db, activity::Column::Id, ids),
    )
    .await?
    .into_iter()
    .filter_map(|a| reader.activity(a))
    .collect())
}

/// Position in a company's activities: (contact_at, id) of the last row seen.
pub type ActivityCursor = (DateTime<Utc>, String);

/// Which page of a company's activities (newest first) to load.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActivityPageKey {
    pub company_id: String,
    pub size: u64,
    pub after: Option<ActivityCursor>,
}

pub fn activity_cursor(a: &activity::Model) -> String {
    pagination::encode(&(a.contact_at, &a.id))
}

pub fn decode_activity_cursor(after: Option<&str>) -> AppResult<Option<ActivityCursor>> {
    pagination::decode("after", after)
}

/// The activity page condition shared by both statements: not deleted, after the cursor.
fn page_condition(after: Option<&ActivityCursor>) -> Condition {
    let mut condition = Condition::all().add(activity::Column::DeletedAt.is_null());
    if let Some(cursor) = after {
        condition = condition.add(pagination::after(
            activity::Column::ContactAt,
            activity::Column::Id,
            cursor,
            Order::Desc,
        ));
    }
    condition
}

/// One company's page, newest first, `size + 1` rows (the extra one tells whether there is
/// a next page); `company` picks the company (a batch's key, or an enclosing statement's row).
pub fn company_page(
    company: SimpleExpr,
    size: u64,
    after: Option<&ActivityCursor>,
) -> SelectStatement {
    Query::select()
        .column(Asterisk)
        .from(activity::Entity)
        .and_where(company)
        .cond_where(page_condition(after))
        .order_by((activity::Entity, activity::Column::ContactAt), Order::Desc)
        .order_by((activity::Entity, activity::Column::Id), Order::Desc)
        .limit(size + 1)
        .to_owned()
}

/// The rows of one company's page as its reader sees them.
pub fn visible_page(
    reader: &Reader,
    rows: Vec<activity::Model>,
    size: u64,
    after: bool,
) -> Page<Visible<activity::Model>> {
    Page::from_overfetch(rows, size, after).filter_map(|a| reader.activity(a))
}

/// PostgreSQL: for each company an index scan that stops after `size + 1` rows
/// (`unnest($1) CROSS JOIN LATERAL (… LIMIT n)`), however many activities it has.
fn page_per_company_lateral(
    company_ids: &[String],
    size: u64,
    after: Option<&ActivityCursor>,
) -> SelectStatement {
    let keys = company_ids
        .iter()
        .map(|k| Value::from(k.as_str()))
        .collect();
    let page = company_page(
        Expr::col((activity::Entity, activity::Column::CompanyId)).eq(Expr::cust(r#""k""#)),
        size,
        after,
    );
    Query::select()
        .column((Alias::new("page"), Asterisk))
        .from_function(
            Func::cust("unnest").arg(Expr::val(Value::Array(
                ArrayType::String,
                Some(Box::new(keys)),
            ))),
            Alias::new("k"),
        )
        .join_lateral(
            JoinType::InnerJoin,
            page,
            Alias::new("page"),
            Condition::all().add(Expr::cust("TRUE")),
        )
        .order_by(
            (Alias::new("page"), activity::Column::CompanyId),
            Order::Asc,
        )
        .order_by(
            (Alias::new("page"), activity::Column::ContactAt),
            Order::Desc,
        )
        .order_by((Alias::new("page"), activity::Column::Id), Order::Desc)
        .to_owned()
}

/// SQLite (no LATERAL): a window function numbers each company's rows.
fn page_per_company_window(
    company_ids: &[String],
    size: u64,
    after: Option<&ActivityCursor>,
) -> SelectStatement {
    let inner = Query::select()
        .column(Asterisk)
        .expr_as(
            Expr::cust(
                r#"ROW_NUMBER() OVER (PARTITION BY "company_id" ORDER BY "contact_at" DESC, "id" DESC)"#,
            ),
            Alias::new("rn"),
        )
        .from(activity::Entity)
        .and_where(activity::Column::CompanyId.is_in(company_ids.iter().cloned()))
        .cond_where(page_condition(after))
        .to_owned();
    Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("rn")).lte(size as i64 + 1))
        .order_by(Alias::new("company_id"), Order::Asc)
        .order_by(Alias::new("rn"), Order::Asc)
        .to_owned()
}

/// Pages of several companies' activities, newest first, one statement per distinct
/// (size, cursor).
#[tracing::instrument(skip_all)]
pub async fn pages_by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    keys: &[ActivityPageKey],
) -> AppResult<HashMap<ActivityPageKey, Page<Visible<activity::Model>>>> {
    let mut groups: HashMap<(u64, Option<ActivityCursor>), Vec<String>> = HashMap::new();
    for key in keys {
        groups
            .entry((key.size, key.after.clone()))
            .or_default()
            .push(key.company_id.clone());
    }
    let mut out = HashMap::new();
    for ((size, after), company_ids) in groups {
        let outer = match db.get_database_backend() {
            DbBackend::Postgres => page_per_company_lateral(&company_ids, size, after.as_ref()),
            _ => page_per_company_window(&company_ids, size, after.as_ref()),
        };
        let stmt = db.get_database_backend().build(&outer);
        let rows = activity::Entity::find().from_raw_sql(stmt).all(db).await?;
        let mut by_company: HashMap<String, Vec<activity::Model>> = HashMap::new();
        for row in rows {
            by_company
                .entry(row.company_id.clone())
                .or_default()
                .push(row);
        }
        for company_id in company_ids {
            let rows = by_company.remove(&company_id).unwrap_or_default();
            out.insert(
                ActivityPageKey {
                    company_id,
                    size,
                    after: after.clone(),
                },
                visible_page(reader, rows, size, after.is_some()),
            );
        }
    }
    Ok(out)
}

/// The latest (non-draft, not deleted) contact with each of several companies since `since`,
/// by any organisation: `(company, organisation, at)`.
#[tracing::instrument(skip_all)]
pub async fn latest_contacts_since(
    db: &impl ConnectionTrait,
    company_ids: &[String],
    since: DateTime<Utc>,
) -> AppResult<Vec<(String, String, DateTime<Utc>)>> {
    let rows = activity::Entity::find()
        .select_only()
        .column(activity::Column::CompanyId)
        .column(activity::Column::OrganisationId)
        .column(activity::Column::ContactAt)
        .filter(sql::one_of(
            db.get_database_backend(),
            activity::Column::CompanyId,
            company_ids,
        ))
        .filter(activity::Column::Status.ne(ActivityStatus::Draft))
        .filter(activity::Column::DeletedAt.is_null())
        .filter(activity::Column::ContactAt.gte(since))
        .order_by_desc(activity::Column::ContactAt)
        .order_by_desc(activity::Column::Id)
        .into_tuple::<(String, String, DateTime<Utc>)>()
        .all(db)
        .await?;
    let mut out: Vec<(String, String, DateTime<Utc>)> = Vec::new();
    for row in rows {
        if !out.iter().any(|(c, _, _)| *c == row.0) {
            out.push(row);
        }
    }
    Ok(out)
}

/// The latest contact (non-draft, not deleted) per company.
#[tracing::instrument(skip_all)]
pub async fn last_activity_at(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<Vec<(String, DateTime<Utc>)>> {
    Ok(activity::Entity::find()
        .select_only()
        .column(activity::Column::CompanyId)
        .column_as(activity::Column::ContactAt.max(), "last_contact")
        .filter(sql::one_of(
            db.get_database_backend(),
            activity::Column::CompanyId,
            company_ids,
        ))
        .filter(activity::Column::Status.ne(ActivityStatus::Draft))
        .filter(activity::Column::DeletedAt.is_null())
        .group_by(activity::Column::CompanyId)
        .into_tuple::<(String, DateTime<Utc>)>()
        .all(db)
        .await?)
}

/// The agreements of each activity, their notes as private as the activity's summary.
#[tracing::instrument(skip_all)]
pub async fn agreements_by_activity(
    db: &impl ConnectionTrait,
    reader: &Reader,
    activity_ids: &[String],
) -> AppResult<Vec<Visible<agreement::Model>>> {
    let rows = rows::all(
        db,
        sql::find_in(
            agreement::Entity,
            db,
            agreement::Column::ActivityId,
            activity_ids,
        )
        .order_by_asc(agreement::Column::CreatedAt)
        .order_by_asc(agreement::Column::Id),
    )
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let visibility: HashMap<String, Visibility> = activity::Entity::find()
        .select_only()
        .column(activity::Column::Id)
        .column(activity::Column::Visibility)
        .filter(sql::one_of(
            db.get_database_backend(),
            activity::Column::Id,
            activity_ids,
        ))
        .into_tuple::<(String, Visibility)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| {
            // An agreement whose activity cannot be read is treated as private.
            let v = visibility
                .get(&a.activity_id)
                .copied()
                .unwrap_or(Visibility::Organisation);
            reader.agreement(a, v)
        })
        .collect())
}

/// The organisations that took part in each of several activities (besides their owners).
#[tracing::instrument(skip_all)]
pub async fn participants_by_activity(
    db: &impl ConnectionTrait,
    activity_ids: &[String],
) -> AppResult<Vec<activity_participant::Model>> {
    rows::all(
        db,
        sql::find_in(
            activity_participant::Entity,
            db,
            activity_participant::Column::ActivityId,
            activity_ids,
        )
        .order_by_asc(activity_participant::Column::OrganisationId),
    )
    .await
}

/// One page of activities across companies, newest first, filtered (deleted ones left out).
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    catalogue: &Catalogue,
    filter: &ActivityFilter,
    first: Option<i32>,
    after: Option<&str>,
    (joined, shown): (company::Joined, Option<&[activity::Column]>),
) -> AppResult<company::PageWithCompanies<Visible<activity::Model>>> {
    let size = pagination::page_size("first", first)?;
    let cursor = decode_activity_cursor(after)?;
    let known = |field, org: &Option<String>| {
        org.as_deref()
            .map(|org| {
                catalogue
                    .require_organisation(field, org)
                    .map(|o| o.id.as_str())
            })
            .transpose()
    };
    let organisation = known("filter.organisationId", &filter.organisation_id)?;
    let coordinated_by = known("filter.coordinatedBy", &filter.coordinated_by)?;
    let company_id = filter.company_id.as_deref().map(str::trim);
    // The statement's shape: which filters are given, their values in the order bound.
    let mut shape = Shape::new("activity::list");
    shape.part(
        u64::from(organisation.is_some())
            | u64::from(coordinated_by.is_some()) << 1
            | u64::from(filter.since.is_some()) << 2
            | u64::from(company_id.is_some()) << 3,
    );
    if let Some(org) = organisation {
        shape.value(org).value(org);
    }
    if let Some(org) = coordinated_by {
        shape.value(org);
    }
    if let Some(since) = filter.since {
        shape.value(since);
    }
    if let Some(company) = company_id {
        shape.value(company);
    }
    let q = || {
        let mut q = activity::Entity::find().filter(activity::Column::DeletedAt.is_null());
        if let Some(org) = organisation {
            let took_part = Query::select()
                .column(activity_participant::Column::ActivityId)
                .from(activity_participant::Entity)
                .and_where(activity_participant::Column::OrganisationId.eq(org))
                .take();
            q = q.filter(
                Condition::any()
                    .add(activity::Column::OrganisationId.eq(org))
                    .add(activity::Column::Id.in_subquery(took_part)),
            );
        }
        if let Some(org) = coordinated_by {
            let coordinated = Query::select()
                .column(job_service_agreement::Column::CompanyId)
                .from(job_service_agreement::Entity)
                .and_where(job_service_agreement::Column::CoordinatorId.eq(org))
                .and_where(sql::agreement_is_active())
                .take();
            q = q.filter(activity::Column::CompanyId.in_subquery(coordinated));
        }
        if let Some(since) = filter.since {
            q = q.filter(activity::Column::ContactAt.gte(since));
        }
        if let Some(company) = company_id {
            q = q.filter(activity::Column::CompanyId.eq(company));
        }
        q
    };
    // The cursor's, the company's; the page holds no deleted activity (the reader's rule on
    // deleted ones reads `deleted_at`, NULL here), and the summary is shown with its owner and
    // visibility (the rule on private notes).
    let read = Columns::shown_with::<activity::Entity>(
        shown,
        &[
            activity::Column::Id,
            activity::Column::ContactAt,
            activity::Column::CompanyId,
        ],
    );
    company::page_with_companies(
        db,
        (reader, |a| reader.activity(a)),
        (q, read, shape),
        (
            (activity::Column::ContactAt, activity::Column::Id),
            Order::Desc,
        ),
        size,
        cursor,
        (activity::Column::CompanyId, joined),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use ActivityStatus::*;
        assert!(transition_allowed(Booked, Held));
        assert!(transition_allowed(Booked, NoShow));
        assert!(transition_allowed(Booked, CancelledByCompany));
        assert!(transition_allowed(Draft, Booked));
        assert!(!transition_allowed(Held, Booked));
        assert!(!transition_allowed(Held, Held));
        assert!(!transition_allowed(NoShow, Held));
    }
}
