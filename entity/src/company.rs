use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One record per company (CVR number), shared by every organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub cvr: String,
    pub name: String,
    /// `name` in lower case (Unicode-aware, so Æ/Ø/Å match æ/ø/å) for case-insensitive search.
    #[serde(skip)]
    pub name_search: String,
    pub industry_code: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    /// Employees, as the CVR register publishes it (campaigns target by size).
    pub employees: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
