use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::FollowUpStatus;

/// A promise with a due date and an owner organisation. `overdue` is derived, never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub activity_id: Option<String>,
    pub organisation_id: String,
    pub assignee_sub: Option<String>,
    pub description: String,
    pub due_on: Date,
    pub status: FollowUpStatus,
    pub completed_at: Option<DateTimeUtc>,
    pub completion_note: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
