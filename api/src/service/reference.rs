//! Municipalities and organisations: reference data seeded by migration.

use entity::enums::OrganisationKind;
use entity::{municipality, organisation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppResult;

pub async fn municipalities(db: &impl ConnectionTrait) -> AppResult<Vec<municipality::Model>> {
    Ok(municipality::Entity::find()
        .order_by_asc(municipality::Column::Code)
        .all(db)
        .await?)
}

pub async fn organisations(
    db: &impl ConnectionTrait,
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
