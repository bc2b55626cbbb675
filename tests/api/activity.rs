//! Activities: logging with coordination warnings, status changes, outcomes, visibility,
//! soft delete, ordering and lastActivityAt.

use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const SET_STATUS: &str = "mutation($id: ID!, $v: Int!, $s: ActivityStatus!) { setActivityStatus(id: $id, expectedVersion: $v, status: $s) { id status version occurredAt } }";

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

/// A DateTime the API answered, parsed.
fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&chrono::Utc)
}

/// `v` is a time within the last minute (the server's "now" when it answered).
fn assert_just_now(v: &Value, what: &str) {
    let age = chrono::Utc::now() - time(v);
    assert!(
        age >= chrono::Duration::seconds(-5) && age < chrono::Duration::minutes(1),
        "{what}: {v} is not now"
    );
}

async fn every_kind_and_status_can_be_logged(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    for kind in ["VISIT", "PHONE", "VIDEO", "EMAIL", "MEETING"] {
        for status in [
            "DRAFT",
            "BOOKED",
            "HELD",
            "CANCELLED_BY_COMPANY",
            "CANCELLED_BY_JOBCENTRE",
            "NO_SHOW",
        ] {
            let r = log_activity(
                &app,
                &token,
                &company,
                status,
                json!({ "kind": kind, "initiatedBy": "COMPANY", "visibility": "SHARED" }),
            )
            .await;
            assert_eq!(r["activity"]["status"], status);
        }
    }
    let q = "query($id: ID) { company(id: $id) { activities(first: 100) { nodes { kind status initiatedBy visibility organisation { id } } } } }";
    let data = app.gql_ok(&token, q, json!({ "id": company })).await;
    let nodes = data["company"]["activities"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(nodes.len(), 30);
    assert!(
        nodes
            .iter()
            .all(|n| n["initiatedBy"] == "COMPANY" && n["organisation"]["id"] == "jc-101")
    );

    // Defaults: initiated by the jobcentre (national for Jobservice Danmark), shared.
    let r = log_activity(&app, &token, &company, "HELD", json!({})).await;
    let q1 = "query($id: ID!) { activity(id: $id) { initiatedBy visibility occurredAt } }";
    let a = app
        .gql_ok(&token, q1, json!({ "id": r["activity"]["id"] }))
        .await;
    assert_eq!(a["activity"]["initiatedBy"], "JOBCENTRE");
    assert_eq!(a["activity"]["visibility"], "SHARED");
    assert_just_now(
        &a["activity"]["occurredAt"],
        "HELD defaults occurredAt to now",
    );
    let national = app.token("n1", "national", &[api::auth::Role::National]);
    let r = log_activity(&app, &national, &company, "HELD", json!({})).await;
    let a = app
        .gql_ok(&national, q1, json!({ "id": r["activity"]["id"] }))
        .await;
    assert_eq!(a["activity"]["initiatedBy"], "NATIONAL");

    // An occurrence in the future is refused.
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
            json!({ "i": { "companyId": company, "kind": "PHONE", "status": "HELD", "occurredAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339() } }),
        )
        .await;
    assert_eq!(error_field(&body), Some("input.occurredAt"));
    let (_, body) = app
        .gql(
            Some(&token),
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
            json!({ "i": { "companyId": uuid::Uuid::now_v7().to_string(), "kind": "PHONE", "status": "HELD" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"));
    for id in ["not-a-company", "'; DROP TABLE company; --", ""] {
        let (_, body) = app
            .gql(
                Some(&token),
                "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
                json!({ "i": { "companyId": id, "kind": "PHONE", "status": "HELD" } }),
            )
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{id:?}: {body}");
    }
}

async fn coordination_warnings(app: TestApp) {
    let odense = consultant(&app, "jc-461");
    let aarhus = consultant(&app, "jc-751");
    let company = company_id(&app, &odense).await;

    // Nobody else has been in touch: no warning.
    let first = log_activity(
        &app,
        &odense,
        &company,
        "HELD",
        json!({ "occurredAt": days_ago(3) }),
    )
    .await;
    assert_eq!(first["warnings"], json!([]));
    // Own organisation again: still no warning.
    let again = log_activity(&app, &odense, &company, "HELD", json!({})).await;
    assert_eq!(again["warnings"], json!([]));

    // Another organisation within the cooldown: a warning naming Odense and the time of its
    // latest contact (the second visit).
    let latest = app
        .gql_ok(
            &odense,
            "query($id: ID!) { activity(id: $id) { occurredAt } }",
            json!({ "id": again["activity"]["id"] }),
        )
        .await["activity"]["occurredAt"]
        .clone();
    let r = log_activity(&app, &aarhus, &company, "BOOKED", json!({})).await;
    let warnings = r["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{r}");
    assert_eq!(warnings[0]["code"], "RECENT_CONTACT_BY_OTHER_ORGANISATION");
    assert_eq!(
        warnings[0]["organisation"],
        json!({ "id": "jc-461", "name": "Jobcenter Odense" })
    );
    assert_eq!(
        time(&warnings[0]["at"]),
        time(&latest),
        "the latest contact"
    );
    assert_eq!(
        warnings[0]["message"],
        format!(
            "Jobcenter Odense had contact with this company on {} (within the 14-day coordination window); coordinate before contacting",
            time(&latest).format("%Y-%m-%d %H:%M UTC")
        )
    );

    // A third organisation is warned of both, in organisation order, each with its own
    // latest contact (one row each from the statement that also checks the company).
    let copenhagen = consultant(&app, "jc-101");
    let r = log_activity(&app, &copenhagen, &company, "HELD", json!({})).await;
    let warned: Vec<(&str, &str)> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap_or(""),
                w["organisation"]["id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        warned,
        [
            ("RECENT_CONTACT_BY_OTHER_ORGANISATION", "jc-461"),
            ("RECENT_CONTACT_BY_OTHER_ORGANISATION", "jc-751"),
        ],
        "{r}"
    );
    assert!(
        r["warnings"][1]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Jobcenter Aarhus has a contact booked")),
        "{r}"
    );

    // Outside the cooldown (14 days) or a draft: no warning.
    let company2 = company_id(&app, &odense).await;
    log_activity(
        &app,
        &odense,
        &company2,
        "HELD",
        json!({ "occurredAt": days_ago(20) }),
    )
    .await;
    log_activity(&app, &odense, &company2, "DRAFT", json!({})).await;
    let r = log_activity(&app, &aarhus, &company2, "HELD", json!({})).await;
    assert_eq!(r["warnings"], json!([]), "{r}");
    // A deleted activity does not count either.
    let company3 = company_id(&app, &odense).await;
    let a = log_activity(&app, &odense, &company3, "HELD", json!({})).await;
    app.gql_ok(
        &odense,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": a["activity"]["id"] }),
    )
    .await;
    let r = log_activity(&app, &aarhus, &company3, "HELD", json!({})).await;
    assert_eq!(r["warnings"], json!([]), "{r}");

    // Booked more than 42 days ahead.
    let far = (chrono::Utc::now() + chrono::Duration::days(43)).to_rfc3339();
    let r = log_activity(
        &app,
        &aarhus,
        &company2,
        "BOOKED",
        json!({ "scheduledAt": far }),
    )
    .await;
    let codes: Vec<&str> = r["warnings"]
        .as_array()
        .expect("w")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert_eq!(codes, ["BOOKED_FAR_AHEAD"], "{r}");
    let near = (chrono::Utc::now() + chrono::Duration::days(41)).to_rfc3339();
    let r = log_activity(
        &app,
        &aarhus,
        &company2,
        "BOOKED",
        json!({ "scheduledAt": near }),
    )
    .await;
    assert_eq!(r["warnings"], json!([]));
}

async fn status_changes_use_expected_version(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let booked =
        log_activity(&app, &token, &company, "BOOKED", json!({})).await["activity"].clone();
    assert_eq!(booked["version"], 1);

    let before = app.table_digests().await;
    let (_, body) = app
        .gql(
            Some(&token),
            SET_STATUS,
            json!({ "id": booked["id"], "v": 7, "s": "HELD" }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VERSION_CONFLICT"));
    let (_, body) = app
        .gql(
            Some(&token),
            SET_STATUS,
            json!({ "id": booked["id"], "v": 1, "s": "DRAFT" }),
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("VALIDATION"),
        "BOOKED cannot go back to DRAFT: {body}"
    );
    assert_eq!(app.table_digests().await, before, "nothing written");

    for (status, expect) in [
        ("CANCELLED_BY_COMPANY", "CANCELLED_BY_COMPANY"),
        ("NO_SHOW", "NO_SHOW"),
        ("CANCELLED_BY_JOBCENTRE", "CANCELLED_BY_JOBCENTRE"),
        ("HELD", "HELD"),
    ] {
        let a = log_activity(&app, &token, &company, "BOOKED", json!({})).await["activity"].clone();
        let r = app
            .gql_ok(
                &token,
                SET_STATUS,
                json!({ "id": a["id"], "v": 1, "s": status }),
            )
            .await;
        assert_eq!(r["setActivityStatus"]["status"], expect);
        assert_eq!(r["setActivityStatus"]["version"], 2);
    }
    let r = app
        .gql_ok(
            &token,
            SET_STATUS,
            json!({ "id": booked["id"], "v": 1, "s": "HELD" }),
        )
        .await;
    // Booked for next week and held now: it happened now.
    assert_just_now(
        &r["setActivityStatus"]["occurredAt"],
        "held before its time",
    );
    // HELD is final.
    let code = app
        .gql_error_code(
            Some(&token),
            SET_STATUS,
            json!({ "id": booked["id"], "v": 2, "s": "NO_SHOW" }),
        )
        .await;
    assert_eq!(code, "VALIDATION");
}

async fn outcome_adds_agreements_and_follow_ups(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let activity = held_activity(&app, &token, &company).await;
    let aid = id(&activity);

    let first = record_outcome(&app, &token, &aid).await;
    assert_eq!(first["outcomeRegistered"], true);
    assert_eq!(first["agreements"].as_array().expect("a").len(), 1);
    assert_eq!(first["followUps"][0]["status"], "OPEN");
    // Again: adds, does not replace.
    let second = record_outcome(&app, &token, &aid).await;
    assert_eq!(second["agreements"].as_array().expect("a").len(), 2);
    assert_eq!(second["followUps"].as_array().expect("f").len(), 2);

    // An outcome with nothing in it is valid and registered.
    let other = held_activity(&app, &token, &company).await;
    let q = "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { outcomeRegistered agreements { id } followUps { id } summary } }";
    let empty = app
        .gql_ok(&token, q, json!({ "a": other["id"], "i": { "agreements": [], "followUps": [], "summary": "Ingen behov lige nu" } }))
        .await["recordOutcome"]
        .clone();
    assert_eq!(empty["outcomeRegistered"], true);
    assert_eq!(empty["agreements"], json!([]));
    assert_eq!(empty["summary"], "Ingen behov lige nu");

    // Bad input anywhere in the outcome: VALIDATION with the path, nothing written.
    let before = app.row_counts().await;
    let digests = app.table_digests().await;
    for (input, field) in [
        (
            json!({ "agreements": [{ "kind": "WAGE_SUBSIDY", "positions": 1 }, { "kind": "IGU", "positions": 0 }], "followUps": [] }),
            "input.agreements[1].positions",
        ),
        (
            json!({ "agreements": [{ "kind": "IGU", "positions": 1 }], "followUps": [{ "description": "", "dueOn": in_days(3) }] }),
            "input.followUps[0].description",
        ),
        (
            json!({ "agreements": [{ "kind": "IGU", "positions": 1 }], "followUps": [{ "description": "Ring", "dueOn": in_days(-30) }] }),
            "input.followUps[0].dueOn",
        ),
    ] {
        let (_, body) = app
            .gql(Some(&token), q, json!({ "a": aid, "i": input }))
            .await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
    }
    let (_, body) = app
        .gql(Some(&token), q, json!({ "a": aid, "i": { "agreements": [], "followUps": [{ "description": "x", "dueOn": "2026-13-01" }] } }))
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    // Only a held meeting has an outcome.
    let booked =
        log_activity(&app, &token, &company, "BOOKED", json!({})).await["activity"].clone();
    let (_, body) = app
        .gql(
            Some(&token),
            q,
            json!({ "a": booked["id"], "i": { "agreements": [], "followUps": [] } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"));
    let after = app.row_counts().await;
    let after_digests = app.table_digests().await;
    for table in ["agreement", "follow_up", "company"] {
        assert_eq!(after_digests[table], digests[table], "{table} unchanged");
    }
    let held_now = app
        .gql_ok(
            &token,
            "query($id: ID!) { activity(id: $id) { version outcomeRegistered } }",
            json!({ "id": aid }),
        )
        .await;
    assert_eq!(
        held_now["activity"],
        json!({ "version": 3, "outcomeRegistered": true }),
        "the refused outcomes did not touch the meeting (two outcomes recorded before)"
    );
    assert_eq!(
        after["audit_event"],
        before["audit_event"] + 1,
        "only the booking was written"
    );
}

async fn private_activities_show_only_that_they_happened(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let a = log_activity(
        &app,
        &owner,
        &company,
        "HELD",
        json!({ "visibility": "ORGANISATION", "summary": "Fortroligt: omstrukturering" }),
    )
    .await["activity"]
        .clone();
    record_outcome(&app, &owner, &id(&a)).await;
    let q = "query($id: ID) { company(id: $id) { activities(first: 5) { nodes { kind status occurredAt summary organisation { id } agreements { kind positions note } } } } }";

    let mine = app.gql_ok(&owner, q, json!({ "id": company })).await;
    let node = &mine["company"]["activities"]["nodes"][0];
    assert_eq!(node["summary"], "Fortroligt: omstrukturering");
    assert_eq!(node["agreements"][0]["note"], "to smede");
    let occurred = node["occurredAt"].clone();
    assert_just_now(&occurred, "held now");

    for other in [consultant(&app, "jc-751"), admin(&app)] {
        let theirs = app.gql_ok(&other, q, json!({ "id": company })).await;
        let node = &theirs["company"]["activities"]["nodes"][0];
        assert_eq!(node["summary"], Value::Null);
        assert_eq!(node["agreements"][0]["note"], Value::Null);
        assert_eq!(
            node["agreements"][0]["positions"], 2,
            "that it happened and what was agreed is shared"
        );
        assert_eq!(node["organisation"]["id"], "jc-101");
        assert_eq!(node["occurredAt"], occurred, "when it happened is shared");
        assert_eq!(node["kind"], "VISIT");
        assert_eq!(node["status"], "HELD");
    }
}

async fn soft_delete_hides_and_restores(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let old = log_activity(
        &app,
        &owner,
        &company,
        "HELD",
        json!({ "occurredAt": days_ago(5) }),
    )
    .await["activity"]
        .clone();
    let new = log_activity(
        &app,
        &owner,
        &company,
        "HELD",
        json!({ "occurredAt": days_ago(1) }),
    )
    .await["activity"]
        .clone();
    let q = "query($id: ID) { company(id: $id) { lastActivityAt activities { nodes { id } } } }";
    let del = "mutation($id: ID!) { deleteActivity(id: $id) { id deletedAt } }";
    let restore = "mutation($id: ID!) { restoreActivity(id: $id) { id deletedAt } }";

    let before = app.gql_ok(&owner, q, json!({ "id": company })).await;
    assert_eq!(
        before["company"]["activities"]["nodes"][0]["id"], new["id"],
        "newest first"
    );
    let deleted = app.gql_ok(&owner, del, json!({ "id": new["id"] })).await;
    assert_eq!(deleted["deleteActivity"]["id"], new["id"]);
    assert_just_now(&deleted["deleteActivity"]["deletedAt"], "deleted now");
    let after = app.gql_ok(&owner, q, json!({ "id": company })).await;
    assert_eq!(
        after["company"]["activities"]["nodes"],
        json!([{ "id": old["id"] }])
    );
    let old_occurred = app
        .gql_ok(
            &owner,
            "query($id: ID!) { activity(id: $id) { occurredAt } }",
            json!({ "id": old["id"] }),
        )
        .await["activity"]["occurredAt"]
        .clone();
    assert_eq!(
        time(&after["company"]["lastActivityAt"]),
        time(&old_occurred),
        "deleted activities do not count: the older one is the last contact"
    );

    // Others see nothing: the deleted activity answers like a missing one.
    let other = consultant(&app, "jc-751");
    let one = "query($id: ID!) { activity(id: $id) { id deletedAt } }";
    assert_eq!(
        app.gql_ok(&other, one, json!({ "id": new["id"] })).await["activity"],
        Value::Null
    );
    assert_eq!(
        app.gql_ok(&owner, one, json!({ "id": new["id"] })).await["activity"],
        json!({ "id": new["id"], "deletedAt": deleted["deleteActivity"]["deletedAt"] }),
        "the owner still reads it, as deleted"
    );
    assert_eq!(
        app.gql_error_code(Some(&other), restore, json!({ "id": new["id"] }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_error_code(
            Some(&other),
            restore,
            json!({ "id": uuid::Uuid::now_v7().to_string() })
        )
        .await,
        "NOT_FOUND"
    );

    app.gql_ok(&owner, restore, json!({ "id": new["id"] }))
        .await;
    let restored = app.gql_ok(&owner, q, json!({ "id": company })).await;
    assert_eq!(restored, before);
}

async fn activities_are_paginated_newest_first(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let mut ids = Vec::new();
    for d in (1..=7).rev() {
        ids.push(id(&log_activity(
            &app,
            &token,
            &company,
            "HELD",
            json!({ "occurredAt": days_ago(d) }),
        )
        .await["activity"]));
    }
    ids.reverse(); // newest first
    let q = "query($id: ID, $after: String) { company(id: $id) { lastActivityAt activities(first: 3, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .gql_ok(&token, q, json!({ "id": company, "after": after }))
            .await;
        let conn = &data["company"]["activities"];
        seen.extend(conn["nodes"].as_array().expect("nodes").iter().map(id));
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ids);
    // lastActivityAt is the newest non-draft contact; a draft does not move it.
    let data = app.gql_ok(&token, q, json!({ "id": company })).await;
    let last = data["company"]["lastActivityAt"].clone();
    log_activity(&app, &token, &company, "DRAFT", json!({})).await;
    let data = app.gql_ok(&token, q, json!({ "id": company })).await;
    assert_eq!(data["company"]["lastActivityAt"], last);
    let empty = company_id(&app, &token).await;
    let data = app.gql_ok(&token, q, json!({ "id": empty })).await;
    assert_eq!(data["company"]["lastActivityAt"], Value::Null);
}

db_tests!(
    every_kind_and_status_can_be_logged,
    coordination_warnings,
    status_changes_use_expected_version,
    outcome_adds_agreements_and_follow_ups,
    private_activities_show_only_that_they_happened,
    soft_delete_hides_and_restores,
    activities_are_paginated_newest_first,
);
