use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::JobServiceAgreementStatus;

/// A job service agreement (jobserviceaftale): one coordinating jobcentre (tovholder) is the
/// company's entry point while the agreement is ACTIVE; at most one ACTIVE per company.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "job_service_agreement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub coordinator_id: String,
    pub coordinator_contact_name: Option<String>,
    pub coordinator_contact_email: Option<String>,
    pub coordinator_contact_phone: Option<String>,
    pub status: JobServiceAgreementStatus,
    pub signed_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub next_status_meeting_on: Option<Date>,
    pub activated_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub created_by_sub: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
