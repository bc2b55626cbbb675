//! Hostile clients: documents built to exhaust the server, input that cannot be stored, and
//! slow or dishonest HTTP clients.
//!
//! 1. Runaway documents (deep nesting, alias bombs, fragment chains and cycles, huge literals,
//!    batches, huge unparsable documents) are refused before anything runs: HTTP 4xx, or 200
//!    with `LIMIT_EXCEEDED` (`VALIDATION` for a document that does not parse or validate), no
//!    `data`, not one SQL statement (`kontaktpunkt_sql_statements_total` from /metrics), and
//!    within [`REFUSAL_BOUND`], in an answer that does not echo the document. Answers are
//!    capped at `max_response_bytes`; `auditEvents` costs per item and pages with opaque
//!    cursors.
//! 2. Input that cannot be stored (a NUL byte in every String/ID argument of the schema, found
//!    by introspection; bidi controls and non-characters in free text; cursors that decode to a
//!    NUL) answers `VALIDATION` naming the argument path, never `INTERNAL` or HTTP 5xx.
//! 3. Slow and dishonest HTTP clients (a lying Content-Length, a trickling body, headers that
//!    never end) are cut off within the configured read timeouts, spoken to over raw TCP.
//!
//! Timing: the only timings asserted here are generous upper bounds for refusals. A refusal is
//! measured as the wall time around one request (sending the prepared body, reading the whole
//! answer), best of [`REFUSAL_TRIES`] tries, so a noisy machine does not fail the suite.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use api::config::Config;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::db_tests;
use crate::fixtures::{
    add_contact_person, admin, held_activity, id, in_days, p_number, record_outcome,
    register_company, valid_cvr,
};
use crate::helpers::TestApp;

/// A refusal must arrive within this (best of [`REFUSAL_TRIES`] tries).
const REFUSAL_BOUND: Duration = Duration::from_millis(100);
/// Tries per refusal, to tolerate a noisy machine.
const REFUSAL_TRIES: usize = 3;
/// How long a test waits for any answer before it calls the server hung and fails. (A server
/// stuck in CPU work still holds a worker of the test's runtime, so the test process ends only
/// once that work does.)
const HUNG: Duration = Duration::from_secs(10);
/// The Prometheus counter of SQL statements.
const SQL: &str = "kontaktpunkt_sql_statements_total";
/// The default `max_aliases`.
const MAX_ALIASES: usize = 100;
/// The default request body limit (`KONTAKTPUNKT_MAX_BODY_BYTES`).
const MAX_BODY_BYTES: usize = 1_048_576;
/// A refusal stays below this, however long the document (it never echoes the document).
const ERROR_BODY_MAX: usize = 10 * 1024;
/// The `max_response_bytes` of [`small_responses`].
const SMALL_RESPONSE_BYTES: usize = 2_000;
/// The header and body read timeouts of [`short_read_timeouts`].
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// A trickling body is cut off by then (the body read timeout plus 2 s of slack).
const TRICKLE_BOUND: Duration = Duration::from_secs(4);
/// Stalled headers are cut off by then (the header read timeout plus 3 s of slack).
const STALL_BOUND: Duration = Duration::from_secs(5);
/// A lying Content-Length is answered by then.
const LYING_LENGTH_BOUND: Duration = Duration::from_secs(1);
/// What the NUL walker puts into every String and ID argument.
const NUL: &str = "a\u{0}b";

/// Error codes an HTTP 200 refusal may carry.
const LIMIT: &[&str] = &["LIMIT_EXCEEDED"];
const LIMIT_OR_VALIDATION: &[&str] = &["LIMIT_EXCEEDED", "VALIDATION"];

/// Answers capped at [`SMALL_RESPONSE_BYTES`]; the complexity limit out of the way, so the
/// response cap is what refuses.
fn small_responses(c: &mut Config) {
    c.limits.max_response_bytes = SMALL_RESPONSE_BYTES;
    c.limits.max_complexity = 10_000_000;
}

/// Header and body read timeouts of [`READ_TIMEOUT`].
fn short_read_timeouts(c: &mut Config) {
    c.limits.header_read_timeout = READ_TIMEOUT;
    c.limits.body_read_timeout = READ_TIMEOUT;
}

// =============================================================================================
// Requests and answers.

/// One answer to POST /graphql, with how long it took and the SQL statements run meanwhile.
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
    json: Option<Value>,
    elapsed: Duration,
    sql: f64,
}

impl Answer {
    fn errors(&self) -> &[Value] {
        self.json
            .as_ref()
            .and_then(|j| j["errors"].as_array())
            .map_or(&[], Vec::as_slice)
    }

    fn code(&self) -> Option<&str> {
        self.errors().first()?.pointer("/extensions/code")?.as_str()
    }

    fn field(&self) -> Option<&str> {
        self.errors()
            .first()?
            .pointer("/extensions/field")?
            .as_str()
    }

    /// Some error says INTERNAL.
    fn internal(&self) -> bool {
        self.errors()
            .iter()
            .any(|e| e.pointer("/extensions/code") == Some(&json!("INTERNAL")))
    }

    /// `data` holds something (a refused request has none, or `null`).
    fn has_data(&self) -> bool {
        self.json
            .as_ref()
            .and_then(|j| j.get("data"))
            .is_some_and(|d| !d.is_null())
    }

    fn excerpt(&self) -> String {
        excerpt(&self.text)
    }
}

/// At most 400 characters of `text`, for failure messages about huge bodies.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(400).collect();
    if out.len() < text.len() {
        out.push_str(&format!("… ({} bytes in all)", text.len()));
    }
    out
}

/// `{"query": query}` as a request body.
fn query_body(query: &str) -> String {
    json!({ "query": query }).to_string()
}

/// POST /graphql with `body` as it is (Content-Type application/json, `token`).
async fn post(app: &TestApp, token: &str, body: &str) -> Answer {
    let body = body.to_owned();
    let size = body.len();
    let sql_before = app.metric(SQL).await;
    let started = Instant::now();
    let sent = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body)
        .timeout(HUNG)
        .send()
        .await;
    let resp =
        sent.unwrap_or_else(|e| panic!("no answer within {HUNG:?} to a {size}-byte body: {e}"));
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = resp
        .text()
        .await
        .unwrap_or_else(|e| panic!("the answer to a {size}-byte body did not finish: {e}"));
    let elapsed = started.elapsed();
    let sql = app.metric(SQL).await - sql_before;
    Answer {
        status,
        content_type,
        json: serde_json::from_str(&text).ok(),
        text,
        elapsed,
        sql,
    }
}

/// POST /graphql of `query` with `variables`.
async fn post_query(app: &TestApp, token: &str, query: &str, variables: Value) -> Answer {
    let body = json!({ "query": query, "variables": variables }).to_string();
    post(app, token, &body).await
}

/// What every refusal of a runaway document looks like: HTTP 4xx, or 200 with one of `codes`;
/// no data; an answer under [`ERROR_BODY_MAX`] (it does not echo the document); not one SQL
/// statement.
fn check_refusal(label: &str, a: &Answer, codes: &[&str]) {
    assert!(
        a.status == StatusCode::OK || a.status.is_client_error(),
        "{label}: HTTP {} (expected 4xx, or 200 with {codes:?}): {}",
        a.status,
        a.excerpt()
    );
    if a.status == StatusCode::OK {
        assert!(
            a.code().is_some_and(|c| codes.contains(&c)),
            "{label}: expected an error with a code in {codes:?}, got {:?}: {}",
            a.code(),
            a.excerpt()
        );
    }
    assert!(
        !a.has_data(),
        "{label}: data was computed for a refused document: {}",
        a.excerpt()
    );
    assert!(
        a.text.len() < ERROR_BODY_MAX,
        "{label}: a refusal of {} bytes (it must not echo the document): {}",
        a.text.len(),
        a.excerpt()
    );
    assert_eq!(
        a.sql,
        0.0,
        "{label}: {} SQL statements ran for a refused document: {}",
        a.sql,
        a.excerpt()
    );
}

/// Posts `body` until one refusal comes within [`REFUSAL_BOUND`] (at most [`REFUSAL_TRIES`]
/// times); every answer must be a refusal ([`check_refusal`]). Returns the fastest answer.
async fn assert_refused_fast(
    app: &TestApp,
    token: &str,
    label: &str,
    body: &str,
    codes: &[&str],
) -> Answer {
    let mut best: Option<Answer> = None;
    for _ in 0..REFUSAL_TRIES {
        let a = post(app, token, body).await;
        check_refusal(label, &a, codes);
        let fast = a.elapsed <= REFUSAL_BOUND;
        if best.as_ref().is_none_or(|b| a.elapsed < b.elapsed) {
            best = Some(a);
        }
        if fast {
            break;
        }
    }
    let best = best.expect("at least one try");
    assert!(
        best.elapsed <= REFUSAL_BOUND,
        "{label}: refused, but only after {:?} (best of {REFUSAL_TRIES} tries; the bound is {REFUSAL_BOUND:?})",
        best.elapsed
    );
    best
}

/// `m0: <selection> m1: <selection> …`, `n` times.
fn aliases(n: usize, selection: &str) -> String {
    (0..n)
        .map(|i| format!("m{i}: {selection}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn consultant(app: &TestApp) -> String {
    app.consultant("jc-101")
}

// =============================================================================================
// 1. Runaway documents.

/// `{ a { a { … b … } } }`: `depth` levels of a field that does not exist.
fn nested_unknown_fields(depth: usize) -> String {
    format!("{{ {}b{} }}", "a { ".repeat(depth), " }".repeat(depth))
}

/// `{ company(id: "x") { activities { nodes { company { activities … } } } } }`: `depth`
/// levels of real fields, every one of which would resolve.
fn nested_real_fields(depth: usize) -> String {
    const CYCLE: [&str; 3] = ["activities", "nodes", "company"];
    let mut doc = String::from("{ company(id: \"x\")");
    for i in 1..depth {
        doc.push_str(" { ");
        doc.push_str(CYCLE[(i - 1) % CYCLE.len()]);
    }
    doc.push_str(" { __typename }");
    doc.push_str(&" }".repeat(depth - 1));
    doc.push_str(" }");
    doc
}

/// Nesting 1,000 and 10,000 levels deep, of unknown and of real fields: refused before the
/// document is walked, without SQL.
async fn deep_nesting_is_refused_fast(app: TestApp) {
    let token = consultant(&app);
    for depth in [1_000, 10_000] {
        assert_refused_fast(
            &app,
            &token,
            &format!("{depth} levels of an unknown field"),
            &query_body(&nested_unknown_fields(depth)),
            LIMIT_OR_VALIDATION,
        )
        .await;
        assert_refused_fast(
            &app,
            &token,
            &format!("{depth} levels of company/activities/nodes"),
            &query_body(&nested_real_fields(depth)),
            LIMIT,
        )
        .await;
    }
}

/// Values nested 10,000 deep: list and object literals in an argument, and a list in the
/// JSON variables. Not one of them may reach the (recursive) parsers unchecked.
async fn deeply_nested_values_are_refused_fast(app: TestApp) {
    let token = consultant(&app);
    let depth = 10_000;
    let lists = format!(
        "{{ organisations(kind: {}JOBCENTRE{}) {{ id }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_refused_fast(
        &app,
        &token,
        "a list literal nested 10,000 deep",
        &query_body(&lists),
        LIMIT_OR_VALIDATION,
    )
    .await;
    let objects = format!(
        "{{ companies(filter: {}{{nameContains: \"x\"}}{}) {{ nodes {{ id }} }} }}",
        "{a: ".repeat(depth),
        "}".repeat(depth)
    );
    assert_refused_fast(
        &app,
        &token,
        "an object literal nested 10,000 deep",
        &query_body(&objects),
        LIMIT_OR_VALIDATION,
    )
    .await;
    let variables = format!(
        r#"{{"query":"query($k: OrganisationKind) {{ organisations(kind: $k) {{ id }} }}","variables":{{"k":{}"JOBCENTRE"{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_refused_fast(
        &app,
        &token,
        "a JSON variable nested 10,000 deep",
        &variables,
        LIMIT_OR_VALIDATION,
    )
    .await;
}

/// 1,000 aliases of a list field with a nested object: refused, not run 1,000 times.
async fn alias_bomb_is_refused_fast(app: TestApp) {
    let token = consultant(&app);
    let doc = format!(
        "{{ {} }}",
        aliases(1_000, "municipalities { code jobcentre { id name } }")
    );
    assert_refused_fast(&app, &token, "1,000 aliases", &query_body(&doc), LIMIT).await;
}

/// At most [`MAX_ALIASES`] aliases per operation: 100 run, 101 are LIMIT_EXCEEDED.
async fn alias_limit_is_one_hundred(app: TestApp) {
    let token = consultant(&app);
    let allowed = format!("{{ {} }}", aliases(MAX_ALIASES, "me { sub }"));
    let data = app.gql_ok(&token, &allowed, json!({})).await;
    assert_eq!(
        data.as_object().map(serde_json::Map::len),
        Some(MAX_ALIASES),
        "{data}"
    );
    assert_eq!(data["m99"]["sub"], "consultant-1", "{data}");

    let one_more = format!("{{ {} }}", aliases(MAX_ALIASES + 1, "me { sub }"));
    assert_refused_fast(&app, &token, "101 aliases", &query_body(&one_more), LIMIT).await;
}

/// `fragment F0 on Query { me { sub } } fragment F1 on Query { ...F0 ...F0 } …` up to
/// `F<levels>`, and an operation that spreads the last: 2^levels × 2 fields once expanded.
fn fragment_chain(levels: usize) -> String {
    let mut doc = String::from("fragment F0 on Query { me { sub } }");
    for i in 1..=levels {
        let p = i - 1;
        doc.push_str(&format!(" fragment F{i} on Query {{ ...F{p} ...F{p} }}"));
    }
    doc.push_str(&format!(" query {{ ...F{levels} }}"));
    doc
}

/// 31 fragments that each spread the previous one twice expand to 2^31 fields: refused from
/// the document's shape, never expanded.
async fn fragment_chain_is_refused_fast(app: TestApp) {
    let token = consultant(&app);
    assert_refused_fast(
        &app,
        &token,
        "a fragment chain F0..F30",
        &query_body(&fragment_chain(30)),
        LIMIT,
    )
    .await;
}

/// `max_fields` (5,000) counts fields after fragment expansion: a chain of 12 doublings
/// (8,192 fields) is LIMIT_EXCEEDED; a chain of 8 (512 fields) runs.
async fn fragment_expansion_counts_against_max_fields(app: TestApp) {
    let token = consultant(&app);
    let data = app.gql_ok(&token, &fragment_chain(8), json!({})).await;
    assert_eq!(data, json!({ "me": { "sub": "consultant-1" } }));
    assert_refused_fast(
        &app,
        &token,
        "a fragment chain F0..F12 (8,192 fields)",
        &query_body(&fragment_chain(12)),
        LIMIT,
    )
    .await;
}

/// Fragments that spread each other are refused (the document is invalid), fast.
async fn fragment_cycle_is_refused_fast(app: TestApp) {
    let token = consultant(&app);
    let doc = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }";
    assert_refused_fast(
        &app,
        &token,
        "a fragment cycle",
        &query_body(doc),
        LIMIT_OR_VALIDATION,
    )
    .await;
    let self_spread = "fragment A on Query { me { sub } ...A } { ...A }";
    assert_refused_fast(
        &app,
        &token,
        "a fragment that spreads itself",
        &query_body(self_spread),
        LIMIT_OR_VALIDATION,
    )
    .await;
}

/// List literals of a megabyte: as many agreement objects as fit below the body limit, and
/// 200,000 enum values, in `recordOutcome`. Refused for their size before they are coerced
/// (and before the activity is looked up).
async fn huge_list_literals_are_refused_fast(app: TestApp) {
    let token = consultant(&app);
    let outcome = |agreements: &str| {
        format!(
            "mutation {{ recordOutcome(activityId: \"x\", input: {{agreements: [{agreements}], followUps: []}}) {{ id }} }}"
        )
    };
    let item = "{kind: MENTOR, positions: 1}";
    let wrapper = query_body(&outcome("")).len();
    let count = (MAX_BODY_BYTES - 16 * 1024 - wrapper) / (item.len() + 1);
    let objects = query_body(&outcome(&vec![item; count].join(",")));
    assert!(
        objects.len() < MAX_BODY_BYTES,
        "the body stays under the body limit"
    );
    assert_refused_fast(
        &app,
        &token,
        &format!("{count} agreement objects ({} bytes)", objects.len()),
        &objects,
        LIMIT,
    )
    .await;

    let enums = query_body(&outcome(&vec!["IGU"; 200_000].join(",")));
    assert!(
        enums.len() < MAX_BODY_BYTES,
        "the body stays under the limit"
    );
    assert_refused_fast(
        &app,
        &token,
        &format!("200,000 enum values ({} bytes)", enums.len()),
        &enums,
        LIMIT,
    )
    .await;
}

/// A JSON array of 100 operations (batching is not supported): HTTP 400 with a JSON GraphQL
/// error that has a code, fast, without SQL.
async fn batch_is_refused(app: TestApp) {
    let token = consultant(&app);
    let batch = Value::Array(vec![json!({ "query": "{ me { sub } }" }); 100]).to_string();
    let a = assert_refused_fast(&app, &token, "a batch of 100", &batch, &["VALIDATION"]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.excerpt());
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    assert_eq!(a.code(), Some("VALIDATION"), "{}", a.excerpt());
}

/// Documents that do not parse: refused fast, without SQL, and the answer does not echo the
/// document (it stays under [`ERROR_BODY_MAX`]). A 900 kB one is refused by its token count
/// before the parser sees it; a 60 kB one (under the token limit) by the parser, whose message
/// is cut.
async fn unparsable_document_is_not_echoed(app: TestApp) {
    let token = consultant(&app);
    for (label, repeat, codes) in [
        ("a 900 kB unparsable document", 90_000, LIMIT_OR_VALIDATION),
        ("a 60 kB unparsable document", 6_000, &["VALIDATION"][..]),
    ] {
        let doc = format!("{{ me {{ sub }} }} {}}}", "xxxxxxxxx ".repeat(repeat));
        let body = query_body(&doc);
        assert!(body.len() < MAX_BODY_BYTES);
        let a = assert_refused_fast(&app, &token, label, &body, codes).await;
        assert!(
            a.text.len() < ERROR_BODY_MAX,
            "{label}: the answer echoes the document: {} bytes: {}",
            a.text.len(),
            a.excerpt()
        );
    }
}

/// With `max_response_bytes` = 2,000 a small answer passes and a large one (90 aliases of
/// every municipality) is replaced by LIMIT_EXCEEDED, without data and under the cap.
async fn response_size_is_capped(app: TestApp) {
    let token = consultant(&app);
    app.gql_ok(&token, "{ me { sub } }", json!({})).await;
    let doc = format!("{{ {} }}", aliases(90, "municipalities { code name }"));
    let a = post(&app, &token, &query_body(&doc)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.excerpt());
    assert_eq!(a.code(), Some("LIMIT_EXCEEDED"), "{}", a.excerpt());
    assert!(!a.has_data(), "{}", a.excerpt());
    assert!(
        a.text.len() <= SMALL_RESPONSE_BYTES,
        "the refusal itself is {} bytes",
        a.text.len()
    );
}

/// `auditEvents(first: 100)` costs per item like every other list: one runs, 50 aliases of it
/// exceed the complexity limit (refused before anything runs).
async fn audit_events_cost_per_item(app: TestApp) {
    let token = admin(&app);
    let one = "auditEvents(first: 100) { id before after organisation { id name } }";
    app.gql_ok(&token, &format!("{{ {one} }}"), json!({})).await;
    let many = format!("{{ {} }}", aliases(50, one));
    let a = assert_refused_fast(
        &app,
        &token,
        "50 aliases of auditEvents(first: 100)",
        &query_body(&many),
        LIMIT,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.excerpt());
}

/// The audit trail pages with opaque cursors from `AuditEvent.cursor`: three events one by
/// one, in order, then an empty page; a raw event id as `after` is VALIDATION ("after"), and
/// so is a real cursor with a NUL byte inside.
async fn audit_events_page_with_opaque_cursors(app: TestApp) {
    let token = consultant(&app);
    let company = register_company(&app, &token, "Revisionsspor ApS", "101").await;
    let company = id(&company);
    for (version, name) in [(1, "Revisionsspor 2 ApS"), (2, "Revisionsspor 3 ApS")] {
        app.gql_ok(
            &token,
            "mutation($id: ID!, $v: Int!, $n: String) { updateCompany(id: $id, expectedVersion: $v, input: {name: $n}) { version } }",
            json!({ "id": company, "v": version, "n": name }),
        )
        .await;
    }
    let all = app
        .gql_ok(
            &token,
            "query($e: ID) { auditEvents(entityId: $e, first: 100) { id } }",
            json!({ "e": company }),
        )
        .await["auditEvents"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect::<Vec<_>>();
    assert_eq!(all.len(), 3, "{all:?}");

    let page = "query($e: ID, $a: String) { auditEvents(entityId: $e, first: 1, after: $a) { id action cursor } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut cursors = Vec::new();
    for _ in 0..4 {
        let events = app
            .gql_ok(&token, page, json!({ "e": company, "a": after }))
            .await["auditEvents"]
            .as_array()
            .expect("events")
            .clone();
        let Some(event) = events.first() else { break };
        assert_eq!(events.len(), 1, "first: 1 gives one event");
        seen.push(event["id"].as_str().expect("id").to_owned());
        let cursor = event["cursor"].as_str().expect("cursor").to_owned();
        cursors.push(cursor.clone());
        after = Some(cursor);
    }
    assert_eq!(
        seen, all,
        "paging with cursors gives every event once, in order"
    );

    let (status, body) = app
        .gql(
            Some(&token),
            page,
            json!({ "e": company, "a": all[0].clone() }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        crate::fixtures::error_code(&body),
        Some("VALIDATION"),
        "a raw event id is not a cursor: {body}"
    );
    assert_eq!(crate::fixtures::error_field(&body), Some("after"), "{body}");

    for forged in cursors.iter().filter_map(|c| nul_in_cursor(c)) {
        let a = post_query(&app, &token, page, json!({ "e": company, "a": forged })).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.excerpt());
        assert!(!a.internal(), "{}", a.excerpt());
        assert_eq!(a.code(), Some("VALIDATION"), "{}", a.excerpt());
        assert_eq!(a.field(), Some("after"), "{}", a.excerpt());
    }
}

// =============================================================================================
// 2. Input that cannot be stored.

/// base64url (no padding) of `json`, as the server's cursors are made.
fn cursor_of(json: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

/// `cursor` decoded, a NUL byte appended to every string in it, encoded again; `None` when it
/// is not base64url of JSON (an opaque format the test cannot forge).
fn nul_in_cursor(cursor: &str) -> Option<String> {
    fn poison(v: &mut Value) {
        match v {
            Value::String(s) => s.push('\u{0}'),
            Value::Array(items) => items.iter_mut().for_each(poison),
            Value::Object(map) => map.values_mut().for_each(poison),
            _ => {}
        }
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let mut json: Value = serde_json::from_slice(&bytes).ok()?;
    poison(&mut json);
    Some(cursor_of(&json))
}

/// Cursors that are valid base64url of JSON with a NUL byte inside, for every list that pages:
/// VALIDATION naming "after", never INTERNAL (PostgreSQL cannot store or compare a NUL).
async fn cursors_with_nul_bytes_are_refused(app: TestApp) {
    let token = consultant(&app);
    let first = id(&register_company(&app, &token, "Markør A ApS", "101").await);
    register_company(&app, &token, "Markør B ApS", "101").await;
    for _ in 0..2 {
        let activity = id(&held_activity(&app, &token, &first).await);
        record_outcome(&app, &token, &activity).await;
    }
    // (list, query with $a as `after`, pointer to a real endCursor in the data).
    let lists = [
        (
            "companies",
            "query($a: String) { companies(first: 1, after: $a) { pageInfo { endCursor } } }"
                .to_owned(),
            Some("/companies/pageInfo/endCursor"),
        ),
        (
            "followUps",
            "query($a: String) { followUps(first: 1, after: $a) { pageInfo { endCursor } } }"
                .to_owned(),
            Some("/followUps/pageInfo/endCursor"),
        ),
        (
            "Company.activities",
            format!(
                "query($a: String) {{ company(id: \"{first}\") {{ activities(first: 1, after: $a) {{ pageInfo {{ endCursor }} }} }} }}"
            ),
            Some("/company/activities/pageInfo/endCursor"),
        ),
        (
            "auditEvents",
            "query($a: String) { auditEvents(first: 1, after: $a) { id } }".to_owned(),
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (list, query, end_cursor) in &lists {
        let mut forged = vec![
            cursor_of(&json!(["a\u{0}", "b"])),
            cursor_of(&json!(["b", "a\u{0}"])),
        ];
        if let Some(pointer) = end_cursor {
            let data = app.gql_ok(&token, query, json!({ "a": null })).await;
            let real = data
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{list}: no endCursor in {data}"));
            forged.extend(nul_in_cursor(real));
        }
        for cursor in forged {
            let a = post_query(&app, &token, query, json!({ "a": cursor })).await;
            let ok = a.status == StatusCode::OK
                && !a.internal()
                && a.code() == Some("VALIDATION")
                && a.field() == Some("after");
            if !ok {
                failures.push(format!(
                    "{list} after {cursor}: HTTP {} code {:?} field {:?}: {}",
                    a.status,
                    a.code(),
                    a.field(),
                    a.excerpt()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} forged cursors not refused as VALIDATION \"after\" ({:?}):\n{}",
        failures.len(),
        app.backend,
        failures.join("\n")
    );
}

/// Characters that are no control characters in Unicode's sense but must not be stored in
/// free text: bidi overrides and isolates (they reorder what a reader sees) and
/// non-characters.
const SUSPICIOUS: [(&str, &str); 3] = [
    ("U+202E right-to-left override", "Firma \u{202E}SpA"),
    ("U+2066 left-to-right isolate", "Firma \u{2066}ApS"),
    ("U+FFFE non-character", "Firma \u{FFFE}ApS"),
];

/// Free-text inputs with bidi controls or non-characters: VALIDATION naming the input, as an
/// inline literal and as a variable; nothing written.
async fn bidi_controls_and_noncharacters_are_refused(app: TestApp) {
    let token = consultant(&app);
    let company = id(&register_company(&app, &token, "Tekst ApS", "101").await);
    let activity = id(&held_activity(&app, &token, &company).await);
    let before = app.row_counts().await;

    let mut failures = Vec::new();
    for (what, text) in SUSPICIOUS {
        for (label, chain, field) in text_inputs(&company, &activity, text) {
            for form in [Form::Inline, Form::Variables] {
                let (query, variables) = operation("mutation", &chain, " { __typename }", form);
                let a = post_query(&app, &token, &query, variables).await;
                let ok = a.status == StatusCode::OK
                    && !a.internal()
                    && a.code() == Some("VALIDATION")
                    && a.field() == Some(field);
                if !ok {
                    failures.push(format!(
                        "{what} in {label} ({form}): HTTP {} code {:?} field {:?} (expected VALIDATION {field:?}): {}",
                        a.status,
                        a.code(),
                        a.field(),
                        a.excerpt()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} inputs accepted suspicious characters ({:?}):\n{}",
        failures.len(),
        app.backend,
        failures.join("\n")
    );
    assert_eq!(app.row_counts().await, before, "nothing is written");
}

/// The free-text inputs of the brief, each as (label, the mutation, the expected field).
fn text_inputs(
    company: &str,
    activity: &str,
    text: &str,
) -> Vec<(&'static str, Vec<Call>, &'static str)> {
    let s = |v: &str| Lit::Str(v.to_owned());
    let e = |v: &str| Lit::Enum(v.to_owned());
    let obj = |fields: Vec<(&str, Lit)>| {
        Lit::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    let outcome = |agreements: Vec<Lit>, follow_ups: Vec<Lit>| {
        vec![
            arg("activityId", "ID!", s(activity)),
            arg(
                "input",
                "OutcomeInput!",
                obj(vec![
                    ("agreements", Lit::List(agreements)),
                    ("followUps", Lit::List(follow_ups)),
                ]),
            ),
        ]
    };
    vec![
        (
            "registerCompany input.name",
            vec![call(
                "registerCompany",
                vec![arg(
                    "input",
                    "RegisterCompanyInput!",
                    obj(vec![("cvr", s(&valid_cvr())), ("name", s(text))]),
                )],
            )],
            "input.name",
        ),
        (
            "addContactPerson input.name",
            vec![call(
                "addContactPerson",
                vec![
                    arg("companyId", "ID!", s(company)),
                    arg("input", "ContactPersonInput!", obj(vec![("name", s(text))])),
                ],
            )],
            "input.name",
        ),
        (
            "logActivity input.summary",
            vec![call(
                "logActivity",
                vec![arg(
                    "input",
                    "LogActivityInput!",
                    obj(vec![
                        ("companyId", s(company)),
                        ("kind", e("VISIT")),
                        ("status", e("HELD")),
                        ("summary", s(text)),
                    ]),
                )],
            )],
            "input.summary",
        ),
        (
            "recordOutcome agreement note",
            vec![call(
                "recordOutcome",
                outcome(
                    vec![obj(vec![
                        ("kind", e("MENTOR")),
                        ("positions", Lit::Int(1)),
                        ("note", s(text)),
                    ])],
                    Vec::new(),
                ),
            )],
            "input.agreements[0].note",
        ),
        (
            "recordOutcome follow-up description",
            vec![call(
                "recordOutcome",
                outcome(
                    Vec::new(),
                    vec![obj(vec![
                        ("description", s(text)),
                        ("dueOn", s(&in_days(7))),
                    ])],
                ),
            )],
            "input.followUps[0].description",
        ),
    ]
}

/// A follow-up's `assigneeSub` with a NUL byte, or of 201 characters: VALIDATION naming it.
async fn assignee_sub_is_checked(app: TestApp) {
    let token = consultant(&app);
    let company = id(&register_company(&app, &token, "Ansvarlig ApS", "101").await);
    let activity = id(&held_activity(&app, &token, &company).await);
    let query =
        "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { id } }";
    let before = app.row_counts().await;
    for assignee in ["x\u{0}".to_owned(), "y".repeat(201)] {
        let a = post_query(
            &app,
            &token,
            query,
            json!({ "a": activity, "i": { "agreements": [], "followUps": [
                { "description": "Ring tilbage", "dueOn": in_days(7), "assigneeSub": assignee },
            ] } }),
        )
        .await;
        let label = excerpt(&format!("{assignee:?}"));
        assert_eq!(a.status, StatusCode::OK, "{label}: {}", a.excerpt());
        assert!(!a.internal(), "{label}: {}", a.excerpt());
        assert_eq!(a.code(), Some("VALIDATION"), "{label}: {}", a.excerpt());
        assert_eq!(
            a.field(),
            Some("input.followUps[0].assigneeSub"),
            "{label}: {}",
            a.excerpt()
        );
    }
    assert_eq!(app.row_counts().await, before, "nothing is written");
}

/// A NUL byte in every argument of the schema that takes a String or an ID (directly, in a
/// list, or nested in input objects), found by introspection so that new arguments are covered
/// without touching this test: on root query and mutation fields and on fields of object
/// types reachable from the root. Each once as an inline literal and once as a variable.
/// Every answer: HTTP 200, VALIDATION with `extensions.field` naming the argument path, never
/// INTERNAL, and not one SQL statement.
async fn nul_bytes_in_every_string_argument_are_refused(app: TestApp) {
    let token = consultant(&app);
    let company = id(&register_company(&app, &token, "Nulbyte ApS", "101").await);
    let contact = id(&add_contact_person(&app, &token, &company).await);
    let activity = id(&held_activity(&app, &token, &company).await);
    let outcome = record_outcome(&app, &token, &activity).await;
    let follow_up = outcome["followUps"][0]["id"]
        .as_str()
        .expect("follow-up")
        .to_owned();
    let known = Known {
        company,
        contact,
        activity,
        follow_up,
    };
    let schema = Schema::introspect(&app, &token).await;
    let targets = targets(&schema, &known);

    let labels: BTreeSet<&str> = targets.iter().map(|t| t.label.as_str()).collect();
    for expected in [
        "Query.organisation(id)",
        "Query.companies(filter.nameContains)",
        "Query.followUps(filter.organisationId)",
        "Query.auditEvents(entityId)",
        "Company.activities(after)",
        "Mutation.registerCompany(input.name)",
        "Mutation.updateCompany(id)",
        "Mutation.recordOutcome(input.agreements[0].note)",
        "Mutation.recordOutcome(input.followUps[0].assigneeSub)",
        "Mutation.completeFollowUp(note)",
    ] {
        assert!(
            labels.contains(expected),
            "the walker missed {expected}; it found {labels:?}"
        );
    }

    let mut failures = Vec::new();
    let mut report = Vec::new();
    for t in &targets {
        for form in [Form::Inline, Form::Variables] {
            let (query, variables) = operation(t.kind, &t.chain, &t.leaf, form);
            let a = post_query(&app, &token, &query, variables).await;
            let outcome = format!(
                "HTTP {} {:<14} field {:<40} {} SQL",
                a.status.as_u16(),
                a.code().unwrap_or("ok"),
                format!("{:?}", a.field()),
                a.sql
            );
            report.push(format!("{:<60} {form:<9} {outcome}", t.label));
            let mut wrong = Vec::new();
            if a.status != StatusCode::OK {
                wrong.push(format!("HTTP {}", a.status));
            }
            if a.internal() {
                wrong.push("INTERNAL".to_owned());
            }
            if a.code() != Some("VALIDATION") {
                wrong.push(format!("code {:?}", a.code()));
            }
            if a.field() != Some(t.field.as_str()) {
                wrong.push(format!("field {:?}, expected {:?}", a.field(), t.field));
            }
            if a.sql != 0.0 {
                wrong.push(format!("{} SQL statements", a.sql));
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{} ({form}): {}\n    {query}\n    {}",
                    t.label,
                    wrong.join(", "),
                    a.excerpt()
                ));
            }
        }
    }
    eprintln!(
        "\n== a NUL byte in every String/ID argument ({:?}, {} arguments)\n{}",
        app.backend,
        targets.len(),
        report.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests with a NUL byte were not refused as VALIDATION without SQL ({:?}):\n{}",
        failures.len(),
        targets.len() * 2,
        app.backend,
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The schema, as introspection describes it.

const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
      enumValues(includeDeprecated: true) { name }
    }
  }
}
fragment T on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}"#;

/// A GraphQL type reference with its wrappers, printable as in a variable declaration.
#[derive(Debug, Clone)]
enum Ty {
    Named(String),
    List(Box<Ty>),
    NonNull(Box<Ty>),
}

impl Ty {
    fn parse(v: &Value) -> Ty {
        match v["kind"].as_str() {
            Some("NON_NULL") => Ty::NonNull(Box::new(Ty::parse(&v["ofType"]))),
            Some("LIST") => Ty::List(Box::new(Ty::parse(&v["ofType"]))),
            _ => Ty::Named(
                v["name"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a named type: {v}"))
                    .to_owned(),
            ),
        }
    }

    /// `T!` → `T`.
    fn nullable(&self) -> &Ty {
        match self {
            Ty::NonNull(inner) => inner,
            other => other,
        }
    }

    fn required(&self) -> bool {
        matches!(self, Ty::NonNull(_))
    }

    fn named(&self) -> &str {
        match self {
            Ty::Named(n) => n,
            Ty::List(inner) | Ty::NonNull(inner) => inner.named(),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Named(n) => write!(f, "{n}"),
            Ty::List(inner) => write!(f, "[{inner}]"),
            Ty::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

#[derive(Debug, Clone)]
struct InputValue {
    name: String,
    ty: Ty,
}

#[derive(Debug, Clone)]
struct FieldDef {
    name: String,
    args: Vec<InputValue>,
    ty: Ty,
}

#[derive(Debug, Clone)]
struct TypeDef {
    kind: String,
    fields: Vec<FieldDef>,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
}

struct Schema {
    query: String,
    mutation: Option<String>,
    types: HashMap<String, TypeDef>,
}

fn input_values(v: &Value) -> Vec<InputValue> {
    v.as_array()
        .map(|vs| {
            vs.iter()
                .map(|a| InputValue {
                    name: a["name"].as_str().expect("name").to_owned(),
                    ty: Ty::parse(&a["type"]),
                })
                .collect()
        })
        .unwrap_or_default()
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
                        .map(|f| FieldDef {
                            name: f["name"].as_str().expect("name").to_owned(),
                            args: input_values(&f["args"]),
                            ty: Ty::parse(&f["type"]),
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
                TypeDef {
                    kind: t["kind"].as_str().expect("kind").to_owned(),
                    fields,
                    input_fields: input_values(&t["inputFields"]),
                    enum_values,
                },
            );
        }
        Schema {
            query: s["queryType"]["name"].as_str().expect("query").to_owned(),
            mutation: s["mutationType"]["name"].as_str().map(str::to_owned),
            types,
        }
    }

    fn kind(&self, name: &str) -> &str {
        self.types.get(name).map_or("SCALAR", |t| t.kind.as_str())
    }

    fn fields(&self, type_name: &str) -> impl Iterator<Item = &FieldDef> {
        self.types[type_name]
            .fields
            .iter()
            .filter(|f| !f.name.starts_with("__"))
    }

    /// What follows a field of type `ty`: a selection for objects, nothing for leaves.
    fn leaf(&self, ty: &Ty) -> String {
        match self.kind(ty.named()) {
            "OBJECT" | "INTERFACE" | "UNION" => " { __typename }".to_owned(),
            _ => String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Argument values, written as GraphQL literals or as JSON variables.

/// An argument value.
#[derive(Debug, Clone)]
enum Lit {
    Str(String),
    Int(i64),
    Bool(bool),
    Enum(String),
    List(Vec<Lit>),
    Obj(Vec<(String, Lit)>),
}

impl Lit {
    /// As a GraphQL literal; strings escape everything outside printable ASCII as `\uXXXX`,
    /// so a NUL byte reaches the server as an escape the parser turns into a NUL.
    fn graphql(&self) -> String {
        match self {
            Lit::Str(s) => graphql_string(s),
            Lit::Int(n) => n.to_string(),
            Lit::Bool(b) => b.to_string(),
            Lit::Enum(e) => e.clone(),
            Lit::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Lit::graphql)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Lit::Obj(fields) => format!(
                "{{{}}}",
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.graphql()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn json(&self) -> Value {
        match self {
            Lit::Str(s) | Lit::Enum(s) => json!(s),
            Lit::Int(n) => json!(n),
            Lit::Bool(b) => json!(b),
            Lit::List(items) => Value::Array(items.iter().map(Lit::json).collect()),
            Lit::Obj(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.json())).collect())
            }
        }
    }
}

fn graphql_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One argument of a call, with its declared type (for the variable form).
#[derive(Debug, Clone)]
struct Arg {
    name: String,
    ty: String,
    value: Lit,
}

fn arg(name: &str, ty: &str, value: Lit) -> Arg {
    Arg {
        name: name.to_owned(),
        ty: ty.to_owned(),
        value,
    }
}

/// A field with its arguments, one step of a path from the root.
#[derive(Debug, Clone)]
struct Call {
    field: String,
    args: Vec<Arg>,
}

fn call(field: &str, args: Vec<Arg>) -> Call {
    Call {
        field: field.to_owned(),
        args,
    }
}

/// How the arguments of the last call reach the server.
#[derive(Debug, Clone, Copy)]
enum Form {
    Inline,
    Variables,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Form::Inline => "inline",
            Form::Variables => "variables",
        })
    }
}

/// `kind { c0(args) { c1(args) { … cN(args)<leaf> } } }` and its variables: in the variable
/// form the last call's arguments are variables `$v0`, `$v1`, …; earlier calls stay inline.
fn operation(kind: &str, chain: &[Call], leaf: &str, form: Form) -> (String, Value) {
    let mut declarations = Vec::new();
    let mut variables = serde_json::Map::new();
    let mut body = String::new();
    for (depth, c) in chain.iter().enumerate() {
        let last = depth + 1 == chain.len();
        let args: Vec<String> = c
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| match form {
                Form::Variables if last => {
                    declarations.push(format!("$v{i}: {}", a.ty));
                    variables.insert(format!("v{i}"), a.value.json());
                    format!("{}: $v{i}", a.name)
                }
                _ => format!("{}: {}", a.name, a.value.graphql()),
            })
            .collect();
        body.push_str(&c.field);
        if !args.is_empty() {
            body.push_str(&format!("({})", args.join(", ")));
        }
        body.push_str(if last { leaf } else { " { " });
    }
    body.push_str(&" }".repeat(chain.len().saturating_sub(1)));
    let head = if declarations.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}({})", declarations.join(", "))
    };
    (format!("{head} {{ {body} }}"), Value::Object(variables))
}

// ---------------------------------------------------------------------------------------------
// The walker: one target per String/ID argument path.

/// The records the test made, for arguments that need a real id.
struct Known {
    company: String,
    contact: String,
    activity: String,
    follow_up: String,
}

impl Known {
    /// A real id for argument `arg` of field `field`, chosen by name.
    fn id_for(&self, arg: &str, field: &str) -> String {
        let hint = if arg.eq_ignore_ascii_case("id") {
            field.to_ascii_lowercase()
        } else {
            arg.to_ascii_lowercase()
        };
        if hint.contains("contactperson") {
            self.contact.clone()
        } else if hint.contains("followup") {
            self.follow_up.clone()
        } else if hint.contains("activity") {
            self.activity.clone()
        } else if hint.contains("organisation") {
            "jc-101".to_owned()
        } else {
            self.company.clone()
        }
    }
}

/// One step of an argument path: an input object's field or a list's first item.
#[derive(Debug, Clone)]
enum Seg {
    Field(String),
    Item,
}

/// `input.agreements[0].note`, as the service names inputs.
fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) if out.is_empty() => out.push_str(name),
            Seg::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            Seg::Item => out.push_str("[0]"),
        }
    }
    out
}

/// Every path below an argument of type `ty` that ends in a String or an ID.
fn string_paths(schema: &Schema, ty: &Ty, prefix: Vec<Seg>, depth: usize, out: &mut Vec<Vec<Seg>>) {
    match ty.nullable() {
        Ty::List(inner) => {
            let mut p = prefix;
            p.push(Seg::Item);
            string_paths(schema, inner, p, depth, out);
        }
        t => {
            let name = t.named();
            if name == "String" || name == "ID" {
                out.push(prefix);
            } else if schema.kind(name) == "INPUT_OBJECT" && depth < 5 {
                for f in &schema.types[name].input_fields {
                    let mut p = prefix.clone();
                    p.push(Seg::Field(f.name.clone()));
                    string_paths(schema, &f.ty, p, depth + 1, out);
                }
            }
        }
    }
}

/// A valid value of a required `ty` named `name` (of `field`'s arguments), or `None`.
fn fill(schema: &Schema, ty: &Ty, name: &str, field: &str, known: &Known) -> Option<Lit> {
    match ty.nullable() {
        Ty::List(_) => Some(Lit::List(Vec::new())),
        t => {
            let type_name = t.named();
            Some(match type_name {
                "ID" => Lit::Str(known.id_for(name, field)),
                "String" => Lit::Str(match name {
                    "cvr" => valid_cvr(),
                    "pNumber" => p_number(),
                    _ => "Fjendtlig test".to_owned(),
                }),
                "Int" => Lit::Int(1),
                "Boolean" => Lit::Bool(true),
                "Date" => Lit::Str(in_days(7)),
                "DateTime" => Lit::Str(chrono::Utc::now().to_rfc3339()),
                _ => match schema.kind(type_name) {
                    "ENUM" => Lit::Enum(schema.types[type_name].enum_values.first()?.clone()),
                    "INPUT_OBJECT" => {
                        let mut fields = Vec::new();
                        for f in &schema.types[type_name].input_fields {
                            if f.ty.required() {
                                fields.push((
                                    f.name.clone(),
                                    fill(schema, &f.ty, &f.name, field, known)?,
                                ));
                            }
                        }
                        Lit::Obj(fields)
                    }
                    _ => Lit::Str("x".to_owned()),
                },
            })
        }
    }
}

/// A value of `ty` with `bad` at `path` and valid values in every other required place.
fn plant(
    schema: &Schema,
    ty: &Ty,
    path: &[Seg],
    bad: &str,
    field: &str,
    known: &Known,
) -> Option<Lit> {
    let Some((first, rest)) = path.split_first() else {
        return Some(Lit::Str(bad.to_owned()));
    };
    match (first, ty.nullable()) {
        (Seg::Item, Ty::List(inner)) => Some(Lit::List(vec![plant(
            schema, inner, rest, bad, field, known,
        )?])),
        (Seg::Field(target), t) => {
            let mut fields = Vec::new();
            for f in &schema.types[t.named()].input_fields {
                if &f.name == target {
                    fields.push((
                        f.name.clone(),
                        plant(schema, &f.ty, rest, bad, field, known)?,
                    ));
                } else if f.ty.required() {
                    fields.push((f.name.clone(), fill(schema, &f.ty, &f.name, field, known)?));
                }
            }
            Some(Lit::Obj(fields))
        }
        _ => None,
    }
}

/// One request of the walker: `chain` from the root, whose last call carries [`NUL`] at
/// `field`.
struct Target {
    label: String,
    kind: &'static str,
    chain: Vec<Call>,
    leaf: String,
    field: String,
}

/// The calls of `f` that put [`NUL`] at each String/ID path of its arguments (required
/// arguments filled validly, optional ones left out), labelled `Type.field(path)`.
fn calls_with_nul(
    schema: &Schema,
    owner: &str,
    f: &FieldDef,
    known: &Known,
) -> Vec<(String, Call, String)> {
    let mut out = Vec::new();
    for target in &f.args {
        let mut paths = Vec::new();
        string_paths(
            schema,
            &target.ty,
            vec![Seg::Field(target.name.clone())],
            0,
            &mut paths,
        );
        for path in paths {
            let mut args = Vec::new();
            let mut complete = true;
            for a in &f.args {
                let value = if a.name == target.name {
                    plant(schema, &a.ty, &path[1..], NUL, &f.name, known)
                } else if a.ty.required() {
                    fill(schema, &a.ty, &a.name, &f.name, known)
                } else {
                    continue;
                };
                match value {
                    Some(v) => args.push(Arg {
                        name: a.name.clone(),
                        ty: a.ty.to_string(),
                        value: v,
                    }),
                    None => complete = false,
                }
            }
            assert!(complete, "{owner}.{}: cannot fill the arguments", f.name);
            let text = path_text(&path);
            out.push((
                format!("{owner}.{}({text})", f.name),
                Call {
                    field: f.name.clone(),
                    args,
                },
                text,
            ));
        }
    }
    out
}

/// Paths from the query root to every object type reachable from it (shortest first); a
/// field's required arguments are filled validly, and an optional `id` too (so `company`
/// finds the test's company).
fn routes(schema: &Schema, known: &Known) -> Vec<(String, Vec<Call>)> {
    let mut seen: HashSet<String> = HashSet::from([schema.query.clone()]);
    seen.extend(schema.mutation.clone());
    let mut queue = VecDeque::from([(schema.query.clone(), Vec::<Call>::new())]);
    let mut out = Vec::new();
    while let Some((type_name, chain)) = queue.pop_front() {
        for f in schema.fields(&type_name) {
            let target = f.ty.named();
            if schema.kind(target) != "OBJECT" || seen.contains(target) {
                continue;
            }
            let mut args = Vec::new();
            let mut complete = true;
            for a in &f.args {
                let wanted = a.ty.required() || (a.name == "id" && a.ty.named() == "ID");
                if !wanted {
                    continue;
                }
                match fill(schema, &a.ty, &a.name, &f.name, known) {
                    Some(v) => args.push(Arg {
                        name: a.name.clone(),
                        ty: a.ty.to_string(),
                        value: v,
                    }),
                    None => complete = false,
                }
            }
            if !complete {
                continue;
            }
            seen.insert(target.to_owned());
            let mut next = chain.clone();
            next.push(Call {
                field: f.name.clone(),
                args,
            });
            out.push((target.to_owned(), next.clone()));
            queue.push_back((target.to_owned(), next));
        }
    }
    out
}

/// Every String/ID argument path of the schema: root query and mutation fields, and fields
/// of object types reachable from the query root.
fn targets(schema: &Schema, known: &Known) -> Vec<Target> {
    let mut out = Vec::new();
    let roots = std::iter::once((schema.query.as_str(), "query"))
        .chain(schema.mutation.as_deref().map(|m| (m, "mutation")));
    for (root, kind) in roots {
        for f in schema.fields(root) {
            for (label, c, field) in calls_with_nul(schema, root, f, known) {
                out.push(Target {
                    label,
                    kind,
                    chain: vec![c],
                    leaf: schema.leaf(&f.ty),
                    field,
                });
            }
        }
    }
    for (type_name, route) in routes(schema, known) {
        for f in schema.fields(&type_name) {
            for (label, c, field) in calls_with_nul(schema, &type_name, f, known) {
                let mut chain = route.clone();
                chain.push(c);
                out.push(Target {
                    label,
                    kind: "query",
                    chain,
                    leaf: schema.leaf(&f.ty),
                    field,
                });
            }
        }
    }
    out
}

// =============================================================================================
// 3. Slow and dishonest clients, over raw TCP.

/// The head of a POST /graphql that announces `content_length` body bytes.
fn request_head(app: &TestApp, content_length: u64) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n",
        app.addr,
        consultant(app)
    )
}

/// A response read off the wire.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A chunked body decoded, or `None` while it is incomplete.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = raw;
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if rest.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Reads one HTTP/1.1 response (Content-Length, chunked, or up to EOF).
async fn read_response(rd: &mut (impl AsyncRead + Unpin)) -> std::io::Result<RawResponse> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let n = rd.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("closed after {} bytes of a response head", buf.len()),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {head:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = RawResponse {
        status,
        headers,
        body: buf[head_end + 4..].to_vec(),
    };
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    loop {
        if let Some(len) = length
            && response.body.len() >= len
        {
            response.body.truncate(len);
            return Ok(response);
        }
        if chunked && let Some(body) = dechunk(&response.body) {
            response.body = body;
            return Ok(response);
        }
        let n = rd.read(&mut chunk).await?;
        if n == 0 {
            return Ok(response);
        }
        response.body.extend_from_slice(&chunk[..n]);
    }
}

/// How a connection ended from the client's side.
#[derive(Debug)]
enum Ending {
    /// A response arrived (its status).
    Answered(u16),
    /// EOF or a reset, without a response.
    Closed,
}

/// Reads until a response head arrives or the connection ends.
async fn read_ending(rd: &mut (impl AsyncRead + Unpin)) -> Ending {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).into_owned();
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            return Ending::Answered(status);
        }
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ending::Closed,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// `Content-Length: 10000000000` and 2 body bytes: 413 at once, a JSON GraphQL error with
/// LIMIT_EXCEEDED, without waiting for a body that will never come.
async fn oversized_content_length_is_refused_at_once(app: TestApp) {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(request_head(&app, 10_000_000_000).as_bytes())
        .await
        .expect("head");
    stream.write_all(b"{\"").await.expect("two body bytes");
    let response = tokio::time::timeout(LYING_LENGTH_BOUND, read_response(&mut stream))
        .await
        .unwrap_or_else(|_| {
            panic!("no answer within {LYING_LENGTH_BOUND:?} to a 10 GB Content-Length")
        })
        .expect("a response");
    let elapsed = started.elapsed();
    let body = String::from_utf8_lossy(&response.body).into_owned();
    assert_eq!(response.status, 413, "{body}");
    assert!(
        response
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json")),
        "content-type {:?}: {body}",
        response.header("content-type")
    );
    let json: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(
        json.pointer("/errors/0/extensions/code"),
        Some(&json!("LIMIT_EXCEEDED")),
        "{json}"
    );
    assert!(
        json.pointer("/errors/0/message")
            .is_some_and(Value::is_string),
        "{json}"
    );
    assert!(elapsed <= LYING_LENGTH_BOUND, "{elapsed:?}");
}

/// A body announced as 1,000 bytes that arrives at 1 byte a second: with a body read timeout
/// of 2 s the server answers 408 (or closes) within [`TRICKLE_BOUND`], not after the 30 s
/// request timeout.
async fn trickling_body_is_cut_off(app: TestApp) {
    let stream = TcpStream::connect(app.addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let started = Instant::now();
    wr.write_all(request_head(&app, 1_000).as_bytes())
        .await
        .expect("head");
    let writer = tokio::spawn(async move {
        for _ in 0..1_000 {
            if wr.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let ending = tokio::time::timeout(TRICKLE_BOUND, read_ending(&mut rd)).await;
    writer.abort();
    match ending {
        Err(_) => panic!(
            "the connection was still open after {TRICKLE_BOUND:?} of a body trickling at 1 byte/s (body read timeout {READ_TIMEOUT:?})"
        ),
        Ok(Ending::Answered(status)) => {
            assert_eq!(
                status, 408,
                "a trickling body is answered 408 Request Timeout"
            )
        }
        Ok(Ending::Closed) => {}
    }
    eprintln!("trickling body cut off after {:?}", started.elapsed());
}

/// Headers that never end: with a header read timeout of 2 s the server closes the connection
/// within [`STALL_BOUND`].
async fn stalled_headers_are_cut_off(app: TestApp) {
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("partial head");
    let closed = tokio::time::timeout(STALL_BOUND, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {STALL_BOUND:?} of unfinished headers (header read timeout {READ_TIMEOUT:?})"
    );
    eprintln!("stalled headers cut off after {:?}", started.elapsed());
}

db_tests!(
    deep_nesting_is_refused_fast,
    deeply_nested_values_are_refused_fast,
    alias_bomb_is_refused_fast,
    alias_limit_is_one_hundred,
    fragment_chain_is_refused_fast,
    fragment_expansion_counts_against_max_fields,
    fragment_cycle_is_refused_fast,
    huge_list_literals_are_refused_fast,
    batch_is_refused,
    unparsable_document_is_not_echoed,
    audit_events_cost_per_item,
    audit_events_page_with_opaque_cursors,
    cursors_with_nul_bytes_are_refused,
    bidi_controls_and_noncharacters_are_refused,
    assignee_sub_is_checked,
    nul_bytes_in_every_string_argument_are_refused,
    oversized_content_length_is_refused_at_once,
);

db_tests!(config = small_responses; response_size_is_capped);

db_tests!(config = short_read_timeouts; trickling_body_is_cut_off, stalled_headers_are_cut_off);
