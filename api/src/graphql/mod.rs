//! The GraphQL schema: one module per domain, merged into one `Query`.

pub mod loaders;
pub mod reference;
pub mod viewer;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder,
};
use sea_orm::DatabaseConnection;

use crate::auth::Actor;
use crate::config::Limits;
use crate::error::AppError;
use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(viewer::ViewerQuery, reference::ReferenceQuery);

pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Per-request facts the handler puts into the GraphQL request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
}

/// The schema with its limits but without data: enough to print the SDL.
pub fn schema_builder(
    limits: &Limits,
    introspection: bool,
) -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    let mut builder = Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_directives(16);
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder
}

pub fn build_schema(
    db: DatabaseConnection,
    limits: &Limits,
    introspection: bool,
    contact_cooldown_days: u32,
) -> AppSchema {
    schema_builder(limits, introspection)
        .data(db)
        .data(Settings {
            contact_cooldown_days,
        })
        .finish()
}

/// Domain settings the resolvers need.
#[derive(Debug, Clone)]
pub struct Settings {
    pub contact_cooldown_days: u32,
}

/// The SDL the binary serves, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let limits = Limits {
        max_depth: usize::MAX,
        max_complexity: usize::MAX,
        max_body_bytes: usize::MAX,
        request_timeout: std::time::Duration::from_secs(1),
    };
    schema_builder(&limits, true).finish().sdl()
}

fn missing(what: &str) -> async_graphql::Error {
    AppError::Internal(format!("{what} missing from GraphQL context")).into()
}

pub fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    ctx.data_opt::<Actor>()
        .ok_or_else(|| AppError::Unauthenticated("a bearer token is required".into()).into())
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data_opt::<DatabaseConnection>()
        .ok_or_else(|| missing("database"))
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or_else(|| missing("loaders"))
}
