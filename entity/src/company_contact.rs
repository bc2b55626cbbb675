use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An organisation's fixed contact (fast kontaktperson) for a company: one per organisation
/// and company.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "company_contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub organisation_id: String,
    /// The staff user's `sub`, when the contact is a user of the system.
    pub sub: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
