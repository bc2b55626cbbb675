//! Audit views: what an audit snapshot of each entity type contains.
//!
//! A snapshot is not the table row. Each entity type has an explicit view with the schema's
//! camelCase names, its type name (`__typename`) and a view version (`__version`), so a renamed
//! column changes nothing that clients (and later webhooks) read. Each view marks
//!
//! - its **private fields**: withheld from readers outside the owning organisation while the
//!   object is private (`visibility: ORGANISATION`), whoever wrote the event, admins included;
//! - its **personal data**: removed from every snapshot that holds the person when the person
//!   is erased.
//!
//! Redaction and erasure work from these marks on any JSON, wherever the object sits in a
//! snapshot (nested too), so a later event that embeds an activity or a person is covered
//! without new code.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AgreementKind, CallListStatus, FollowUpStatus, InitiatedBy,
    JobServiceAgreementStatus, Visibility,
};
use entity::{
    activity, activity_participant, agreement, calendar_feed, call_list_entry, campaign, company,
    company_contact, contact_person, follow_up, job_service_agreement,
    job_service_agreement_participant, production_unit, survey_response,
};
use serde::Serialize;
use serde_json::Value;

use crate::auth::Actor;
use crate::auth::policy;
use crate::error::{AppError, AppResult};

pub const TYPENAME: &str = "__typename";
pub const VIEW_VERSION: &str = "__version";

/// What a view marks. One entry per entity type in [`VIEWS`].
#[derive(Debug)]
pub struct ViewSpec {
    pub typename: &'static str,
    pub version: u32,
    /// Withheld from readers outside the owner while the object is private.
    pub private_fields: &'static [&'static str],
    /// Removed when the person is erased.
    pub personal_fields: &'static [&'static str],
    /// The field naming the owning organisation (private fields need one).
    pub owner_field: Option<&'static str>,
    /// The field whose value `ORGANISATION` makes the object private.
    pub visibility_field: Option<&'static str>,
}

/// Version 2 added `employees`.
pub const COMPANY: ViewSpec = ViewSpec {
    typename: "Company",
    version: 2,
    private_fields: &[],
    personal_fields: &[],
    owner_field: None,
    visibility_field: None,
};
pub const PRODUCTION_UNIT: ViewSpec = ViewSpec {
    typename: "ProductionUnit",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: None,
    visibility_field: None,
};
pub const CONTACT_PERSON: ViewSpec = ViewSpec {
    typename: "ContactPerson",
    version: 1,
    private_fields: &[],
    personal_fields: &["name", "email", "phone"],
    owner_field: Some("organisationId"),
    visibility_field: None,
};
/// Version 2 added `assigneeSub`.
pub const ACTIVITY: ViewSpec = ViewSpec {
    typename: "Activity",
    version: 2,
    private_fields: &["summary"],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: Some("visibility"),
};
pub const AGREEMENT: ViewSpec = ViewSpec {
    typename: "Agreement",
    version: 1,
    private_fields: &["note"],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: Some("activityVisibility"),
};
pub const FOLLOW_UP: ViewSpec = ViewSpec {
    typename: "FollowUp",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};

pub const JOB_SERVICE_AGREEMENT: ViewSpec = ViewSpec {
    typename: "JobServiceAgreement",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("coordinatorId"),
    visibility_field: None,
};
/// Nested in the agreement's snapshot (`participants`), never an event of its own.
pub const JOB_SERVICE_AGREEMENT_PARTICIPANT: ViewSpec = ViewSpec {
    typename: "JobServiceAgreementParticipant",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};
pub const COMPANY_CONTACT: ViewSpec = ViewSpec {
    typename: "CompanyContact",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};
pub const ACTIVITY_PARTICIPANT: ViewSpec = ViewSpec {
    typename: "ActivityParticipant",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};

pub const CAMPAIGN: ViewSpec = ViewSpec {
    typename: "Campaign",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};
pub const CALL_LIST_ENTRY: ViewSpec = ViewSpec {
    typename: "CallListEntry",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};
pub const SURVEY_RESPONSE: ViewSpec = ViewSpec {
    typename: "SurveyResponse",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: None,
    visibility_field: None,
};

/// The feed's secret is never in a snapshot (only its hash is stored, and not shown).
pub const CALENDAR_FEED: ViewSpec = ViewSpec {
    typename: "CalendarFeed",
    version: 1,
    private_fields: &[],
    personal_fields: &[],
    owner_field: Some("organisationId"),
    visibility_field: None,
};

pub const VIEWS: [&ViewSpec; 14] = [
    &COMPANY,
    &PRODUCTION_UNIT,
    &CONTACT_PERSON,
    &ACTIVITY,
    &AGREEMENT,
    &FOLLOW_UP,
    &JOB_SERVICE_AGREEMENT,
    &JOB_SERVICE_AGREEMENT_PARTICIPANT,
    &COMPANY_CONTACT,
    &ACTIVITY_PARTICIPANT,
    &CAMPAIGN,
    &CALL_LIST_ENTRY,
    &SURVEY_RESPONSE,
    &CALENDAR_FEED,
];

pub fn spec(typename: &str) -> Option<&'static ViewSpec> {
    VIEWS.into_iter().find(|s| s.typename == typename)
}

/// A record that the audit trail can show.
pub trait Audited {
    const VIEW: &'static ViewSpec;
    fn audit_id(&self) -> &str;
    /// The organisation that owns the record (`None` for the shared company data).
    fn audit_owner(&self) -> Option<&str>;
    /// The view's fields (without `__typename`/`__version`, which `snapshot` adds).
    fn audit_fields(&self) -> AppResult<Value>;
}

/// The snapshot of a record: its view, typed and versioned.
pub fn snapshot<A: Audited + ?Sized>(record: &A) -> AppResult<Value> {
    let mut value = record.audit_fields()?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| AppError::Internal(format!("{} view is not an object", A::VIEW.typename)))?;
    obj.insert(TYPENAME.into(), Value::from(A::VIEW.typename));
    obj.insert(VIEW_VERSION.into(), Value::from(A::VIEW.version));
    Ok(value)
}

fn to_value(view: impl Serialize, typename: &str) -> AppResult<Value> {
    serde_json::to_value(view).map_err(|e| AppError::Internal(format!("{typename} view: {e}")))
}

/// `Audited` for a model with an `id`: its view, its owner and how its view's fields are made.
macro_rules! audited {
    ($model:ty, $view:expr, |$m:ident| owner: $owner:expr, fields: $fields:expr) => {
        impl Audited for $model {
            const VIEW: &'static ViewSpec = $view;
            fn audit_id(&self) -> &str {
                &self.id
            }
            #[allow(unused_variables)] // views of shared records have no owner
            fn audit_owner(&self) -> Option<&str> {
                let $m = self;
                $owner
            }
            fn audit_fields(&self) -> AppResult<Value> {
                let $m = self;
                to_value($fields, Self::VIEW.typename)
            }
        }
    };
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyV2<'a> {
    id: &'a str,
    cvr: &'a str,
    name: &'a str,
    industry_code: Option<&'a str>,
    municipality_code: Option<&'a str>,
    address: Option<&'a str>,
    postal_code: Option<&'a str>,
    employees: Option<i32>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

audited!(company::Model, &COMPANY, |m| owner: None, fields: CompanyV2 {
    id: &m.id,
    cvr: &m.cvr,
    name: &m.name,
    industry_code: m.industry_code.as_deref(),
    municipality_code: m.municipality_code.as_deref(),
    address: m.address.as_deref(),
    postal_code: m.postal_code.as_deref(),
    employees: m.employees,
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductionUnitV1<'a> {
    id: &'a str,
    company_id: &'a str,
    p_number: &'a str,
    name: Option<&'a str>,
    municipality_code: Option<&'a str>,
    address: Option<&'a str>,
    created_at: DateTime<Utc>,
}

audited!(production_unit::Model, &PRODUCTION_UNIT, |m| owner: None, fields: ProductionUnitV1 {
    id: &m.id,
    company_id: &m.company_id,
    p_number: &m.p_number,
    name: m.name.as_deref(),
    municipality_code: m.municipality_code.as_deref(),
    address: m.address.as_deref(),
    created_at: m.created_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactPersonV1<'a> {
    id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    title: Option<&'a str>,
    erased: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

audited!(contact_person::Model, &CONTACT_PERSON, |m| owner: Some(&m.organisation_id), fields: ContactPersonV1 {
    id: &m.id,
    company_id: &m.company_id,
    organisation_id: &m.organisation_id,
    name: m.name.as_deref(),
    email: m.email.as_deref(),
    phone: m.phone.as_deref(),
    title: m.title.as_deref(),
    erased: m.erased,
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
    deleted_at: m.deleted_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityV2<'a> {
    id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    kind: ActivityKind,
    status: ActivityStatus,
    initiated_by: InitiatedBy,
    visibility: Visibility,
    scheduled_at: Option<DateTime<Utc>>,
    occurred_at: Option<DateTime<Utc>>,
    summary: Option<&'a str>,
    campaign_id: Option<&'a str>,
    assignee_sub: Option<&'a str>,
    outcome_registered: bool,
    created_by_sub: &'a str,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

audited!(activity::Model, &ACTIVITY, |m| owner: Some(&m.organisation_id), fields: ActivityV2 {
    id: &m.id,
    company_id: &m.company_id,
    organisation_id: &m.organisation_id,
    kind: m.kind,
    status: m.status,
    initiated_by: m.initiated_by,
    visibility: m.visibility,
    scheduled_at: m.scheduled_at,
    occurred_at: m.occurred_at,
    summary: m.summary.as_deref(),
    campaign_id: m.campaign_id.as_deref(),
    assignee_sub: m.assignee_sub.as_deref(),
    outcome_registered: m.outcome_registered,
    created_by_sub: &m.created_by_sub,
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
    deleted_at: m.deleted_at,
});

/// An agreement with its activity's visibility: its note is as private as the summary.
pub struct AgreementOf<'a> {
    pub agreement: &'a agreement::Model,
    pub activity_visibility: Visibility,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgreementV1<'a> {
    id: &'a str,
    activity_id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    activity_visibility: Visibility,
    kind: AgreementKind,
    positions: i32,
    note: Option<&'a str>,
    created_at: DateTime<Utc>,
}

impl Audited for AgreementOf<'_> {
    const VIEW: &'static ViewSpec = &AGREEMENT;
    fn audit_id(&self) -> &str {
        &self.agreement.id
    }
    fn audit_owner(&self) -> Option<&str> {
        Some(&self.agreement.organisation_id)
    }
    fn audit_fields(&self) -> AppResult<Value> {
        let a = self.agreement;
        to_value(
            AgreementV1 {
                id: &a.id,
                activity_id: &a.activity_id,
                company_id: &a.company_id,
                organisation_id: &a.organisation_id,
                activity_visibility: self.activity_visibility,
                kind: a.kind,
                positions: a.positions,
                note: a.note.as_deref(),
                created_at: a.created_at,
            },
            Self::VIEW.typename,
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FollowUpV1<'a> {
    id: &'a str,
    company_id: &'a str,
    activity_id: Option<&'a str>,
    organisation_id: &'a str,
    assignee_sub: Option<&'a str>,
    description: &'a str,
    due_on: NaiveDate,
    status: FollowUpStatus,
    completed_at: Option<DateTime<Utc>>,
    completion_note: Option<&'a str>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

audited!(follow_up::Model, &FOLLOW_UP, |m| owner: Some(&m.organisation_id), fields: FollowUpV1 {
    id: &m.id,
    company_id: &m.company_id,
    activity_id: m.activity_id.as_deref(),
    organisation_id: &m.organisation_id,
    assignee_sub: m.assignee_sub.as_deref(),
    description: &m.description,
    due_on: m.due_on,
    status: m.status,
    completed_at: m.completed_at,
    completion_note: m.completion_note.as_deref(),
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
});

/// A job service agreement with its participants: every event about the agreement (its
/// participants' changes included) shows the whole of it.
pub struct AgreementView<'a> {
    pub agreement: &'a job_service_agreement::Model,
    pub participants: &'a [job_service_agreement_participant::Model],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParticipantV1<'a> {
    #[serde(rename = "__typename")]
    typename: &'static str,
    #[serde(rename = "__version")]
    version: u32,
    id: &'a str,
    organisation_id: &'a str,
    region_label: Option<&'a str>,
    contact_name: Option<&'a str>,
    contact_email: Option<&'a str>,
    contact_phone: Option<&'a str>,
    rar_areas: Vec<&'a str>,
    created_at: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobServiceAgreementV1<'a> {
    id: &'a str,
    company_id: &'a str,
    coordinator_id: &'a str,
    coordinator_contact_name: Option<&'a str>,
    coordinator_contact_email: Option<&'a str>,
    coordinator_contact_phone: Option<&'a str>,
    status: JobServiceAgreementStatus,
    signed_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    next_status_meeting_on: Option<NaiveDate>,
    activated_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    participants: Vec<ParticipantV1<'a>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Audited for AgreementView<'_> {
    const VIEW: &'static ViewSpec = &JOB_SERVICE_AGREEMENT;
    fn audit_id(&self) -> &str {
        &self.agreement.id
    }
    fn audit_owner(&self) -> Option<&str> {
        Some(&self.agreement.coordinator_id)
    }
    fn audit_fields(&self) -> AppResult<Value> {
        let a = self.agreement;
        let participants = self
            .participants
            .iter()
            .map(|p| ParticipantV1 {
                typename: JOB_SERVICE_AGREEMENT_PARTICIPANT.typename,
                version: JOB_SERVICE_AGREEMENT_PARTICIPANT.version,
                id: &p.id,
                organisation_id: &p.organisation_id,
                region_label: p.region_label.as_deref(),
                contact_name: p.contact_name.as_deref(),
                contact_email: p.contact_email.as_deref(),
                contact_phone: p.contact_phone.as_deref(),
                rar_areas: p.rar_areas.split(',').filter(|s| !s.is_empty()).collect(),
                created_at: p.created_at,
            })
            .collect();
        to_value(
            JobServiceAgreementV1 {
                id: &a.id,
                company_id: &a.company_id,
                coordinator_id: &a.coordinator_id,
                coordinator_contact_name: a.coordinator_contact_name.as_deref(),
                coordinator_contact_email: a.coordinator_contact_email.as_deref(),
                coordinator_contact_phone: a.coordinator_contact_phone.as_deref(),
                status: a.status,
                signed_on: a.signed_on,
                ends_on: a.ends_on,
                next_status_meeting_on: a.next_status_meeting_on,
                activated_at: a.activated_at,
                ended_at: a.ended_at,
                participants,
                version: a.version,
                created_at: a.created_at,
                updated_at: a.updated_at,
            },
            Self::VIEW.typename,
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyContactV1<'a> {
    id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    sub: Option<&'a str>,
    name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

audited!(company_contact::Model, &COMPANY_CONTACT, |m| owner: Some(&m.organisation_id), fields: CompanyContactV1 {
    id: &m.id,
    company_id: &m.company_id,
    organisation_id: &m.organisation_id,
    sub: m.sub.as_deref(),
    name: &m.name,
    email: m.email.as_deref(),
    phone: m.phone.as_deref(),
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityParticipantV1<'a> {
    id: &'a str,
    activity_id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    created_at: DateTime<Utc>,
}

audited!(activity_participant::Model, &ACTIVITY_PARTICIPANT, |m| owner: Some(&m.organisation_id), fields: ActivityParticipantV1 {
    id: &m.id,
    activity_id: &m.activity_id,
    company_id: &m.company_id,
    organisation_id: &m.organisation_id,
    created_at: m.created_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CampaignV1<'a> {
    id: &'a str,
    name: &'a str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    organisation_id: &'a str,
    created_by_sub: &'a str,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

audited!(campaign::Model, &CAMPAIGN, |m| owner: Some(&m.organisation_id), fields: CampaignV1 {
    id: &m.id,
    name: &m.name,
    starts_on: m.starts_on,
    ends_on: m.ends_on,
    organisation_id: &m.organisation_id,
    created_by_sub: &m.created_by_sub,
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallListEntryV1<'a> {
    id: &'a str,
    campaign_id: &'a str,
    company_id: &'a str,
    organisation_id: &'a str,
    status: CallListStatus,
    exclusion_reason: Option<&'a str>,
    call_attempts: i32,
    activity_id: Option<&'a str>,
    cleared_by_sub: Option<&'a str>,
    cleared_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

audited!(call_list_entry::Model, &CALL_LIST_ENTRY, |m| owner: Some(&m.organisation_id), fields: CallListEntryV1 {
    id: &m.id,
    campaign_id: &m.campaign_id,
    company_id: &m.company_id,
    organisation_id: &m.organisation_id,
    status: m.status,
    exclusion_reason: m.exclusion_reason.as_deref(),
    call_attempts: m.call_attempts,
    activity_id: m.activity_id.as_deref(),
    cleared_by_sub: m.cleared_by_sub.as_deref(),
    cleared_at: m.cleared_at,
    version: m.version,
    created_at: m.created_at,
    updated_at: m.updated_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SurveyResponseV1<'a> {
    id: &'a str,
    activity_id: &'a str,
    overall: i32,
    well_prepared: Option<i32>,
    needs_uncovered: Option<i32>,
    offers_presented: Option<i32>,
    met_expectations: Option<i32>,
    likely_to_cooperate: Option<i32>,
    comment: Option<&'a str>,
    created_by_sub: &'a str,
    created_at: DateTime<Utc>,
}

audited!(survey_response::Model, &SURVEY_RESPONSE, |m| owner: None, fields: SurveyResponseV1 {
    id: &m.id,
    activity_id: &m.activity_id,
    overall: m.overall,
    well_prepared: m.well_prepared,
    needs_uncovered: m.needs_uncovered,
    offers_presented: m.offers_presented,
    met_expectations: m.met_expectations,
    likely_to_cooperate: m.likely_to_cooperate,
    comment: m.comment.as_deref(),
    created_by_sub: &m.created_by_sub,
    created_at: m.created_at,
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CalendarFeedV1<'a> {
    id: &'a str,
    sub: &'a str,
    organisation_id: &'a str,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

audited!(calendar_feed::Model, &CALENDAR_FEED, |m| owner: Some(&m.organisation_id), fields: CalendarFeedV1 {
    id: &m.id,
    sub: &m.sub,
    organisation_id: &m.organisation_id,
    created_at: m.created_at,
    revoked_at: m.revoked_at,
});

// ---- walking snapshots ----

/// Calls `f` on every typed object (one with a known `__typename`) in `value`, depth first.
fn for_each_typed(
    value: &Value,
    f: &mut impl FnMut(&'static ViewSpec, &serde_json::Map<String, Value>),
) {
    match value {
        Value::Object(obj) => {
            if let Some(spec) = obj.get(TYPENAME).and_then(Value::as_str).and_then(spec) {
                f(spec, obj);
            }
            obj.values().for_each(|v| for_each_typed(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| for_each_typed(v, f)),
        _ => {}
    }
}

fn for_each_typed_mut(
    value: &mut Value,
    f: &mut impl FnMut(&'static ViewSpec, &mut serde_json::Map<String, Value>),
) {
    match value {
        Value::Object(obj) => {
            if let Some(spec) = obj.get(TYPENAME).and_then(Value::as_str).and_then(spec) {
                f(spec, obj);
            }
            obj.values_mut().for_each(|v| for_each_typed_mut(v, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| for_each_typed_mut(v, f)),
        _ => {}
    }
}

fn str_field<'a>(obj: &'a serde_json::Map<String, Value>, field: &str) -> Option<&'a str> {
    obj.get(field).and_then(Value::as_str)
}

/// The objects (type name, id) that are private in any of an event's snapshots: an event
/// that changes visibility keeps the private fields of both sides private.
#[derive(Debug, Default)]
pub struct Private(HashSet<(&'static str, String)>);

pub fn private_objects<'a>(snapshots: impl IntoIterator<Item = Option<&'a Value>>) -> Private {
    let mut out = HashSet::new();
    for snapshot in snapshots.into_iter().flatten() {
        for_each_typed(snapshot, &mut |spec, obj| {
            let Some(field) = spec.visibility_field else {
                return;
            };
            if str_field(obj, field) != Some("SHARED") {
                // ORGANISATION, or anything unexpected: treat as private.
                out.insert((spec.typename, str_field(obj, "id").unwrap_or("").to_owned()));
            }
        });
    }
    Private(out)
}

/// Removes from `snapshot` what `actor` may not read: the private fields of private objects
/// owned by another organisation. A snapshot that is not a typed view (written before views
/// existed) is withheld whole, since its marks are unknown.
pub fn redact(snapshot: &mut Value, private: &Private, actor: &Actor) {
    let typed = snapshot
        .get(TYPENAME)
        .and_then(Value::as_str)
        .and_then(spec)
        .is_some();
    if !typed {
        *snapshot = Value::Null;
        return;
    }
    for_each_typed_mut(snapshot, &mut |spec, obj| {
        if spec.private_fields.is_empty() {
            return;
        }
        let id = str_field(obj, "id").unwrap_or("").to_owned();
        if !private.0.contains(&(spec.typename, id)) {
            return;
        }
        let sees = spec
            .owner_field
            .and_then(|f| str_field(obj, f))
            .is_some_and(|owner| policy::sees_private_notes(actor, owner));
        if !sees {
            for field in spec.private_fields {
                if obj.contains_key(*field) {
                    obj.insert((*field).to_owned(), Value::Null);
                }
            }
        }
    });
}

/// Removes the personal data of the record `subject_id` wherever it sits in `snapshot`.
/// Returns whether anything changed.
pub fn erase(snapshot: &mut Value, subject_id: &str) -> bool {
    let mut changed = false;
    for_each_typed_mut(snapshot, &mut |spec, obj| {
        if spec.personal_fields.is_empty() || str_field(obj, "id") != Some(subject_id) {
            return;
        }
        for field in spec.personal_fields {
            if obj.get(*field).is_some_and(|v| !v.is_null()) {
                obj.insert((*field).to_owned(), Value::Null);
                changed = true;
            }
        }
    });
    changed
}

/// Removes `spec`'s personal fields from a snapshot written before views existed (an untyped
/// object, keys as the table had them) of the erased record itself.
pub fn erase_untyped(snapshot: &mut Value, spec: &ViewSpec) -> bool {
    let Some(obj) = snapshot.as_object_mut() else {
        return false;
    };
    if obj.contains_key(TYPENAME) {
        return false;
    }
    let mut changed = false;
    for field in spec.personal_fields {
        if obj.get(*field).is_some_and(|v| !v.is_null()) {
            obj.insert((*field).to_owned(), Value::Null);
            changed = true;
        }
    }
    changed
}

/// Ids of the records with personal data in `snapshot` (for the erasure index).
pub fn personal_subjects(snapshot: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for_each_typed(snapshot, &mut |spec, obj| {
        if !spec.personal_fields.is_empty()
            && let Some(id) = str_field(obj, "id")
            && !out.iter().any(|o: &String| o == id)
        {
            out.push(id.to_owned());
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use serde_json::json;

    fn actor(org: &str, roles: &[Role]) -> Actor {
        Actor::for_test(org, roles)
    }

    fn private_activity() -> Value {
        json!({ "__typename": "Activity", "__version": 1, "id": "a1",
                "organisationId": "jc-101", "visibility": "ORGANISATION", "summary": "hemmelig" })
    }

    #[test]
    fn private_fields_are_redacted_for_other_organisations_nested_too() {
        let nested = json!({ "__typename": "Activity", "id": "a0", "organisationId": "jc-101",
            "visibility": "SHARED", "summary": "delt",
            "items": [private_activity(), { "__typename": "Agreement", "id": "g1",
                "organisationId": "jc-101", "activityVisibility": "ORGANISATION", "note": "n" }] });
        let private = private_objects([Some(&nested)]);
        for (reader, sees) in [
            (actor("jc-101", &[Role::Consultant]), true),
            (actor("jc-101", &[Role::Admin]), true),
            (actor("jc-751", &[Role::Admin]), false),
            (actor("national", &[Role::National, Role::Admin]), false),
        ] {
            let mut v = nested.clone();
            redact(&mut v, &private, &reader);
            assert_eq!(v["summary"], "delt", "shared stays");
            assert_eq!(v["items"][0]["summary"] == "hemmelig", sees, "{reader:?}");
            assert_eq!(v["items"][1]["note"] == "n", sees, "{reader:?}");
        }
    }

    #[test]
    fn a_snapshot_that_was_private_on_either_side_stays_private() {
        let before = private_activity();
        let mut after = private_activity();
        after["visibility"] = json!("SHARED");
        let private = private_objects([Some(&before), Some(&after)]);
        redact(&mut after, &private, &actor("jc-751", &[Role::Consultant]));
        assert_eq!(after["summary"], Value::Null);
    }

    #[test]
    fn untyped_snapshots_are_withheld() {
        let mut legacy = json!({ "summary": "gammel", "organisation_id": "jc-101" });
        redact(
            &mut legacy,
            &Private::default(),
            &actor("jc-101", &[Role::Admin]),
        );
        assert_eq!(legacy, Value::Null);
    }

    #[test]
    fn erasure_reaches_nested_people_only() {
        let mut v = json!({ "__typename": "Company", "id": "c", "name": "Firma",
            "people": [
                { "__typename": "ContactPerson", "id": "p1", "name": "Jens", "email": "j@x.dk", "phone": null, "title": "HR" },
                { "__typename": "ContactPerson", "id": "p2", "name": "Bo" }
            ] });
        assert_eq!(personal_subjects(&v), ["p1", "p2"]);
        assert!(erase(&mut v, "p1"));
        assert_eq!(v["people"][0]["name"], Value::Null);
        assert_eq!(v["people"][0]["email"], Value::Null);
        assert_eq!(v["people"][0]["title"], "HR");
        assert_eq!(v["people"][1]["name"], "Bo");
        assert_eq!(v["name"], "Firma");
        assert!(!erase(&mut v, "p1"), "nothing left to erase");
    }

    #[test]
    fn every_private_view_names_its_owner() {
        for spec in VIEWS {
            if !spec.private_fields.is_empty() {
                assert!(spec.owner_field.is_some(), "{}", spec.typename);
                assert!(spec.visibility_field.is_some(), "{}", spec.typename);
            }
        }
    }
}
