use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A site of a company (P-number).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "production_unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    #[sea_orm(unique)]
    pub p_number: String,
    pub name: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
