use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ActivityKind, ActivityStatus, InitiatedBy, Visibility};

/// A contact between an organisation and a company (visit, call, meeting, …).
///
/// The `#[serde(default)]` fields may be left out of a row read as JSON (`api`'s prefetch reads
/// only the columns a selection shows, and fills in the company); the others must be there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[serde(default)]
    pub company_id: String,
    pub organisation_id: String,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    pub initiated_by: InitiatedBy,
    pub visibility: Visibility,
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub scheduled_at: Option<DateTimeUtc>,
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub occurred_at: Option<DateTimeUtc>,
    /// occurred_at, else scheduled_at, else created_at: when the contact counts.
    #[serde(deserialize_with = "crate::time::utc")]
    pub contact_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// The consultant who holds a booked meeting (the token `sub`); their calendar feed lists it.
    #[serde(default)]
    pub assignee_sub: Option<String>,
    #[serde(default)]
    pub outcome_registered: bool,
    #[serde(default)]
    pub created_by_sub: String,
    #[serde(default)]
    pub version: i32,
    #[serde(default, deserialize_with = "crate::time::utc")]
    pub created_at: DateTimeUtc,
    #[serde(default, deserialize_with = "crate::time::utc")]
    pub updated_at: DateTimeUtc,
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
