//! Follow-ups: listing by organisation, status, overdue and due date; completing them.

use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const LIST: &str = "query($f: FollowUpFilter, $first: Int, $after: String) { followUps(filter: $f, first: $first, after: $after) { nodes { id description dueOn status overdue organisation { id } company { id } } pageInfo { hasNextPage endCursor } } }";
const COMPLETE: &str = "mutation($id: ID!, $v: Int!, $note: String) { completeFollowUp(id: $id, expectedVersion: $v, note: $note) { id status completedAt overdue version completionNote } }";

/// A held meeting ten days ago with follow-ups due on the given day offsets.
async fn promises(app: &TestApp, token: &str, company: &str, due_in_days: &[i64]) -> Vec<String> {
    let occurred = (chrono::Utc::now() - chrono::Duration::days(10)).to_rfc3339();
    let a = log_activity(
        app,
        token,
        company,
        "HELD",
        json!({ "occurredAt": occurred }),
    )
    .await["activity"]
        .clone();
    let follow_ups: Vec<Value> = due_in_days
        .iter()
        .map(|d| json!({ "description": format!("due {d}"), "dueOn": in_days(*d) }))
        .collect();
    let r = app
        .gql_ok(
            token,
            "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { followUps { id } } }",
            json!({ "a": a["id"], "i": { "agreements": [], "followUps": follow_ups } }),
        )
        .await;
    r["recordOutcome"]["followUps"]
        .as_array()
        .expect("f")
        .iter()
        .map(id)
        .collect()
}

fn descriptions(v: &Value) -> Vec<String> {
    v["followUps"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["description"].as_str().expect("d").to_owned())
        .collect()
}

async fn overdue_is_derived_and_filterable(app: TestApp) {
    let cph = consultant(&app, "jc-101");
    let aar = consultant(&app, "jc-751");
    let company = company_id(&app, &cph).await;
    promises(&app, &cph, &company, &[-5, -1, 0, 3]).await;
    promises(&app, &aar, &company, &[-2, 10]).await;

    let mine = app
        .gql_ok(
            &cph,
            LIST,
            json!({ "f": { "organisationId": "jc-101", "overdue": true } }),
        )
        .await;
    assert_eq!(
        descriptions(&mine),
        ["due -5", "due -1"],
        "ordered by due date; due today is not overdue"
    );
    assert!(
        mine["followUps"]["nodes"]
            .as_array()
            .expect("n")
            .iter()
            .all(|n| n["overdue"] == true)
    );

    // Jobservice Danmark lists them across all organisations.
    let national = app.token("n", "national", &[api::auth::Role::National]);
    let all = app
        .gql_ok(&national, LIST, json!({ "f": { "overdue": true } }))
        .await;
    assert_eq!(descriptions(&all), ["due -5", "due -2", "due -1"]);
    let not_overdue = app
        .gql_ok(&national, LIST, json!({ "f": { "overdue": false } }))
        .await;
    assert_eq!(descriptions(&not_overdue), ["due 0", "due 3", "due 10"]);
    let before = app
        .gql_ok(&national, LIST, json!({ "f": { "dueBefore": in_days(1) } }))
        .await;
    assert_eq!(
        descriptions(&before),
        ["due -5", "due -2", "due -1", "due 0"]
    );
    let open_cph = app
        .gql_ok(
            &national,
            LIST,
            json!({ "f": { "status": "OPEN", "organisationId": "jc-101" } }),
        )
        .await;
    assert_eq!(
        descriptions(&open_cph),
        ["due -5", "due -1", "due 0", "due 3"]
    );

    // Completing an overdue promise takes it off the overdue list.
    let first = mine["followUps"]["nodes"][0].clone();
    let done = app
        .gql_ok(
            &cph,
            COMPLETE,
            json!({ "id": first["id"], "v": 1, "note": "CV'er sendt" }),
        )
        .await["completeFollowUp"]
        .clone();
    assert_eq!(done["status"], "DONE");
    assert_eq!(done["overdue"], false);
    assert_eq!(done["version"], 2);
    let completed = chrono::DateTime::parse_from_rfc3339(done["completedAt"].as_str().expect("at"))
        .expect("time");
    assert!(
        chrono::Utc::now() - completed.with_timezone(&chrono::Utc) < chrono::Duration::minutes(1),
        "completed now: {done}"
    );
    assert_eq!(done["completionNote"], "CV'er sendt");
    let mine = app
        .gql_ok(
            &cph,
            LIST,
            json!({ "f": { "organisationId": "jc-101", "overdue": true } }),
        )
        .await;
    assert_eq!(descriptions(&mine), ["due -1"]);
    let done_list = app
        .gql_ok(&cph, LIST, json!({ "f": { "status": "DONE" } }))
        .await;
    assert_eq!(descriptions(&done_list), ["due -5"]);

    // Pagination over all six.
    let mut seen = 0;
    let mut after: Option<String> = None;
    loop {
        let page = app
            .gql_ok(&national, LIST, json!({ "first": 4, "after": after }))
            .await;
        seen += page["followUps"]["nodes"].as_array().expect("n").len();
        if page["followUps"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["followUps"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, 6);
    assert_eq!(
        app.gql_error_code(Some(&national), LIST, json!({ "first": 500 }))
            .await,
        "LIMIT_EXCEEDED"
    );

    // The company shows its follow-ups, by status.
    let q = "query($id: ID) { company(id: $id) { open: followUps(status: OPEN) { description } all: followUps { description } } }";
    let c = app.gql_ok(&cph, q, json!({ "id": company })).await;
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|f| f["description"].as_str().expect("d").to_owned())
            .collect()
    };
    assert_eq!(
        list(&c["company"]["open"]),
        ["due -2", "due -1", "due 0", "due 3", "due 10"]
    );
    assert_eq!(
        list(&c["company"]["all"]),
        ["due -5", "due -2", "due -1", "due 0", "due 3", "due 10"]
    );
}

async fn completing_needs_the_current_version_and_an_open_promise(app: TestApp) {
    let cph = consultant(&app, "jc-101");
    let company = company_id(&app, &cph).await;
    let ids = promises(&app, &cph, &company, &[2]).await;
    let before = app.table_digests().await;
    assert_eq!(
        app.gql_error_code(Some(&cph), COMPLETE, json!({ "id": ids[0], "v": 2 }))
            .await,
        "VERSION_CONFLICT"
    );
    assert_eq!(app.table_digests().await, before);
    let done = app
        .gql_ok(&cph, COMPLETE, json!({ "id": ids[0], "v": 1 }))
        .await;
    assert_eq!(done["completeFollowUp"]["status"], "DONE");
    assert_eq!(done["completeFollowUp"]["version"], 2);
    let before = app.table_digests().await;
    assert_eq!(
        app.gql_error_code(Some(&cph), COMPLETE, json!({ "id": ids[0], "v": 2 }))
            .await,
        "CONFLICT"
    );
    assert_eq!(
        app.table_digests().await,
        before,
        "a done promise stays done"
    );
    assert_eq!(
        app.gql_error_code(
            Some(&cph),
            COMPLETE,
            json!({ "id": uuid::Uuid::now_v7().to_string(), "v": 1 })
        )
        .await,
        "NOT_FOUND"
    );
}

db_tests!(
    overdue_is_derived_and_filterable,
    completing_needs_the_current_version_and_an_open_promise
);
