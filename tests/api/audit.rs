//! The audit trail: exactly one event per changed record, in the mutation's transaction, with
//! actor, organisation, action, entity, before/after (audit views) and the request id; visible
//! to admins, to the acting organisation and to the organisation that owns the record.

use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const EVENTS: &str = "query($id: ID, $first: Int, $after: String) { auditEvents(entityId: $id, first: $first, after: $after) { id at actorSub organisation { id } action entityType entityId before after requestId cursor } }";

async fn every_changed_record_writes_one_event(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let admin = admin(&app);
    // Each mutation: one more event, naming the request that made it.
    let steps: Vec<(&str, Value, &str, &str)> = vec![(
        "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
        json!({ "i": { "cvr": valid_cvr(), "name": "Revision A/S", "municipalityCode": "101" } }),
        "company.registered",
        "Company",
    )];
    let mut company = String::new();
    for (query, vars, action, entity_type) in steps {
        let before = app.row_counts().await["audit_event"];
        let (body, request_id) = app.gql_with_request_id(&token, query, vars).await;
        company = body["data"]["registerCompany"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert_eq!(app.row_counts().await["audit_event"], before + 1);
        let events = app.gql_ok(&admin, EVENTS, json!({ "id": company })).await;
        let e = &events["auditEvents"][0];
        assert_eq!(e["action"], action);
        assert_eq!(e["entityType"], entity_type);
        assert_eq!(e["actorSub"], "consultant@jc-101");
        assert_eq!(e["organisation"]["id"], "jc-101");
        assert_eq!(e["requestId"], request_id.as_str());
        assert_eq!(e["before"], Value::Null);
        assert_eq!(e["after"]["name"], "Revision A/S");
    }

    // The rest of a consultant's day, each checked for exactly one event on its entity.
    let person = id(&add_contact_person(&app, &token, &company).await);
    let activity = held_activity(&app, &token, &company).await;
    let aid = id(&activity);
    let outcome = record_outcome(&app, &token, &aid).await;
    let follow_up = id(&outcome["followUps"][0]);
    app.gql_ok(
        &token,
        "mutation($id: ID!, $v: Int!) { completeFollowUp(id: $id, expectedVersion: $v) { id } }",
        json!({ "id": follow_up, "v": 1 }),
    )
    .await;
    app.gql_ok(
        &token,
        "mutation($id: ID!, $v: Int!, $i: UpdateCompanyInput!) { updateCompany(id: $id, expectedVersion: $v, input: $i) { id } }",
        json!({ "id": company, "v": 1, "i": { "name": "Revision og Skat A/S" } }),
    )
    .await;
    app.gql_ok(
        &token,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": aid }),
    )
    .await;
    app.gql_ok(
        &token,
        "mutation($id: ID!) { restoreActivity(id: $id) { id } }",
        json!({ "id": aid }),
    )
    .await;

    let actions = |v: &Value| -> Vec<String> {
        v["auditEvents"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["action"].as_str().expect("a").to_owned())
            .collect()
    };
    let on = |entity: &str| {
        let admin = admin.clone();
        let app = &app;
        let entity = entity.to_owned();
        async move { app.gql_ok(&admin, EVENTS, json!({ "id": entity })).await }
    };
    assert_eq!(
        actions(&on(&company).await),
        ["company.registered", "company.updated"]
    );
    assert_eq!(actions(&on(&person).await), ["contactPerson.added"]);
    assert_eq!(
        actions(&on(&aid).await),
        [
            "activity.logged",
            "activity.outcomeRecorded",
            "activity.deleted",
            "activity.restored"
        ]
    );
    assert_eq!(
        actions(&on(&follow_up).await),
        ["followUp.created", "followUp.completed"]
    );
    let agreement = id(&outcome["agreements"][0]);
    assert_eq!(actions(&on(&agreement).await), ["agreement.created"]);

    // Before/after snapshots show the change.
    let updated = &on(&company).await["auditEvents"][1];
    assert_eq!(updated["before"]["name"], "Revision A/S");
    assert_eq!(updated["after"]["name"], "Revision og Skat A/S");
    assert_eq!(updated["before"]["version"], 1);
    assert_eq!(updated["after"]["version"], 2);
    let outcome_event = &on(&aid).await["auditEvents"][1];
    assert_eq!(outcome_event["before"]["outcomeRegistered"], false);
    assert_eq!(outcome_event["after"]["outcomeRegistered"], true);
    let agreement_event = &on(&agreement).await["auditEvents"][0];
    assert_eq!(agreement_event["after"]["kind"], "RECRUITMENT");
    assert_eq!(agreement_event["after"]["activityId"], aid.as_str());
    let created = &on(&follow_up).await["auditEvents"][0];
    assert_eq!(created["after"]["activityId"], aid.as_str());
    assert_eq!(created["after"]["description"], "Send CV'er");
    assert_eq!(
        created["requestId"], outcome_event["requestId"],
        "the outcome's records change in one request"
    );

    // Every event of the day: 1 register + 1 person + 1 log + 3 for the outcome (activity,
    // agreement, follow-up) + 1 complete + 1 update + 1 delete + 1 restore.
    assert_eq!(app.row_counts().await["audit_event"], 10);
}

async fn who_reads_which_events(app: TestApp) {
    let cph = consultant(&app, "jc-101");
    let aar = consultant(&app, "jc-751");
    let company = company_id(&app, &cph).await;
    held_activity(&app, &aar, &company).await;

    let mine = app.gql_ok(&cph, EVENTS, json!({})).await;
    let orgs: Vec<&str> = mine["auditEvents"]
        .as_array()
        .expect("e")
        .iter()
        .filter_map(|e| e["organisation"]["id"].as_str())
        .collect();
    assert_eq!(
        orgs,
        ["jc-101"],
        "others read only their own organisation's events"
    );
    let theirs = app.gql_ok(&cph, EVENTS, json!({ "id": company })).await;
    assert_eq!(theirs["auditEvents"].as_array().expect("e").len(), 1);
    assert_eq!(theirs["auditEvents"][0]["action"], "company.registered");
    assert_eq!(theirs["auditEvents"][0]["organisation"]["id"], "jc-101");

    let all = app.gql_ok(&admin(&app), EVENTS, json!({})).await;
    assert_eq!(
        all["auditEvents"].as_array().expect("e").len(),
        2,
        "admins read all"
    );

    // Paging through with `after` = the cursor of the last event read.
    let first = app
        .gql_ok(&admin(&app), EVENTS, json!({ "first": 1 }))
        .await;
    let next = app
        .gql_ok(
            &admin(&app),
            EVENTS,
            json!({ "first": 1, "after": first["auditEvents"][0]["cursor"] }),
        )
        .await;
    assert_eq!(next["auditEvents"][0]["organisation"]["id"], "jc-751");
    let end = app
        .gql_ok(
            &admin(&app),
            EVENTS,
            json!({ "first": 1, "after": next["auditEvents"][0]["cursor"] }),
        )
        .await;
    assert_eq!(end["auditEvents"], json!([]));
    // A raw event id is not a cursor.
    let (_, body) = app
        .gql(
            Some(&admin(&app)),
            EVENTS,
            json!({ "first": 1, "after": first["auditEvents"][0]["id"] }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    assert_eq!(error_field(&body), Some("after"), "{body}");
}

db_tests!(
    every_changed_record_writes_one_event,
    who_reads_which_events
);
