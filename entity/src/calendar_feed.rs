use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A staff user's calendar subscription: `/calendar/<id>.<secret>.ics`. Only the SHA-256 of
/// the secret is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "calendar_feed")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub sub: String,
    pub organisation_id: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
