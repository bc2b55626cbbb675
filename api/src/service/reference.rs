//! Municipalities and organisations: reference data seeded by migration and never changed by
//! the API, so it is read once at start into a [`Catalogue`] that every request (and every
//! replica) shares. Authentication and the reference fields then cost no SQL at all, however
//! many aliases a document repeats them under.

use std::collections::HashMap;
use std::sync::Arc;

use entity::enums::OrganisationKind;
use entity::{municipality, organisation};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::read::Reader;
use crate::error::{AppError, AppResult};

/// The id of Jobservice Danmark, the national organisation (from the reference data).
pub const NATIONAL_ID: &str = migration::reference_data::NATIONAL_ID;

/// Whether `organisation_id` is the national organisation.
pub fn is_national(organisation_id: &str) -> bool {
    organisation_id == NATIONAL_ID
}

/// The reference data, in memory.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Shared, so that a list of many rows hands out each row's organisation without copying.
    organisations: Vec<Arc<organisation::Model>>,
    organisation_index: HashMap<String, usize>,
    municipalities: Vec<municipality::Model>,
    municipality_index: HashMap<String, usize>,
}

impl Catalogue {
    /// Reads the reference tables (two statements, at start).
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Arc<Catalogue>> {
        let organisations = organisation::Entity::find()
            .order_by_asc(organisation::Column::Id)
            .all(db)
            .await?;
        let municipalities = municipality::Entity::find()
            .order_by_asc(municipality::Column::Code)
            .all(db)
            .await?;
        Ok(Arc::new(Catalogue::new(organisations, municipalities)))
    }

    pub fn new(
        organisations: Vec<organisation::Model>,
        municipalities: Vec<municipality::Model>,
    ) -> Catalogue {
        let organisation_index = organisations
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.clone(), i))
            .collect();
        let municipality_index = municipalities
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.clone(), i))
            .collect();
        Catalogue {
            organisations: organisations.into_iter().map(Arc::new).collect(),
            organisation_index,
            municipalities,
            municipality_index,
        }
    }

    /// An organisation by id (authentication checks the token's `org` here).
    pub fn organisation(&self, id: &str) -> Option<&organisation::Model> {
        self.shared_organisation(id).map(Arc::as_ref)
    }

    /// An organisation by id, shared.
    pub fn shared_organisation(&self, id: &str) -> Option<&Arc<organisation::Model>> {
        self.organisation_index
            .get(id)
            .and_then(|i| self.organisations.get(*i))
    }

    /// An organisation named in an input: one from the reference data, or VALIDATION on
    /// `field` (the unknown id quoted, cut to 64 characters).
    pub fn require_organisation(&self, field: &str, id: &str) -> AppResult<&organisation::Model> {
        let id = id.trim();
        self.organisation(id).ok_or_else(|| {
            AppError::validation(
                field,
                format!(
                    "unknown organisation {}",
                    id.chars().take(64).collect::<String>()
                ),
            )
        })
    }

    pub fn municipality(&self, code: &str) -> Option<&municipality::Model> {
        self.municipality_index
            .get(code)
            .and_then(|i| self.municipalities.get(*i))
    }

    /// All 98 municipalities, ordered by code.
    pub fn municipalities(&self, _reader: &Reader) -> &[municipality::Model] {
        &self.municipalities
    }

    /// Organisations ordered by id; `kind` narrows the list.
    pub fn organisations(
        &self,
        _reader: &Reader,
        kind: Option<OrganisationKind>,
    ) -> impl Iterator<Item = &Arc<organisation::Model>> {
        self.organisations
            .iter()
            .filter(move |o| kind.is_none_or(|k| o.kind == k))
    }
}
