//! Municipalities and organisations: reference data seeded by migration.

use entity::enums::OrganisationKind;
use entity::{municipality, organisation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::read::Reader;
use crate::error::AppResult;

/// The id of Jobservice Danmark, the national organisation (from the reference data).
pub const NATIONAL_ID: &str = migration::reference_data::NATIONAL_ID;

/// Whether `organisation_id` is the national organisation.
pub fn is_national(organisation_id: &str) -> bool {
    organisation_id == NATIONAL_ID
}

/// Reference data is readable by every reader (`Reader` exists only for those who may read).
pub async fn municipalities(
    db: &impl ConnectionTrait,
    _reader: &Reader,
) -> AppResult<Vec<municipality::Model>> {
    Ok(municipality::Entity::find()
        .order_by_asc(municipality::Column::Code)
        .all(db)
        .await?)
}

pub async fn organisations(
    db: &impl ConnectionTrait,
    _reader: &Reader,
    kind: Option<OrganisationKind>,
) -> AppResult<Vec<organisation::Model>> {
    let mut q = organisation::Entity::find().order_by_asc(organisation::Column::Id);
    if let Some(kind) = kind {
        q = q.filter(organisation::Column::Kind.eq(kind));
    }
    Ok(q.all(db).await?)
}

pub async fn organisations_by_ids(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<Vec<organisation::Model>> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?)
}

pub async fn organisation(
    db: &impl ConnectionTrait,
    id: &str,
) -> AppResult<Option<organisation::Model>> {
    Ok(organisation::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?)
}
