use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ActivityKind, ActivityStatus, InitiatedBy, Visibility};

/// A contact between an organisation and a company (visit, call, meeting, …).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub organisation_id: String,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    pub initiated_by: InitiatedBy,
    pub visibility: Visibility,
    pub scheduled_at: Option<DateTimeUtc>,
    pub occurred_at: Option<DateTimeUtc>,
    /// occurred_at, else scheduled_at, else created_at: when the contact counts.
    pub contact_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub campaign_id: Option<String>,
    /// The consultant who holds a booked meeting (the token `sub`); their calendar feed lists it.
    pub assignee_sub: Option<String>,
    pub outcome_registered: bool,
    pub created_by_sub: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
