use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

// The GraphQL enums are these same types (async_graphql::Enum): one definition, stored and
// served under the same SCREAMING_SNAKE_CASE names the contract fixes.

/// The eight regional labour-market council areas (RAR-områder, 2015 division).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RarArea {
    #[sea_orm(string_value = "NORDJYLLAND")]
    Nordjylland,
    #[sea_orm(string_value = "VESTJYLLAND")]
    Vestjylland,
    #[sea_orm(string_value = "OESTJYLLAND")]
    Oestjylland,
    #[sea_orm(string_value = "FYN")]
    Fyn,
    #[sea_orm(string_value = "SYDJYLLAND")]
    Sydjylland,
    #[sea_orm(string_value = "BORNHOLM")]
    Bornholm,
    #[sea_orm(string_value = "HOVEDSTADEN")]
    Hovedstaden,
    #[sea_orm(string_value = "SJAELLAND")]
    Sjaelland,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "JOBCENTRE")]
    Jobcentre,
    #[sea_orm(string_value = "NATIONAL")]
    National,
}
