//! Objects of a list resolved without a boxed future and a task for each field.
//!
//! async-graphql resolves an object's fields each as its own boxed future, runs them in a
//! `FuturesUnordered` (a task each) and merges every value into the response map by looking
//! its key up first. On a list page that is most of the server's work: a coordinator view of
//! 50 activities resolves 400 fields, and callgrind put the engine's share (its own code, the
//! allocations, the hashing of response keys and the copying of futures) at about two thirds
//! of a request's instructions. [`Fast`] wraps a list's object type: its fields are resolved by
//! the type's own resolvers (`ContainerType::resolve_field`, the one source of every value),
//! all at once in one joined future, and written into a copy of a map made before for the same
//! keys ([`keyed`]). Fields that wait on a DataLoader still wait together, so batching is
//! unchanged.
//!
//! The wrapper is the same GraphQL type as the object it wraps (name, fields, introspection):
//! the printed schema does not change. A selection the plain path does not cover goes the
//! engine's way unchanged: fragments (named or inline), a response key selected twice (the
//! engine merges them), a field with a directive the schema defines (`@skip`/`@include` are
//! applied before execution and never reach here). The schema has no extensions, whose
//! per-field hooks this path would skip; `build_schemas` says so where one would be added.

use std::borrow::Cow;
use std::cell::RefCell;

use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
};
use async_graphql_value::indexmap::IndexMap;

/// A list's object, resolved field by field without the engine's per-field task.
pub struct Fast<T>(pub T);

impl<T: ContainerType> OutputType for Fast<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve(ctx, &self.0, field).await
    }
}

/// A context for each field of the selection when it is plain: fields only, each response
/// key once, no directive left on any. `None` sends the selection the engine's way.
fn plain_fields<'c>(ctx: &'c ContextSelectionSet<'_>) -> Option<Vec<Context<'c>>> {
    let items = &ctx.item.node.items;
    let mut fields: Vec<Context<'c>> = Vec::with_capacity(items.len());
    for item in items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        if !field.node.directives.is_empty() {
            return None;
        }
        let key = field.node.response_key().node.as_str();
        if fields
            .iter()
            .any(|known| known.item.node.response_key().node.as_str() == key)
        {
            return None;
        }
        fields.push(ctx.with_field(field));
    }
    Some(fields)
}

/// Resolves `root`'s selection as the engine does (same values, same errors with the same
/// paths, a field that failed left out of the object, an object without fields `null`),
/// without a boxed future or a task for each field.
pub async fn resolve<'a, T: ContainerType>(
    ctx: &ContextSelectionSet<'a>,
    root: &'a T,
    field: &Positioned<Field>,
) -> ServerResult<Value> {
    let Some(contexts) = plain_fields(ctx) else {
        return OutputType::resolve(root, ctx, field).await;
    };
    let values = futures::future::join_all(contexts.iter().map(|ctx_field| async move {
        if ctx_field.item.node.name.node == "__typename" {
            return Ok(Some(Value::String(
                root.introspection_type_name().into_owned(),
            )));
        }
        root.resolve_field(ctx_field).await
    }))
    .await;
    let mut object = keyed(&contexts);
    let mut failed = Vec::new();
    for (at, value) in values.into_iter().enumerate() {
        match value {
            Ok(value) => {
                if let Some((_, slot)) = object.get_index_mut(at) {
                    *slot = value.unwrap_or_default();
                }
            }
            Err(error) => {
                ctx.add_error(error);
                failed.push(at);
            }
        }
    }
    // A field that failed is left out, as the engine leaves it out.
    for at in failed.into_iter().rev() {
        object.shift_remove_index(at);
    }
    Ok(if object.is_empty() {
        Value::Null
    } else {
        Value::Object(object)
    })
}

/// How many key lists each thread keeps ([`keyed`]).
const KEPT: usize = 16;

thread_local! {
    /// Objects with the response keys of selections resolved lately, each value `null`.
    static KEYED: RefCell<Vec<IndexMap<Name, Value>>> = const { RefCell::new(Vec::new()) };
}

/// An object with the response keys of `fields` in order, each value `null`: a copy of one
/// made before for the same keys. A map built key by key hashes every key with SipHash (the
/// map type is async-graphql's) and seeds its hasher from a thread-local; on a list page that
/// was a tenth of the server's instructions (callgrind). A copy takes the hashes along. The
/// keys are compared as text, so a copy only ever serves the same keys in the same order.
fn keyed(fields: &[Context<'_>]) -> IndexMap<Name, Value> {
    let key = |field: &Context<'_>| field.item.node.response_key().node.clone();
    KEYED.with_borrow_mut(|kept| {
        let same = |object: &&IndexMap<Name, Value>| {
            object.len() == fields.len()
                && object.keys().zip(fields).all(|(known, field)| {
                    known.as_str() == field.item.node.response_key().node.as_str()
                })
        };
        if let Some(object) = kept.iter().find(same) {
            return object.clone();
        }
        let object: IndexMap<Name, Value> = fields.iter().map(|f| (key(f), Value::Null)).collect();
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push(object.clone());
        object
    })
}
