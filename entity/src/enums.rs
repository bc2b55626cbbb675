use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

// The GraphQL enums are these same types (async_graphql::Enum): one definition, stored and
// served under the same SCREAMING_SNAKE_CASE names the contract fixes.

/// The eight regional labour-market council areas (RAR-områder, 2015 division).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RarArea {
    #[sea_orm(string_value = "NORDJYLLAND")]
    Nordjylland,
    #[sea_orm(string_value = "VESTJYLLAND")]
    Vestjylland,
    #[sea_orm(string_value = "OESTJYLLAND")]
    Oestjylland,
    #[sea_orm(string_value = "FYN")]
    Fyn,
    #[sea_orm(string_value = "SYDJYLLAND")]
    Sydjylland,
    #[sea_orm(string_value = "BORNHOLM")]
    Bornholm,
    #[sea_orm(string_value = "HOVEDSTADEN")]
    Hovedstaden,
    #[sea_orm(string_value = "SJAELLAND")]
    Sjaelland,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "JOBCENTRE")]
    Jobcentre,
    #[sea_orm(string_value = "NATIONAL")]
    National,
}

/// How the contact happened.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    #[sea_orm(string_value = "VISIT")]
    Visit,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "VIDEO")]
    Video,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "MEETING")]
    Meeting,
}

/// Where a contact stands: drafted, booked, held, cancelled or not attended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "BOOKED")]
    Booked,
    #[sea_orm(string_value = "HELD")]
    Held,
    #[sea_orm(string_value = "CANCELLED_BY_COMPANY")]
    CancelledByCompany,
    #[sea_orm(string_value = "CANCELLED_BY_JOBCENTRE")]
    CancelledByJobcentre,
    #[sea_orm(string_value = "NO_SHOW")]
    NoShow,
}

/// Who took the initiative to the contact.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InitiatedBy {
    #[sea_orm(string_value = "JOBCENTRE")]
    Jobcentre,
    #[sea_orm(string_value = "COMPANY")]
    Company,
    #[sea_orm(string_value = "CANDIDATE")]
    Candidate,
    #[sea_orm(string_value = "NATIONAL")]
    National,
}

/// SHARED: every organisation reads the whole activity; ORGANISATION: others see only that it happened.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Visibility {
    #[sea_orm(string_value = "SHARED")]
    Shared,
    #[sea_orm(string_value = "ORGANISATION")]
    Organisation,
}

/// What the company agreed to at a meeting (positions to fill per kind).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgreementKind {
    #[sea_orm(string_value = "RECRUITMENT")]
    Recruitment,
    #[sea_orm(string_value = "UPSKILLING_JOB")]
    UpskillingJob,
    #[sea_orm(string_value = "ADULT_APPRENTICE")]
    AdultApprentice,
    #[sea_orm(string_value = "JOB_ROTATION")]
    JobRotation,
    #[sea_orm(string_value = "WAGE_SUBSIDY")]
    WageSubsidy,
    #[sea_orm(string_value = "COMPANY_INTERNSHIP")]
    CompanyInternship,
    #[sea_orm(string_value = "INDUSTRY_PILOT")]
    IndustryPilot,
    #[sea_orm(string_value = "RETENTION")]
    Retention,
    #[sea_orm(string_value = "REFUGEE_PLACEMENT")]
    RefugeePlacement,
    #[sea_orm(string_value = "FLEX_JOB")]
    FlexJob,
    #[sea_orm(string_value = "SMALL_JOB")]
    SmallJob,
    #[sea_orm(string_value = "IGU")]
    Igu,
    #[sea_orm(string_value = "MENTOR")]
    Mentor,
}

/// A promise is OPEN until it is DONE or CANCELLED.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FollowUpStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A job service agreement moves PROPOSED → ACTIVE → ENDED only.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobServiceAgreementStatus {
    #[sea_orm(string_value = "PROPOSED")]
    Proposed,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ENDED")]
    Ended,
}

/// Where a company on a call list stands: waiting for its jobcentre to clear it, cleared
/// (may be called and booked), excluded (with a reason), booked, or declined by the company.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallListStatus {
    #[sea_orm(string_value = "PENDING_CLEARANCE")]
    PendingClearance,
    #[sea_orm(string_value = "CLEARED")]
    Cleared,
    #[sea_orm(string_value = "EXCLUDED")]
    Excluded,
    #[sea_orm(string_value = "BOOKED")]
    Booked,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// Why `logActivity` warns (a warning is advice, not an error). Not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WarningCode {
    /// Another organisation had contact with the company within CONTACT_COOLDOWN_DAYS.
    RecentContactByOtherOrganisation,
    /// The meeting is booked more than 42 days ahead; such meetings are often cancelled.
    BookedFarAhead,
    /// The company has an ACTIVE job service agreement and the logging organisation is
    /// neither its coordinator nor a participant: the coordinator is the entry point.
    JobServiceAgreementInPlace,
    /// The consultant holding the meeting has another BOOKED meeting within two hours.
    AssigneeDoubleBooked,
}

/// Why an organisation is a company's entry point. Not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryPointReason {
    /// The coordinator (tovholder) of the company's active job service agreement.
    JobServiceAgreement,
    /// The jobcentre of the company's home municipality.
    HomeMunicipality,
    /// Asked about a site: the jobcentre of the site's municipality (not the home one).
    SiteMunicipality,
    /// The company has no home municipality on record: Jobservice Danmark answers for it.
    NationalFallback,
}
