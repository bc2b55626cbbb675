//! DataLoaders: every relation is resolved in batches, so a request's SQL count depends on its
//! depth, not on its page size. A fresh set is made per request (caches never outlive it).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::organisation;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::service;

pub type LoadError = Arc<AppError>;

pub struct OrganisationLoader {
    db: DatabaseConnection,
}

impl Loader<String> for OrganisationLoader {
    type Value = organisation::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = service::reference::organisations_by_ids(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|o| (o.id.clone(), o)).collect())
    }
}

pub struct Loaders {
    pub organisation: DataLoader<OrganisationLoader, HashMapCache>,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Loaders {
            organisation: DataLoader::with_cache(
                OrganisationLoader { db },
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }
}

/// A loader's shared error, still carrying its `AppError` for `error::annotate`.
pub fn load_error(e: LoadError) -> async_graphql::Error {
    e.into()
}
