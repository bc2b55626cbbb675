//! Rule 5 on every path: the summary of an activity with `visibility: ORGANISATION` and the
//! notes of its agreements are read only by users whose token `org` is the activity's owning
//! organisation, admins of other organisations included. Checked by walking every query field
//! the schema has (found by introspection, so a field added later is walked too), the audit
//! trail, and the answers of every mutation that takes the activity or its follow-ups.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use api::auth::Role;
use api::config::Config;
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::{in_days, register_company};
use crate::helpers::TestApp;

/// Object levels expanded below (and including) each root field.
const WALK_DEPTH: usize = 6;
/// Levels expanded in the answers of mutations.
const MUTATION_DEPTH: usize = 5;
/// The private summary's length: a distinctive number, so an error that gives it away shows.
const SUMMARY_LEN: usize = 4_711;
/// The service's maximum summary length.
const SUMMARY_MAX: usize = 10_000;
/// An outcome summary that, appended to any summary of more than 8 characters, is too long.
const LONG_SUMMARY: usize = 9_990;
/// Requests in flight at a time during a walk.
const PARALLEL: usize = 4;

/// No depth, complexity or size limit: the walker asks for everything at once.
fn unlimited(c: &mut Config) {
    c.limits.max_depth = 64;
    c.limits.max_complexity = usize::MAX;
    c.limits.max_fields = usize::MAX;
    c.limits.max_aliases = usize::MAX;
    c.limits.max_values = usize::MAX;
    c.limits.max_tokens = usize::MAX;
    c.limits.max_response_bytes = usize::MAX;
    c.limits.max_body_bytes = 64 * 1024 * 1024;
    c.limits.request_timeout = std::time::Duration::from_secs(300);
}

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
      enumValues(includeDeprecated: true) { name }
    }
  }
}
fragment T on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}"#;

// ---------------------------------------------------------------------------------------------
// The schema, as introspection describes it.

#[derive(Debug, Clone)]
struct TypeRef {
    name: String,
    required: bool,
    list: bool,
}

#[derive(Debug, Clone)]
struct Arg {
    name: String,
    ty: TypeRef,
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    args: Vec<Arg>,
    ty: TypeRef,
}

#[derive(Debug, Clone)]
struct Type {
    kind: String,
    fields: Vec<Field>,
    enum_values: Vec<String>,
}

struct Schema {
    query: String,
    mutation: String,
    types: HashMap<String, Type>,
}

fn type_ref(v: &Value) -> TypeRef {
    let required = v["kind"] == "NON_NULL";
    let mut list = false;
    let mut cur = v;
    while cur["kind"] == "NON_NULL" || cur["kind"] == "LIST" {
        list |= cur["kind"] == "LIST";
        cur = &cur["ofType"];
    }
    TypeRef {
        name: cur["name"]
            .as_str()
            .unwrap_or_else(|| panic!("named type in {v}"))
            .to_owned(),
        required,
        list,
    }
}

impl Schema {
    async fn introspect(app: &TestApp, token: &str) -> Schema {
        let data = app.gql_ok(token, INTROSPECTION, json!({})).await;
        let s = &data["__schema"];
        let mut types = HashMap::new();
        for t in s["types"].as_array().expect("types") {
            let fields = t["fields"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .map(|f| Field {
                            name: f["name"].as_str().expect("name").to_owned(),
                            args: f["args"]
                                .as_array()
                                .expect("args")
                                .iter()
                                .map(|a| Arg {
                                    name: a["name"].as_str().expect("name").to_owned(),
                                    ty: type_ref(&a["type"]),
                                })
                                .collect(),
                            ty: type_ref(&f["type"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let enum_values = t["enumValues"]
                .as_array()
                .map(|vs| {
                    vs.iter()
                        .filter_map(|v| v["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            types.insert(
                t["name"].as_str().expect("name").to_owned(),
                Type {
                    kind: t["kind"].as_str().expect("kind").to_owned(),
                    fields,
                    enum_values,
                },
            );
        }
        Schema {
            query: s["queryType"]["name"].as_str().expect("query").to_owned(),
            mutation: s["mutationType"]["name"]
                .as_str()
                .expect("mutation")
                .to_owned(),
            types,
        }
    }

    fn kind(&self, name: &str) -> &str {
        self.types.get(name).map_or("SCALAR", |t| t.kind.as_str())
    }

    fn root_fields(&self) -> Vec<&Field> {
        self.types[&self.query]
            .fields
            .iter()
            .filter(|f| !f.name.starts_with("__"))
            .collect()
    }

    fn mutation_field(&self, name: &str) -> &Field {
        self.types[&self.mutation]
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("mutation {name} missing from the schema"))
    }
}

// ---------------------------------------------------------------------------------------------
// Generating queries: every scalar and enum field, objects expanded to a fixed depth,
// arguments filled from what the test knows.

/// What the walker fills arguments with.
struct Known {
    /// Every id the test knows: organisations, the company, activities, agreements,
    /// follow-ups and audit events.
    ids: Vec<String>,
    cvr: String,
}

fn literal(s: &str) -> String {
    serde_json::to_string(s).expect("string literal")
}

/// The values to try for one argument (`None`: leave it out), or why a required argument
/// cannot be filled.
fn arg_choices(schema: &Schema, arg: &Arg, known: &Known) -> Result<Vec<Option<String>>, String> {
    let ty = &arg.ty;
    let mut choices: Vec<Option<String>> = if ty.name == "ID" {
        if ty.list {
            let all: Vec<String> = known.ids.iter().map(|i| literal(i)).collect();
            vec![Some(format!("[{}]", all.join(", ")))]
        } else {
            known.ids.iter().map(|i| Some(literal(i))).collect()
        }
    } else if arg.name == "cvr" && ty.name == "String" {
        vec![Some(literal(&known.cvr))]
    } else if arg.name == "first" && ty.name == "Int" {
        vec![Some("100".into())]
    } else if !ty.required {
        Vec::new()
    } else if schema.kind(&ty.name) == "ENUM" {
        let first = schema.types[&ty.name]
            .enum_values
            .first()
            .cloned()
            .ok_or_else(|| format!("{}: enum {} without values", arg.name, ty.name))?;
        vec![Some(if ty.list { format!("[{first}]") } else { first })]
    } else {
        return Err(format!("{}: {}", arg.name, ty.name));
    };
    if !ty.required {
        choices.push(None);
    }
    Ok(choices)
}

/// Every combination of argument values, as `(a: 1, b: "x")` (empty without arguments).
fn arg_combos(schema: &Schema, field: &Field, known: &Known) -> Result<Vec<String>, String> {
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    // Every known id is tried for the first id argument; a later optional one (a filter
    // such as `callList(campaignId:, organisationId:)`) is left out, which shows the most,
    // instead of multiplying the requests.
    let mut ids_expanded = false;
    for arg in &field.args {
        let is_id = arg.ty.name == "ID" && !arg.ty.list;
        if is_id && ids_expanded && !arg.ty.required {
            continue;
        }
        ids_expanded |= is_id;
        let choices = arg_choices(schema, arg, known)?;
        let mut next = Vec::new();
        for combo in &combos {
            for choice in &choices {
                let mut c = combo.clone();
                if let Some(v) = choice {
                    c.push(format!("{}: {v}", arg.name));
                }
                next.push(c);
            }
        }
        combos = next;
    }
    Ok(combos
        .into_iter()
        .map(|c| {
            if c.is_empty() {
                String::new()
            } else {
                format!("({})", c.join(", "))
            }
        })
        .collect())
}

/// The selection set of `type_name` at `level` (the root field's type is level 1), or `None`
/// when nothing can be selected. Fields with arguments appear once per argument combination,
/// under aliases. Fields whose required arguments cannot be filled are noted in `skipped`.
fn selection(
    schema: &Schema,
    type_name: &str,
    level: usize,
    max: usize,
    known: &Known,
    skipped: &mut BTreeSet<String>,
) -> Option<String> {
    let mut parts = Vec::new();
    for f in &schema.types[type_name].fields {
        if f.name.starts_with("__") {
            continue;
        }
        let combos = match arg_combos(schema, f, known) {
            Ok(c) => c,
            Err(why) => {
                skipped.insert(format!("{type_name}.{} (required {why})", f.name));
                continue;
            }
        };
        let sub = match sub_selection(schema, &f.ty, level, max, known, skipped) {
            Some(s) => s,
            None => continue,
        };
        for (i, args) in combos.iter().enumerate() {
            let alias = if combos.len() > 1 {
                format!("{}_{i}: ", f.name)
            } else {
                String::new()
            };
            parts.push(format!("{alias}{}{args}{sub}", f.name));
        }
    }
    (!parts.is_empty()).then(|| format!(" {{ {} }}", parts.join(" ")))
}

/// What follows a field of type `ty` found at `level`: nothing for a leaf, a selection set for
/// an object (if the depth allows), `None` if it cannot be selected.
fn sub_selection(
    schema: &Schema,
    ty: &TypeRef,
    level: usize,
    max: usize,
    known: &Known,
    skipped: &mut BTreeSet<String>,
) -> Option<String> {
    match schema.kind(&ty.name) {
        "SCALAR" | "ENUM" => Some(String::new()),
        "OBJECT" if level < max => selection(schema, &ty.name, level + 1, max, known, skipped),
        "OBJECT" => None,
        _ => Some(" { __typename }".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Counting.

struct Plants {
    /// In the private activity's summary.
    summary: String,
    /// In the note of the private activity's agreement.
    note: String,
    /// In the description of a follow-up of the private activity (not covered by rule 5;
    /// counted for the report only).
    follow_up: String,
    /// In the summary and agreement note of a SHARED activity: everyone reads them, which
    /// proves the walk reaches summaries and notes at all.
    control_summary: String,
    control_note: String,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    requests: usize,
    errors: usize,
    summary: usize,
    note: usize,
    follow_up: usize,
    control_summary: usize,
    control_note: usize,
}

impl Counts {
    fn add(&mut self, text: &str, plants: &Plants) {
        self.requests += 1;
        self.summary += text.matches(plants.summary.as_str()).count();
        self.note += text.matches(plants.note.as_str()).count();
        self.follow_up += text.matches(plants.follow_up.as_str()).count();
        self.control_summary += text.matches(plants.control_summary.as_str()).count();
        self.control_note += text.matches(plants.control_note.as_str()).count();
    }

    fn plus(mut self, o: &Counts) -> Counts {
        self.requests += o.requests;
        self.errors += o.errors;
        self.summary += o.summary;
        self.note += o.note;
        self.follow_up += o.follow_up;
        self.control_summary += o.control_summary;
        self.control_note += o.control_note;
        self
    }
}

/// POST /graphql; the raw body text.
async fn post(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body")
}

struct Reader {
    label: &'static str,
    token: String,
    /// Token `org` is the owning organisation (jc-101).
    owner: bool,
}

fn readers(app: &TestApp) -> Vec<Reader> {
    let r = |label, sub: &str, org: &str, role: Role, owner| Reader {
        label,
        token: app.token(sub, org, &[role]),
        owner,
    };
    vec![
        r(
            "consultant jc-751",
            "consultant@jc-751",
            "jc-751",
            Role::Consultant,
            false,
        ),
        r(
            "coordinator jc-751",
            "coordinator@jc-751",
            "jc-751",
            Role::Coordinator,
            false,
        ),
        r(
            "national national",
            "national@national",
            "national",
            Role::National,
            false,
        ),
        r(
            "integration jc-751",
            "integration@jc-751",
            "jc-751",
            Role::Integration,
            false,
        ),
        // The admin who deleted and restored the activity: its events are stored under
        // `national`.
        r(
            "admin national",
            "admin@national",
            "national",
            Role::Admin,
            false,
        ),
        // Same organisation as that admin: reads the events stored under it.
        r(
            "consultant national",
            "consultant@national",
            "national",
            Role::Consultant,
            false,
        ),
        r("admin jc-751", "admin@jc-751", "jc-751", Role::Admin, false),
        r(
            "consultant jc-101 (owner)",
            "owner@jc-101",
            "jc-101",
            Role::Consultant,
            true,
        ),
        r(
            "admin jc-101 (owner org)",
            "admin@jc-101",
            "jc-101",
            Role::Admin,
            true,
        ),
    ]
}

/// Runs every root query field (or those in `only`) with every argument combination as
/// `token`; occurrences per root field. Every request must have executed (`data` present).
async fn walk(
    app: &TestApp,
    schema: &Schema,
    known: &Known,
    token: &str,
    plants: &Plants,
    only: Option<&[&str]>,
    skipped: &mut BTreeSet<String>,
) -> BTreeMap<String, Counts> {
    let mut requests: Vec<(String, String)> = Vec::new();
    for f in schema.root_fields() {
        if only.is_some_and(|o| !o.contains(&f.name.as_str())) {
            continue;
        }
        let combos = match arg_combos(schema, f, known) {
            Ok(c) => c,
            Err(why) => {
                skipped.insert(format!("Query.{} (required {why})", f.name));
                continue;
            }
        };
        let Some(sub) = sub_selection(schema, &f.ty, 1, WALK_DEPTH, known, skipped) else {
            skipped.insert(format!("Query.{} (nothing to select)", f.name));
            continue;
        };
        for args in combos {
            requests.push((f.name.clone(), format!("query {{ {}{args}{sub} }}", f.name)));
        }
    }
    let answers: Vec<(String, String, String)> = futures::stream::iter(requests)
        .map(|(field, query)| async move {
            let text = post(app, token, &query, json!({})).await;
            (field, query, text)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for (field, query, text) in answers {
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{field}: not JSON ({e}): {text:.500}"));
        assert!(
            body.get("data").is_some(),
            "the walker's query for {field} did not execute: {text:.2000}\nquery: {query:.2000}"
        );
        let counts = out.entry(field).or_default();
        counts.add(&text, plants);
        if body.get("errors").is_some() {
            counts.errors += 1;
        }
    }
    out
}

fn print_table(title: &str, fields: &[String], rows: &[(&str, BTreeMap<String, Counts>)]) {
    let mut out = format!(
        "\n== {title}\n   cell = occurrences of PLANT-SUMMARY/PLANT-NOTE in the raw answers of that root field (all argument combinations);\n   control = SHARED activity's summary/note (all fields); followUp = private activity's follow-up description (all fields, not rule 5)\n"
    );
    out.push_str(&format!("{:<27}", "reader"));
    for f in fields {
        out.push_str(&format!(" {:>14}", f));
    }
    out.push_str(&format!(
        " {:>9} {:>8} {:>6} {:>6}\n",
        "control", "followUp", "reqs", "errs"
    ));
    for (label, counts) in rows {
        out.push_str(&format!("{label:<27}"));
        let mut total = Counts::default();
        for f in fields {
            match counts.get(f) {
                Some(c) => {
                    out.push_str(&format!(" {:>14}", format!("{}/{}", c.summary, c.note)));
                    total = total.plus(c);
                }
                None => out.push_str(&format!(" {:>14}", "-")),
            }
        }
        out.push_str(&format!(
            " {:>9} {:>8} {:>6} {:>6}\n",
            format!("{}/{}", total.control_summary, total.control_note),
            total.follow_up,
            total.requests,
            total.errors
        ));
    }
    eprintln!("{out}");
}

fn sum(counts: &BTreeMap<String, Counts>, fields: &[&str]) -> Counts {
    counts
        .iter()
        .filter(|(f, _)| fields.contains(&f.as_str()))
        .fold(Counts::default(), |acc, (_, c)| acc.plus(c))
}

/// Checks the walk of one reader; failures are collected, not raised, so the report shows all.
fn judge(reader: &Reader, counts: &BTreeMap<String, Counts>, failures: &mut Vec<String>) {
    if reader.owner {
        let reads = sum(counts, &["activity", "company", "companies"]);
        let audit = sum(counts, &["auditEvents"]);
        let walked_reads = counts.contains_key("activity");
        for (what, n, walked) in [
            ("summary via activity/company", reads.summary, walked_reads),
            ("note via agreements", reads.note, walked_reads),
            ("summary via auditEvents", audit.summary, true),
            ("note via auditEvents", audit.note, true),
        ] {
            if walked && n == 0 {
                failures.push(format!(
                    "{}: the owning organisation does not read the {what}",
                    reader.label
                ));
            }
        }
        return;
    }
    for (field, c) in counts {
        if c.summary > 0 || c.note > 0 {
            failures.push(format!(
                "{}: {field} leaks the private summary {} times and the private note {} times",
                reader.label, c.summary, c.note
            ));
        }
    }
    let all = counts
        .values()
        .fold(Counts::default(), |acc, c| acc.plus(c));
    if counts.contains_key("activity") && (all.control_summary == 0 || all.control_note == 0) {
        failures.push(format!(
            "{}: the SHARED control summary/note was not read ({}/{}): the walk does not reach them",
            reader.label, all.control_summary, all.control_note
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// The record: a private and a shared activity of jc-101, with outcomes.

const LOG: &str = "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }";
const OUTCOME: &str = "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { agreements { id } followUps { id } } }";

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect()
}

struct Record {
    company: String,
    cvr: String,
    private: String,
    private_follow_ups: Vec<String>,
    /// Every id but audit events'.
    ids: Vec<String>,
}

async fn record(app: &TestApp, owner: &str, deleter: &str, plants: &Plants) -> Record {
    let company = register_company(app, owner, "Fortrolig Virksomhed A/S", "101").await;
    let company_id = company["id"].as_str().expect("id").to_owned();
    let cvr = company["cvr"].as_str().expect("cvr").to_owned();

    let summary = format!(
        "{} {}",
        plants.summary,
        "x".repeat(SUMMARY_LEN - plants.summary.len() - 1)
    );
    assert_eq!(summary.chars().count(), SUMMARY_LEN);
    let private = app
        .gql_ok(
            owner,
            LOG,
            // A joint visit: the participant (Jobservice Danmark) finds it in its own lists,
            // and still does not read the private note.
            json!({ "i": { "companyId": company_id, "kind": "VISIT", "status": "HELD",
                "visibility": "ORGANISATION", "summary": summary,
                "participantOrganisationIds": ["national"] } }),
        )
        .await["logActivity"]["activity"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let outcome = app
        .gql_ok(
            owner,
            OUTCOME,
            json!({ "a": private, "i": {
                "agreements": [{ "kind": "RECRUITMENT", "positions": 2, "note": plants.note }],
                "followUps": [
                    { "description": format!("{} ring tilbage", plants.follow_up), "dueOn": in_days(7), "assigneeSub": "owner@jc-101" },
                    { "description": "Send CV'er", "dueOn": in_days(14) },
                ],
            } }),
        )
        .await["recordOutcome"]
        .clone();
    let private_agreements = ids(&outcome["agreements"]);
    let private_follow_ups = ids(&outcome["followUps"]);
    assert_eq!(private_follow_ups.len(), 2);

    let shared = app
        .gql_ok(
            owner,
            LOG,
            json!({ "i": { "companyId": company_id, "kind": "PHONE", "status": "HELD",
                "visibility": "SHARED", "summary": plants.control_summary } }),
        )
        .await["logActivity"]["activity"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let shared_outcome = app
        .gql_ok(
            owner,
            OUTCOME,
            json!({ "a": shared, "i": {
                "agreements": [{ "kind": "MENTOR", "positions": 1, "note": plants.control_note }],
                "followUps": [{ "description": "Følg op", "dueOn": in_days(3) }],
            } }),
        )
        .await["recordOutcome"]
        .clone();

    // An admin of another organisation deletes and restores the private activity (allowed for
    // admins); the events are stored under the admin's organisation.
    for op in ["deleteActivity", "restoreActivity"] {
        app.gql_ok(
            deleter,
            &format!("mutation($id: ID!) {{ {op}(id: $id) {{ id }} }}"),
            json!({ "id": private }),
        )
        .await;
    }

    // An ACTIVE job service agreement coordinated by another jobcentre: the coordinator's
    // view of the company (`activities(filter: {coordinatedBy})`, the agreement's company)
    // is one more path to the private activity.
    let national = app.token("jsd@national", "national", &[Role::National]);
    let agreement = app
        .gql_ok(
            &national,
            "mutation($c: ID!) { createJobServiceAgreement(input: { companyId: $c, coordinatorId: \"jc-751\" }) { id } }",
            json!({ "c": company_id }),
        )
        .await["createJobServiceAgreement"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.gql_ok(
        &national,
        "mutation($id: ID!) { setJobServiceAgreementStatus(id: $id, expectedVersion: 1, status: ACTIVE) { id } }",
        json!({ "id": agreement }),
    )
    .await;

    let mut all = vec![
        agreement,
        "jc-101".to_owned(),
        "jc-751".to_owned(),
        "national".to_owned(),
        company_id.clone(),
        private.clone(),
        shared,
    ];
    all.extend(private_agreements);
    all.extend(private_follow_ups.iter().cloned());
    all.extend(ids(&shared_outcome["agreements"]));
    all.extend(ids(&shared_outcome["followUps"]));
    Record {
        company: company_id,
        cvr,
        private,
        private_follow_ups,
        ids: all,
    }
}

/// The record's ids plus every audit event id (read by an admin of the owning organisation).
async fn known(app: &TestApp, owner_admin: &str, record: &Record) -> Known {
    let events = app
        .gql_ok(owner_admin, "{ auditEvents(first: 100) { id } }", json!({}))
        .await;
    let mut ids = record.ids.clone();
    ids.extend(self::ids(&events["auditEvents"]));
    Known {
        ids,
        cvr: record.cvr.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations that take the private activity or its follow-ups, by other organisations.

/// Maximal runs of digits in `text`.
fn numbers(text: &str) -> BTreeSet<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty() && s.len() < 19)
        .filter_map(|s| s.parse().ok())
        .collect()
}

struct Call {
    label: String,
    query: String,
    variables: Value,
    /// Must answer FORBIDDEN and write nothing.
    forbidden: bool,
}

fn calls(schema: &Schema, record: &Record, version: i64) -> Vec<Call> {
    let mut skipped = BTreeSet::new();
    let known = Known {
        ids: Vec::new(),
        cvr: record.cvr.clone(),
    };
    let sel = |name: &str, skipped: &mut BTreeSet<String>| {
        let ty = &schema.mutation_field(name).ty;
        sub_selection(schema, ty, 1, MUTATION_DEPTH, &known, skipped)
            .unwrap_or_else(|| panic!("nothing to select in {name}"))
    };
    let mut out = Vec::new();
    let mut add =
        |label: &str, name: &str, params: &str, args: &str, variables: Value, forbidden| {
            let s = sel(name, &mut skipped);
            out.push(Call {
                label: label.to_owned(),
                query: format!("mutation({params}) {{ {name}({args}){s} }}"),
                variables,
                forbidden,
            });
        };
    let a = &record.private;
    add(
        "setActivityStatus NO_SHOW (current version)",
        "setActivityStatus",
        "$id: ID!, $v: Int!",
        "id: $id, expectedVersion: $v, status: NO_SHOW",
        json!({ "id": a, "v": version }),
        false,
    );
    add(
        "setActivityStatus (stale version)",
        "setActivityStatus",
        "$id: ID!, $v: Int!",
        "id: $id, expectedVersion: $v, status: HELD",
        json!({ "id": a, "v": version + 100 }),
        false,
    );
    add(
        "recordOutcome with a 9,990-character summary",
        "recordOutcome",
        "$id: ID!, $i: OutcomeInput!",
        "activityId: $id, input: $i",
        json!({ "id": a, "i": { "agreements": [], "followUps": [], "summary": "y".repeat(LONG_SUMMARY) } }),
        true,
    );
    add(
        "recordOutcome with a short summary",
        "recordOutcome",
        "$id: ID!, $i: OutcomeInput!",
        "activityId: $id, input: $i",
        json!({ "id": a, "i": { "agreements": [], "followUps": [], "summary": "Tilføjet udefra" } }),
        true,
    );
    add(
        "recordOutcome without summary",
        "recordOutcome",
        "$id: ID!, $i: OutcomeInput!",
        "activityId: $id, input: $i",
        json!({ "id": a, "i": { "agreements": [{ "kind": "IGU", "positions": 1 }], "followUps": [] } }),
        false,
    );
    add(
        "deleteActivity",
        "deleteActivity",
        "$id: ID!",
        "id: $id",
        json!({ "id": a }),
        false,
    );
    add(
        "restoreActivity",
        "restoreActivity",
        "$id: ID!",
        "id: $id",
        json!({ "id": a }),
        false,
    );
    add(
        "logActivity on the company",
        "logActivity",
        "$i: LogActivityInput!",
        "input: $i",
        json!({ "i": { "companyId": record.company, "kind": "PHONE", "status": "HELD", "summary": "Opkald" } }),
        false,
    );
    for (i, f) in record.private_follow_ups.iter().enumerate() {
        add(
            &format!("completeFollowUp #{i} (wrong expectedVersion)"),
            "completeFollowUp",
            "$id: ID!",
            "id: $id, expectedVersion: 99, note: \"Klaret\"",
            json!({ "id": f }),
            false,
        );
    }
    assert!(skipped.is_empty(), "mutation answers skipped: {skipped:?}");
    out
}

/// The private summary's length and the activity's version, as the owner reads them.
async fn private_state(app: &TestApp, owner: &str, record: &Record) -> (usize, i64) {
    let a = app
        .gql_ok(
            owner,
            "query($id: ID!) { activity(id: $id) { summary version } }",
            json!({ "id": record.private }),
        )
        .await["activity"]
        .clone();
    (
        a["summary"].as_str().expect("summary").chars().count(),
        a["version"].as_i64().expect("version"),
    )
}

async fn every_path_keeps_private_notes_private(app: TestApp) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let plants = Plants {
        summary: format!("PLANT-SUMMARY-{tag}"),
        note: format!("PLANT-NOTE-{tag}"),
        follow_up: format!("PLANT-FOLLOWUP-{tag}"),
        control_summary: format!("CONTROL-SUMMARY-{tag}"),
        control_note: format!("CONTROL-NOTE-{tag}"),
    };
    let readers = readers(&app);
    let token_of = |label: &str| {
        readers
            .iter()
            .find(|r| r.label.starts_with(label))
            .map(|r| r.token.clone())
            .expect("reader")
    };
    let owner = token_of("consultant jc-101");
    let owner_admin = token_of("admin jc-101");
    let record = record(&app, &owner, &token_of("admin national"), &plants).await;
    let schema = Schema::introspect(&app, &owner).await;
    let fields: Vec<String> = schema
        .root_fields()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut failures: Vec<String> = Vec::new();
    let mut skipped = BTreeSet::new();

    // 1. Every root query field, as every reader.
    let known1 = known(&app, &owner_admin, &record).await;
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    for reader in &readers {
        let counts = walk(
            &app,
            &schema,
            &known1,
            &reader.token,
            &plants,
            None,
            &mut skipped,
        )
        .await;
        judge(reader, &counts, &mut failures);
        rows.push((reader.label, counts));
    }
    print_table(
        &format!(
            "privacy walk 1 ({:?}): every root query field, {} known ids, depth {WALK_DEPTH}, {:.1} s",
            app.backend,
            known1.ids.len(),
            started.elapsed().as_secs_f64()
        ),
        &fields,
        &rows,
    );
    if !skipped.is_empty() {
        eprintln!("fields the walker could not fill and skipped: {skipped:?}");
    }

    // 2. Mutations on the private activity and its follow-ups, as every other reader: no
    // plant, no summary length in an error; appending a summary is FORBIDDEN, writes nothing.
    let mut outcomes: Vec<String> = Vec::new();
    for reader in readers.iter().filter(|r| !r.owner) {
        let (len, version) = private_state(&app, &owner, &record).await;
        let forbidden_numbers: BTreeSet<u64> = [
            len,
            len + 2 + LONG_SUMMARY,
            len + 2 + "Tilføjet udefra".chars().count(),
            SUMMARY_MAX.saturating_sub(len),
            SUMMARY_MAX.saturating_sub(len + 2),
        ]
        .into_iter()
        .map(|n| n as u64)
        .collect();
        for call in calls(&schema, &record, version) {
            let before = app.table_digests().await;
            let text = post(&app, &reader.token, &call.query, call.variables.clone()).await;
            let after = app.table_digests().await;
            let body: Value = serde_json::from_str(&text).expect("JSON");
            let who = format!("{}: {}", reader.label, call.label);
            assert!(
                body.get("data").is_some(),
                "{who}: the document did not execute: {text:.1000}"
            );
            let code = body
                .pointer("/errors/0/extensions/code")
                .and_then(Value::as_str)
                .unwrap_or("ok")
                .to_owned();
            let wrote = after != before;
            outcomes.push(format!(
                "{who:<75} {code:<17} {}",
                if wrote { "wrote" } else { "nothing written" }
            ));
            for (what, plant) in [("summary", &plants.summary), ("note", &plants.note)] {
                let n = text.matches(plant.as_str()).count();
                if n > 0 {
                    failures.push(format!(
                        "{who}: the answer holds the private {what} {n} times"
                    ));
                }
            }
            for e in body["errors"].as_array().into_iter().flatten() {
                let leaked: Vec<u64> = numbers(&e.to_string())
                    .intersection(&forbidden_numbers)
                    .copied()
                    .collect();
                if !leaked.is_empty() {
                    failures.push(format!(
                        "{who}: the error gives away the summary's length ({leaked:?}): {e}"
                    ));
                }
            }
            if call.forbidden {
                if code != "FORBIDDEN" {
                    failures.push(format!(
                        "{who}: expected FORBIDDEN, got {code}: {:.300}",
                        body["errors"]
                    ));
                }
                if wrote {
                    let changed: Vec<&String> = after
                        .iter()
                        .filter(|(t, d)| before.get(*t) != Some(d))
                        .map(|(t, _)| t)
                        .collect();
                    failures.push(format!("{who}: wrote to {changed:?}"));
                }
            }
        }
    }
    eprintln!(
        "\n== mutations by other organisations ({:?}): first error code, whether anything was written\n{}",
        app.backend,
        outcomes.join("\n")
    );

    // 3. The audit trail again, now holding the events of those mutations.
    let known3 = known(&app, &owner_admin, &record).await;
    let mut rows = Vec::new();
    for reader in &readers {
        let counts = walk(
            &app,
            &schema,
            &known3,
            &reader.token,
            &plants,
            Some(&["auditEvents"]),
            &mut skipped,
        )
        .await;
        judge(reader, &counts, &mut failures);
        rows.push((reader.label, counts));
    }
    print_table(
        &format!(
            "privacy walk 2 ({:?}): auditEvents after the mutations, {} known ids",
            app.backend,
            known3.ids.len()
        ),
        &["auditEvents".to_owned()],
        &rows,
    );

    assert!(
        failures.is_empty(),
        "{} privacy failures ({:?}):\n{}",
        failures.len(),
        app.backend,
        failures.join("\n")
    );
}

db_tests!(config = unlimited; every_path_keeps_private_notes_private);
