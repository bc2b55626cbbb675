//! A list's statement text, kept by its shape instead of built for every request.
//!
//! A list page's statement is built with sea-orm and sea-query on every request: the entity's
//! every column (`Entity::find`), the filters, the join, then the text. On a coordinator view
//! that was a tenth of the server's instructions (callgrind: 64,000 of 600,000 a request),
//! for a text that only changes with the request's *shape*: which filters are given, which
//! columns the selection reads, whether there is a cursor. The values change every request.
//!
//! So a site names what decides its text (a [`Shape`]: the site's name, the shape's parts) and
//! lists the values in the order its statement binds them. The first request of a shape builds
//! the statement as before and keeps its text only if the builder bound exactly the values the
//! site listed; later requests of the shape pair the kept text with their own values and build
//! nothing. A site that lists its values wrongly is never kept, so it only loses the saving,
//! never the right answer. A shape that leaves out something the text depends on would be
//! wrong; debug builds (every test) therefore build every statement anyway and compare.
//!
//! Each thread keeps at most [`KEPT`] texts: a selection's columns are part of the shape, so a
//! client can make many; when full the thread starts over.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{DbBackend, Statement, Value};

/// Texts kept per thread at most.
pub const KEPT: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    site: &'static str,
    backend: u8,
    parts: Vec<u64>,
}

impl Key {
    fn new(site: &'static str, backend: DbBackend, parts: Vec<u64>) -> Self {
        let backend = match backend {
            DbBackend::Postgres => 0,
            DbBackend::Sqlite => 1,
            _ => 2,
        };
        Key {
            site,
            backend,
            parts,
        }
    }
}

thread_local! {
    static TEXTS: RefCell<HashMap<Key, Rc<str>>> = RefCell::new(HashMap::new());
}

/// What decides a statement's text, and the values it binds, in order.
#[derive(Debug, Clone)]
pub struct Shape {
    site: &'static str,
    parts: Vec<u64>,
    values: Vec<Value>,
}

impl Shape {
    /// The shape of the statement built at `site` (a name unique to the place in the code).
    pub fn new(site: &'static str) -> Self {
        Shape {
            site,
            parts: Vec::with_capacity(4),
            values: Vec::with_capacity(6),
        }
    }

    /// A part of what decides the text (a flag, a choice, the columns read).
    pub fn part(&mut self, part: u64) -> &mut Self {
        self.parts.push(part);
        self
    }

    /// The next value the statement binds.
    pub fn value(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self
    }

    /// The statement: the kept text with these values, or `build`'s (kept when it binds
    /// exactly these values).
    pub fn statement(self, backend: DbBackend, build: impl Fn() -> SelectStatement) -> Statement {
        let key = Key::new(self.site, backend, self.parts);
        let kept = TEXTS.with_borrow(|texts| texts.get(&key).cloned());
        if let Some(text) = kept {
            let statement = Statement::from_sql_and_values(backend, text.as_ref(), self.values);
            debug_assert_eq!(
                statement,
                backend.build(&build()),
                "the shape of {} leaves out something its text depends on",
                key.site
            );
            return statement;
        }
        let built = backend.build(&build());
        let bound = built.values.as_ref().map_or(&[][..], |v| &v.0[..]);
        if bound == self.values.as_slice() {
            TEXTS.with_borrow_mut(|texts| {
                if texts.len() >= KEPT {
                    texts.clear();
                }
                texts.insert(key, Rc::from(built.sql.as_str()));
            });
        } else {
            debug_assert!(
                false,
                "{} lists its values unlike its statement binds them: {:?} against {:?}",
                key.site, self.values, bound
            );
        }
        built
    }

    /// Whether this thread keeps a text for the shape (for tests).
    pub fn is_kept(&self, backend: DbBackend) -> bool {
        let key = Key::new(self.site, backend, self.parts.clone());
        TEXTS.with_borrow(|texts| texts.contains_key(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::company;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

    fn named(name: &str, limit: u64) -> (Shape, SelectStatement) {
        let mut shape = Shape::new("shaped::tests::named");
        shape.part(1).value(name).value(limit);
        let q = company::Entity::find()
            .filter(company::Column::Name.eq(name))
            .limit(limit)
            .into_query();
        (shape, q)
    }

    #[test]
    fn a_shape_keeps_its_text_and_binds_each_requests_values() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let (first, q) = named("Jysk Slagteri A/S", 21);
            assert!(!first.is_kept(backend));
            assert_eq!(first.statement(backend, || q.clone()), backend.build(&q));
            let (second, q) = named("Fyns Bageri", 51);
            assert!(second.is_kept(backend), "{backend:?}");
            // Built from the kept text, and what the builder makes of these values; the
            // builder runs only to check (debug builds).
            let built = std::cell::Cell::new(0);
            let statement = second.statement(backend, || {
                built.set(built.get() + 1);
                q.clone()
            });
            assert_eq!(built.get(), usize::from(cfg!(debug_assertions)));
            assert_eq!(statement, backend.build(&q));
            assert!(statement.sql.contains("LIMIT"), "{}", statement.sql);
        }
    }

    #[test]
    fn a_site_that_lists_its_values_wrongly_is_not_kept() {
        let mut shape = Shape::new("shaped::tests::wrong");
        shape.value(1u64).value("Fyns Bageri");
        let q = company::Entity::find()
            .filter(company::Column::Name.eq("Fyns Bageri"))
            .limit(1)
            .into_query();
        let backend = DbBackend::Postgres;
        let kept = shape.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            shape.statement(backend, || q.clone())
        }));
        assert!(!kept.is_kept(backend), "a wrong shape is never kept");
        if cfg!(debug_assertions) {
            // Debug builds (the tests) say so loudly.
            assert!(outcome.is_err());
        } else {
            assert_eq!(outcome.ok(), Some(backend.build(&q)));
        }
    }
}
