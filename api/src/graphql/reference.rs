//! Municipalities, RAR areas and organisations.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use entity::enums::{OrganisationKind, RarArea};
use entity::{municipality, organisation};

use super::fast::Fast;
use crate::error::AppError;

pub struct Organisation(pub Arc<organisation::Model>);

#[Object]
impl Organisation {
    /// Stable, readable id: `jc-<kommunekode>` for a jobcentre, `national` for Jobservice Danmark.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> OrganisationKind {
        self.0.kind
    }
    /// The municipality whose code the jobcentre's id carries (null for `national`).
    async fn municipality_code(&self) -> Option<&str> {
        self.0.municipality_code.as_deref()
    }
    /// The RAR area of the jobcentre (null for `national`, which counts in the whole country).
    async fn rar_area(&self) -> Option<RarArea> {
        self.0.rar_area
    }
}

pub struct Municipality(pub municipality::Model);

#[Object]
impl Municipality {
    /// Kommunekode, 3 digits.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The region (Region Hovedstaden, …).
    async fn region(&self) -> &str {
        &self.0.region
    }
    async fn rar_area(&self) -> RarArea {
        self.0.rar_area
    }
    /// The jobcentre that serves the municipality (two municipalities may share one).
    async fn jobcentre(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.jobcentre_id).await
    }
}

/// The organisation `id` from the reference data, resolved the plain way ([`Fast`]); a
/// dangling id is an internal error.
pub async fn load_organisation(ctx: &Context<'_>, id: &str) -> Result<Fast<Organisation>> {
    super::catalogue(ctx)?
        .shared_organisation(id)
        .cloned()
        .map(|o| Fast(Organisation(o)))
        .ok_or_else(|| AppError::Internal(format!("organisation {id} not found")).into())
}

/// The municipality `code` from the reference data, or `None`.
pub fn find_municipality(ctx: &Context<'_>, code: &str) -> Result<Option<Municipality>> {
    Ok(super::catalogue(ctx)?
        .municipality(code)
        .cloned()
        .map(Municipality))
}

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// All 98 municipalities, ordered by code.
    async fn municipalities(&self, ctx: &Context<'_>) -> Result<Vec<Fast<Municipality>>> {
        let reader = super::reader(ctx)?;
        Ok(super::catalogue(ctx)?
            .municipalities(reader)
            .iter()
            .cloned()
            .map(|m| Fast(Municipality(m)))
            .collect())
    }

    /// Jobcentres and Jobservice Danmark, ordered by id; `kind` narrows the list.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        kind: Option<OrganisationKind>,
    ) -> Result<Vec<Fast<Organisation>>> {
        let reader = super::reader(ctx)?;
        Ok(super::catalogue(ctx)?
            .organisations(reader, kind)
            .cloned()
            .map(|m| Fast(Organisation(m)))
            .collect())
    }

    /// One organisation by id, or null.
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Organisation>> {
        super::reader(ctx)?;
        Ok(super::catalogue(ctx)?
            .shared_organisation(&id)
            .cloned()
            .map(Organisation))
    }
}
