use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::FollowUpStatus;

/// A promise with a due date and an owner organisation. `overdue` is derived, never stored.
///
/// The `#[serde(default)]` fields may be left out of a row read as JSON (`api`'s prefetch reads
/// only the columns a selection shows, and fills in the company); the others must be there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[serde(default)]
    pub company_id: String,
    #[serde(default)]
    pub activity_id: Option<String>,
    pub organisation_id: String,
    #[serde(default)]
    pub assignee_sub: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(deserialize_with = "crate::time::date")]
    pub due_on: Date,
    pub status: FollowUpStatus,
    #[serde(default, deserialize_with = "crate::time::utc_opt")]
    pub completed_at: Option<DateTimeUtc>,
    #[serde(default)]
    pub completion_note: Option<String>,
    #[serde(default)]
    pub version: i32,
    #[serde(default, deserialize_with = "crate::time::utc")]
    pub created_at: DateTimeUtc,
    #[serde(default, deserialize_with = "crate::time::utc")]
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
