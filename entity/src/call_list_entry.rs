use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::CallListStatus;

/// A company on a campaign's call list, assigned to one organisation (the jobcentre that
/// clears it and holds the meeting). A company is on a campaign's list once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "call_list_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub campaign_id: String,
    pub company_id: String,
    pub organisation_id: String,
    pub status: CallListStatus,
    pub exclusion_reason: Option<String>,
    /// PHONE activities with the campaign's id on this company.
    pub call_attempts: i32,
    /// The meeting booked from this entry.
    pub activity_id: Option<String>,
    pub cleared_by_sub: Option<String>,
    pub cleared_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
