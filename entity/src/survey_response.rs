use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A company's answers (1–5) after a meeting; one per meeting.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "survey_response")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub activity_id: String,
    pub overall: i32,
    pub well_prepared: Option<i32>,
    pub needs_uncovered: Option<i32>,
    pub offers_presented: Option<i32>,
    pub met_expectations: Option<i32>,
    pub likely_to_cooperate: Option<i32>,
    pub comment: Option<String>,
    pub created_by_sub: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
