//! The GraphQL schema: one module per domain, merged into one `Query`.

pub mod activity;
pub mod audit;
pub mod company;
pub mod follow_up;
pub mod loaders;
pub mod reference;
pub mod scalars;
pub mod viewer;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, EmptySubscription, MergedObject, OutputType, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::auth::Actor;
use crate::config::Limits;
use crate::error::AppError;
use crate::service::pagination::Page;
use crate::service::read::Reader;
use crate::service::uow::WriteContext;
use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(
    viewer::ViewerQuery,
    reference::ReferenceQuery,
    company::CompanyQuery,
    activity::ActivityQuery,
    follow_up::FollowUpQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    company::CompanyMutation,
    activity::ActivityMutation,
    follow_up::FollowUpMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Per-request facts the handler puts into the GraphQL request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
}

/// The schema with its limits but without data: enough to print the SDL.
pub fn schema_builder(
    limits: &Limits,
    introspection: bool,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
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

/// What the caller may see: made once per request (the policy's read decision included).
pub fn reader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Reader> {
    ctx.data_opt::<Reader>()
        .ok_or_else(|| AppError::Unauthenticated("a bearer token is required".into()).into())
}

/// A page of service rows as a GraphQL connection: `cursor` gives each row's cursor, `node`
/// maps it to its GraphQL type.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    cursor: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> Connection<String, N> {
    let mut conn = Connection::new(page.has_previous, page.has_next);
    conn.edges.extend(
        page.rows
            .into_iter()
            .map(|row| Edge::new(cursor(&row), node(row))),
    );
    conn
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data_opt::<DatabaseConnection>()
        .ok_or_else(|| missing("database"))
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or_else(|| missing("loaders"))
}

pub fn settings<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Settings> {
    ctx.data_opt::<Settings>()
        .ok_or_else(|| missing("settings"))
}

/// The actor and request id every write records in the audit trail.
pub fn write_context(ctx: &Context<'_>) -> async_graphql::Result<WriteContext> {
    let actor = actor(ctx)?.clone();
    let request_id = ctx
        .data_opt::<RequestMeta>()
        .map(|m| m.request_id.clone())
        .unwrap_or_default();
    Ok(WriteContext { actor, request_id })
}
