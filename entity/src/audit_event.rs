use sea_orm::entity::prelude::*;

/// One event per changed record, written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub at: DateTimeUtc,
    pub actor_sub: String,
    /// The organisation of the actor who made the change.
    pub organisation_id: Option<String>,
    /// The organisation that owns the changed record (None for shared company data).
    pub owner_organisation_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
    /// The server's own id of the request that made the change.
    pub request_id: String,
    /// The caller's `x-request-id`, when it sent one (for correlation only).
    pub client_request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
