use sea_orm::entity::prelude::*;

use crate::enums::{OrganisationKind, RarArea};

/// A jobcentre (`jc-<kommunekode>`) or Jobservice Danmark (`national`). Reference data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub municipality_code: Option<String>,
    pub rar_area: Option<RarArea>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
