//! On PostgreSQL a company read loads the relations its selection shows in the company statement
//! (`service::prefetch`), activities with only the columns the selection reads. These tests hold
//! that path to the batched one field by field (on SQLite both sides take the batched path), and
//! count its statements.

use std::collections::HashMap;

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::{Backend, TestApp};

/// A company with activities of every kind of visibility and history, seen by two jobcentres.
pub(crate) async fn company_with_history(app: &TestApp) -> String {
    let own = consultant(app, "jc-101");
    let other = consultant(app, "jc-751");
    let company = id(&register_company(app, &own, "Forudhentning ApS", "101").await);
    add_contact_person(app, &own, &company).await;
    log_activity(
        app,
        &own,
        &company,
        "HELD",
        json!({ "visibility": "ORGANISATION", "summary": "privat note", "initiatedBy": "COMPANY" }),
    )
    .await;
    log_activity(
        app,
        &other,
        &company,
        "HELD",
        json!({ "summary": "delt note", "participantOrganisationIds": ["jc-101"] }),
    )
    .await;
    log_activity(
        app,
        &own,
        &company,
        "BOOKED",
        json!({ "summary": "aftalt" }),
    )
    .await;
    let held = id(&held_activity(app, &own, &company).await);
    record_outcome(app, &own, &held).await;
    let second = id(&held_activity(app, &other, &company).await);
    let outcome = record_outcome(app, &other, &second).await;
    let done = &outcome["followUps"][0];
    app.gql_ok(
        &other,
        "mutation($id: ID!, $v: Int!) { completeFollowUp(id: $id, expectedVersion: $v, note: \"sendt\") { id } }",
        json!({ "id": done["id"], "v": done["version"] }),
    )
    .await;
    add_contact_person(app, &other, &company).await;
    let gone = id(&log_activity(app, &own, &company, "HELD", json!({})).await["activity"]);
    app.gql_ok(
        &own,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": gone }),
    )
    .await;
    company
}

/// Every field of `type_name`, with `{ id }` under the object-valued ones.
async fn selections(app: &TestApp, token: &str, type_name: &str) -> Vec<String> {
    let data = app
        .gql_ok(
            token,
            r#"query($t: String!) { __type(name: $t) { fields { name type { kind ofType { kind ofType { kind ofType { kind } } } } } } }"#,
            json!({ "t": type_name }),
        )
        .await;
    let fields = data["__type"]["fields"].as_array().expect("fields");
    assert!(fields.len() >= 9, "{type_name} has its fields: {fields:?}");
    fields
        .iter()
        .map(|f| {
            let name = f["name"].as_str().expect("name");
            let mut t = &f["type"];
            while t["ofType"].is_object() {
                t = &t["ofType"];
            }
            if t["kind"] == "OBJECT" {
                format!("{name} {{ id }}")
            } else {
                name.to_owned()
            }
        })
        .collect()
}

/// `selection` of a company read with it (prefetched on PostgreSQL) and through an activity's
/// company (the batched loaders, whole rows).
/// `company_with_history` and its newest activity's id (as jc-101 reads it).
async fn company_and_newest_activity(app: &TestApp) -> (String, Value) {
    let company = company_with_history(app).await;
    let activity = app
        .gql_ok(
            &consultant(app, "jc-101"),
            "query($c: ID!) { company(id: $c) { activities(first: 1) { nodes { id } } } }",
            json!({ "c": company }),
        )
        .await["company"]["activities"]["nodes"][0]["id"]
        .clone();
    (company, activity)
}

async fn prefetched_and_batched(
    app: &TestApp,
    token: &str,
    company: &str,
    activity: &Value,
    selection: &str,
) -> (Value, Value) {
    let with_company = app
        .gql_ok(
            token,
            &format!("query($c: ID!) {{ company(id: $c) {{ {selection} }} }}"),
            json!({ "c": company }),
        )
        .await["company"]
        .clone();
    let batched = app
        .gql_ok(
            token,
            &format!("query($a: ID!) {{ activity(id: $a) {{ company {{ {selection} }} }} }}"),
            json!({ "a": activity }),
        )
        .await["activity"]["company"]
        .clone();
    (with_company, batched)
}

async fn prefetched_activities_read_like_the_batched_path(app: TestApp) {
    let (company, activity) = company_and_newest_activity(&app).await;
    let own = consultant(&app, "jc-101");
    let fields = selections(&app, &own, "Activity").await;
    let everything = fields.join(" ");
    // Each field alone (no `id` beside it: a page reads only the columns its selection shows),
    // all together, and the connection's cursors with or without nodes.
    let mut connections: Vec<String> = fields
        .iter()
        .chain([&everything])
        .map(|f| format!("nodes {{ {f} }}"))
        .collect();
    connections.extend(
        [
            "edges { cursor }",
            "edges { cursor node { kind } }",
            "edges { node { status } } pageInfo { hasNextPage endCursor }",
            "nodes { kind } pageInfo { startCursor }",
        ]
        .map(String::from),
    );
    for token in [own.clone(), consultant(&app, "jc-751")] {
        for connection in &connections {
            for first in [2, 100] {
                let page = format!("activities(first: {first}) {{ {connection} }}");
                // The same page through an activity's company: the batched loader (every column).
                let (with_company, batched) =
                    prefetched_and_batched(&app, &token, &company, &activity, &page).await;
                assert_eq!(
                    with_company, batched,
                    "`{page}` read with its company and batched"
                );
                if first == 100 && connection.starts_with("nodes") {
                    assert_eq!(
                        with_company["activities"]["nodes"].as_array().map(Vec::len),
                        Some(5),
                        "five activities left after the deletion"
                    );
                }
            }
        }
    }
    // A cursor of a page read only for its cursors leads on to the next activity.
    let ids = app
        .gql_ok(
            &own,
            "query($c: ID!) { company(id: $c) { activities(first: 100) { nodes { id } } } }",
            json!({ "c": company }),
        )
        .await["company"]["activities"]["nodes"]
        .clone();
    let cursors = app
        .gql_ok(
            &own,
            "query($c: ID!) { company(id: $c) { activities(first: 100) { edges { cursor } } } }",
            json!({ "c": company }),
        )
        .await["company"]["activities"]["edges"]
        .clone();
    for k in 0..4 {
        let next = app
            .gql_ok(
                &own,
                "query($c: ID!, $after: String) { company(id: $c) { activities(first: 1, after: $after) { nodes { id } } } }",
                json!({ "c": company, "after": cursors[k]["cursor"] }),
            )
            .await;
        assert_eq!(
            next["company"]["activities"]["nodes"][0]["id"],
            ids[k + 1]["id"],
            "the page after cursor {k}"
        );
    }
    // The private note stays private on the prefetched path.
    let other = consultant(&app, "jc-751");
    let page = app
        .gql_ok(
            &other,
            "query($c: ID!) { company(id: $c) { activities { nodes { summary visibility organisation { id } } } } }",
            json!({ "c": company }),
        )
        .await;
    let nodes = page["company"]["activities"]["nodes"]
        .as_array()
        .expect("nodes");
    let private: Vec<&Value> = nodes
        .iter()
        .filter(|n| n["visibility"] == "ORGANISATION")
        .collect();
    assert_eq!(private.len(), 1);
    assert_eq!(private[0]["summary"], Value::Null);
    assert!(nodes.iter().any(|n| n["summary"] == "delt note"));
}

/// Contact persons and follow-ups read with their company, and through an activity's company
/// (the batched loaders), field by field.
async fn prefetched_people_and_follow_ups_read_like_the_batched_path(app: TestApp) {
    let (company, activity) = company_and_newest_activity(&app).await;
    let own = consultant(&app, "jc-101");
    for (type_name, relation, count) in [
        ("ContactPerson", "contactPersons", 2),
        ("FollowUp", "followUps", 2),
        ("FollowUp", "followUps(status: OPEN)", 1),
    ] {
        let fields = selections(&app, &own, type_name).await;
        let everything = fields.join(" ");
        for token in [own.clone(), consultant(&app, "jc-751")] {
            for selection in fields.iter().chain([&everything]) {
                let (with_company, batched) = prefetched_and_batched(
                    &app,
                    &token,
                    &company,
                    &activity,
                    &format!("{relation} {{ {selection} }}"),
                )
                .await;
                let key = relation.split('(').next().expect("name");
                assert_eq!(
                    with_company[key].as_array().map(Vec::len),
                    Some(count),
                    "{relation}"
                );
                assert_eq!(with_company, batched, "`{selection}` of {relation}");
            }
        }
    }
}

const FULL_PAGE: &str = "query($c: ID!) { company(id: $c) { name contactPersons { name email } productionUnits { pNumber }
  activities(first: 20) { nodes { id kind summary organisation { name } } }
  open: followUps(status: OPEN) { description dueOn } all: followUps { id status }
  entryPoint { organisation { id } reason contactName } lastActivityAt } }";

async fn a_company_page_is_one_statement_on_postgres(app: TestApp) {
    let company = company_with_history(&app).await;
    let own = consultant(&app, "jc-101");
    app.gql_ok(
        &own,
        "mutation($c: ID!, $i: CompanyContactInput!) { setCompanyContact(companyId: $c, input: $i) { id } }",
        json!({ "c": company, "i": { "name": "Fast Kontakt", "email": "fast@jc101.dk" } }),
    )
    .await;
    let before = app.metric("kontaktpunkt_sql_statements_total").await;
    let data = app.gql_ok(&own, FULL_PAGE, json!({ "c": company })).await;
    let statements = app.metric("kontaktpunkt_sql_statements_total").await - before;
    let c = &data["company"];
    assert_eq!(c["activities"]["nodes"].as_array().map(Vec::len), Some(5));
    assert_eq!(c["open"].as_array().map(Vec::len), Some(1));
    assert_eq!(c["all"].as_array().map(Vec::len), Some(2));
    assert_eq!(c["contactPersons"].as_array().map(Vec::len), Some(2));
    assert_eq!(c["entryPoint"]["contactName"], "Fast Kontakt");
    assert_eq!(c["entryPoint"]["reason"], "HOME_MUNICIPALITY");
    match app.backend {
        // lastActivityAt is not prefetched: the company statement and its loader.
        Backend::Postgres => assert_eq!(statements, 2.0, "statements of the page"),
        Backend::Sqlite => assert!(statements >= 6.0, "batched: {statements}"),
    }
    // Arguments the resolvers refuse are refused as before (nothing prefetched for them).
    let (_, body) = app
        .gql(
            Some(&own),
            "query($c: ID!) { company(id: $c) { activities(first: 500) { nodes { id } } } }",
            json!({ "c": company }),
        )
        .await;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
}

/// A list whose selection shows each row's company joins the companies to its page: one
/// statement on both databases, the same companies as the company loader reads.
async fn lists_join_the_companies_they_show(app: TestApp) {
    let company = company_with_history(&app).await;
    let own = consultant(&app, "jc-101");
    for query in [
        "query($c: ID) { activities(filter: { companyId: $c }, first: 50) { nodes { id company { id name cvr } } } }",
        "query { followUps(filter: { organisationId: \"jc-751\" }) { nodes { id company { id name cvr } } } }",
    ] {
        let before = app.metric("kontaktpunkt_sql_statements_total").await;
        let data = app.gql_ok(&own, query, json!({ "c": company })).await;
        let statements = app.metric("kontaktpunkt_sql_statements_total").await - before;
        assert_eq!(statements, 1.0, "{query}");
        let list = data
            .as_object()
            .and_then(|o| o.values().next())
            .expect("list");
        let nodes = list["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty(), "{query}");
        for node in nodes {
            assert_eq!(node["company"]["id"], company.as_str(), "{query}");
            assert_eq!(node["company"]["name"], "Forudhentning ApS", "{query}");
        }
    }
    // Every scalar field of a company read with a list equals the company read alone (the list
    // sends its companies in a form of their own on PostgreSQL).
    let fields = app
        .gql_ok(
            &own,
            r#"{ __type(name: "Company") { fields { name args { name } type { kind ofType { kind ofType { kind } } } } } }"#,
            json!({}),
        )
        .await;
    let leaves: Vec<&str> = fields["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| f["args"].as_array().is_some_and(Vec::is_empty))
        .filter(|f| {
            let mut t = &f["type"];
            while t["ofType"].is_object() {
                t = &t["ofType"];
            }
            t["kind"] == "SCALAR" || t["kind"] == "ENUM"
        })
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    assert!(leaves.len() >= 8, "{leaves:?}");
    let selection = leaves.join(" ");
    let alone = app
        .gql_ok(
            &own,
            &format!("query($c: ID!) {{ company(id: $c) {{ {selection} }} }}"),
            json!({ "c": company }),
        )
        .await["company"]
        .clone();
    for list in [
        format!(
            "activities(filter: {{ companyId: $c }}, first: 5) {{ nodes {{ company {{ {selection} }} }} }}"
        ),
        format!(
            "followUps(filter: {{ organisationId: \"jc-751\" }}) {{ nodes {{ company {{ {selection} }} }} }}"
        ),
    ] {
        let data = app
            .gql_ok(
                &own,
                &format!(
                    "query{} {{ {list} }}",
                    if list.contains("$c") { "($c: ID)" } else { "" }
                ),
                json!(if list.contains("$c") {
                    json!({ "c": company })
                } else {
                    json!({})
                }),
            )
            .await;
        let list = data
            .as_object()
            .and_then(|o| o.values().next())
            .expect("list");
        assert_eq!(list["nodes"][0]["company"], alone, "{list}");
    }
}

/// Rows read in fewer columns for one part of a request are not what another part gets when
/// it reaches the same company's relations with other fields.
async fn pruned_rows_serve_only_their_selection(app: TestApp) {
    let company = company_with_history(&app).await;
    let own = consultant(&app, "jc-101");
    let full = "activities { nodes { id kind summary createdAt createdBySub } }
        contactPersons { id name email title version } followUps { id description version }
        open: followUps(status: OPEN) { id description completionNote }";
    let alone = app
        .gql_ok(
            &own,
            &format!("query($c: ID!) {{ company(id: $c) {{ {full} }} }}"),
            json!({ "c": company }),
        )
        .await["company"]
        .clone();
    assert_eq!(alone["contactPersons"][0]["name"], "Jens Hansen");
    assert!(
        alone["followUps"][0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    let both = app
        .gql_ok(
            &own,
            &format!(
                "query($c: ID!) {{
                    company(id: $c) {{ activities {{ nodes {{ id kind }} }} contactPersons {{ id }}
                        followUps {{ id }} open: followUps(status: OPEN) {{ id }} }}
                    activities(filter: {{ companyId: $c }}, first: 1) {{ nodes {{ company {{ {full} }} }} }}
                }}"
            ),
            json!({ "c": company }),
        )
        .await;
    assert_eq!(both["activities"]["nodes"][0]["company"], alone);
}

/// A list showing no more of each row's company than its id and name reads only those two
/// columns; any other field of the company, in an alias or a fragment of the same list, reads
/// the whole company, and a company read by name never stands in for one read whole.
async fn lists_read_only_the_company_names_they_show(app: TestApp) {
    let company = company_with_history(&app).await;
    let own = consultant(&app, "jc-101");
    let alone = app
        .gql_ok(
            &own,
            "query($c: ID!) { company(id: $c) { id name cvr address } }",
            json!({ "c": company }),
        )
        .await["company"]
        .clone();
    assert!(
        alone["cvr"].as_str().is_some_and(|c| c.len() == 8),
        "{alone}"
    );
    for list in [
        "activities(filter: { companyId: $c }, first: 5)",
        "followUps(filter: { organisationId: \"jc-751\" })",
    ] {
        let ask = |selection: &str, extra: &str| {
            let body = format!("list: {list} {{ nodes {{ company {{ {selection} }} }} }} {extra}");
            let header = if body.contains("$c") { "($c: ID!)" } else { "" };
            format!("query{header} {{ {body} }}")
        };
        let first = |data: &serde_json::Value| {
            let nodes = data["list"]["nodes"].as_array().expect("nodes").clone();
            assert!(!nodes.is_empty(), "{data}");
            nodes
        };
        // Names only: one statement, the right names.
        let before = app.metric("kontaktpunkt_sql_statements_total").await;
        let data = app
            .gql_ok(
                &own,
                &ask("id name __typename", ""),
                json!({ "c": company }),
            )
            .await;
        let statements = app.metric("kontaktpunkt_sql_statements_total").await - before;
        assert_eq!(statements, 1.0, "{list}");
        for node in first(&data) {
            assert_eq!(node["company"]["id"], alone["id"], "{list}");
            assert_eq!(node["company"]["name"], alone["name"], "{list}");
        }
        // Another field in an alias, in a fragment, in an inline fragment: the whole company.
        for selection in [
            "name other: cvr",
            "name ...More",
            "id ... on Company { address }",
        ] {
            let fragment = if selection.contains("...More") {
                " fragment More on Company { cvr address }"
            } else {
                ""
            };
            let query = format!("{}{fragment}", ask(selection, ""));
            let data = app.gql_ok(&own, &query, json!({ "c": company })).await;
            for node in first(&data) {
                let c = &node["company"];
                if c.get("name").is_some() {
                    assert_eq!(c["name"], alone["name"], "{query}");
                }
                for (field, key) in [("cvr", "cvr"), ("other", "cvr"), ("address", "address")] {
                    if c.get(field).is_some() {
                        assert_eq!(c[field], alone[key], "{query}: {field}");
                    }
                }
            }
        }
        // Two occurrences of the list's company: one by name, one whole (aliased lists).
        let data = app
            .gql_ok(
                &own,
                &ask(
                    "id name",
                    &format!("again: {list} {{ nodes {{ company {{ cvr address }} }} }} company(id: $c) {{ cvr address }}"),
                ),
                json!({ "c": company }),
            )
            .await;
        for node in first(&data) {
            assert_eq!(node["company"]["name"], alone["name"], "{list}");
        }
        let again = data["again"]["nodes"].as_array().expect("again");
        assert!(!again.is_empty());
        for node in again {
            assert_eq!(node["company"]["cvr"], alone["cvr"], "{list}");
            assert_eq!(node["company"]["address"], alone["address"], "{list}");
        }
        assert_eq!(data["company"]["cvr"], alone["cvr"], "{list}");
    }
}

/// A list query (`SELECTION` in it), the fields its rows show, the same rows read whole by id,
/// and its variables.
type ListCase<'a> = (&'a str, &'a [String], &'a HashMap<String, Value>, Value);

/// A list of rows reads only the columns its selection shows (`graphql::*::field_columns`):
/// each field alone on the activities, follow-ups and call list (both forms) equals that field
/// of the same row read whole (an activity by id, its follow-ups by activity, a call list entry
/// as the last mutation on it returned it).
async fn lists_read_only_the_columns_they_show(app: TestApp) {
    let (company, _) = company_and_newest_activity(&app).await;
    let own = consultant(&app, "jc-101");
    let other = consultant(&app, "jc-751");

    // A call list of three entries: one excluded with a reason, one cleared and booked, one as
    // it was added.
    let national = app.token("booker@national", "national", &[Role::National]);
    let campaign = app
        .gql_ok(
            &national,
            "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Kolonner", "startsOn": in_days(0), "endsOn": in_days(120) } }),
        )
        .await["createCampaign"]["id"]
        .clone();
    let second = id(&register_company(&app, &own, "Kolonne ApS", "101").await);
    let third = id(&register_company(&app, &own, "Tredje Kolonne ApS", "101").await);
    let entry_fields = selections(&app, &own, "CallListEntry").await;
    let whole_entry = entry_fields.join(" ");
    let added = app
        .gql_ok(
            &national,
            &format!("mutation($c: ID!, $ids: [ID!]!) {{ addToCallList(campaignId: $c, companyIds: $ids, organisationId: \"jc-101\") {{ {whole_entry} }} }}"),
            json!({ "c": campaign, "ids": [company, second, third] }),
        )
        .await["addToCallList"]
        .clone();
    let mut entries: HashMap<String, Value> = HashMap::new();
    for e in added.as_array().expect("entries") {
        entries.insert(id(e), e.clone());
    }
    let entry_of = |c: &str| {
        entries
            .values()
            .find(|e| e["company"]["id"] == c)
            .map(id)
            .expect("an entry of the company")
    };
    let (excluded, booked) = (entry_of(&company), entry_of(&second));
    let clear = format!(
        "mutation($id: ID!, $x: Boolean!, $r: String) {{ clearCallListEntry(id: $id, exclude: $x, reason: $r) {{ {whole_entry} }} }}"
    );
    let e = app
        .gql_ok(
            &own,
            &clear,
            json!({ "id": excluded, "x": true, "r": "Har en tovholder" }),
        )
        .await["clearCallListEntry"]
        .clone();
    entries.insert(excluded.clone(), e);
    app.gql_ok(&own, &clear, json!({ "id": booked, "x": false }))
        .await;
    let at = chrono::Utc::now() + chrono::Duration::days(30);
    let e = app
        .gql_ok(
            &national,
            &format!("mutation($e: ID!, $at: DateTime!) {{ bookMeeting(callListEntryId: $e, scheduledAt: $at, assigneeSub: \"bo\") {{ entry {{ {whole_entry} }} }} }}"),
            json!({ "e": booked, "at": at.to_rfc3339() }),
        )
        .await["bookMeeting"]["entry"]
        .clone();
    entries.insert(booked.clone(), e);
    assert_eq!(entries[&excluded]["exclusionReason"], "Har en tovholder");
    assert!(
        entries[&booked]["meeting"]["id"].is_string(),
        "{}",
        entries[&booked]
    );

    let activity_fields = selections(&app, &own, "Activity").await;
    let follow_up_fields = selections(&app, &own, "FollowUp").await;
    for token in [&own, &other] {
        // The rows read whole: activities by id, their follow-ups through them.
        let ids = app
            .gql_ok(
                token,
                "query($c: ID) { activities(filter: { companyId: $c }, first: 100) { nodes { id } } }",
                json!({ "c": company }),
            )
            .await["activities"]["nodes"]
            .clone();
        let mut activities = HashMap::new();
        let mut follow_ups = HashMap::new();
        for a in ids.as_array().expect("ids") {
            let whole = app
                .gql_ok(
                    token,
                    &format!(
                        "query($a: ID!) {{ activity(id: $a) {{ {} whole: followUps {{ {} }} }} }}",
                        activity_fields.join(" "),
                        follow_up_fields.join(" ")
                    ),
                    json!({ "a": a["id"] }),
                )
                .await["activity"]
                .clone();
            for f in whole["whole"].as_array().expect("follow-ups") {
                follow_ups.insert(id(f), f.clone());
            }
            activities.insert(id(&whole), whole);
        }
        assert_eq!(
            activities.len(),
            5,
            "five activities left after the deletion"
        );
        assert_eq!(follow_ups.len(), 2);
        let lists: [ListCase; 4] = [
            (
                "query($c: ID) { list: activities(filter: { companyId: $c }, first: 100) { nodes { SELECTION } } }",
                &activity_fields,
                &activities,
                json!({ "c": company }),
            ),
            (
                "query { list: followUps(filter: { organisationId: \"jc-751\" }, first: 100) { nodes { SELECTION } } }",
                &follow_up_fields,
                &follow_ups,
                json!({}),
            ),
            (
                "query($c: ID!) { list: callList(campaignId: $c, organisationId: \"jc-101\") { SELECTION } }",
                &entry_fields,
                &entries,
                json!({ "c": campaign }),
            ),
            (
                "query($c: ID!) { list: callListPage(campaignId: $c, organisationId: \"jc-101\") { nodes { SELECTION } } }",
                &entry_fields,
                &entries,
                json!({ "c": campaign }),
            ),
        ];
        for (list, fields, whole, variables) in lists {
            let rows = |data: Value| -> Vec<Value> {
                let list = &data["list"];
                let rows = if list.is_array() {
                    list
                } else {
                    &list["nodes"]
                };
                rows.as_array().expect("rows").clone()
            };
            let order = rows(
                app.gql_ok(token, &list.replace("SELECTION", "id"), variables.clone())
                    .await,
            );
            assert!(!order.is_empty(), "{list}");
            for field in fields {
                // Each field alone: no `id` beside it.
                let alone = rows(
                    app.gql_ok(token, &list.replace("SELECTION", field), variables.clone())
                        .await,
                );
                assert_eq!(alone.len(), order.len(), "{list}: {field}");
                let name = field.split(' ').next().expect("name");
                for (row, at) in alone.iter().zip(&order) {
                    let full = whole.get(&id(at)).expect("the row read whole");
                    assert_eq!(row[name], full[name], "{list}: `{field}` of {at}");
                }
            }
        }
    }
}

db_tests!(
    lists_read_only_the_columns_they_show,
    lists_read_only_the_company_names_they_show,
    lists_join_the_companies_they_show,
    pruned_rows_serve_only_their_selection,
    prefetched_activities_read_like_the_batched_path,
    prefetched_people_and_follow_ups_read_like_the_batched_path,
    a_company_page_is_one_statement_on_postgres
);
