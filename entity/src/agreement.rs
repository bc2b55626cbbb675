use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::AgreementKind;

/// What was agreed at a meeting: a kind and the number of positions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "agreement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub activity_id: String,
    pub company_id: String,
    pub organisation_id: String,
    pub kind: AgreementKind,
    pub positions: i32,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
