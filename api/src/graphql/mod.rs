//! The GraphQL schema: one module per domain, merged into one `Query`.

pub mod activity;
pub mod audit;
pub mod calendar;
pub mod campaign;
pub mod company;
pub mod fast;
pub mod follow_up;
pub mod job_service_agreement;
pub mod loaders;
pub mod reference;
pub mod report;
pub mod revalidate;
pub mod scalars;
pub mod shield;
pub mod viewer;

use crate::db::Db;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{
    ContainerType, Context, EmptySubscription, Lookahead, MergedObject, Schema, SchemaBuilder,
    SelectionField,
};

use crate::auth::Actor;
use crate::config::Limits;
use crate::error::AppError;
use crate::service::company::Joined;
use crate::service::pagination::Page;
use crate::service::read::{Reader, Visible};
use crate::service::reference::Catalogue;
use crate::service::uow::WriteContext;
use company::Company;
use fast::Fast;
use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(
    viewer::ViewerQuery,
    reference::ReferenceQuery,
    company::CompanyQuery,
    activity::ActivityQuery,
    follow_up::FollowUpQuery,
    job_service_agreement::JobServiceAgreementQuery,
    campaign::CampaignQuery,
    report::ReportQuery,
    report::ReportExtraQuery,
    calendar::CalendarQuery,
    audit::AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    company::CompanyMutation,
    activity::ActivityMutation,
    follow_up::FollowUpMutation,
    job_service_agreement::JobServiceAgreementMutation,
    campaign::CampaignMutation,
    report::ReportMutation,
    calendar::CalendarMutation,
);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Per-request facts the handler puts into the GraphQL request.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The server's own id of the request.
    pub request_id: String,
    /// The caller's `x-request-id`, when it sent a usable one.
    pub client_request_id: Option<String>,
}

/// The schema with its limits but without data: enough to print the SDL.
pub fn schema_builder(
    limits: &Limits,
    introspection: bool,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    // No extensions (`.extension(…)`): a list's objects resolve without their per-field hooks
    // (`fast`); adding one means sending `Fast` the engine's way first.
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_directives(16);
    if !introspection {
        builder = builder.disable_introspection();
    }
    builder
}

/// The schema the server executes with, twice: with async-graphql's strict validation, and
/// with its fast one for documents that passed the strict one before (see [`revalidate`]).
#[derive(Clone)]
pub struct Schemas {
    pub strict: AppSchema,
    pub revalidating: AppSchema,
    pub inputs: Arc<revalidate::InputTypes>,
}

pub fn build_schemas(
    db: Db,
    catalogue: Arc<Catalogue>,
    limits: &Limits,
    introspection: bool,
    contact_cooldown_days: u32,
) -> Schemas {
    let build = |mode| {
        schema_builder(limits, introspection)
            .validation_mode(mode)
            .data(db.clone())
            .data(catalogue.clone())
            .data(Settings {
                contact_cooldown_days,
            })
            .finish()
    };
    Schemas {
        strict: build(async_graphql::ValidationMode::Strict),
        revalidating: build(async_graphql::ValidationMode::Fast),
        inputs: Arc::new(revalidate::InputTypes::default()),
    }
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
        ..Limits::defaults()
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

/// A page of service rows as the GraphQL connection of the field `ctx` resolves: `cursor`
/// gives each row's cursor (made only when the selection shows cursors), `node` maps a row to
/// its GraphQL type, resolved the plain way ([`fast::Fast`]).
pub fn connection<T, N: ContainerType>(
    ctx: &Context<'_>,
    page: Page<T>,
    cursor: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> Connection<String, Fast<N>> {
    let cursors = shows_cursors(&ctx.look_ahead());
    let mut conn = Connection::new(page.has_previous, page.has_next);
    conn.edges.extend(page.rows.into_iter().map(|row| {
        let cursor = if cursors { cursor(&row) } else { String::new() };
        Edge::new(cursor, Fast(node(row)))
    }));
    conn
}

/// Whether a connection's selection shows a cursor: an edge's, or the page's first or last.
pub fn shows_cursors(connection: &Lookahead<'_>) -> bool {
    let page = connection.field("pageInfo");
    connection.field("edges").field("cursor").exists()
        || page.field("startCursor").exists()
        || page.field("endCursor").exists()
}

/// The columns the fields selected of `objects` read, by `field_columns` (`None`: all of
/// them, when a field is not listed there).
pub fn columns_read<C: Copy>(
    objects: &Lookahead<'_>,
    field_columns: fn(&str) -> Option<&'static [C]>,
) -> Option<Vec<C>> {
    let mut columns = Vec::new();
    for object in objects.selection_fields() {
        for field in object.selection_set() {
            columns.extend_from_slice(field_columns(field.name())?);
        }
    }
    Some(columns)
}

/// The columns of a list's rows (a connection's with `connection`) the selected fields read,
/// by `field_columns` (`None`: all of them); the list's service adds those its rules and
/// cursors need.
pub fn list_columns<C: Copy>(
    ctx: &Context<'_>,
    connection: bool,
    field_columns: fn(&str) -> Option<&'static [C]>,
) -> Option<Vec<C>> {
    let look = ctx.look_ahead();
    if connection {
        columns_read(&connection_nodes(&look)?, field_columns)
    } else {
        columns_read(&look, field_columns)
    }
}

/// What the selection of a list (its items, or a connection's `nodes`/`edges.node`) shows of
/// each row's `company`: when it shows one, the page's statement joins the companies (see
/// `service::company::page_with_companies`) and [`feed_companies`] keeps them for the rows'
/// `company` fields ([`row_company`]). Every occurrence of `company` (aliases and fragments
/// included) asking for no more than `id` and `name` reads only those two columns.
pub fn shows_companies(ctx: &Context<'_>) -> Joined {
    let look = ctx.look_ahead();
    let mut shown = look.field("company").selection_fields();
    if let Some(nodes) = connection_nodes(&look) {
        shown.extend(nodes.field("company").selection_fields());
    }
    if shown.is_empty() {
        Joined::None
    } else if shown.iter().all(names_only) {
        Joined::Names
    } else {
        Joined::Whole
    }
}

/// Whether a `company` field's selection reads no more than the company's id and name (a
/// directive is not looked at: a field that `@skip` would drop still counts as read).
fn names_only(company: &SelectionField<'_>) -> bool {
    company
        .selection_set()
        .all(|f| matches!(f.name(), "id" | "name" | "__typename"))
}

/// The company of a row on a list (a follow-up's, a call list entry's, an activity's): the one
/// the page read by name alone when this `company` field reads no more than that, otherwise
/// the loader's (from the page's statement or its own).
pub async fn row_company(ctx: &Context<'_>, id: &str) -> async_graphql::Result<Fast<Company>> {
    let loaders = loaders(ctx)?;
    if let Some(named) = loaders.named_company(id)
        && names_only(&ctx.field())
    {
        return Ok(Fast(Company(named)));
    }
    loaders::load_one(&loaders.company, id.to_owned())
        .await?
        .map(|c| Fast(Company(c)))
        .ok_or_else(|| AppError::Internal("a row without its company".into()).into())
}

/// What a connection's selection asks of its items: `nodes` and `edges { node }` together;
/// `None` when it selects neither.
pub fn connection_nodes<'a>(connection: &Lookahead<'a>) -> Option<Lookahead<'a>> {
    let mut nodes = connection.field("nodes").selection_fields();
    nodes.extend(connection.field("edges").field("node").selection_fields());
    Lookahead::try_from(nodes.as_slice()).ok()
}

/// Companies read with a page (as much as `joined` says), where the rows' `company` fields
/// find them: whole ones in the company loader's cache, named ones apart from it.
pub async fn feed_companies(
    ctx: &Context<'_>,
    companies: Vec<Visible<entity::company::Model>>,
    joined: Joined,
) -> async_graphql::Result<()> {
    if companies.is_empty() {
        return Ok(());
    }
    let companies = companies.into_iter().map(|c| (c.id.clone(), Arc::new(c)));
    match joined {
        Joined::Whole => loaders(ctx)?.company.feed_many(companies).await,
        _ => loaders(ctx)?.feed_named_companies(companies),
    }
    Ok(())
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Db> {
    ctx.data_opt::<Db>().ok_or_else(|| missing("database"))
}

pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or_else(|| missing("loaders"))
}

/// The reference data (municipalities, organisations), in memory.
pub fn catalogue<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Catalogue> {
    ctx.data_opt::<Arc<Catalogue>>()
        .map(|c| c.as_ref())
        .ok_or_else(|| missing("reference data"))
}

pub fn settings<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Settings> {
    ctx.data_opt::<Settings>()
        .ok_or_else(|| missing("settings"))
}

/// The actor and request id every write records in the audit trail.
pub fn write_context(ctx: &Context<'_>) -> async_graphql::Result<WriteContext> {
    let actor = actor(ctx)?.clone();
    let meta = ctx.data_opt::<RequestMeta>();
    Ok(WriteContext {
        actor,
        request_id: meta.map(|m| m.request_id.clone()).unwrap_or_default(),
        client_request_id: meta.and_then(|m| m.client_request_id.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, annotate};

    /// `error::annotate` recognises async-graphql's own limit errors by their words; this pins
    /// every message it relies on, so an upgrade that rewords one fails here, not in production.
    #[tokio::test]
    async fn async_graphql_limit_messages_are_pinned() {
        let strict = |max_depth, max_complexity| {
            schema_builder(
                &Limits {
                    max_depth,
                    max_complexity,
                    ..Limits::defaults()
                },
                true,
            )
            .finish()
        };
        let too_deep = "{ companies { nodes { activities { nodes { kind } } } } }";
        let too_complex = "{ companies(first: 100) { nodes { id name cvr } } }";
        let directives = format!("{{ me {} {{ sub }} }}", "@include(if: true) ".repeat(17));
        let recursion = format!("{}{}", "{ me ".repeat(34), "}".repeat(34));
        for (schema, query, words) in [
            (strict(3, 1_000_000), too_deep.to_owned(), "nested too deep"),
            (strict(50, 50), too_complex.to_owned(), "too complex"),
            (strict(50, 1_000_000), directives, "number of directives"),
            (strict(100, 1_000_000), recursion, "recursion"),
        ] {
            let response = schema.execute(query.as_str()).await;
            let mut error = response.errors.into_iter().next().expect("an error");
            assert!(error.message.contains(words), "{words}: {}", error.message);
            assert_eq!(annotate(&mut error), ErrorCode::LimitExceeded, "{words}");
        }
    }
}
