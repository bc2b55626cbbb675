//! `me`: who the token says the caller is.

use async_graphql::{Context, Object, Result};

use super::fast::Fast;
use super::reference::{Organisation, load_organisation};
use crate::auth::Actor;

pub struct Viewer(Actor);

#[Object]
impl Viewer {
    async fn sub(&self) -> &str {
        &self.0.sub
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    async fn roles(&self) -> Vec<String> {
        self.0
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect()
    }
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, as verified from the bearer token.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        Ok(Viewer(super::actor(ctx)?.clone()))
    }
}
