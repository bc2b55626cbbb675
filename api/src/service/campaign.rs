//! National company campaigns and their call lists.
//!
//! What went wrong in the field — call lists nobody local had cleared, meetings booked far
//! ahead, consultants who never saw the meeting — is what these rules prevent:
//!
//! - a company goes on a campaign's call list once, assigned to the jobcentre of its home
//!   municipality unless an organisation is named; it starts PENDING_CLEARANCE;
//! - only staff of the assigned organisation clear it (CLEARED) or exclude it with a reason
//!   (EXCLUDED), seeing the recent contacts and any active job service agreement;
//! - a meeting is booked (on the jobcentre's behalf) only for a CLEARED entry, as a BOOKED
//!   VISIT owned by that jobcentre, held by a named consultant (`assignee_sub`);
//! - `logActivity` with a campaign id keeps the entry in step (see [`on_activity_in`]).

use crate::db::Db;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{ActivityKind, ActivityStatus, CallListStatus, RarArea};
use entity::{activity, call_list_entry, campaign, company, municipality, production_unit};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::activity::{self as activities, LogActivityInput, Warning};
use super::company as companies;
use super::pagination;
use super::read::{Reader, Visible};
use super::record;
use super::reference::{Catalogue, NATIONAL_ID};
use super::rows::{self, Columns};
use super::shaped::Shape;
use super::sql;
use super::uow::{self, UnitOfWork, WriteContext, new_id};
use super::validation::{self as v, NAME_MAX, NOTE_MAX};
use crate::auth::policy::Action;
use crate::error::{self, AppError, AppResult, UniqueConstraint};

const ONE_ENTRY_PER_COMPANY: UniqueConstraint = UniqueConstraint {
    postgres: "uq_call_list_entry_company",
    sqlite: "call_list_entry.campaign_id, call_list_entry.company_id",
};

/// Companies added in one unit of work (each entry is one audit event).
const ADD_CHUNK: usize = 500;
/// At most this many companies are added by one `addToCallList` call.
pub const MAX_IDS_PER_CALL: usize = 1_000;
/// At most this many companies are added by one `addToCallListByFilter` call; narrow the
/// filter (by municipality, say) to add more.
pub const MAX_BY_FILTER: u64 = 20_000;

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Which companies `addToCallListByFilter` puts on the list.
#[derive(Debug, Clone, Default)]
pub struct CallListFilter {
    pub municipality_code: Option<String>,
    pub rar_area: Option<RarArea>,
    pub employees_min: Option<i32>,
    pub employees_max: Option<i32>,
    /// Nobody had (non-draft) contact with the company in this many days.
    pub no_contact_within_days: Option<i32>,
    /// Production units in at least this many municipalities.
    pub min_production_unit_municipalities: Option<i32>,
}

/// What adding to a call list did.
#[derive(Debug, Clone, Default)]
pub struct Added {
    /// The entries of the companies asked for (new and existing), for `addToCallList`.
    pub entries: Vec<call_list_entry::Model>,
    pub added: u64,
    pub already_on_list: u64,
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<campaign::Model>> {
    if !v::is_id(id) {
        return Ok(None);
    }
    Ok(campaign::Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// The campaign `field` names, or VALIDATION (an unknown campaign is bad input).
pub async fn require(
    db: &impl ConnectionTrait,
    field: &str,
    id: &str,
) -> AppResult<campaign::Model> {
    find(db, id.trim()).await?.ok_or_else(|| {
        AppError::validation(
            field,
            format!(
                "unknown campaign {}",
                id.trim().chars().take(64).collect::<String>()
            ),
        )
    })
}

#[tracing::instrument(skip_all)]
pub async fn by_ids(
    db: &impl ConnectionTrait,
    reader: &Reader,
    ids: &[String],
) -> AppResult<Vec<Visible<campaign::Model>>> {
    Ok(rows::all(
        db,
        sql::find_in(campaign::Entity, db, campaign::Column::Id, ids),
    )
    .await?
    .into_iter()
    .map(|c| reader.campaign(c))
    .collect())
}

#[tracing::instrument(skip_all)]
pub async fn create(db: &Db, ctx: &WriteContext, input: NewCampaign) -> AppResult<campaign::Model> {
    let name = v::required_text("input.name", &input.name, NAME_MAX)?;
    if input.ends_on < input.starts_on {
        return Err(AppError::validation(
            "input.endsOn",
            "a campaign cannot end before it starts",
        ));
    }
    for (field, d) in [
        ("input.startsOn", input.starts_on),
        ("input.endsOn", input.ends_on),
    ] {
        if !(2000..=2100).contains(&chrono::Datelike::year(&d)) {
            return Err(AppError::validation(
                field,
                "must lie between the years 2000 and 2100",
            ));
        }
    }
    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::CreateCampaign)?;
        let now = Utc::now();
        let model = campaign::ActiveModel {
            id: Set(new_id()),
            name: Set(name),
            starts_on: Set(input.starts_on),
            ends_on: Set(input.ends_on),
            organisation_id: Set(uow.actor().organisation_id.clone()),
            created_by_sub: Set(uow.actor().sub.clone()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(uow.conn())
        .await?;
        uow.created("campaign.created", &model)?;
        Ok(model)
    })
    .await
}

/// The organisation a company's entry is assigned to: the one named, else the jobcentre of
/// its home municipality, else Jobservice Danmark.
fn assignee(catalogue: &Catalogue, named: Option<&str>, company: &company::Model) -> String {
    if let Some(org) = named {
        return org.to_owned();
    }
    company
        .municipality_code
        .as_deref()
        .and_then(|code| catalogue.municipality(code))
        .map_or_else(|| NATIONAL_ID.to_owned(), |m| m.jobcentre_id.clone())
}

/// A new entry of `campaign_id`'s list for `company_id`, version 1.
fn new_entry(
    campaign_id: &str,
    company_id: &str,
    organisation_id: String,
    status: CallListStatus,
    activity_id: Option<String>,
    now: DateTime<Utc>,
) -> call_list_entry::Model {
    call_list_entry::Model {
        id: new_id(),
        campaign_id: campaign_id.to_owned(),
        company_id: company_id.to_owned(),
        organisation_id,
        status,
        exclusion_reason: None,
        call_attempts: 0,
        activity_id,
        cleared_by_sub: None,
        cleared_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Puts `companies` on the list (those not on it yet) in the caller's unit of work.
async fn add_in(
    uow: &mut UnitOfWork<'_>,
    catalogue: &Catalogue,
    campaign: &campaign::Model,
    companies: &[company::Model],
    organisation: Option<&str>,
) -> AppResult<Added> {
    let ids: Vec<String> = companies.iter().map(|c| c.id.clone()).collect();
    let existing = call_list_entry::Entity::find()
        .filter(call_list_entry::Column::CampaignId.eq(campaign.id.clone()))
        .filter(sql::one_of(
            uow.conn().get_database_backend(),
            call_list_entry::Column::CompanyId,
            &ids,
        ))
        .all(uow.conn())
        .await?;
    let now = Utc::now();
    let mut out = Added::default();
    let mut new_entries = Vec::new();
    for c in companies {
        if let Some(e) = existing.iter().find(|e| e.company_id == c.id) {
            out.already_on_list += 1;
            out.entries.push(e.clone());
            continue;
        }
        let entry = new_entry(
            &campaign.id,
            &c.id,
            assignee(catalogue, organisation, c),
            CallListStatus::PendingClearance,
            None,
            now,
        );
        new_entries.push(entry.clone());
        out.entries.push(entry);
    }
    // One INSERT per hundred entries (13 parameters each, well under both databases' limits).
    for chunk in new_entries.chunks(100) {
        call_list_entry::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(call_list_entry::ActiveModel::from),
        )
        .exec(uow.conn())
        .await
        .map_err(|e| {
            error::on_constraint(e, &ONE_ENTRY_PER_COMPANY, || {
                AppError::Conflict(
                    "the call list changed concurrently; add again (companies already on it are left as they are)"
                        .into(),
                )
            })
        })?;
    }
    for entry in &new_entries {
        uow.created("callListEntry.added", entry)?;
    }
    out.added = new_entries.len() as u64;
    if out.added == 0 {
        uow.unchanged();
    }
    Ok(out)
}

fn organisation_field<'c>(
    catalogue: &'c Catalogue,
    field: &str,
    id: Option<&str>,
) -> AppResult<Option<&'c str>> {
    id.map(|id| {
        catalogue
            .require_organisation(field, id)
            .map(|o| o.id.as_str())
    })
    .transpose()
}

/// `addToCallList`: the named companies, assigned to `organisation_id` (or each to its home
/// jobcentre). Companies already on the list are returned unchanged and counted.
#[tracing::instrument(skip_all)]
pub async fn add_to_call_list(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    campaign_id: &str,
    company_ids: &[String],
    organisation_id: Option<&str>,
) -> AppResult<Added> {
    if company_ids.len() > MAX_IDS_PER_CALL {
        return Err(AppError::LimitExceeded(format!(
            "at most {MAX_IDS_PER_CALL} companies per call; use addToCallListByFilter for more"
        )));
    }
    let organisation = organisation_field(catalogue, "organisationId", organisation_id)?;
    let mut ids: Vec<String> = Vec::with_capacity(company_ids.len());
    for id in company_ids {
        let id = id.trim();
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    }
    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::AddToCallList)?;
        let campaign = require(uow.conn(), "campaignId", campaign_id).await?;
        let valid: Vec<String> = ids.iter().filter(|i| v::is_id(i)).cloned().collect();
        let found = company::Entity::find()
            .filter(sql::one_of(
                uow.conn().get_database_backend(),
                company::Column::Id,
                &valid,
            ))
            .all(uow.conn())
            .await?;
        if let Some((i, missing)) = ids
            .iter()
            .enumerate()
            .find(|(_, id)| !found.iter().any(|c| &c.id == *id))
        {
            return Err(AppError::NotFound(format!(
                "companyIds[{i}]: company {} not found",
                missing.chars().take(64).collect::<String>()
            )));
        }
        // In the order asked for.
        let ordered: Vec<company::Model> = ids
            .iter()
            .filter_map(|id| found.iter().find(|c| &c.id == id).cloned())
            .collect();
        add_in(uow, catalogue, &campaign, &ordered, organisation).await
    })
    .await
}

/// `addToCallListByFilter`: every company matching `filter` that is not on the list yet,
/// in units of work of 500 (each entry is audited); adding again adds nothing.
#[tracing::instrument(skip_all)]
pub async fn add_by_filter(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    campaign_id: &str,
    filter: &CallListFilter,
    organisation_id: Option<&str>,
) -> AppResult<Added> {
    let organisation = organisation_field(catalogue, "organisationId", organisation_id)?;
    for (field, n) in [
        ("filter.employeesMin", filter.employees_min),
        ("filter.employeesMax", filter.employees_max),
        ("filter.noContactWithinDays", filter.no_contact_within_days),
        (
            "filter.minProductionUnitMunicipalities",
            filter.min_production_unit_municipalities,
        ),
    ] {
        if n.is_some_and(|n| !(0..=10_000_000).contains(&n)) {
            return Err(AppError::validation(
                field,
                "must be between 0 and 10,000,000",
            ));
        }
    }
    let code = v::municipality_code(
        "filter.municipalityCode",
        filter.municipality_code.as_deref(),
    )?;
    // The policy's answer and the campaign first: nothing is read for a caller who may not.
    policy_check(ctx, &Action::AddToCallList)?;
    let campaign = require(db, "campaignId", campaign_id).await?;

    let mut q = company::Entity::find().filter(
        company::Column::Id.not_in_subquery(
            Query::select()
                .column(call_list_entry::Column::CompanyId)
                .from(call_list_entry::Entity)
                .and_where(call_list_entry::Column::CampaignId.eq(campaign.id.clone()))
                .to_owned(),
        ),
    );
    if let Some(code) = code {
        q = q.filter(company::Column::MunicipalityCode.eq(code));
    }
    if let Some(area) = filter.rar_area {
        q = q.filter(
            company::Column::MunicipalityCode.in_subquery(
                Query::select()
                    .column(municipality::Column::Code)
                    .from(municipality::Entity)
                    .and_where(municipality::Column::RarArea.eq(area))
                    .to_owned(),
            ),
        );
    }
    if let Some(min) = filter.employees_min {
        q = q.filter(company::Column::Employees.gte(min));
    }
    if let Some(max) = filter.employees_max {
        q = q.filter(company::Column::Employees.lte(max));
    }
    if let Some(days) = filter.no_contact_within_days {
        let since = Utc::now() - Duration::days(i64::from(days));
        q = q.filter(
            company::Column::Id.not_in_subquery(
                Query::select()
                    .column(activity::Column::CompanyId)
                    .from(activity::Entity)
                    .and_where(activity::Column::Status.ne(ActivityStatus::Draft))
                    .and_where(activity::Column::DeletedAt.is_null())
                    .and_where(activity::Column::ContactAt.gte(since))
                    .to_owned(),
            ),
        );
    }
    if let Some(k) = filter.min_production_unit_municipalities {
        q = q.filter(
            company::Column::Id.in_subquery(
                Query::select()
                    .column(production_unit::Column::CompanyId)
                    .from(production_unit::Entity)
                    .and_where(production_unit::Column::MunicipalityCode.is_not_null())
                    .group_by_col(production_unit::Column::CompanyId)
                    .and_having(
                        Func::count_distinct(Expr::col(production_unit::Column::MunicipalityCode))
                            .gte(k),
                    )
                    .to_owned(),
            ),
        );
    }
    let companies = q
        .order_by_asc(company::Column::Id)
        .limit(MAX_BY_FILTER + 1)
        .all(db)
        .await?;
    if companies.len() as u64 > MAX_BY_FILTER {
        return Err(AppError::LimitExceeded(format!(
            "the filter matches more than {MAX_BY_FILTER} companies not yet on the list; narrow it (by municipality or RAR area, say) and add in parts"
        )));
    }
    let mut total = Added::default();
    for chunk in companies.chunks(ADD_CHUNK) {
        let added = uow::write(db, ctx, async |uow| {
            uow.authorize(&Action::AddToCallList)?;
            add_in(uow, catalogue, &campaign, chunk, organisation).await
        })
        .await?;
        total.added += added.added;
        total.already_on_list += added.already_on_list;
    }
    Ok(total)
}

fn policy_check(ctx: &WriteContext, action: &Action<'_>) -> AppResult<()> {
    crate::auth::policy::authorize(&ctx.actor, action)
}

async fn require_entry(db: &impl ConnectionTrait, id: &str) -> AppResult<call_list_entry::Model> {
    if !v::is_id(id) {
        return Err(AppError::NotFound(format!(
            "call list entry {id} not found"
        )));
    }
    call_list_entry::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("call list entry {id} not found")))
}

/// `clearCallListEntry`: the assigned organisation's staff clear a PENDING_CLEARANCE entry,
/// or exclude it with a reason (a CLEARED one may still be excluded, an EXCLUDED one
/// cleared: they know the company).
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn clear_entry(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    exclude: bool,
    reason: Option<String>,
) -> AppResult<call_list_entry::Model> {
    let reason = v::optional_text("reason", reason.as_deref(), NOTE_MAX)?;
    if exclude && reason.is_none() {
        return Err(AppError::validation(
            "reason",
            "say why the company is excluded (the campaign's bookers read it)",
        ));
    }
    uow::write(db, ctx, async |uow| {
        let before = require_entry(uow.conn(), id.trim()).await?;
        uow.authorize(&Action::ClearCallListEntry {
            assigned: &before.organisation_id,
        })?;
        if matches!(
            before.status,
            CallListStatus::Booked | CallListStatus::Declined
        ) {
            return Err(AppError::Conflict(format!(
                "the entry is already {}; it is past clearing",
                status_name(before.status)
            )));
        }
        let mut am = before.clone().into_active_model();
        am.status = Set(if exclude {
            CallListStatus::Excluded
        } else {
            CallListStatus::Cleared
        });
        am.exclusion_reason = Set(if exclude { reason } else { None });
        am.cleared_by_sub = Set(Some(uow.actor().sub.clone()));
        am.cleared_at = Set(Some(Utc::now()));
        let action = if exclude {
            "callListEntry.excluded"
        } else {
            "callListEntry.cleared"
        };
        record::update(uow, action, &before, am).await
    })
    .await
}

pub fn status_name(s: CallListStatus) -> &'static str {
    match s {
        CallListStatus::PendingClearance => "PENDING_CLEARANCE",
        CallListStatus::Cleared => "CLEARED",
        CallListStatus::Excluded => "EXCLUDED",
        CallListStatus::Booked => "BOOKED",
        CallListStatus::Declined => "DECLINED",
    }
}

/// Which entries of a call list to read.
#[derive(Debug, Clone, Copy)]
pub struct EntriesOf<'a> {
    pub campaign_id: &'a str,
    pub organisation_id: Option<&'a str>,
    pub status: Option<CallListStatus>,
}

/// The order of a call list: as the companies were added. Served by the indexes
/// `(campaign_id, organisation_id, created_at, id)` and `(campaign_id, created_at, id)`
/// (migration 13), so that a page reads its own entries and stops.
const CALL_LIST_ORDER: ((call_list_entry::Column, call_list_entry::Column), Order) = (
    (
        call_list_entry::Column::CreatedAt,
        call_list_entry::Column::Id,
    ),
    Order::Asc,
);

/// The shape of `entries_of(filter)`'s statement, its values in the order bound.
fn entries_shape(filter: &EntriesOf<'_>) -> Shape {
    let mut shape = Shape::new("campaign::call_list");
    shape.part(
        u64::from(filter.organisation_id.is_some()) | u64::from(filter.status.is_some()) << 1,
    );
    shape.value(filter.campaign_id.trim());
    if let Some(org) = filter.organisation_id {
        shape.value(org.trim());
    }
    if let Some(status) = filter.status {
        shape.value(status);
    }
    shape
}

fn entries_of(filter: &EntriesOf<'_>) -> sea_orm::Select<call_list_entry::Entity> {
    let mut q = call_list_entry::Entity::find()
        .filter(call_list_entry::Column::CampaignId.eq(filter.campaign_id.trim()));
    if let Some(org) = filter.organisation_id {
        q = q.filter(call_list_entry::Column::OrganisationId.eq(org.trim()));
    }
    if let Some(status) = filter.status {
        q = q.filter(call_list_entry::Column::Status.eq(status));
    }
    q
}

/// The statement of a call list's page (`size` entries after `cursor`, with their companies'
/// names), as `call_list` runs it: for the plan tests.
pub fn call_list_statement(
    backend: sea_orm::DbBackend,
    filter: &EntriesOf<'_>,
    size: u64,
    cursor: Option<(DateTime<Utc>, String)>,
) -> sea_orm::Statement {
    let read = Columns::shown_with::<call_list_entry::Entity>(
        Some(&[call_list_entry::Column::Status]),
        &[
            call_list_entry::Column::Id,
            call_list_entry::Column::CreatedAt,
            call_list_entry::Column::CompanyId,
        ],
    );
    let (q, _) = companies::joined_page_query(
        (entries_of(filter), read),
        CALL_LIST_ORDER,
        size,
        cursor.as_ref(),
        (call_list_entry::Column::CompanyId, companies::Joined::Names),
    );
    backend.build(&q)
}

/// A page of a campaign's call list (in the order the companies were added), filtered.
#[tracing::instrument(skip_all)]
pub async fn call_list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    filter: &EntriesOf<'_>,
    first: Option<i32>,
    after: Option<&str>,
    (joined, shown): (companies::Joined, Option<&[call_list_entry::Column]>),
) -> AppResult<companies::PageWithCompanies<Visible<call_list_entry::Model>>> {
    let size = pagination::page_size("first", first)?;
    let cursor: Option<(DateTime<Utc>, String)> = pagination::decode("after", after)?;
    // The cursor's and the company's.
    let read = Columns::shown_with::<call_list_entry::Entity>(
        shown,
        &[
            call_list_entry::Column::Id,
            call_list_entry::Column::CreatedAt,
            call_list_entry::Column::CompanyId,
        ],
    );
    companies::page_with_companies(
        db,
        (reader, |e| Some(reader.call_list_entry(e))),
        (|| entries_of(filter), read, entries_shape(filter)),
        CALL_LIST_ORDER,
        size,
        cursor,
        (call_list_entry::Column::CompanyId, joined),
    )
    .await
}

pub fn entry_cursor(e: &call_list_entry::Model) -> String {
    pagination::encode(&(e.created_at, &e.id))
}

#[tracing::instrument(skip_all)]
pub async fn entries_by_ids(
    db: &impl ConnectionTrait,
    reader: &Reader,
    ids: &[String],
) -> AppResult<Vec<Visible<call_list_entry::Model>>> {
    Ok(rows::all(
        db,
        sql::find_in(
            call_list_entry::Entity,
            db,
            call_list_entry::Column::Id,
            ids,
        ),
    )
    .await?
    .into_iter()
    .map(|e| reader.call_list_entry(e))
    .collect())
}

/// What booking on behalf of a jobcentre gives back.
pub struct Booking {
    pub activity: activity::Model,
    pub entry: call_list_entry::Model,
    pub warnings: Vec<Warning>,
}

/// `bookMeeting`: a BOOKED VISIT for a CLEARED entry, owned by the entry's organisation, in
/// the campaign, held by `assignee_sub`.
#[tracing::instrument(skip_all, fields(entry = %entry_id))]
#[allow(clippy::too_many_arguments)]
pub async fn book_meeting(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    cooldown_days: u32,
    entry_id: &str,
    scheduled_at: DateTime<Utc>,
    assignee_sub: &str,
    note: Option<String>,
) -> AppResult<Booking> {
    let assignee = v::subject("assigneeSub", Some(assignee_sub))?.ok_or_else(|| {
        AppError::validation("assigneeSub", "name the consultant who holds the meeting")
    })?;
    let now = Utc::now();
    if scheduled_at < now - Duration::minutes(10) {
        return Err(AppError::validation(
            "scheduledAt",
            "a meeting is booked for a time that has not passed",
        ));
    }
    if scheduled_at > now + Duration::days(2 * 366) {
        return Err(AppError::validation(
            "scheduledAt",
            "a meeting is booked within two years",
        ));
    }
    uow::write(db, ctx, async |uow| {
        let entry = require_entry(uow.conn(), entry_id.trim()).await?;
        uow.authorize(&Action::BookMeeting {
            assigned: &entry.organisation_id,
        })?;
        if entry.status != CallListStatus::Cleared {
            return Err(AppError::validation(
                "callListEntryId",
                format!(
                    "only a CLEARED entry is booked; this one is {}{}",
                    status_name(entry.status),
                    if entry.status == CallListStatus::PendingClearance {
                        " (its jobcentre has not cleared it yet)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let (activity, warnings) = activities::log_in(
            uow,
            catalogue,
            cooldown_days,
            LogActivityInput {
                company_id: entry.company_id.clone(),
                kind: ActivityKind::Visit,
                status: ActivityStatus::Booked,
                initiated_by: None,
                visibility: None,
                scheduled_at: Some(scheduled_at),
                occurred_at: None,
                summary: note,
                campaign_id: Some(entry.campaign_id.clone()),
                participant_organisation_ids: Vec::new(),
                owner_organisation_id: Some(entry.organisation_id.clone()),
                assignee_sub: Some(assignee),
            },
        )
        .await?;
        let entry = call_list_entry::Entity::find_by_id(entry.id.clone())
            .one(uow.conn())
            .await?
            .ok_or_else(|| AppError::Internal("call list entry vanished".into()))?;
        Ok(Booking {
            activity,
            entry,
            warnings,
        })
    })
    .await
}

/// Keeps a campaign's call list in step with a contact logged (or changed) in the campaign,
/// in the caller's unit of work:
///
/// - a VISIT for a company whose entry is PENDING_CLEARANCE or EXCLUDED is refused
///   (VALIDATION): its jobcentre has not agreed to the visit;
/// - a VISIT for a company not on the list adds it, BOOKED, for the visiting organisation
///   (jobcentres add their own visits); a CLEARED entry becomes BOOKED;
/// - a contact CANCELLED_BY_COMPANY sets the entry DECLINED;
/// - a PHONE contact counts as a call attempt on the entry.
///
/// `check` runs before the activity is written (refusals), `apply` after.
pub async fn check_activity_in(
    uow: &UnitOfWork<'_>,
    campaign_id: &str,
    company_id: &str,
    kind: ActivityKind,
) -> AppResult<(campaign::Model, Option<call_list_entry::Model>)> {
    let campaign = require(uow.conn(), "input.campaignId", campaign_id).await?;
    let entry = entry_of(uow.conn(), &campaign.id, company_id).await?;
    if kind == ActivityKind::Visit
        && let Some(e) = &entry
        && matches!(
            e.status,
            CallListStatus::PendingClearance | CallListStatus::Excluded
        )
    {
        return Err(AppError::validation(
            "input.campaignId",
            format!(
                "the company's entry on this campaign's call list is {}: {} has not cleared it for a visit",
                status_name(e.status),
                e.organisation_id
            ),
        ));
    }
    Ok((campaign, entry))
}

pub async fn entry_of(
    db: &impl ConnectionTrait,
    campaign_id: &str,
    company_id: &str,
) -> AppResult<Option<call_list_entry::Model>> {
    Ok(call_list_entry::Entity::find()
        .filter(call_list_entry::Column::CampaignId.eq(campaign_id))
        .filter(call_list_entry::Column::CompanyId.eq(company_id))
        .one(db)
        .await?)
}

/// See [`check_activity_in`]: the entry after `activity` was written (logged or its status
/// changed).
pub async fn apply_activity_in(
    uow: &mut UnitOfWork<'_>,
    campaign: &campaign::Model,
    entry: Option<call_list_entry::Model>,
    activity: &activity::Model,
    logged: bool,
) -> AppResult<()> {
    let Some(before) = entry else {
        if logged && activity.kind == ActivityKind::Visit {
            let now = Utc::now();
            let status = if activity.status == ActivityStatus::CancelledByCompany {
                CallListStatus::Declined
            } else {
                CallListStatus::Booked
            };
            let model = call_list_entry::ActiveModel::from(new_entry(
                &campaign.id,
                &activity.company_id,
                activity.organisation_id.clone(),
                status,
                Some(activity.id.clone()),
                now,
            ))
            .insert(uow.conn())
            .await
            .map_err(|e| {
                error::on_constraint(e, &ONE_ENTRY_PER_COMPANY, || {
                    AppError::Conflict("the call list changed concurrently; try again".into())
                })
            })?;
            uow.created("callListEntry.added", &model)?;
        }
        return Ok(());
    };
    let mut am = before.clone().into_active_model();
    let action = if activity.status == ActivityStatus::CancelledByCompany {
        am.status = Set(CallListStatus::Declined);
        "callListEntry.declined"
    } else if activity.kind == ActivityKind::Visit
        && logged
        && before.status == CallListStatus::Cleared
    {
        am.status = Set(CallListStatus::Booked);
        am.activity_id = Set(Some(activity.id.clone()));
        "callListEntry.booked"
    } else if activity.kind == ActivityKind::Phone && logged {
        am.call_attempts = Set(before.call_attempts.saturating_add(1));
        "callListEntry.called"
    } else {
        return Ok(());
    };
    record::update(uow, action, &before, am).await?;
    Ok(())
}
