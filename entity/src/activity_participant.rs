use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An organisation that took part in another organisation's activity (a joint visit). The
/// activity stays owned by the organisation that logged it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "activity_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub activity_id: String,
    pub company_id: String,
    pub organisation_id: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
