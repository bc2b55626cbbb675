//! Validating a known document again for new variables, without the rules that depend on the
//! document alone.
//!
//! async-graphql's strict validation runs some twenty rules over a document on every request
//! (about a fifth of a small page's server instructions, measured with callgrind). All but one
//! depend on the document and the operation name alone: once a document passed them, they
//! would pass again. The one that reads the request's variables is "arguments of correct
//! type", which checks each argument with its variables put in. The limits on complexity and
//! depth also read the variables (`first: $n`).
//!
//! So a document that passed strict validation is validated again, for a later request with
//! the same text and operation name, by two steps that together decide what strict validation
//! would:
//!
//! 1. [`InputTypes::accepts`] checks each variable's value against its declared type, the
//!    way "arguments of correct type" checks a value against an argument's type. It only
//!    answers yes when it is sure: a `null` anywhere, a one-of input object, a type it does
//!    not know, or anything else out of the ordinary sends the request to strict validation,
//!    which then reports the error it always did. Checking against the declared type is
//!    enough because strict validation (rule "variables in allowed position") already found
//!    every place the variable is used to take that type or a less strict one, and without
//!    nulls a value valid for the stricter type is valid for the other.
//! 2. async-graphql's fast validation mode, which still computes complexity and depth with
//!    the variables and refuses what exceeds the limits.
//!
//! A document is marked as passed only after a request with every declared variable present
//! passed strict validation: with a variable missing, strict validation skips checking the
//! literal values of the arguments that use it.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{OutputType, Variables};
use async_graphql_value::ConstValue;

use super::{Mutation, Query};

/// The input types of the schema (what variables may hold), read from the same type
/// definitions the schema is built from.
pub struct InputTypes(Registry);

impl Default for InputTypes {
    fn default() -> Self {
        let mut registry = Registry::default();
        Query::create_type_info(&mut registry);
        Mutation::create_type_info(&mut registry);
        InputTypes(registry)
    }
}

impl InputTypes {
    /// Whether `value` is certainly valid for the GraphQL type `ty` (as written in SDL, such
    /// as `[ID!]!`). `false` means invalid *or not sure*: strict validation decides then.
    pub fn accepts(&self, ty: &str, value: &ConstValue) -> bool {
        match (MetaTypeName::create(ty), value) {
            (_, ConstValue::Null) => false,
            (MetaTypeName::NonNull(inner), _) => self.accepts(inner, value),
            (MetaTypeName::List(item), ConstValue::List(values)) => {
                values.iter().all(|v| self.accepts(item, v))
            }
            // A single value where a list is expected stands for a list of one.
            (MetaTypeName::List(item), _) => self.accepts(item, value),
            (MetaTypeName::Named(name), _) => self.named(name, value),
        }
    }

    fn named(&self, name: &str, value: &ConstValue) -> bool {
        match self.0.types.get(name) {
            Some(MetaType::Scalar { is_valid, .. }) => is_valid.as_ref().is_none_or(|f| f(value)),
            Some(MetaType::Enum { enum_values, .. }) => match value {
                ConstValue::Enum(v) => enum_values.contains_key(v.as_str()),
                ConstValue::String(v) => enum_values.contains_key(v.as_str()),
                _ => false,
            },
            Some(MetaType::InputObject {
                input_fields,
                oneof: false,
                ..
            }) => match value {
                ConstValue::Object(given) => {
                    given.keys().all(|k| input_fields.contains_key(k.as_str()))
                        && input_fields
                            .values()
                            .all(|field| match given.get(field.name.as_str()) {
                                Some(v) => self.accepts(&field.ty, v),
                                None => {
                                    field.default_value.is_some()
                                        || !MetaTypeName::create(&field.ty).is_non_null()
                                }
                            })
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// The operation of `doc` a request with `name` runs, found as async-graphql finds it; `None`
/// where async-graphql refuses the request.
pub fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// Whether the request gives a value (`null` included) for every variable `op` declares.
pub fn gives_every_variable(op: &OperationDefinition, variables: &Variables) -> bool {
    op.variable_definitions
        .iter()
        .all(|def| variables.contains_key(&def.node.name.node))
}

/// Whether every variable the request gives for `op` is certainly valid for its declared
/// type (step 1 of the module doc). Variables the operation does not declare are not read by
/// anything, as under strict validation.
pub fn variables_valid(
    inputs: &InputTypes,
    op: &OperationDefinition,
    variables: &Variables,
) -> bool {
    op.variable_definitions.iter().all(|def| {
        variables
            .get(&def.node.name.node)
            .is_none_or(|value| inputs.accepts(&def.node.var_type.node.to_string(), value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn v(json: serde_json::Value) -> ConstValue {
        ConstValue::from_json(json).expect("json")
    }

    #[test]
    fn accepts_only_what_it_is_sure_of() {
        let t = InputTypes::default();
        use serde_json::json;
        assert!(t.accepts("ID!", &v(json!("jc-101"))));
        assert!(t.accepts("ID", &v(json!(7))));
        assert!(!t.accepts("ID", &v(json!({"a": 1}))));
        assert!(!t.accepts("ID", &ConstValue::Null));
        assert!(t.accepts("Int", &v(json!(5))));
        assert!(!t.accepts("Int", &v(json!("5"))));
        assert!(t.accepts("[ID!]!", &v(json!(["a", "b"]))));
        assert!(t.accepts("[ID!]", &v(json!("a"))));
        assert!(!t.accepts("[ID!]", &v(json!(["a", null]))));
        assert!(t.accepts("ActivityKind!", &v(json!("PHONE"))));
        assert!(t.accepts("ActivityKind", &ConstValue::Enum(Name::new("EMAIL"))));
        assert!(!t.accepts("ActivityKind", &v(json!("FAX"))));
        assert!(!t.accepts("ActivityKind", &v(json!(1))));
        assert!(t.accepts("DateTime", &v(json!("2026-01-02T03:04:05Z"))));
        // As in strict validation: DateTime takes any string (its resolver parses it).
        assert!(t.accepts("DateTime", &v(json!("yesterday"))));
        assert!(!t.accepts("NoSuchType", &v(json!("x"))));
        // An input object: known fields only, required ones present, each valid.
        let filter = |x| t.accepts("ActivityFilter", &v(x));
        assert!(filter(
            json!({"coordinatedBy": "jc-101", "since": "2026-01-02T03:04:05Z"})
        ));
        assert!(!filter(json!({"coordinatedBy": "jc-101", "unknown": 1})));
        assert!(!filter(json!({"companyId": ["a"]})));
        assert!(!filter(json!({"coordinatedBy": null})));
        assert!(!filter(json!("jc-101")));
        let input = |x| t.accepts("LogActivityInput!", &v(x));
        assert!(input(
            json!({"companyId": "c", "kind": "PHONE", "status": "HELD"})
        ));
        assert!(
            !input(json!({"kind": "PHONE", "status": "HELD"})),
            "companyId is required"
        );
    }

    #[test]
    fn finds_the_operation_as_async_graphql_does() {
        let doc =
            async_graphql::parser::parse_query("query A { me { sub } } query B { me { sub } }")
                .expect("parse");
        assert!(operation(&doc, Some("A")).is_some());
        assert!(operation(&doc, Some("C")).is_none());
        assert!(
            operation(&doc, None).is_none(),
            "two operations need a name"
        );
        let one = async_graphql::parser::parse_query("{ me { sub } }").expect("parse");
        assert!(operation(&one, None).is_some());
        assert!(operation(&one, Some("A")).is_none());
    }
}
