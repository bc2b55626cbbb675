//! What a document may cost, decided before async-graphql validates it.
//!
//! async-graphql's own checks walk fragments without memory (a chain of fragments that each
//! spread the previous one twice costs 2^n before "too complex" is known), and its parser
//! recurses per nesting level. So every document first passes, in time linear in its size:
//!
//! 1. a scan of the raw text for bracket nesting (no parser recursion beyond [`MAX_NESTING`]);
//! 2. the parse (once; the parsed document is handed on, not parsed again);
//! 3. one memoised walk of the operations with their fragments expanded: fields, aliases and
//!    argument values counted against the limits, fragment cycles refused, and every string
//!    argument checked for what cannot be stored (a NUL byte);
//! 4. the same for the variables.
//!
//! A refusal is an `AppError` (LIMIT_EXCEEDED or VALIDATION with the argument's path), raised
//! before any resolver runs, so it costs no SQL.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

use crate::config::Limits;
use crate::error::AppError;

/// Brackets (`{`, `(`, `[`) nested deeper than this are refused before parsing.
pub const MAX_NESTING: usize = 64;

/// Refuses, in one pass over its text and before it is parsed, a document that nests brackets
/// deeper than [`MAX_NESTING`] or holds more than `max_tokens` tokens (names, numbers,
/// strings, punctuation; comments and commas do not count).
pub fn check_text(query: &str, max_tokens: usize) -> Result<(), AppError> {
    let bytes = query.as_bytes();
    let (mut depth, mut max, mut i, mut tokens) = (0usize, 0usize, 0usize, 0usize);
    let is_word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+');
    while i < bytes.len() {
        let b = bytes[i];
        if is_word(b)
            || matches!(
                b,
                b'"' | b'{'
                    | b'}'
                    | b'('
                    | b')'
                    | b'['
                    | b']'
                    | b':'
                    | b'='
                    | b'@'
                    | b'$'
                    | b'!'
                    | b'|'
                    | b'&'
            )
        {
            tokens += 1;
            if tokens > max_tokens {
                return Err(AppError::LimitExceeded(format!(
                    "the document has more than {max_tokens} tokens"
                )));
            }
        }
        if is_word(b) {
            while i + 1 < bytes.len() && is_word(bytes[i + 1]) {
                i += 1;
            }
            i += 1;
            continue;
        }
        match b {
            // A comment ends at either line terminator, as the grammar's does.
            b'#' => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            // In a block string only \""" is an escape.
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            // A string cannot span lines; a backslash escapes the next character.
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                max = max.max(depth);
                if max > MAX_NESTING {
                    return Err(AppError::LimitExceeded(format!(
                        "the document nests deeper than {MAX_NESTING} levels"
                    )));
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// What an expanded selection set costs.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
    values: u64,
}

impl Cost {
    fn add(&mut self, o: Cost) {
        self.fields = self.fields.saturating_add(o.fields);
        self.aliases = self.aliases.saturating_add(o.aliases);
        self.values = self.values.saturating_add(o.values);
    }
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    limits: &'a Limits,
    /// Expanded cost of each fragment, computed once.
    memo: HashMap<&'a str, Cost>,
    /// Fragments being expanded (a spread of one of these is a cycle).
    stack: Vec<&'a str>,
    /// Where each variable is used: the argument path it stands for.
    variable_paths: HashMap<String, String>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Cost, AppError> {
        let mut cost = Cost::default();
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    cost.add(Cost {
                        fields: 1,
                        aliases: u64::from(f.alias.is_some()),
                        values: 0,
                    });
                    let directive_arguments =
                        f.directives.iter().flat_map(|d| d.node.arguments.iter());
                    for (name, value) in f.arguments.iter().chain(directive_arguments) {
                        cost.values = cost
                            .values
                            .saturating_add(self.value(&value.node, name.node.to_string())?);
                    }
                    let inner = self.selection_set(&f.selection_set)?;
                    cost.add(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    cost.add(self.fragment(name)?);
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.selection_set(&inline.node.selection_set)?;
                    cost.add(inner);
                }
            }
            self.check(cost)?;
        }
        Ok(cost)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Cost, AppError> {
        if let Some(cost) = self.memo.get(name) {
            return Ok(*cost);
        }
        if self.stack.contains(&name) {
            return Err(AppError::validation(
                "query",
                format!("fragment {name} spreads itself (a cycle)"),
            ));
        }
        // An unknown fragment is left to validation, which names it.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Cost::default());
        };
        self.stack.push(name);
        let cost = self.selection_set(&fragment.node.selection_set)?;
        self.stack.pop();
        self.memo.insert(name, cost);
        Ok(cost)
    }

    /// Counts the values of an argument and refuses strings that cannot be stored.
    fn value(&mut self, value: &Value, path: String) -> Result<u64, AppError> {
        Ok(match value {
            Value::String(s) => {
                check_storable(&path, s)?;
                1
            }
            Value::List(items) => {
                let mut n: u64 = 1;
                for (i, item) in items.iter().enumerate() {
                    n = n.saturating_add(self.value(item, format!("{path}[{i}]"))?);
                    self.check_values(n)?;
                }
                n
            }
            Value::Object(fields) => {
                let mut n: u64 = 1;
                for (key, item) in fields {
                    n = n.saturating_add(self.value(item, format!("{path}.{key}"))?);
                    self.check_values(n)?;
                }
                n
            }
            Value::Variable(name) => {
                self.variable_paths.entry(name.to_string()).or_insert(path);
                1
            }
            _ => 1,
        })
    }

    fn check_values(&self, n: u64) -> Result<(), AppError> {
        if n > self.limits.max_values as u64 {
            return Err(AppError::LimitExceeded(format!(
                "the operation has more than {} argument values",
                self.limits.max_values
            )));
        }
        Ok(())
    }

    fn check(&self, cost: Cost) -> Result<(), AppError> {
        if cost.aliases > self.limits.max_aliases as u64 {
            return Err(AppError::LimitExceeded(format!(
                "the operation has more than {} aliases",
                self.limits.max_aliases
            )));
        }
        if cost.fields > self.limits.max_fields as u64 {
            return Err(AppError::LimitExceeded(format!(
                "the operation selects more than {} fields (fragments expanded)",
                self.limits.max_fields
            )));
        }
        self.check_values(cost.values)
    }
}

/// A string that the databases can store and compare: no NUL byte (PostgreSQL text cannot
/// hold one; SQLite would cut or compare it differently).
pub fn check_storable(field: &str, s: &str) -> Result<(), AppError> {
    if s.contains('\0') {
        return Err(AppError::validation(
            field,
            "contains a NUL character, which cannot be stored",
        ));
    }
    Ok(())
}

fn const_value(value: &ConstValue, path: &str, count: &mut u64, max: u64) -> Result<(), AppError> {
    *count = count.saturating_add(1);
    if *count > max {
        return Err(AppError::LimitExceeded(format!(
            "the variables hold more than {max} values"
        )));
    }
    match value {
        ConstValue::String(s) => check_storable(path, s),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| const_value(v, &format!("{path}[{i}]"), count, max)),
        ConstValue::Object(fields) => fields
            .iter()
            .try_for_each(|(k, v)| const_value(v, &format!("{path}.{k}"), count, max)),
        _ => Ok(()),
    }
}

/// Where each variable of a checked document is used: the argument path it stands for, so a
/// refused variable value is named by the argument it feeds.
#[derive(Debug, Clone, Default)]
pub struct VariablePaths(HashMap<String, String>);

/// Checks a parsed document, without its variables, against the limits (steps 3 of the module
/// doc). The outcome depends on the document and the limits only, so it may be reused for
/// the same text.
pub fn check_operations(
    doc: &ExecutableDocument,
    limits: &Limits,
) -> Result<VariablePaths, AppError> {
    let mut walk = Walk {
        doc,
        limits,
        memo: HashMap::new(),
        stack: Vec::new(),
        variable_paths: HashMap::new(),
    };
    let mut total = Cost::default();
    for (_, operation) in doc.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                let path = format!("${}", definition.node.name.node);
                let mut n = 0;
                const_value(&default.node, &path, &mut n, limits.max_values as u64)?;
            }
        }
        total.add(walk.selection_set(&operation.node.selection_set)?);
        walk.check(total)?;
    }
    // Fragments no operation spreads are priced too: validation walks them, and a chain of
    // unused fragments must not cost it more than a used one would.
    for name in doc.fragments.keys() {
        let cost = walk.fragment(name.as_str())?;
        walk.check(cost)?;
    }
    Ok(VariablePaths(walk.variable_paths))
}

/// Checks a request's variables (step 4): how many values, and no string that cannot be stored.
pub fn check_variables(
    paths: &VariablePaths,
    variables: &Variables,
    limits: &Limits,
) -> Result<(), AppError> {
    let mut count = 0u64;
    for (name, value) in variables.iter() {
        let path = paths
            .0
            .get(name.as_str())
            .cloned()
            .unwrap_or_else(|| format!("${name}"));
        const_value(value, &path, &mut count, limits.max_values as u64)?;
    }
    Ok(())
}

/// Checks a parsed document and its variables against the limits (see the module doc).
pub fn check_document(
    doc: &ExecutableDocument,
    variables: &Variables,
    limits: &Limits,
) -> Result<(), AppError> {
    let paths = check_operations(doc, limits)?;
    check_variables(&paths, variables, limits)
}

/// A document that passed steps 1–3, kept with what checking its variables needs.
pub struct Checked {
    doc: ExecutableDocument,
    paths: VariablePaths,
    /// Its operations (by the request's operation name) that passed async-graphql's strict
    /// validation with every variable given (see `graphql::revalidate`); a few at most.
    validated: std::sync::Mutex<Vec<Option<String>>>,
}

/// How a request's document is validated (see `graphql::revalidate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Strictly; the document is not kept, or the request leaves a variable out.
    Strict,
    /// Strictly, and the operation is marked as validated if it passes.
    StrictThenMark,
    /// The operation passed strict validation before and the variables are certainly valid:
    /// the fast mode (complexity and depth with these variables) is enough.
    Revalidate,
}

impl Checked {
    /// How to validate `request` (its text is this document's).
    pub fn validation(
        &self,
        request: &async_graphql::Request,
        inputs: &super::revalidate::InputTypes,
    ) -> Validation {
        use super::revalidate as r;
        let name = request.operation_name.as_deref();
        let Some(op) = r::operation(&self.doc, name) else {
            return Validation::Strict;
        };
        let validated = self
            .validated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|n| n.as_deref() == name);
        if validated && r::variables_valid(inputs, op, &request.variables) {
            Validation::Revalidate
        } else if !validated && r::gives_every_variable(op, &request.variables) {
            Validation::StrictThenMark
        } else {
            Validation::Strict
        }
    }

    /// Records that the operation `name` passed strict validation.
    pub fn mark_validated(&self, name: Option<&str>) {
        const MAX_NAMES: usize = 8;
        let mut validated = self.validated.lock().unwrap_or_else(|e| e.into_inner());
        if validated.len() < MAX_NAMES && !validated.iter().any(|n| n.as_deref() == name) {
            validated.push(name.map(str::to_owned));
        }
    }
}

/// Parsed and checked documents by their exact text. Clients send the same few documents
/// with different variables, so parsing and pricing each text once saves that work on
/// nearly every request (and async-graphql's validation of a repeat is the cheaper one of
/// `graphql::revalidate`). Only
/// documents that passed are kept, texts up to [`DocumentCache::MAX_TEXT`] bytes, at most
/// `capacity` of them (least recently used leave first): the memory is bounded whatever
/// clients send, and a client sending ever new texts only pays the uncached price.
pub struct DocumentCache {
    entries: std::sync::Mutex<lru::LruCache<Box<str>, std::sync::Arc<Checked>>>,
}

/// Whether [`DocumentCache::prepare`] found the document in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
    /// Too long to keep.
    Bypass,
}

impl CacheOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Bypass => "bypass",
        }
    }
}

impl DocumentCache {
    pub const MAX_TEXT: usize = 16 * 1024;
    pub const DEFAULT_CAPACITY: usize = 512;

    pub fn new(capacity: usize) -> Self {
        let capacity = std::num::NonZeroUsize::new(capacity).unwrap_or(std::num::NonZeroUsize::MIN);
        DocumentCache {
            entries: std::sync::Mutex::new(lru::LruCache::new(capacity)),
        }
    }

    fn get(&self, text: &str) -> Option<std::sync::Arc<Checked>> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
            .cloned()
    }

    /// Steps 1–4 for a request, the first three taken from the cache when the same text
    /// passed before; the parsed document is handed to the request for execution. With it
    /// comes the cache's entry of the document, when it is kept.
    pub fn prepare(
        &self,
        request: &mut async_graphql::Request,
        limits: &Limits,
    ) -> Result<(CacheOutcome, Option<std::sync::Arc<Checked>>), AppError> {
        let cacheable = request.query.len() <= Self::MAX_TEXT;
        if cacheable && let Some(checked) = self.get(&request.query) {
            check_variables(&checked.paths, &request.variables, limits)?;
            request.set_parsed_query(checked.doc.clone());
            return Ok((CacheOutcome::Hit, Some(checked)));
        }
        check_text(&request.query, limits.max_tokens)?;
        let doc = async_graphql::parser::parse_query(&request.query)
            .map_err(|e| AppError::validation("query", e.to_string()))?;
        let paths = check_operations(&doc, limits)?;
        check_variables(&paths, &request.variables, limits)?;
        let outcome = if cacheable {
            let checked = std::sync::Arc::new(Checked {
                doc: doc.clone(),
                paths,
                validated: Default::default(),
            });
            self.entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(request.query.as_str().into(), checked.clone());
            (CacheOutcome::Miss, Some(checked))
        } else {
            (CacheOutcome::Bypass, None)
        };
        request.set_parsed_query(doc);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn limits() -> Limits {
        Limits::defaults()
    }

    fn check(query: &str) -> Result<(), AppError> {
        check_text(query, 1_000_000)?;
        let doc = parse_query(query).map_err(|e| AppError::validation("query", e.to_string()))?;
        check_document(&doc, &Variables::default(), &limits())
    }

    #[test]
    fn nesting_is_refused_before_parsing() {
        let deep = format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000));
        let started = std::time::Instant::now();
        assert!(matches!(check(&deep), Err(AppError::LimitExceeded(_))));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Brackets inside strings and comments do not count.
        let q = format!(
            "{{ a(s: \"{}\") # {}\n }}",
            "{".repeat(100),
            "(".repeat(100)
        );
        assert!(check_text(&q, 1_000).is_ok());
        // Tokens are counted before parsing.
        let many = format!("{{ a(l: [{}]) }}", "1 ".repeat(30_000));
        assert!(matches!(
            check_text(&many, 20_000),
            Err(AppError::LimitExceeded(_))
        ));
        assert!(check_text("{ me { sub } } # a comment with many words in it", 8).is_ok());
    }

    #[test]
    fn the_scan_ends_comments_and_strings_where_the_parser_does() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        // A comment ends at a lone carriage return.
        let q = format!("{{ me(x: #\r{deep}) {{ sub }} }}");
        assert!(matches!(
            check_text(&q, 1_000_000),
            Err(AppError::LimitExceeded(_))
        ));
        // In a block string a backslash escapes only \""".
        // `"""\\""" """` is one string (`\` then the escape `\"""`); what follows is code.
        let q = format!("{{ me(x: \"\"\"\\\\\"\"\" \"\"\", y: {deep}) {{ sub }} }}");
        assert!(matches!(
            check_text(&q, 1_000_000),
            Err(AppError::LimitExceeded(_))
        ));
        let q = format!("{{ me(x: \"\"\" \\\"\"\" {deep} \"\"\") {{ sub }} }}");
        assert!(
            check_text(&q, 1_000_000).is_ok(),
            "an escaped delimiter stays inside"
        );
    }

    /// `n` fragments, each spreading the previous one twice (2^n fields when expanded
    /// without memory), then `operation`.
    fn fragment_chain(n: usize, operation: &str) -> String {
        let mut q = String::from("fragment F0 on Query { me { sub } }\n");
        for i in 1..=n {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i - 1,
                i - 1
            ));
        }
        q.push_str(operation);
        q
    }

    #[test]
    fn unused_fragment_chains_are_priced_too() {
        let q = fragment_chain(40, "{ me { sub } }");
        assert!(matches!(check(&q), Err(AppError::LimitExceeded(_))));
    }

    #[test]
    fn fragment_chains_cost_linear_time() {
        let q = fragment_chain(60, "{ ...F60 }");
        let started = std::time::Instant::now();
        assert!(matches!(check(&q), Err(AppError::LimitExceeded(_))));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn fragment_cycles_are_refused() {
        let q = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }";
        assert!(matches!(check(q), Err(AppError::Validation { .. })));
    }

    #[test]
    fn aliases_are_counted_after_expansion() {
        let hundred: String = (0..100).map(|i| format!("a{i}: me {{ sub }} ")).collect();
        assert!(check(&format!("{{ {hundred} }}")).is_ok());
        assert!(matches!(
            check(&format!("{{ {hundred} extra: me {{ sub }} }}")),
            Err(AppError::LimitExceeded(_))
        ));
        // Aliases inside fragments count where the fragment is spread.
        let f: String = (0..60).map(|i| format!("f{i}: me {{ sub }} ")).collect();
        let g: String = (0..41).map(|i| format!("g{i}: me {{ sub }} ")).collect();
        let q = format!("fragment F on Query {{ {f} }} fragment G on Query {{ {g} }}");
        // An unused fragment is validation's matter (it names it), not a cost.
        assert!(check(&format!("{q} {{ ...F }}")).is_ok());
        assert!(matches!(
            check(&format!("{q} {{ ...F ...G }}")),
            Err(AppError::LimitExceeded(_))
        ));
    }

    #[test]
    fn nul_bytes_are_refused_with_their_path() {
        let err = check(r#"{ companies(filter: { nameContains: "a\u0000b" }) { nodes { id } } }"#);
        assert!(
            matches!(&err, Err(AppError::Validation { field, .. }) if field == "filter.nameContains"),
            "{err:?}"
        );
        let doc =
            parse_query("query($f: CompanyFilter) { companies(filter: $f) { nodes { id } } }")
                .expect("parse");
        let vars = Variables::from_json(serde_json::json!({ "f": { "nameContains": "x\u{0}" } }));
        let err = check_document(&doc, &vars, &limits());
        assert!(
            matches!(&err, Err(AppError::Validation { field, .. }) if field == "filter.nameContains"),
            "{err:?}"
        );
    }

    #[test]
    fn huge_lists_are_refused() {
        let items = "1,".repeat(20_000);
        assert!(matches!(
            check(&format!("{{ a(l: [{items}]) }}")),
            Err(AppError::LimitExceeded(_))
        ));
        let doc = parse_query("query($l: [Int]) { a(l: $l) }").expect("parse");
        let vars = Variables::from_json(serde_json::json!({ "l": vec![1; 20_000] }));
        assert!(matches!(
            check_document(&doc, &vars, &limits()),
            Err(AppError::LimitExceeded(_))
        ));
    }
}
