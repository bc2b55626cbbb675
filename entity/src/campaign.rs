use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A national company campaign: a call list that the local jobcentres clear, then meetings
/// booked on their behalf.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The organisation that runs it.
    pub organisation_id: String,
    pub created_by_sub: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
