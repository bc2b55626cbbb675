//! Accountability: one audit event per changed record (all in the mutation's transaction),
//! snapshots that are audit views rather than table rows, the owning organisation reading
//! what others did to its records, private notes written only by their organisation, and
//! erasure that reaches every snapshot of a person.

use api::auth::Role;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const EVENTS: &str = "query($id: ID) { auditEvents(entityId: $id, first: 100) { id action entityType entityId actorSub organisation { id } before after requestId } }";

async fn events(app: &TestApp, token: &str, entity: &str) -> Vec<Value> {
    app.gql_ok(token, EVENTS, json!({ "id": entity })).await["auditEvents"]
        .as_array()
        .expect("events")
        .clone()
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect()
}

/// Every audit snapshot in the database as text (to prove what is stored, not only shown).
async fn stored_snapshots(app: &TestApp) -> String {
    let db = app.db().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COALESCE(CAST(\"before\" AS TEXT), '') || COALESCE(CAST(\"after\" AS TEXT), '') AS s FROM audit_event"
        }
        _ => "SELECT COALESCE(\"before\", '') || COALESCE(\"after\", '') AS s FROM audit_event",
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("snapshots");
    db.close().await.ok();
    rows.iter()
        .map(|r| r.try_get::<String>("", "s").expect("s"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn an_outcome_writes_one_event_per_record(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let meeting = id(&held_activity(&app, &owner, &company).await);
    let before = app.row_counts().await["audit_event"];
    let (body, request_id) = app
        .gql_with_request_id(
            &owner,
            "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { agreements { id } followUps { id } } }",
            json!({ "a": meeting, "i": {
                "agreements": [{ "kind": "WAGE_SUBSIDY", "positions": 1 }],
                "followUps": [
                    { "description": "Send CV'er", "dueOn": in_days(3) },
                    { "description": "Ring tilbage", "dueOn": in_days(10) },
                ],
            } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let written = app.row_counts().await["audit_event"] - before;
    eprintln!("audit events written by recordOutcome with 1 agreement and 2 follow-ups: {written}");
    assert_eq!(written, 4, "the activity, the agreement and two follow-ups");

    let outcome = &body["data"]["recordOutcome"];
    let admin = admin(&app);
    let on_meeting = events(&app, &owner, &meeting).await;
    assert_eq!(
        actions(&on_meeting),
        ["activity.logged", "activity.outcomeRecorded"]
    );
    assert_eq!(on_meeting[1]["before"]["outcomeRegistered"], false);
    assert_eq!(on_meeting[1]["after"]["outcomeRegistered"], true);

    let agreement = id(&outcome["agreements"][0]);
    let on_agreement = events(&app, &owner, &agreement).await;
    assert_eq!(actions(&on_agreement), ["agreement.created"]);
    assert_eq!(on_agreement[0]["entityType"], "Agreement");
    assert_eq!(on_agreement[0]["after"]["kind"], "WAGE_SUBSIDY");
    assert_eq!(on_agreement[0]["after"]["activityId"], meeting.as_str());

    let mut descriptions = Vec::new();
    for f in outcome["followUps"].as_array().expect("follow-ups") {
        let on_follow_up = events(&app, &admin, &id(f)).await;
        assert_eq!(actions(&on_follow_up), ["followUp.created"]);
        let e = &on_follow_up[0];
        assert_eq!(e["entityType"], "FollowUp");
        assert_eq!(e["before"], Value::Null);
        assert_eq!(e["after"]["__typename"], "FollowUp");
        assert_eq!(e["after"]["status"], "OPEN");
        assert_eq!(e["after"]["organisationId"], "jc-101");
        assert_eq!(e["requestId"], request_id.as_str(), "one request");
        descriptions.push(e["after"]["description"].as_str().expect("d").to_owned());
    }
    descriptions.sort();
    assert_eq!(descriptions, ["Ring tilbage", "Send CV'er"]);
}

async fn snapshots_are_views_not_table_rows(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = register_company(&app, &owner, "Visning ApS", "461").await;
    let e = &events(&app, &owner, &id(&company)).await[0];
    let after = e["after"].as_object().expect("after");
    assert_eq!(after["__typename"], "Company");
    assert_eq!(after["__version"], 2);
    assert_eq!(after["cvr"], company["cvr"]);
    assert_eq!(after["municipalityCode"], "461");
    for table_name in [
        "municipality_code",
        "name_search",
        "nameSearch",
        "created_at",
    ] {
        assert!(!after.contains_key(table_name), "{table_name} in {e}");
    }
    let activity = id(&held_activity(&app, &owner, &id(&company)).await);
    let e = &events(&app, &owner, &activity).await[0];
    assert_eq!(e["after"]["__typename"], "Activity");
    assert_eq!(e["after"]["companyId"], company["id"]);
    assert_eq!(e["after"]["visibility"], "SHARED");
    assert!(e["after"].get("contact_at").is_none() && e["after"].get("contactAt").is_none());
}

async fn the_owner_reads_what_others_did_to_its_records(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let meeting = id(&held_activity(&app, &owner, &company).await);
    let other_admin = app.token("root", "national", &[Role::Admin]);
    app.gql_ok(
        &other_admin,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": meeting }),
    )
    .await;
    let seen = events(&app, &owner, &meeting).await;
    assert_eq!(actions(&seen), ["activity.logged", "activity.deleted"]);
    assert_eq!(seen[1]["actorSub"], "root");
    assert_eq!(seen[1]["organisation"]["id"], "national");
    // Staff of a third organisation see neither the record's events nor the admin's.
    let third = consultant(&app, "jc-751");
    assert!(events(&app, &third, &meeting).await.is_empty());
}

async fn private_notes_are_written_only_by_their_organisation(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let private = id(&log_activity(
        &app,
        &owner,
        &company,
        "HELD",
        json!({ "visibility": "ORGANISATION", "summary": "Fortroligt" }),
    )
    .await["activity"]);
    let outcome = "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { id summary outcomeRegistered agreements { note } } }";
    for admin in [
        app.token("root", "national", &[Role::Admin]),
        app.token("root751", "jc-751", &[Role::Admin, Role::Coordinator]),
    ] {
        for input in [
            json!({ "agreements": [], "followUps": [], "summary": "x".repeat(9_990) }),
            json!({ "agreements": [{ "kind": "MENTOR", "positions": 1, "note": "n" }], "followUps": [] }),
        ] {
            let before = app.row_counts().await;
            let (_, body) = app
                .gql(Some(&admin), outcome, json!({ "a": private, "i": input }))
                .await;
            assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
            let message = body.pointer("/errors/0/message").and_then(Value::as_str);
            assert!(
                message.is_some_and(|m| !m.contains("10000") && !m.contains("exceed")),
                "{body}"
            );
            assert_eq!(app.row_counts().await, before, "nothing written");
        }
        // Without notes an admin may still complete the record; the answer hides the summary.
        let data = app
            .gql_ok(
                &admin,
                outcome,
                json!({ "a": private, "i": { "agreements": [{ "kind": "MENTOR", "positions": 1 }], "followUps": [] } }),
            )
            .await;
        assert_eq!(data["recordOutcome"]["summary"], Value::Null);
        assert_eq!(data["recordOutcome"]["outcomeRegistered"], true);
    }
    // The owner appends, and reads its summary back.
    let data = app
        .gql_ok(
            &owner,
            outcome,
            json!({ "a": private, "i": { "agreements": [], "followUps": [], "summary": "Mere" } }),
        )
        .await;
    assert_eq!(data["recordOutcome"]["summary"], "Fortroligt\n\nMere");
}

async fn erasure_reaches_every_snapshot_of_the_person(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = company_id(&app, &owner).await;
    let person = id(&add_contact_person(&app, &owner, &company).await);
    for m in ["deleteContactPerson", "restoreContactPerson"] {
        app.gql_ok(
            &owner,
            &format!("mutation($id: ID!) {{ {m}(id: $id) {{ id }} }}"),
            json!({ "id": person }),
        )
        .await;
    }
    let stored = stored_snapshots(&app).await;
    assert!(stored.contains("jens@firma.dk") && stored.contains("Jens Hansen"));
    let admin = admin(&app);
    let erased = app
        .gql_ok(
            &admin,
            "mutation($id: ID!) { eraseContactPerson(id: $id) { name email phone erased } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(
        erased["eraseContactPerson"],
        json!({ "name": null, "email": null, "phone": null, "erased": true })
    );
    let seen = events(&app, &admin, &person).await;
    assert_eq!(
        actions(&seen),
        [
            "contactPerson.added",
            "contactPerson.deleted",
            "contactPerson.restored",
            "contactPerson.erased"
        ]
    );
    for e in &seen {
        for side in ["before", "after"] {
            let snapshot = &e[side];
            if snapshot.is_null() {
                continue;
            }
            assert_eq!(snapshot["name"], Value::Null, "{e}");
            assert_eq!(snapshot["email"], Value::Null, "{e}");
            assert_eq!(snapshot["phone"], Value::Null, "{e}");
            assert_eq!(snapshot["title"], "HR-chef", "not personal data: {e}");
        }
    }
    let stored = stored_snapshots(&app).await;
    for personal in ["jens@firma.dk", "Jens Hansen", "12 34 56 78"] {
        assert!(!stored.contains(personal), "{personal} still stored");
    }
}

/// The audit trail records the server's own request id; a caller's id is kept beside it for
/// correlation only (a caller could send anyone's id).
async fn the_trail_records_the_servers_request_id(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let send = |client_id: &'static str| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .header("x-request-id", client_id)
            .json(&json!({
                "query": "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
                "variables": { "i": { "cvr": valid_cvr(), "name": "Korrelation ApS" } },
            }));
        async move { req.send().await.expect("request") }
    };
    for (client_id, kept) in [("trace-77.a", Some("trace-77.a")), ("not plain!", None)] {
        let resp = send(client_id).await;
        let server_id = resp.headers()["x-server-request-id"]
            .to_str()
            .expect("server id")
            .to_owned();
        assert!(uuid::Uuid::parse_str(&server_id).is_ok(), "{server_id}");
        let echoed = resp.headers()["x-request-id"]
            .to_str()
            .expect("id")
            .to_owned();
        assert_eq!(echoed, kept.unwrap_or(server_id.as_str()));
        let body: Value = resp.json().await.expect("json");
        let company = body["data"]["registerCompany"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let data = app
            .gql_ok(
                &token,
                "query($id: ID) { auditEvents(entityId: $id) { requestId clientRequestId } }",
                json!({ "id": company }),
            )
            .await;
        assert_eq!(
            data["auditEvents"],
            json!([{ "requestId": server_id, "clientRequestId": kept }])
        );
    }
}

db_tests!(
    the_trail_records_the_servers_request_id,
    an_outcome_writes_one_event_per_record,
    snapshots_are_views_not_table_rows,
    the_owner_reads_what_others_did_to_its_records,
    private_notes_are_written_only_by_their_organisation,
    erasure_reaches_every_snapshot_of_the_person,
);
