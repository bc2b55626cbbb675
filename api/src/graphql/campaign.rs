//! Campaigns, their call lists (cleared locally before anyone calls) and meetings booked on a
//! jobcentre's behalf.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::{CallListStatus, JobServiceAgreementStatus, RarArea};
use entity::{call_list_entry, campaign};

use super::activity::{Activity, Warning};
use super::company::Company;
use super::fast::Fast;
use super::job_service_agreement::JobServiceAgreement;
use super::loaders::load_one;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{
    catalogue, connection, db, feed_companies, list_columns, loaders, reader, row_company,
    settings, shows_companies, write_context,
};
use crate::error::AppError;
use crate::service::campaign as svc;
use crate::service::pagination::Page;
use crate::service::read::Visible;

pub struct Campaign(pub Visible<campaign::Model>);

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn starts_on(&self) -> Date {
        Date(self.0.starts_on)
    }
    async fn ends_on(&self) -> Date {
        Date(self.0.ends_on)
    }
    /// The organisation that runs the campaign.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct CallListEntry(pub Visible<call_list_entry::Model>);

/// The call list entry columns a field of `CallListEntry` reads (see
/// `activity::field_columns`).
pub fn field_columns(field: &str) -> Option<&'static [call_list_entry::Column]> {
    use call_list_entry::Column as C;
    Some(match field {
        "__typename" => &[],
        "id" => &[C::Id],
        "campaign" => &[C::CampaignId],
        // The company's and facts about it (loaded by its id).
        "company" | "recentContactAt" | "recentContactBy" | "activeJobServiceAgreement" => {
            &[C::CompanyId]
        }
        "organisation" => &[C::OrganisationId],
        "status" => &[C::Status],
        "exclusionReason" => &[C::ExclusionReason],
        "callAttempts" => &[C::CallAttempts],
        "meeting" => &[C::ActivityId],
        "clearedBySub" => &[C::ClearedBySub],
        "clearedAt" => &[C::ClearedAt],
        "version" => &[C::Version],
        _ => return None,
    })
}

#[Object]
impl CallListEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign> {
        load_one(&loaders(ctx)?.campaign, self.0.campaign_id.clone())
            .await?
            .map(Campaign)
            .ok_or_else(|| AppError::Internal("call list entry without campaign".into()).into())
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Fast<Company>> {
        row_company(ctx, &self.0.company_id).await
    }
    /// The organisation the company is assigned to: it clears the entry and holds the meeting.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    async fn status(&self) -> CallListStatus {
        self.0.status
    }
    /// Why the assigned organisation excluded the company.
    async fn exclusion_reason(&self) -> Option<&str> {
        self.0.exclusion_reason.as_deref()
    }
    /// PHONE contacts logged with the campaign's id.
    async fn call_attempts(&self) -> i32 {
        self.0.call_attempts
    }
    /// When anyone last had contact with the company within CONTACT_COOLDOWN_DAYS (booked
    /// contacts included): a reason to exclude it.
    async fn recent_contact_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(recent_contact(ctx, &self.0.company_id)
            .await?
            .map(|(_, at)| at))
    }
    /// Who had that contact.
    async fn recent_contact_by(&self, ctx: &Context<'_>) -> Result<Option<Fast<Organisation>>> {
        match recent_contact(ctx, &self.0.company_id).await? {
            Some((org, _)) => Ok(Some(load_organisation(ctx, &org).await?)),
            None => Ok(None),
        }
    }
    /// The company's ACTIVE job service agreement: its coordinator may rather make the contact.
    async fn active_job_service_agreement(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<JobServiceAgreement>> {
        let all = load_one(
            &loaders(ctx)?.agreements_by_company,
            self.0.company_id.clone(),
        )
        .await?
        .unwrap_or_default();
        Ok(all
            .into_iter()
            .find(|a| a.status == JobServiceAgreementStatus::Active)
            .map(JobServiceAgreement))
    }
    /// The meeting booked from this entry.
    async fn meeting(&self, ctx: &Context<'_>) -> Result<Option<Activity>> {
        match &self.0.activity_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.activity, id.clone())
                .await?
                .map(Activity)),
            None => Ok(None),
        }
    }
    async fn cleared_by_sub(&self) -> Option<&str> {
        self.0.cleared_by_sub.as_deref()
    }
    async fn cleared_at(&self) -> Option<DateTime<Utc>> {
        self.0.cleared_at
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

async fn recent_contact(
    ctx: &Context<'_>,
    company_id: &str,
) -> Result<Option<(String, DateTime<Utc>)>> {
    let days = settings(ctx)?.contact_cooldown_days;
    Ok(load_one(
        &loaders(ctx)?.recent_contacts,
        (company_id.to_owned(), days),
    )
    .await?
    .flatten())
}

#[derive(InputObject)]
pub struct CampaignInput {
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
}

/// Which companies to put on a call list; the conditions compose.
#[derive(InputObject, Default)]
pub struct CallListFilter {
    pub municipality_code: Option<String>,
    pub rar_area: Option<RarArea>,
    pub employees_min: Option<i32>,
    pub employees_max: Option<i32>,
    /// Nobody had (non-draft) contact with the company within this many days.
    pub no_contact_within_days: Option<i32>,
    /// The company has production units in at least this many municipalities.
    pub min_production_unit_municipalities: Option<i32>,
}

/// What `addToCallListByFilter` did: a company is on a campaign's list once.
#[derive(SimpleObject)]
pub struct CallListAddition {
    pub added: i32,
    pub already_on_list: i32,
}

#[derive(SimpleObject)]
pub struct BookingResult {
    pub activity: Activity,
    pub entry: CallListEntry,
    /// BOOKED_FAR_AHEAD, RECENT_CONTACT_BY_OTHER_ORGANISATION, ASSIGNEE_DOUBLE_BOOKED, …
    pub warnings: Vec<Warning>,
}

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn entries(
    ctx: &Context<'_>,
    page: Page<Visible<call_list_entry::Model>>,
) -> Connection<String, Fast<CallListEntry>> {
    connection(ctx, page, |e| svc::entry_cursor(e), CallListEntry)
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Campaign>> {
        let reader = reader(ctx)?;
        Ok(svc::find(db(ctx)?, &id)
            .await?
            .map(|c| Campaign(reader.campaign(c))))
    }

    /// A campaign's call list in the order companies were added, at most 100 entries per
    /// call (`first`, default 100); the next ones with `after` = the previous page's last
    /// cursor from `callListPage`, or use `callListPage` throughout.
    #[graphql(complexity = "first.unwrap_or(100).clamp(0, 100) as usize * child_complexity")]
    async fn call_list(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        organisation_id: Option<ID>,
        status: Option<CallListStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Vec<Fast<CallListEntry>>> {
        let joined = shows_companies(ctx);
        let (page, companies) = svc::call_list(
            db(ctx)?,
            reader(ctx)?,
            &svc::EntriesOf {
                campaign_id: &campaign_id,
                organisation_id: organisation_id.as_ref().map(|o| o.as_str()),
                status,
            },
            Some(first.unwrap_or(100)),
            after.as_deref(),
            (joined, list_columns(ctx, false, field_columns).as_deref()),
        )
        .await?;
        feed_companies(ctx, companies, joined).await?;
        Ok(page
            .rows
            .into_iter()
            .map(|m| Fast(CallListEntry(m)))
            .collect())
    }

    /// `callList` as a cursor-paginated connection (at most 100 per page).
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn call_list_page(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        organisation_id: Option<ID>,
        status: Option<CallListStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<CallListEntry>>> {
        let joined = shows_companies(ctx);
        let (page, companies) = svc::call_list(
            db(ctx)?,
            reader(ctx)?,
            &svc::EntriesOf {
                campaign_id: &campaign_id,
                organisation_id: organisation_id.as_ref().map(|o| o.as_str()),
                status,
            },
            first,
            after.as_deref(),
            (joined, list_columns(ctx, true, field_columns).as_deref()),
        )
        .await?;
        feed_companies(ctx, companies, joined).await?;
        Ok(entries(ctx, page))
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// A national company campaign (the national role or a coordinator).
    async fn create_campaign(&self, ctx: &Context<'_>, input: CampaignInput) -> Result<Campaign> {
        let w = write_context(ctx)?;
        let model = svc::create(
            db(ctx)?,
            &w,
            svc::NewCampaign {
                name: input.name,
                starts_on: input.starts_on.0,
                ends_on: input.ends_on.0,
            },
        )
        .await?;
        Ok(Campaign(reader(ctx)?.campaign(model)))
    }

    /// Puts companies on the call list (at most 1,000 per call), assigned to
    /// `organisationId`, PENDING_CLEARANCE. Companies already on it come back unchanged.
    async fn add_to_call_list(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        company_ids: Vec<ID>,
        organisation_id: ID,
    ) -> Result<Vec<CallListEntry>> {
        let w = write_context(ctx)?;
        let ids: Vec<String> = company_ids.into_iter().map(|i| i.0).collect();
        let added = svc::add_to_call_list(
            db(ctx)?,
            &w,
            catalogue(ctx)?,
            &campaign_id,
            &ids,
            Some(organisation_id.as_str()),
        )
        .await?;
        let reader = reader(ctx)?;
        Ok(added
            .entries
            .into_iter()
            .map(|e| CallListEntry(reader.call_list_entry(e)))
            .collect())
    }

    /// Puts every company matching `filter` on the call list, each assigned to the jobcentre
    /// of its home municipality unless `organisationId` is given (at most 20,000 per call).
    async fn add_to_call_list_by_filter(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        filter: CallListFilter,
        organisation_id: Option<ID>,
    ) -> Result<CallListAddition> {
        let w = write_context(ctx)?;
        let added = svc::add_by_filter(
            db(ctx)?,
            &w,
            catalogue(ctx)?,
            &campaign_id,
            &svc::CallListFilter {
                municipality_code: filter.municipality_code,
                rar_area: filter.rar_area,
                employees_min: filter.employees_min,
                employees_max: filter.employees_max,
                no_contact_within_days: filter.no_contact_within_days,
                min_production_unit_municipalities: filter.min_production_unit_municipalities,
            },
            organisation_id.as_ref().map(|o| o.as_str()),
        )
        .await?;
        Ok(CallListAddition {
            added: count(added.added),
            already_on_list: count(added.already_on_list),
        })
    }

    /// The assigned organisation clears the company for calling (`exclude: false`) or
    /// excludes it with a reason.
    async fn clear_call_list_entry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        exclude: bool,
        reason: Option<String>,
    ) -> Result<CallListEntry> {
        let w = write_context(ctx)?;
        let model = svc::clear_entry(db(ctx)?, &w, &id, exclude, reason).await?;
        Ok(CallListEntry(reader(ctx)?.call_list_entry(model)))
    }

    /// Books a meeting for a CLEARED entry on the assigned jobcentre's behalf: a BOOKED VISIT
    /// it owns, held by `assigneeSub`, in the campaign.
    async fn book_meeting(
        &self,
        ctx: &Context<'_>,
        call_list_entry_id: ID,
        scheduled_at: DateTime<Utc>,
        assignee_sub: String,
        note: Option<String>,
    ) -> Result<BookingResult> {
        let w = write_context(ctx)?;
        let booking = svc::book_meeting(
            db(ctx)?,
            &w,
            catalogue(ctx)?,
            settings(ctx)?.contact_cooldown_days,
            &call_list_entry_id,
            scheduled_at,
            &assignee_sub,
            note,
        )
        .await?;
        let reader = reader(ctx)?;
        let activity = reader
            .activity(booking.activity)
            .map(Activity)
            .ok_or_else(|| AppError::NotFound("activity not found".into()))?;
        Ok(BookingResult {
            activity,
            entry: CallListEntry(reader.call_list_entry(booking.entry)),
            warnings: booking.warnings.into_iter().map(Warning).collect(),
        })
    }
}
