//! Job service agreements (jobserviceaftaler): Jobservice Danmark makes one with a company,
//! one coordinating jobcentre (tovholder) leads it, and participating jobcentres are the
//! company's regional contacts for the RAR areas they cover.
//!
//! An agreement moves PROPOSED → ACTIVE → ENDED only. A company has at most one ACTIVE
//! agreement: the service says so (CONFLICT) and the database's partial unique index makes it
//! true under concurrency. Every change (participants included) bumps the agreement's
//! `version` and is audited as one event whose snapshots show the whole agreement.

use crate::db::Db;
use chrono::{Duration, Months, NaiveDate, Utc};
use entity::enums::{JobServiceAgreementStatus, OrganisationKind, RarArea};
use entity::{job_service_agreement, job_service_agreement_participant as participant};
use sea_orm::sea_query::Order;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::audit_view::AgreementView;
use super::company::{self, Patch};
use super::pagination::{self, Page};
use super::read::{Reader, Visible};
use super::record::{self, check_version};
use super::reference::Catalogue;
use super::rows;
use super::sql;
use super::uow::{self, UnitOfWork, WriteContext, new_id};
use super::validation::{self as v, NAME_MAX};
use crate::auth::policy::Action;
use crate::error::{self, AppError, AppResult, UniqueConstraint};

/// The database's name for the one-ACTIVE-agreement-per-company rule.
pub const ONE_ACTIVE_PER_COMPANY: UniqueConstraint = UniqueConstraint {
    postgres: "uq_job_service_agreement_active",
    sqlite: "job_service_agreement.company_id",
};
const ONE_PARTICIPATION: UniqueConstraint = UniqueConstraint {
    postgres: "uq_jsa_participant_organisation",
    sqlite: "job_service_agreement_participant.agreement_id, job_service_agreement_participant.organisation_id",
};

/// Status meetings are half-yearly.
const STATUS_MEETING_MONTHS: u32 = 6;
const REGION_LABEL_MAX: usize = 100;
const MAX_PARTICIPANTS: usize = 98;

#[derive(Debug, Clone, Default)]
pub struct NewAgreement {
    pub company_id: String,
    pub coordinator_id: String,
    pub coordinator_contact_name: Option<String>,
    pub coordinator_contact_email: Option<String>,
    pub coordinator_contact_phone: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct AgreementPatch {
    pub coordinator_contact_name: Patch<String>,
    pub coordinator_contact_email: Patch<String>,
    pub coordinator_contact_phone: Patch<String>,
    pub signed_on: Patch<NaiveDate>,
    pub ends_on: Patch<NaiveDate>,
    pub next_status_meeting_on: Patch<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct ParticipantInput {
    pub organisation_id: String,
    pub region_label: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// `None`: the area of the participant's own jobcentre.
    pub rar_areas: Option<Vec<RarArea>>,
}

#[derive(Debug, Clone, Default)]
pub struct AgreementFilter {
    pub coordinator_id: Option<String>,
    pub status: Option<JobServiceAgreementStatus>,
    /// The next status meeting is due within this many days (overdue ones included).
    pub status_meeting_due_within_days: Option<i32>,
    pub company_id: Option<String>,
}

/// Six months on, for the half-yearly status meeting.
pub fn six_months_after(date: NaiveDate) -> NaiveDate {
    date.checked_add_months(Months::new(STATUS_MEETING_MONTHS))
        .unwrap_or(date)
}

/// The stored form of a participant's RAR areas (enum names separated by commas).
fn format_rar_areas(areas: &[RarArea]) -> String {
    areas
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_rar_areas(stored: &str) -> Vec<RarArea> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| serde_json::from_value(serde_json::Value::from(s)).ok())
        .collect()
}

/// A date the agreement can carry: this century, give or take.
fn plausible(field: &str, date: Option<NaiveDate>) -> AppResult<Option<NaiveDate>> {
    match date {
        Some(d) if !(2000..=2100).contains(&chrono::Datelike::year(&d)) => Err(
            AppError::validation(field, "must lie between the years 2000 and 2100"),
        ),
        d => Ok(d),
    }
}

fn check_period(signed_on: Option<NaiveDate>, ends_on: Option<NaiveDate>) -> AppResult<()> {
    if let (Some(s), Some(e)) = (signed_on, ends_on)
        && e < s
    {
        return Err(AppError::validation(
            "input.endsOn",
            format!("the agreement cannot end ({e}) before it is signed ({s})"),
        ));
    }
    Ok(())
}

/// A jobcentre from the reference data, or VALIDATION on `field`.
fn jobcentre<'c>(catalogue: &'c Catalogue, field: &str, id: &str) -> AppResult<&'c str> {
    let o = catalogue.require_organisation(field, id)?;
    if o.kind != OrganisationKind::Jobcentre {
        return Err(AppError::validation(
            field,
            format!("{} is not a jobcentre", o.id),
        ));
    }
    Ok(&o.id)
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: &str,
) -> AppResult<Option<job_service_agreement::Model>> {
    record::find(db, id).await
}

async fn require(db: &impl ConnectionTrait, id: &str) -> AppResult<job_service_agreement::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("job service agreement {id} not found")))
}

/// The participants of several agreements, in the order they joined.
#[tracing::instrument(skip_all)]
pub async fn participants_of(
    db: &impl ConnectionTrait,
    agreement_ids: &[String],
) -> AppResult<Vec<participant::Model>> {
    if agreement_ids.is_empty() {
        return Ok(Vec::new());
    }
    rows::all(
        db,
        sql::find_in(
            participant::Entity,
            db,
            participant::Column::AgreementId,
            agreement_ids,
        )
        .order_by_asc(participant::Column::CreatedAt)
        .order_by_asc(participant::Column::Id),
    )
    .await
}

/// The ACTIVE agreement of each of several companies (at most one each).
#[tracing::instrument(skip_all)]
pub async fn active_by_company(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<Vec<job_service_agreement::Model>> {
    rows::all(
        db,
        sql::find_in(
            job_service_agreement::Entity,
            db,
            job_service_agreement::Column::CompanyId,
            company_ids,
        )
        .filter(sql::agreement_is_active()),
    )
    .await
}

/// Every agreement of several companies, newest first.
#[tracing::instrument(skip_all)]
pub async fn by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    company_ids: &[String],
) -> AppResult<Vec<Visible<job_service_agreement::Model>>> {
    Ok(rows::all(
        db,
        sql::find_in(
            job_service_agreement::Entity,
            db,
            job_service_agreement::Column::CompanyId,
            company_ids,
        )
        .order_by_desc(job_service_agreement::Column::CreatedAt)
        .order_by_desc(job_service_agreement::Column::Id),
    )
    .await?
    .into_iter()
    .map(|a| reader.job_service_agreement(a))
    .collect())
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get(
    db: &impl ConnectionTrait,
    reader: &Reader,
    id: &str,
) -> AppResult<Option<Visible<job_service_agreement::Model>>> {
    Ok(find(db, id).await?.map(|a| reader.job_service_agreement(a)))
}

/// One page of agreements, oldest first, filtered.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &Reader,
    filter: &AgreementFilter,
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<Page<Visible<job_service_agreement::Model>>> {
    let size = pagination::page_size("first", first)?;
    let cursor: Option<(chrono::DateTime<Utc>, String)> = pagination::decode("after", after)?;
    let mut q = job_service_agreement::Entity::find();
    if let Some(org) = &filter.coordinator_id {
        q = q.filter(job_service_agreement::Column::CoordinatorId.eq(org.trim()));
    }
    if let Some(status) = filter.status {
        q = q.filter(job_service_agreement::Column::Status.eq(status));
    }
    if let Some(company) = &filter.company_id {
        q = q.filter(job_service_agreement::Column::CompanyId.eq(company.trim()));
    }
    if let Some(days) = filter.status_meeting_due_within_days {
        if !(0..=3660).contains(&days) {
            return Err(AppError::validation(
                "filter.statusMeetingDueWithinDays",
                "must be between 0 and 3660",
            ));
        }
        let until = reader.today() + Duration::days(i64::from(days));
        q = q.filter(job_service_agreement::Column::NextStatusMeetingOn.lte(until));
    }
    let page = pagination::page(
        db,
        (q, rows::Columns::ALL),
        (
            job_service_agreement::Column::CreatedAt,
            job_service_agreement::Column::Id,
        ),
        Order::Asc,
        size,
        cursor,
    )
    .await?;
    Ok(page.filter_map(|a| Some(reader.job_service_agreement(a))))
}

pub fn cursor(a: &job_service_agreement::Model) -> String {
    pagination::encode(&(a.created_at, &a.id))
}

/// Records `action` on the agreement: one event, the whole agreement before and after.
fn audit(
    uow: &mut UnitOfWork<'_>,
    action: &'static str,
    before: (&job_service_agreement::Model, &[participant::Model]),
    after: (&job_service_agreement::Model, &[participant::Model]),
) -> AppResult<()> {
    uow.changed(
        action,
        &AgreementView {
            agreement: before.0,
            participants: before.1,
        },
        &AgreementView {
            agreement: after.0,
            participants: after.1,
        },
    )
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    input: NewAgreement,
) -> AppResult<job_service_agreement::Model> {
    let coordinator = jobcentre(
        catalogue,
        "input.coordinatorId",
        input.coordinator_id.trim(),
    )?
    .to_owned();
    let name = v::optional_text(
        "input.coordinatorContactName",
        input.coordinator_contact_name.as_deref(),
        NAME_MAX,
    )?;
    let email = v::email(
        "input.coordinatorContactEmail",
        input.coordinator_contact_email.as_deref(),
    )?;
    let phone = v::phone(
        "input.coordinatorContactPhone",
        input.coordinator_contact_phone.as_deref(),
    )?;
    let signed_on = plausible("input.signedOn", input.signed_on)?;
    let ends_on = plausible("input.endsOn", input.ends_on)?;
    check_period(signed_on, ends_on)?;

    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::CreateJobServiceAgreement)?;
        let company = company::require(uow.conn(), input.company_id.trim()).await?;
        let now = Utc::now();
        let model = job_service_agreement::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company.id),
            coordinator_id: Set(coordinator),
            coordinator_contact_name: Set(name),
            coordinator_contact_email: Set(email),
            coordinator_contact_phone: Set(phone),
            status: Set(JobServiceAgreementStatus::Proposed),
            signed_on: Set(signed_on),
            ends_on: Set(ends_on),
            next_status_meeting_on: Set(signed_on.map(six_months_after)),
            activated_at: Set(None),
            ended_at: Set(None),
            created_by_sub: Set(uow.actor().sub.clone()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(uow.conn())
        .await?;
        uow.created(
            "jobServiceAgreement.created",
            &AgreementView {
                agreement: &model,
                participants: &[],
            },
        )?;
        Ok(model)
    })
    .await
}

/// PROPOSED → ACTIVE → ENDED, nothing else.
pub fn transition_allowed(from: JobServiceAgreementStatus, to: JobServiceAgreementStatus) -> bool {
    use JobServiceAgreementStatus::*;
    matches!((from, to), (Proposed, Active) | (Active, Ended))
}

fn status_name(s: JobServiceAgreementStatus) -> &'static str {
    match s {
        JobServiceAgreementStatus::Proposed => "PROPOSED",
        JobServiceAgreementStatus::Active => "ACTIVE",
        JobServiceAgreementStatus::Ended => "ENDED",
    }
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn set_status(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    status: JobServiceAgreementStatus,
) -> AppResult<job_service_agreement::Model> {
    uow::write(db, ctx, async |uow| {
        let before = require(uow.conn(), id).await?;
        uow.authorize(&Action::ManageJobServiceAgreement {
            coordinator: &before.coordinator_id,
        })?;
        check_version(before.version, expected_version, "job service agreement")?;
        if !transition_allowed(before.status, status) {
            return Err(AppError::validation(
                "status",
                format!(
                    "an agreement moves PROPOSED → ACTIVE → ENDED only; this one is {} and cannot become {}",
                    status_name(before.status),
                    status_name(status)
                ),
            ));
        }
        let now = Utc::now();
        let mut am = before.clone().into_active_model();
        am.status = Set(status);
        let action = match status {
            JobServiceAgreementStatus::Active => {
                // Activations for one company queue on its row (PostgreSQL; SQLite's writers
                // queue anyway), so the later one sees the earlier and is told which agreement
                // is active. The partial unique index remains the guarantee.
                entity::company::Entity::find_by_id(before.company_id.clone())
                    .lock_exclusive()
                    .one(uow.conn())
                    .await?;
                let others = active_by_company(uow.conn(), std::slice::from_ref(&before.company_id)).await?;
                if let Some(other) = others.first() {
                    return Err(AppError::Conflict(format!(
                        "the company already has an ACTIVE job service agreement ({}); end it first",
                        other.id
                    )));
                }
                am.activated_at = Set(Some(now));
                if before.next_status_meeting_on.is_none() {
                    let from = before.signed_on.unwrap_or_else(|| v::danish_today(now));
                    am.next_status_meeting_on = Set(Some(six_months_after(from)));
                }
                "jobServiceAgreement.activated"
            }
            _ => {
                am.ended_at = Set(Some(now));
                "jobServiceAgreement.ended"
            }
        };
        let after = record::update_row(uow, &before, am).await.map_err(|e| match e {
            AppError::Database(db) if error::violates(&db, &ONE_ACTIVE_PER_COMPANY) => {
                AppError::Conflict(
                    "the company's agreement was activated concurrently by someone else; only one can be ACTIVE".into(),
                )
            }
            other => other,
        })?;
        let participants = participants_of(uow.conn(), std::slice::from_ref(&after.id)).await?;
        audit(uow, action, (&before, &participants), (&after, &participants))?;
        Ok(after)
    })
    .await
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn update(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    expected_version: i32,
    patch: AgreementPatch,
) -> AppResult<job_service_agreement::Model> {
    let date = |field: &str, p: &Patch<NaiveDate>| p.parse(|d| plausible(field, Some(*d)));
    let name = company::patch(
        "input.coordinatorContactName",
        &patch.coordinator_contact_name,
        &|f, s| v::optional_text(f, s, NAME_MAX),
    )?;
    let email = company::patch(
        "input.coordinatorContactEmail",
        &patch.coordinator_contact_email,
        &v::email,
    )?;
    let phone = company::patch(
        "input.coordinatorContactPhone",
        &patch.coordinator_contact_phone,
        &v::phone,
    )?;
    let signed_on = date("input.signedOn", &patch.signed_on)?;
    let ends_on = date("input.endsOn", &patch.ends_on)?;
    let next_meeting = date("input.nextStatusMeetingOn", &patch.next_status_meeting_on)?;

    uow::write(db, ctx, async |uow| {
        let before = require(uow.conn(), id).await?;
        uow.authorize(&Action::ManageJobServiceAgreement {
            coordinator: &before.coordinator_id,
        })?;
        check_version(before.version, expected_version, "job service agreement")?;
        check_period(
            signed_on.unwrap_or(before.signed_on),
            ends_on.unwrap_or(before.ends_on),
        )?;
        let mut am = before.clone().into_active_model();
        if let Some(x) = name {
            am.coordinator_contact_name = Set(x);
        }
        if let Some(x) = email {
            am.coordinator_contact_email = Set(x);
        }
        if let Some(x) = phone {
            am.coordinator_contact_phone = Set(x);
        }
        if let Some(x) = signed_on {
            am.signed_on = Set(x);
        }
        if let Some(x) = ends_on {
            am.ends_on = Set(x);
        }
        if let Some(x) = next_meeting {
            am.next_status_meeting_on = Set(x);
        }
        let after = record::update_row(uow, &before, am).await?;
        let participants = participants_of(uow.conn(), std::slice::from_ref(&after.id)).await?;
        audit(
            uow,
            "jobServiceAgreement.updated",
            (&before, &participants),
            (&after, &participants),
        )?;
        Ok(after)
    })
    .await
}

/// The agreement may still change its participants (not once it has ENDED).
fn check_open(agreement: &job_service_agreement::Model) -> AppResult<()> {
    if agreement.status == JobServiceAgreementStatus::Ended {
        return Err(AppError::Conflict(
            "the agreement has ENDED; its participants no longer change".into(),
        ));
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn add_participant(
    db: &Db,
    ctx: &WriteContext,
    catalogue: &Catalogue,
    id: &str,
    input: ParticipantInput,
) -> AppResult<job_service_agreement::Model> {
    let organisation_id = jobcentre(
        catalogue,
        "input.organisationId",
        input.organisation_id.trim(),
    )?
    .to_owned();
    let region_label = v::optional_text(
        "input.regionLabel",
        input.region_label.as_deref(),
        REGION_LABEL_MAX,
    )?;
    let contact_name =
        v::optional_text("input.contactName", input.contact_name.as_deref(), NAME_MAX)?;
    let contact_email = v::email("input.contactEmail", input.contact_email.as_deref())?;
    let contact_phone = v::phone("input.contactPhone", input.contact_phone.as_deref())?;
    let mut areas: Vec<RarArea> = match input.rar_areas {
        Some(areas) => areas,
        None => catalogue
            .organisation(&organisation_id)
            .and_then(|o| o.rar_area)
            .into_iter()
            .collect(),
    };
    let mut seen = Vec::new();
    areas.retain(|a| {
        let new = !seen.contains(a);
        seen.push(*a);
        new
    });
    if areas.is_empty() {
        return Err(AppError::validation(
            "input.rarAreas",
            "a participant covers at least one RAR area",
        ));
    }

    uow::write(db, ctx, async |uow| {
        let before = require(uow.conn(), id).await?;
        uow.authorize(&Action::ManageJobServiceAgreement {
            coordinator: &before.coordinator_id,
        })?;
        check_open(&before)?;
        if organisation_id == before.coordinator_id {
            return Err(AppError::validation(
                "input.organisationId",
                "the coordinator leads the agreement; it is not also a participant",
            ));
        }
        let existing = participants_of(uow.conn(), std::slice::from_ref(&before.id)).await?;
        if existing.iter().any(|p| p.organisation_id == organisation_id) {
            return Err(AppError::Conflict(format!(
                "{organisation_id} already takes part in this agreement; remove it first to change it"
            )));
        }
        if existing.len() >= MAX_PARTICIPANTS {
            return Err(AppError::LimitExceeded(format!(
                "an agreement has at most {MAX_PARTICIPANTS} participants"
            )));
        }
        for p in &existing {
            if let Some(area) = parse_rar_areas(&p.rar_areas)
                .into_iter()
                .find(|a| areas.contains(a))
            {
                return Err(AppError::validation(
                    "input.rarAreas",
                    format!(
                        "{} already covers {} for this company; one participant per RAR area",
                        p.organisation_id,
                        format_rar_areas(&[area])
                    ),
                ));
            }
        }
        participant::ActiveModel {
            id: Set(new_id()),
            agreement_id: Set(before.id.clone()),
            organisation_id: Set(organisation_id.clone()),
            region_label: Set(region_label),
            contact_name: Set(contact_name),
            contact_email: Set(contact_email),
            contact_phone: Set(contact_phone),
            rar_areas: Set(format_rar_areas(&areas)),
            created_at: Set(Utc::now()),
        }
        .insert(uow.conn())
        .await
        .map_err(|e| {
            error::on_constraint(e, &ONE_PARTICIPATION, || {
                AppError::Conflict(format!(
                    "{organisation_id} was added to this agreement concurrently"
                ))
            })
        })?;
        let after = record::update_row(uow, &before, before.clone().into_active_model()).await?;
        let now_participants =
            participants_of(uow.conn(), std::slice::from_ref(&after.id)).await?;
        audit(
            uow,
            "jobServiceAgreement.participantAdded",
            (&before, &existing),
            (&after, &now_participants),
        )?;
        Ok(after)
    })
    .await
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn remove_participant(
    db: &Db,
    ctx: &WriteContext,
    id: &str,
    organisation_id: &str,
) -> AppResult<job_service_agreement::Model> {
    uow::write(db, ctx, async |uow| {
        let before = require(uow.conn(), id).await?;
        uow.authorize(&Action::ManageJobServiceAgreement {
            coordinator: &before.coordinator_id,
        })?;
        check_open(&before)?;
        let existing = participants_of(uow.conn(), std::slice::from_ref(&before.id)).await?;
        let Some(gone) = existing
            .iter()
            .find(|p| p.organisation_id == organisation_id.trim())
        else {
            return Err(AppError::NotFound(format!(
                "{} does not take part in this agreement",
                organisation_id.trim()
            )));
        };
        gone.clone().delete(uow.conn()).await?;
        let after = record::update_row(uow, &before, before.clone().into_active_model()).await?;
        let remaining: Vec<participant::Model> = existing
            .iter()
            .filter(|p| p.id != gone.id)
            .cloned()
            .collect();
        audit(
            uow,
            "jobServiceAgreement.participantRemoved",
            (&before, &existing),
            (&after, &remaining),
        )?;
        Ok(after)
    })
    .await
}

/// A MEETING with the company held by the coordinator of its ACTIVE agreement is the status
/// meeting: the next one moves six months on from the day it was held (never backwards).
/// Runs inside the unit of work that logs or holds the meeting; `before` is that agreement.
pub async fn status_meeting_held_in(
    uow: &mut UnitOfWork<'_>,
    before: job_service_agreement::Model,
    held_on: NaiveDate,
) -> AppResult<()> {
    let next = six_months_after(held_on);
    if before.next_status_meeting_on.is_some_and(|d| d >= next) {
        return Ok(());
    }
    let mut am = before.clone().into_active_model();
    am.next_status_meeting_on = Set(Some(next));
    let after = record::update_row(uow, &before, am).await?;
    let participants = participants_of(uow.conn(), std::slice::from_ref(&after.id)).await?;
    audit(
        uow,
        "jobServiceAgreement.statusMeetingHeld",
        (&before, &participants),
        (&after, &participants),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobServiceAgreementStatus::*;

    #[test]
    fn agreements_move_forward_only() {
        assert!(transition_allowed(Proposed, Active));
        assert!(transition_allowed(Active, Ended));
        assert!(!transition_allowed(Proposed, Ended));
        assert!(!transition_allowed(Ended, Active));
        assert!(!transition_allowed(Active, Proposed));
        assert!(!transition_allowed(Active, Active));
    }

    #[test]
    fn rar_areas_round_trip_and_six_months_clamp_to_month_end() {
        let areas = [RarArea::Oestjylland, RarArea::Hovedstaden];
        assert_eq!(format_rar_areas(&areas), "OESTJYLLAND,HOVEDSTADEN");
        assert_eq!(parse_rar_areas(&format_rar_areas(&areas)), areas);
        assert_eq!(parse_rar_areas(""), Vec::<RarArea>::new());
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(six_months_after(d(2026, 8, 31)), d(2027, 2, 28));
        assert_eq!(six_months_after(d(2026, 1, 15)), d(2026, 7, 15));
    }
}
