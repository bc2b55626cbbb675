use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A person at the company. Personal data: erasable (name, e-mail, phone become null).
///
/// The `#[serde(default)]` fields may be left out of a row read as JSON (`api`'s prefetch reads
/// only the columns a selection shows, and fills in the company); the others must be there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[serde(default)]
    pub company_id: String,
    /// The organisation that added the person (may delete and restore it).
    pub organisation_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub erased: bool,
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
