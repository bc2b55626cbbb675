use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Another jobcentre serving the company under an agreement: a regional contact for the RAR
/// areas it covers. `rar_areas` holds the areas' enum names separated by commas.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "job_service_agreement_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub agreement_id: String,
    pub organisation_id: String,
    pub region_label: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub rar_areas: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
