//! Job service agreements: the coordinating jobcentre (tovholder), its regional participants,
//! and the half-yearly status meetings.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};
use entity::enums::{JobServiceAgreementStatus, RarArea};
use entity::{job_service_agreement, job_service_agreement_participant};

use super::company::{Company, patch};
use super::fast::Fast;
use super::loaders::load_one;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{catalogue, connection, db, loaders, reader, write_context};
use crate::error::AppError;
use crate::service::company::Patch;
use crate::service::job_service_agreement::{self as svc, parse_rar_areas};
use crate::service::read::Visible;

pub struct JobServiceAgreement(pub Visible<job_service_agreement::Model>);

#[Object]
impl JobServiceAgreement {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Company> {
        load_one(&loaders(ctx)?.company, self.0.company_id.clone())
            .await?
            .map(Company)
            .ok_or_else(|| AppError::Internal("agreement without company".into()).into())
    }
    /// PROPOSED → ACTIVE → ENDED; at most one ACTIVE agreement per company.
    async fn status(&self) -> JobServiceAgreementStatus {
        self.0.status
    }
    /// The coordinating jobcentre (tovholder): the company's entry point while ACTIVE.
    async fn coordinator(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.coordinator_id).await
    }
    async fn coordinator_contact_name(&self) -> Option<&str> {
        self.0.coordinator_contact_name.as_deref()
    }
    async fn coordinator_contact_email(&self) -> Option<&str> {
        self.0.coordinator_contact_email.as_deref()
    }
    async fn coordinator_contact_phone(&self) -> Option<&str> {
        self.0.coordinator_contact_phone.as_deref()
    }
    /// The regional contacts: other jobcentres and the RAR areas they cover.
    async fn participants(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<Fast<JobServiceAgreementParticipant>>> {
        let rows = load_one(&loaders(ctx)?.agreement_participants, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|m| Fast(JobServiceAgreementParticipant(m)))
            .collect())
    }
    async fn signed_on(&self) -> Option<Date> {
        self.0.signed_on.map(Date)
    }
    async fn ends_on(&self) -> Option<Date> {
        self.0.ends_on.map(Date)
    }
    /// Six months after signing (or activation); moves six months on when the coordinator
    /// logs a HELD MEETING with the company.
    async fn next_status_meeting_on(&self) -> Option<Date> {
        self.0.next_status_meeting_on.map(Date)
    }
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Increases with every change (participants included); pass it as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

pub struct JobServiceAgreementParticipant(pub Visible<job_service_agreement_participant::Model>);

#[Object]
impl JobServiceAgreementParticipant {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    /// e.g. "Øst", "Vest", "Syddanmark".
    async fn region_label(&self) -> Option<&str> {
        self.0.region_label.as_deref()
    }
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
    /// The RAR areas this participant answers for (for the company's sites there).
    async fn rar_areas(&self) -> Vec<RarArea> {
        parse_rar_areas(&self.0.rar_areas)
    }
}

#[derive(InputObject)]
pub struct JobServiceAgreementInput {
    pub company_id: ID,
    /// A jobcentre (`jc-<kommunekode>`).
    pub coordinator_id: ID,
    pub coordinator_contact_name: Option<String>,
    pub coordinator_contact_email: Option<String>,
    pub coordinator_contact_phone: Option<String>,
    pub signed_on: Option<Date>,
    pub ends_on: Option<Date>,
}

/// Fields left out are kept; fields set to null are cleared.
#[derive(InputObject)]
pub struct UpdateJobServiceAgreementInput {
    pub coordinator_contact_name: MaybeUndefined<String>,
    pub coordinator_contact_email: MaybeUndefined<String>,
    pub coordinator_contact_phone: MaybeUndefined<String>,
    pub signed_on: MaybeUndefined<Date>,
    pub ends_on: MaybeUndefined<Date>,
    pub next_status_meeting_on: MaybeUndefined<Date>,
}

#[derive(InputObject)]
pub struct ParticipantInput {
    /// Another jobcentre (not the coordinator); once per agreement.
    pub organisation_id: ID,
    pub region_label: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// The RAR areas it covers for this company (default: its own jobcentre's area). One
    /// participant per area.
    pub rar_areas: Option<Vec<RarArea>>,
}

#[derive(InputObject, Default)]
pub struct JobServiceAgreementFilter {
    pub coordinator_id: Option<ID>,
    pub status: Option<JobServiceAgreementStatus>,
    /// The next status meeting falls within this many days from today (overdue included).
    pub status_meeting_due_within_days: Option<i32>,
    pub company_id: Option<ID>,
}

fn date_patch(v: MaybeUndefined<Date>) -> Patch<chrono::NaiveDate> {
    patch(v.map_value(|d| d.0))
}

#[derive(Default)]
pub struct JobServiceAgreementQuery;

#[Object]
impl JobServiceAgreementQuery {
    async fn job_service_agreement(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<JobServiceAgreement>> {
        Ok(svc::get(db(ctx)?, reader(ctx)?, &id)
            .await?
            .map(JobServiceAgreement))
    }

    /// Agreements, oldest first, filtered; at most 100 per page.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn job_service_agreements(
        &self,
        ctx: &Context<'_>,
        filter: Option<JobServiceAgreementFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<JobServiceAgreement>>> {
        let f = filter.unwrap_or_default();
        let filter = svc::AgreementFilter {
            coordinator_id: f.coordinator_id.map(|i| i.0),
            status: f.status,
            status_meeting_due_within_days: f.status_meeting_due_within_days,
            company_id: f.company_id.map(|i| i.0),
        };
        let page = svc::list(db(ctx)?, reader(ctx)?, &filter, first, after.as_deref()).await?;
        Ok(connection(
            ctx,
            page,
            |a| svc::cursor(a),
            JobServiceAgreement,
        ))
    }
}

#[derive(Default)]
pub struct JobServiceAgreementMutation;

#[Object]
impl JobServiceAgreementMutation {
    /// Makes a PROPOSED agreement (the national role: Jobservice Danmark).
    async fn create_job_service_agreement(
        &self,
        ctx: &Context<'_>,
        input: JobServiceAgreementInput,
    ) -> Result<JobServiceAgreement> {
        let w = write_context(ctx)?;
        let model = svc::create(
            db(ctx)?,
            &w,
            catalogue(ctx)?,
            svc::NewAgreement {
                company_id: input.company_id.0,
                coordinator_id: input.coordinator_id.0,
                coordinator_contact_name: input.coordinator_contact_name,
                coordinator_contact_email: input.coordinator_contact_email,
                coordinator_contact_phone: input.coordinator_contact_phone,
                signed_on: input.signed_on.map(|d| d.0),
                ends_on: input.ends_on.map(|d| d.0),
            },
        )
        .await?;
        Ok(JobServiceAgreement(
            reader(ctx)?.job_service_agreement(model),
        ))
    }

    /// PROPOSED → ACTIVE → ENDED (the national role or the coordinating jobcentre). A second
    /// ACTIVE agreement for the same company is a CONFLICT.
    async fn set_job_service_agreement_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        status: JobServiceAgreementStatus,
    ) -> Result<JobServiceAgreement> {
        let w = write_context(ctx)?;
        let model = svc::set_status(db(ctx)?, &w, &id, expected_version, status).await?;
        Ok(JobServiceAgreement(
            reader(ctx)?.job_service_agreement(model),
        ))
    }

    /// Changes the coordinator's contact, the dates, or the next status meeting.
    async fn update_job_service_agreement(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateJobServiceAgreementInput,
    ) -> Result<JobServiceAgreement> {
        let w = write_context(ctx)?;
        let model = svc::update(
            db(ctx)?,
            &w,
            &id,
            expected_version,
            svc::AgreementPatch {
                coordinator_contact_name: patch(input.coordinator_contact_name),
                coordinator_contact_email: patch(input.coordinator_contact_email),
                coordinator_contact_phone: patch(input.coordinator_contact_phone),
                signed_on: date_patch(input.signed_on),
                ends_on: date_patch(input.ends_on),
                next_status_meeting_on: date_patch(input.next_status_meeting_on),
            },
        )
        .await?;
        Ok(JobServiceAgreement(
            reader(ctx)?.job_service_agreement(model),
        ))
    }

    /// Adds a regional contact: another jobcentre and the RAR areas it covers.
    async fn add_job_service_agreement_participant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ParticipantInput,
    ) -> Result<JobServiceAgreement> {
        let w = write_context(ctx)?;
        let model = svc::add_participant(
            db(ctx)?,
            &w,
            catalogue(ctx)?,
            &id,
            svc::ParticipantInput {
                organisation_id: input.organisation_id.0,
                region_label: input.region_label,
                contact_name: input.contact_name,
                contact_email: input.contact_email,
                contact_phone: input.contact_phone,
                rar_areas: input.rar_areas,
            },
        )
        .await?;
        Ok(JobServiceAgreement(
            reader(ctx)?.job_service_agreement(model),
        ))
    }

    /// Removes a regional contact from the agreement.
    async fn remove_job_service_agreement_participant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        organisation_id: ID,
    ) -> Result<JobServiceAgreement> {
        let w = write_context(ctx)?;
        let model = svc::remove_participant(db(ctx)?, &w, &id, &organisation_id).await?;
        Ok(JobServiceAgreement(
            reader(ctx)?.job_service_agreement(model),
        ))
    }
}
