//! One entry point per company (issue 10): job service agreements with their coordinator and
//! regional participants, the entry point rule for a company and for its sites, fixed
//! contacts, joint visits and the coordination warnings — over HTTP, on both databases.

use api::auth::Role;
use chrono::{Months, NaiveDate};
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const AGREEMENT: &str = "id status version signedOn endsOn nextStatusMeetingOn activatedAt endedAt \
    company { id } coordinator { id } coordinatorContactName coordinatorContactEmail coordinatorContactPhone \
    participants { organisation { id } regionLabel contactName contactEmail contactPhone rarAreas }";

fn national(app: &TestApp) -> String {
    app.token("jsd@national", "national", &[Role::National])
}

fn date_in_six_months(date: &str) -> String {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .expect("date")
        .checked_add_months(Months::new(6))
        .expect("six months on")
        .format("%Y-%m-%d")
        .to_string()
}

async fn create_agreement(
    app: &TestApp,
    company: &str,
    coordinator: &str,
    signed_on: Option<&str>,
) -> Value {
    let q = format!(
        "mutation($i: JobServiceAgreementInput!) {{ createJobServiceAgreement(input: $i) {{ {AGREEMENT} }} }}"
    );
    app.gql_ok(
        &national(app),
        &q,
        json!({ "i": {
            "companyId": company, "coordinatorId": coordinator,
            "coordinatorContactName": "Tove Tovholder", "coordinatorContactEmail": "tove@jobcenter.dk",
            "coordinatorContactPhone": "+45 70 10 20 30", "signedOn": signed_on, "endsOn": "2029-12-31",
        } }),
    )
    .await["createJobServiceAgreement"]
        .clone()
}

async fn set_status(app: &TestApp, token: &str, agreement: &Value, status: &str) -> Value {
    let q = format!(
        "mutation($id: ID!, $v: Int!, $s: JobServiceAgreementStatus!) {{ setJobServiceAgreementStatus(id: $id, expectedVersion: $v, status: $s) {{ {AGREEMENT} }} }}"
    );
    let (_, body) = app
        .gql(
            Some(token),
            &q,
            json!({ "id": agreement["id"], "v": agreement["version"], "s": status }),
        )
        .await;
    body
}

async fn add_participant(app: &TestApp, token: &str, agreement: &str, input: Value) -> Value {
    let q = format!(
        "mutation($id: ID!, $i: ParticipantInput!) {{ addJobServiceAgreementParticipant(id: $id, input: $i) {{ {AGREEMENT} }} }}"
    );
    app.gql(Some(token), &q, json!({ "id": agreement, "i": input }))
        .await
        .1
}

/// The entry point's organisation, reason and contact name, for the company or a site.
async fn entry(
    app: &TestApp,
    token: &str,
    company: &str,
    site: Option<&str>,
) -> (String, String, Value) {
    let data = app
        .gql_ok(
            token,
            "query($id: ID, $m: String) { company(id: $id) { entryPoint(municipalityCode: $m) { organisation { id } reason contactName contactEmail contactPhone } } }",
            json!({ "id": company, "m": site }),
        )
        .await;
    let e = &data["company"]["entryPoint"];
    (
        e["organisation"]["id"].as_str().expect("org").to_owned(),
        e["reason"].as_str().expect("reason").to_owned(),
        e["contactName"].clone(),
    )
}

fn ep(org: &str, reason: &str, contact: Option<&str>) -> (String, String, Value) {
    (org.to_owned(), reason.to_owned(), json!(contact))
}

async fn set_fixed_contact(app: &TestApp, token: &str, company: &str, name: &str) -> Value {
    app.gql_ok(
        token,
        "mutation($c: ID!, $i: CompanyContactInput!) { setCompanyContact(companyId: $c, input: $i) { id name email phone sub version organisation { id } } }",
        json!({ "c": company, "i": { "name": name, "email": "fast@jobcenter.dk", "phone": "+45 11 22 33 44", "sub": "hanne" } }),
    )
    .await["setCompanyContact"]
        .clone()
}

/// The whole life of an agreement, asked "who do we call?" at every step: the answer
/// changes with the very next read (no cache lies).
async fn the_entry_point_follows_the_agreement(app: TestApp) {
    let home = consultant(&app, "jc-101");
    let company = id(&register_company(&app, &home, "Landsdækkende A/S", "101").await);
    let reader = consultant(&app, "jc-851");
    assert_eq!(
        entry(&app, &reader, &company, None).await,
        ep("jc-101", "HOME_MUNICIPALITY", None)
    );
    set_fixed_contact(&app, &home, &company, "Hanne Fast").await;
    assert_eq!(
        entry(&app, &reader, &company, None).await,
        ep("jc-101", "HOME_MUNICIPALITY", Some("Hanne Fast"))
    );
    // A site elsewhere, without an agreement: the local jobcentre.
    assert_eq!(
        entry(&app, &reader, &company, Some("461")).await,
        ep("jc-461", "SITE_MUNICIPALITY", None)
    );

    let signed = in_days(-10);
    let agreement = create_agreement(&app, &company, "jc-751", Some(&signed)).await;
    assert_eq!(agreement["status"], "PROPOSED");
    assert_eq!(
        agreement["nextStatusMeetingOn"],
        json!(date_in_six_months(&signed))
    );
    // Proposed is not yet in force.
    assert_eq!(
        entry(&app, &reader, &company, None).await,
        ep("jc-101", "HOME_MUNICIPALITY", Some("Hanne Fast"))
    );
    // The coordinating jobcentre activates it.
    let coordinator = consultant(&app, "jc-751");
    let body = set_status(&app, &coordinator, &agreement, "ACTIVE").await;
    let active = body["data"]["setJobServiceAgreementStatus"].clone();
    assert_eq!(active["status"], "ACTIVE", "{body}");
    assert_eq!(active["version"], 2);
    assert!(active["activatedAt"].is_string());
    let (org, reason, contact) = entry(&app, &reader, &company, None).await;
    assert_eq!(
        (org.as_str(), reason.as_str()),
        ("jc-751", "JOB_SERVICE_AGREEMENT")
    );
    assert_eq!(contact, json!("Tove Tovholder"));
    let full = app
        .gql_ok(
            &reader,
            "query($id: ID) { company(id: $id) { entryPoint { contactEmail contactPhone } jobServiceAgreements { id status } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        full["company"],
        json!({ "entryPoint": { "contactEmail": "tove@jobcenter.dk", "contactPhone": "+45 70 10 20 30" },
                "jobServiceAgreements": [{ "id": agreement["id"], "status": "ACTIVE" }] })
    );
    let listed = app
        .gql_ok(
            &reader,
            "{ with: companies(filter: { hasActiveJobServiceAgreement: true }) { nodes { id } } without: companies(filter: { hasActiveJobServiceAgreement: false }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["with"]["nodes"], json!([{ "id": company }]));
    assert_eq!(listed["without"]["nodes"], json!([]));

    // Regional contacts: Fyn through Odense, Nordjylland through Aalborg.
    let fyn = add_participant(
        &app,
        &coordinator,
        active["id"].as_str().expect("id"),
        json!({
        "organisationId": "jc-461", "regionLabel": "Syddanmark", "contactName": "Finn Fyn",
        "contactEmail": "finn@odense.dk", "rarAreas": ["FYN"] }),
    )
    .await;
    let fyn = fyn["data"]["addJobServiceAgreementParticipant"].clone();
    assert_eq!(fyn["version"], 3, "{fyn}");
    assert_eq!(
        fyn["participants"],
        json!([{ "organisation": { "id": "jc-461" }, "regionLabel": "Syddanmark", "contactName": "Finn Fyn",
                 "contactEmail": "finn@odense.dk", "contactPhone": null, "rarAreas": ["FYN"] }])
    );
    // National adds one too, its areas defaulting to the jobcentre's own.
    let nord = add_participant(
        &app,
        &national(&app),
        active["id"].as_str().expect("id"),
        json!({ "organisationId": "jc-851", "regionLabel": "Nord", "contactName": "Nina Nord" }),
    )
    .await;
    assert_eq!(
        nord["data"]["addJobServiceAgreementParticipant"]["participants"][1]["rarAreas"],
        json!(["NORDJYLLAND"]),
        "{nord}"
    );
    assert_eq!(
        entry(&app, &reader, &company, Some("461")).await,
        ep("jc-461", "JOB_SERVICE_AGREEMENT", Some("Finn Fyn"))
    );
    assert_eq!(
        entry(&app, &reader, &company, Some("851")).await,
        ep("jc-851", "JOB_SERVICE_AGREEMENT", Some("Nina Nord"))
    );
    // No participant for the capital region: the coordinator answers.
    assert_eq!(
        entry(&app, &reader, &company, Some("101")).await,
        ep("jc-751", "JOB_SERVICE_AGREEMENT", Some("Tove Tovholder"))
    );
    let (_, body) = app
        .gql(
            Some(&reader),
            "query($id: ID) { company(id: $id) { entryPoint(municipalityCode: \"999\") { reason } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");

    // A site answers for its own municipality.
    app.gql_ok(
        &home,
        "mutation($c: ID!) { a: addProductionUnit(companyId: $c, input: { pNumber: \"1000000461\", municipalityCode: \"461\" }) { id } b: addProductionUnit(companyId: $c, input: { pNumber: \"1000000101\" }) { id } }",
        json!({ "c": company }),
    )
    .await;
    let sites = app
        .gql_ok(
            &reader,
            "query($id: ID) { company(id: $id) { productionUnits { pNumber entryPoint { organisation { id } reason contactName } } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        sites["company"]["productionUnits"],
        json!([
            { "pNumber": "1000000101", "entryPoint": { "organisation": { "id": "jc-751" }, "reason": "JOB_SERVICE_AGREEMENT", "contactName": "Tove Tovholder" } },
            { "pNumber": "1000000461", "entryPoint": { "organisation": { "id": "jc-461" }, "reason": "JOB_SERVICE_AGREEMENT", "contactName": "Finn Fyn" } },
        ])
    );

    // Removing the participant changes the next answer.
    let q = format!(
        "mutation($id: ID!, $o: ID!) {{ removeJobServiceAgreementParticipant(id: $id, organisationId: $o) {{ {AGREEMENT} }} }}"
    );
    let removed = app
        .gql_ok(
            &coordinator,
            &q,
            json!({ "id": active["id"], "o": "jc-461" }),
        )
        .await["removeJobServiceAgreementParticipant"]
        .clone();
    assert_eq!(removed["participants"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        entry(&app, &reader, &company, Some("461")).await,
        ep("jc-751", "JOB_SERVICE_AGREEMENT", Some("Tove Tovholder"))
    );

    // Ending it hands the company back to its home jobcentre.
    let body = set_status(&app, &coordinator, &removed, "ENDED").await;
    let ended = body["data"]["setJobServiceAgreementStatus"].clone();
    assert_eq!(ended["status"], "ENDED", "{body}");
    assert!(ended["endedAt"].is_string());
    assert_eq!(
        entry(&app, &reader, &company, None).await,
        ep("jc-101", "HOME_MUNICIPALITY", Some("Hanne Fast"))
    );
    assert_eq!(
        entry(&app, &reader, &company, Some("461")).await,
        ep("jc-461", "SITE_MUNICIPALITY", None)
    );
    // PROPOSED → ACTIVE → ENDED only; a stale version is refused.
    let body = set_status(&app, &coordinator, &ended, "ACTIVE").await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let body = set_status(&app, &coordinator, &agreement, "ENDED").await;
    assert_eq!(error_code(&body), Some("VERSION_CONFLICT"), "{body}");
    let body = add_participant(
        &app,
        &coordinator,
        ended["id"].as_str().expect("id"),
        json!({ "organisationId": "jc-461" }),
    )
    .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");

    // Every step is in the audit trail, each with the whole agreement.
    let events = app
        .gql_ok(
            &admin(&app),
            "query($id: ID) { auditEvents(entityId: $id) { action actorSub after } }",
            json!({ "id": agreement["id"] }),
        )
        .await;
    let actions: Vec<&str> = events["auditEvents"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "jobServiceAgreement.created",
            "jobServiceAgreement.activated",
            "jobServiceAgreement.participantAdded",
            "jobServiceAgreement.participantAdded",
            "jobServiceAgreement.participantRemoved",
            "jobServiceAgreement.ended",
        ]
    );
    let after_added = &events["auditEvents"][3]["after"];
    assert_eq!(after_added["__typename"], "JobServiceAgreement");
    assert_eq!(
        after_added["participants"][1]["organisationId"], "jc-851",
        "{after_added}"
    );
}

/// A company has one ACTIVE agreement at most: the service refuses a second, two racing
/// activations end with exactly one winner, and the database refuses it behind the API's back.
async fn one_active_agreement_per_company(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let nat = national(&app);
    for round in 0..3 {
        let a = create_agreement(&app, &company, "jc-751", None).await;
        let b = create_agreement(&app, &company, "jc-461", None).await;
        let (ra, rb) = futures::join!(
            set_status(&app, &nat, &a, "ACTIVE"),
            set_status(&app, &nat, &b, "ACTIVE")
        );
        let won: Vec<&Value> = [&ra, &rb]
            .into_iter()
            .filter(|r| r.get("errors").is_none())
            .collect();
        let lost: Vec<&Value> = [&ra, &rb]
            .into_iter()
            .filter(|r| error_code(r) == Some("CONFLICT") && r["data"].is_null())
            .collect();
        assert_eq!((won.len(), lost.len()), (1, 1), "round {round}: {ra} {rb}");
        // The loser queued behind the winner and is told which agreement is active.
        let winner_id = won[0]["data"]["setJobServiceAgreementStatus"]["id"]
            .as_str()
            .expect("id");
        assert!(
            lost[0]
                .pointer("/errors/0/message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains(winner_id)),
            "round {round}: {}",
            lost[0]
        );
        let active = app
            .gql_ok(
                &token,
                "query($c: ID) { jobServiceAgreements(filter: { companyId: $c, status: ACTIVE }) { nodes { id version } } }",
                json!({ "c": company }),
            )
            .await;
        let nodes = active["jobServiceAgreements"]["nodes"]
            .as_array()
            .expect("nodes")
            .clone();
        assert_eq!(nodes.len(), 1, "round {round}: {active}");
        // End the winner for the next round.
        let winner = json!({ "id": nodes[0]["id"], "version": nodes[0]["version"] });
        let body = set_status(&app, &nat, &winner, "ENDED").await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // The database itself holds the rule.
    let a = create_agreement(&app, &company, "jc-751", None).await;
    let b = create_agreement(&app, &company, "jc-461", None).await;
    let body = set_status(&app, &nat, &a, "ACTIVE").await;
    assert!(body.get("errors").is_none(), "{body}");
    let body = set_status(&app, &nat, &b, "ACTIVE").await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    assert!(
        body.pointer("/errors/0/message")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains(a["id"].as_str().expect("id"))),
        "the message names the active agreement: {body}"
    );
    let db = app.db().await;
    use sea_orm::ConnectionTrait as _;
    let sneaked = db
        .execute_unprepared(&format!(
            "UPDATE job_service_agreement SET status = 'ACTIVE' WHERE id = '{}'",
            b["id"].as_str().expect("id")
        ))
        .await;
    assert!(
        sneaked.is_err(),
        "the database refuses a second ACTIVE agreement"
    );
    db.close().await.ok();
}

/// What a participant may be: another jobcentre, once, with its own RAR areas.
async fn participants_are_checked(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let agreement = create_agreement(&app, &company, "jc-751", None).await;
    let agreement = agreement["id"].as_str().expect("id");
    let nat = national(&app);
    let counts = app.row_counts().await;
    for (input, code, field) in [
        (
            json!({ "organisationId": "jc-751" }),
            "VALIDATION",
            Some("input.organisationId"),
        ),
        (
            json!({ "organisationId": "national" }),
            "VALIDATION",
            Some("input.organisationId"),
        ),
        (
            json!({ "organisationId": "jc-999" }),
            "VALIDATION",
            Some("input.organisationId"),
        ),
        (
            json!({ "organisationId": "jc-461", "rarAreas": [] }),
            "VALIDATION",
            Some("input.rarAreas"),
        ),
        (
            json!({ "organisationId": "jc-461", "contactEmail": "ikke en adresse" }),
            "VALIDATION",
            Some("input.contactEmail"),
        ),
        (
            json!({ "organisationId": "jc-461", "regionLabel": "Ø\u{0000}st" }),
            "VALIDATION",
            Some("input.regionLabel"),
        ),
    ] {
        let body = add_participant(&app, &nat, agreement, input.clone()).await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            (Some(code), field),
            "{input}: {body}"
        );
    }
    assert_eq!(app.row_counts().await, counts, "refusals write nothing");
    let ok = add_participant(
        &app,
        &nat,
        agreement,
        json!({ "organisationId": "jc-461", "rarAreas": ["FYN", "FYN", "SYDJYLLAND"] }),
    )
    .await;
    assert_eq!(
        ok["data"]["addJobServiceAgreementParticipant"]["participants"][0]["rarAreas"],
        json!(["FYN", "SYDJYLLAND"]),
        "{ok}"
    );
    let again = add_participant(&app, &nat, agreement, json!({ "organisationId": "jc-461" })).await;
    assert_eq!(error_code(&again), Some("CONFLICT"), "{again}");
    let overlap = add_participant(
        &app,
        &nat,
        agreement,
        json!({ "organisationId": "jc-561", "rarAreas": ["SYDJYLLAND"] }),
    )
    .await;
    assert_eq!(error_code(&overlap), Some("VALIDATION"), "{overlap}");
    let body = app
        .gql(
            Some(&nat),
            "mutation($id: ID!) { removeJobServiceAgreementParticipant(id: $id, organisationId: \"jc-851\") { id } }",
            json!({ "id": agreement }),
        )
        .await
        .1;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    // Agreement input is checked too.
    for (input, field) in [
        (
            json!({ "companyId": company, "coordinatorId": "national" }),
            "input.coordinatorId",
        ),
        (
            json!({ "companyId": company, "coordinatorId": "jc-751", "signedOn": "2027-01-01", "endsOn": "2026-01-01" }),
            "input.endsOn",
        ),
        (
            json!({ "companyId": company, "coordinatorId": "jc-751", "signedOn": "1900-01-01" }),
            "input.signedOn",
        ),
        (
            json!({ "companyId": company, "coordinatorId": "jc-751", "coordinatorContactPhone": "ring mig" }),
            "input.coordinatorContactPhone",
        ),
    ] {
        let (_, body) = app
            .gql(
                Some(&nat),
                "mutation($i: JobServiceAgreementInput!) { createJobServiceAgreement(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            (Some("VALIDATION"), Some(field)),
            "{body}"
        );
    }
    let (_, body) = app
        .gql(
            Some(&nat),
            "mutation { createJobServiceAgreement(input: { companyId: \"0190c0de-0000-7000-8000-000000000000\", coordinatorId: \"jc-751\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
}

/// Status meetings: six months after activation without a signing date, settable, moved six
/// months on by a MEETING the coordinator holds with the company; listed by due date.
async fn status_meetings_move_on_and_are_listed(app: TestApp) {
    let home = consultant(&app, "jc-101");
    let company = company_id(&app, &home).await;
    let other = company_id(&app, &home).await;
    let nat = national(&app);
    let agreement = create_agreement(&app, &company, "jc-751", None).await;
    assert_eq!(agreement["nextStatusMeetingOn"], Value::Null);
    let active =
        set_status(&app, &nat, &agreement, "ACTIVE").await["data"]["setJobServiceAgreementStatus"]
            .clone();
    assert_eq!(
        active["nextStatusMeetingOn"],
        json!(date_in_six_months(&in_days(0)))
    );

    // Due within 30 days: none yet.
    let due = |days: i64| {
        let app = &app;
        let home = home.clone();
        async move {
            let data = app
                .gql_ok(
                    &home,
                    "query($d: Int) { jobServiceAgreements(filter: { statusMeetingDueWithinDays: $d }) { nodes { id } } }",
                    json!({ "d": days }),
                )
                .await;
            data["jobServiceAgreements"]["nodes"].clone()
        }
    };
    assert_eq!(due(30).await, json!([]));
    let q = format!(
        "mutation($id: ID!, $v: Int!, $i: UpdateJobServiceAgreementInput!) {{ updateJobServiceAgreement(id: $id, expectedVersion: $v, input: $i) {{ {AGREEMENT} }} }}"
    );
    let moved = app
        .gql_ok(
            &consultant(&app, "jc-751"),
            &q,
            json!({ "id": active["id"], "v": active["version"], "i": { "nextStatusMeetingOn": in_days(10), "coordinatorContactName": "Ny Tovholder" } }),
        )
        .await["updateJobServiceAgreement"]
        .clone();
    assert_eq!(moved["nextStatusMeetingOn"], json!(in_days(10)));
    assert_eq!(moved["coordinatorContactName"], "Ny Tovholder");
    assert_eq!(
        moved["coordinatorContactEmail"], "tove@jobcenter.dk",
        "fields left out are kept"
    );
    assert_eq!(due(30).await, json!([{ "id": active["id"] }]));
    assert_eq!(due(5).await, json!([]));
    // Someone else's update is refused; a stale version too.
    let (_, body) = app
        .gql(
            Some(&home),
            &q,
            json!({ "id": active["id"], "v": moved["version"], "i": { "endsOn": null } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app
        .gql(
            Some(&nat),
            &q,
            json!({ "id": active["id"], "v": active["version"], "i": { "endsOn": null } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VERSION_CONFLICT"), "{body}");

    // A meeting held by another organisation, or a visit by the coordinator, moves nothing.
    log_activity(&app, &home, &company, "HELD", json!({ "kind": "MEETING" })).await;
    log_activity(
        &app,
        &consultant(&app, "jc-751"),
        &company,
        "HELD",
        json!({ "kind": "VISIT" }),
    )
    .await;
    assert_eq!(due(30).await, json!([{ "id": active["id"] }]));
    // The coordinator's status meeting does: six months from the day it was held, whether
    // logged as HELD afterwards ...
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    log_activity(
        &app,
        &consultant(&app, "jc-751"),
        &company,
        "HELD",
        json!({ "kind": "MEETING", "occurredAt": two_days_ago }),
    )
    .await;
    let now = app
        .gql_ok(
            &home,
            "query($id: ID!) { jobServiceAgreement(id: $id) { nextStatusMeetingOn } }",
            json!({ "id": active["id"] }),
        )
        .await;
    assert_eq!(
        now["jobServiceAgreement"]["nextStatusMeetingOn"],
        json!(date_in_six_months(&in_days(-2)))
    );
    // ... or booked and then marked HELD.
    let booked = log_activity(
        &app,
        &consultant(&app, "jc-751"),
        &company,
        "BOOKED",
        json!({ "kind": "MEETING" }),
    )
    .await["activity"]
        .clone();
    app.gql_ok(
        &consultant(&app, "jc-751"),
        "mutation($id: ID!) { setActivityStatus(id: $id, expectedVersion: 1, status: HELD) { id } }",
        json!({ "id": booked["id"] }),
    )
    .await;
    let now = app
        .gql_ok(
            &home,
            "query($id: ID!) { jobServiceAgreement(id: $id) { nextStatusMeetingOn version } }",
            json!({ "id": active["id"] }),
        )
        .await;
    assert_eq!(
        now["jobServiceAgreement"]["nextStatusMeetingOn"],
        json!(date_in_six_months(&in_days(0)))
    );
    assert_eq!(due(30).await, json!([]));
    let events = app
        .gql_ok(
            &admin(&app),
            "query($id: ID) { auditEvents(entityId: $id) { action actorSub } }",
            json!({ "id": active["id"] }),
        )
        .await;
    assert_eq!(
        events["auditEvents"]
            .as_array()
            .and_then(|e| e.last())
            .cloned(),
        Some(
            json!({ "action": "jobServiceAgreement.statusMeetingHeld", "actorSub": "consultant@jc-751" })
        )
    );

    // Filters compose; pages are cursor-paginated.
    let second = create_agreement(&app, &other, "jc-461", Some(&in_days(-300))).await;
    let list = |filter: Value| {
        let app = &app;
        let home = home.clone();
        async move {
            app.gql_ok(
                &home,
                "query($f: JobServiceAgreementFilter) { jobServiceAgreements(filter: $f) { nodes { id } } }",
                json!({ "f": filter }),
            )
            .await["jobServiceAgreements"]["nodes"]
                .clone()
        }
    };
    assert_eq!(
        list(json!({ "coordinatorId": "jc-461" })).await,
        json!([{ "id": second["id"] }])
    );
    assert_eq!(
        list(json!({ "status": "PROPOSED" })).await,
        json!([{ "id": second["id"] }])
    );
    assert_eq!(
        list(json!({ "companyId": company, "status": "ACTIVE" })).await,
        json!([{ "id": active["id"] }])
    );
    assert_eq!(
        list(json!({ "coordinatorId": "jc-461", "status": "ACTIVE" })).await,
        json!([])
    );
    // The second agreement's meeting (signed 300 days ago) is overdue: it counts as due.
    assert_eq!(due(0).await, json!([{ "id": second["id"] }]));
    let first = app
        .gql_ok(&home, "{ jobServiceAgreements(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } }", json!({}))
        .await;
    assert_eq!(
        first["jobServiceAgreements"]["nodes"],
        json!([{ "id": active["id"] }])
    );
    assert_eq!(
        first["jobServiceAgreements"]["pageInfo"]["hasNextPage"],
        true
    );
    let rest = app
        .gql_ok(
            &home,
            "query($a: String) { jobServiceAgreements(first: 1, after: $a) { nodes { id } pageInfo { hasNextPage } } }",
            json!({ "a": first["jobServiceAgreements"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        rest["jobServiceAgreements"]["nodes"],
        json!([{ "id": second["id"] }])
    );
    assert_eq!(
        rest["jobServiceAgreements"]["pageInfo"]["hasNextPage"],
        false
    );
    let body = app
        .gql(
            Some(&home),
            "{ jobServiceAgreements(filter: { statusMeetingDueWithinDays: -1 }) { nodes { id } } }",
            json!({}),
        )
        .await
        .1;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
}

/// A joint visit is one activity, owned by whoever logged it; the participants find it in
/// their own lists and are not warned about their own visit.
async fn joint_visits_belong_to_their_owner_and_show_up_for_participants(app: TestApp) {
    let local = consultant(&app, "jc-101");
    let nat = national(&app);
    let company = company_id(&app, &local).await;
    let logged = log_activity(
        &app,
        &local,
        &company,
        "HELD",
        json!({ "summary": "Fælles besøg", "participantOrganisationIds": ["national", "national"] }),
    )
    .await;
    let visit = logged["activity"]["id"].as_str().expect("id").to_owned();
    let shown = app
        .gql_ok(
            &nat,
            "query($id: ID!) { activity(id: $id) { organisation { id } participants { id } } }",
            json!({ "id": visit }),
        )
        .await;
    assert_eq!(
        shown["activity"],
        json!({ "organisation": { "id": "jc-101" }, "participants": [{ "id": "national" }] })
    );
    let mine = |token: String, org: &'static str| {
        let app = &app;
        async move {
            app.gql_ok(
                &token,
                "query($o: ID) { activities(filter: { organisationId: $o }) { nodes { id organisation { id } } } }",
                json!({ "o": org }),
            )
            .await["activities"]["nodes"]
                .clone()
        }
    };
    assert_eq!(
        mine(nat.clone(), "national").await,
        json!([{ "id": visit, "organisation": { "id": "jc-101" } }])
    );
    assert_eq!(
        mine(local.clone(), "jc-101").await,
        json!([{ "id": visit, "organisation": { "id": "jc-101" } }])
    );
    assert_eq!(mine(local.clone(), "jc-751").await, json!([]));

    // The participant's next contact: no warning about its own joint visit.
    let next = log_activity(&app, &nat, &company, "HELD", json!({ "kind": "PHONE" })).await;
    assert_eq!(next["warnings"], json!([]), "{next}");
    // A third organisation is told about the visit (once, by its owner).
    let third = log_activity(
        &app,
        &consultant(&app, "jc-751"),
        &company,
        "HELD",
        json!({ "kind": "PHONE" }),
    )
    .await;
    let named: Vec<&str> = third["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "RECENT_CONTACT_BY_OTHER_ORGANISATION")
        .map(|w| w["organisation"]["id"].as_str().expect("org"))
        .collect();
    assert_eq!(named, ["jc-101", "national"], "{third}");
    // A joint visit with the organisation that was just there: no warning about it.
    let joint = log_activity(
        &app,
        &local,
        &company,
        "HELD",
        json!({ "participantOrganisationIds": ["jc-751", "national"] }),
    )
    .await;
    assert_eq!(joint["warnings"], json!([]), "{joint}");

    // Bad participants are refused and nothing is written.
    let counts = app.row_counts().await;
    for (ids, field) in [
        (json!(["jc-999"]), "input.participantOrganisationIds[0]"),
        (
            json!(["national", "jc-101"]),
            "input.participantOrganisationIds[1]",
        ),
        (
            json!(vec!["national"; 21]),
            "input.participantOrganisationIds",
        ),
    ] {
        let (_, body) = app
            .gql(
                Some(&local),
                "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
                json!({ "i": { "companyId": company, "kind": "VISIT", "status": "HELD", "participantOrganisationIds": ids } }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            (Some("VALIDATION"), Some(field)),
            "{body}"
        );
    }
    assert_eq!(app.row_counts().await, counts);

    // A private joint visit stays private: the participant sees that it happened, not the note.
    let private = log_activity(
        &app,
        &local,
        &company,
        "HELD",
        json!({ "summary": "Fortroligt", "visibility": "ORGANISATION", "participantOrganisationIds": ["national"] }),
    )
    .await;
    let seen = app
        .gql_ok(
            &nat,
            "query($id: ID!) { activity(id: $id) { summary participants { id } } }",
            json!({ "id": private["activity"]["id"] }),
        )
        .await;
    assert_eq!(
        seen["activity"],
        json!({ "summary": null, "participants": [{ "id": "national" }] })
    );
    // The audit trail names the participation.
    let events = app
        .gql_ok(
            &admin(&app),
            "{ auditEvents(first: 100) { action entityType after } }",
            json!({}),
        )
        .await;
    let added = events["auditEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["action"] == "activity.participantAdded" && e["after"]["activityId"] == json!(visit)
        })
        .count();
    assert_eq!(added, 1, "one participation event for the first visit");
}

/// An organisation outside an active agreement is told who coordinates; the coordinator
/// sees every organisation's contacts with its companies.
async fn coordinators_are_named_and_see_what_others_do(app: TestApp) {
    let nat = national(&app);
    let local = consultant(&app, "jc-101");
    let coordinator = consultant(&app, "jc-751");
    let company = company_id(&app, &local).await;
    let elsewhere = company_id(&app, &local).await;
    let agreement = create_agreement(&app, &company, "jc-751", None).await;
    // Proposed: no warning yet.
    let before = log_activity(
        &app,
        &local,
        &company,
        "HELD",
        json!({ "kind": "PHONE", "visibility": "ORGANISATION", "summary": "Kun for jc-101" }),
    )
    .await;
    assert!(
        before["warnings"]
            .as_array()
            .expect("w")
            .iter()
            .all(|w| w["code"] != "JOB_SERVICE_AGREEMENT_IN_PLACE"),
        "{before}"
    );
    let active =
        set_status(&app, &nat, &agreement, "ACTIVE").await["data"]["setJobServiceAgreementStatus"]
            .clone();
    add_participant(
        &app,
        &nat,
        active["id"].as_str().expect("id"),
        json!({ "organisationId": "jc-461" }),
    )
    .await;
    let codes = |logged: &Value| -> Vec<(String, String)> {
        logged["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter(|w| w["code"] == "JOB_SERVICE_AGREEMENT_IN_PLACE")
            .map(|w| {
                (
                    w["organisation"]["id"].as_str().unwrap_or("").to_owned(),
                    w["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let outsider = log_activity(&app, &local, &company, "HELD", json!({ "kind": "PHONE" })).await;
    let named = codes(&outsider);
    assert_eq!(named.len(), 1, "{outsider}");
    assert_eq!(named[0].0, "jc-751");
    assert!(
        named[0].1.contains("Aarhus"),
        "the message names the coordinator: {}",
        named[0].1
    );
    for (who, logged) in [
        (
            "participant",
            log_activity(
                &app,
                &consultant(&app, "jc-461"),
                &company,
                "HELD",
                json!({ "kind": "PHONE" }),
            )
            .await,
        ),
        (
            "coordinator",
            log_activity(
                &app,
                &coordinator,
                &company,
                "HELD",
                json!({ "kind": "PHONE" }),
            )
            .await,
        ),
        (
            "joint with the coordinator",
            log_activity(
                &app,
                &local,
                &company,
                "HELD",
                json!({ "participantOrganisationIds": ["jc-751"] }),
            )
            .await,
        ),
        (
            "another company",
            log_activity(&app, &local, &elsewhere, "HELD", json!({})).await,
        ),
    ] {
        assert_eq!(codes(&logged), vec![], "{who}: {logged}");
    }
    assert_eq!(
        codes(&log_activity(&app, &nat, &company, "HELD", json!({})).await).len(),
        1,
        "national is told too"
    );

    // The coordinator's view: every contact with its companies, newest first; private notes hidden.
    let data = app
        .gql_ok(
            &coordinator,
            "query($s: DateTime) { activities(filter: { coordinatedBy: \"jc-751\", since: $s }, first: 100) { nodes { company { id } organisation { id } summary visibility } } }",
            json!({ "s": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339() }),
        )
        .await;
    let nodes = data["activities"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 6, "{data}");
    assert!(nodes.iter().all(|n| n["company"]["id"] == json!(company)));
    let private: Vec<&Value> = nodes
        .iter()
        .filter(|n| n["visibility"] == "ORGANISATION")
        .collect();
    assert_eq!(private.len(), 1);
    assert_eq!(
        private[0]["summary"],
        Value::Null,
        "the private note stays with jc-101"
    );
    let future = app
        .gql_ok(
            &coordinator,
            "query($s: DateTime) { activities(filter: { coordinatedBy: \"jc-751\", since: $s }) { nodes { id } } }",
            json!({ "s": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(future["activities"]["nodes"], json!([]));
    let body = app
        .gql(
            Some(&coordinator),
            "{ activities(filter: { coordinatedBy: \"jc-000\" }) { nodes { id } } }",
            json!({}),
        )
        .await
        .1;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("filter.coordinatedBy")),
        "{body}"
    );
}

/// Fixed contacts: one per organisation and company; setting again replaces (audited), the
/// same again changes nothing; clearing is for the organisation's own staff or an admin.
async fn fixed_contacts_one_per_organisation(app: TestApp) {
    let local = consultant(&app, "jc-101");
    let other = consultant(&app, "jc-751");
    let company = company_id(&app, &local).await;
    let first = set_fixed_contact(&app, &local, &company, "Hanne Fast").await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["organisation"]["id"], "jc-101");
    let events = app.row_counts().await["audit_event"];
    let same = set_fixed_contact(&app, &local, &company, "Hanne Fast").await;
    assert_eq!(same, first, "the same contact again changes nothing");
    assert_eq!(
        app.row_counts().await["audit_event"],
        events,
        "and writes no event"
    );
    let replaced = set_fixed_contact(&app, &local, &company, "Henrik Ny").await;
    assert_eq!(
        (replaced["id"].clone(), replaced["version"].clone()),
        (first["id"].clone(), json!(2))
    );
    set_fixed_contact(&app, &other, &company, "Aarhus Kontakt").await;
    let listed = app
        .gql_ok(
            &other,
            "query($id: ID) { company(id: $id) { contacts { organisation { id } name email phone sub } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        listed["company"]["contacts"],
        json!([
            { "organisation": { "id": "jc-101" }, "name": "Henrik Ny", "email": "fast@jobcenter.dk", "phone": "+45 11 22 33 44", "sub": "hanne" },
            { "organisation": { "id": "jc-751" }, "name": "Aarhus Kontakt", "email": "fast@jobcenter.dk", "phone": "+45 11 22 33 44", "sub": "hanne" },
        ])
    );
    let audit = app
        .gql_ok(
            &local,
            "query($id: ID) { auditEvents(entityId: $id) { action before after } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(audit["auditEvents"][1]["action"], "companyContact.replaced");
    assert_eq!(audit["auditEvents"][1]["before"]["name"], "Hanne Fast");
    assert_eq!(audit["auditEvents"][1]["after"]["name"], "Henrik Ny");

    let clear = "mutation($c: ID!, $o: ID) { clearCompanyContact(companyId: $c, organisationId: $o) { id name } }";
    let (_, body) = app
        .gql(Some(&other), clear, json!({ "c": company, "o": "jc-101" }))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let cleared = app.gql_ok(&local, clear, json!({ "c": company })).await;
    assert_eq!(
        cleared["clearCompanyContact"],
        json!({ "id": first["id"], "name": "Henrik Ny" })
    );
    let (_, body) = app.gql(Some(&local), clear, json!({ "c": company })).await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let admin_cleared = app
        .gql_ok(&admin(&app), clear, json!({ "c": company, "o": "jc-751" }))
        .await;
    assert_eq!(
        admin_cleared["clearCompanyContact"]["name"],
        "Aarhus Kontakt"
    );
    let (_, body) = app
        .gql(Some(&local), "mutation($c: ID!) { setCompanyContact(companyId: $c, input: { name: \"  \" }) { id } }", json!({ "c": company }))
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("input.name")),
        "{body}"
    );
}

/// The new relations cost the same statements for 5 companies as for 40.
async fn coordination_reads_do_not_grow_with_page_size(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let nat = national(&app);
    for i in 0..40 {
        let company = id(&register_company(&app, &token, &format!("Side {i:02}"), "101").await);
        set_fixed_contact(&app, &token, &company, "Hanne").await;
        if i % 2 == 0 {
            let a = create_agreement(&app, &company, "jc-751", None).await;
            let a =
                set_status(&app, &nat, &a, "ACTIVE").await["data"]["setJobServiceAgreementStatus"]
                    .clone();
            add_participant(
                &app,
                &nat,
                a["id"].as_str().expect("id"),
                json!({ "organisationId": "jc-461" }),
            )
            .await;
        }
        log_activity(
            &app,
            &token,
            &company,
            "HELD",
            json!({ "participantOrganisationIds": ["national"] }),
        )
        .await;
    }
    let page = "query($n: Int) { companies(first: $n) { nodes { entryPoint { organisation { id } contactName } site: entryPoint(municipalityCode: \"461\") { organisation { id } } contacts { name } jobServiceAgreements { participants { organisation { id } } } activities(first: 2) { nodes { participants { id } } } } } }";
    let mut counts = Vec::new();
    for n in [5, 40] {
        let before = app.metric("kontaktpunkt_sql_statements_total").await;
        let data = app.gql_ok(&token, page, json!({ "n": n })).await;
        counts.push(app.metric("kontaktpunkt_sql_statements_total").await - before);
        let nodes = data["companies"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), n);
        assert_eq!(
            nodes
                .iter()
                .filter(|c| c["site"]["organisation"]["id"] == "jc-461")
                .count(),
            n,
            "with an agreement the participant answers for Fyn, without one Odense's jobcentre"
        );
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 5 and 40 companies: {counts:?}"
    );
    eprintln!("SQL statements for the coordination page of 5 and 40 companies: {counts:?}");
}

db_tests!(
    the_entry_point_follows_the_agreement,
    one_active_agreement_per_company,
    participants_are_checked,
    status_meetings_move_on_and_are_listed,
    joint_visits_belong_to_their_owner_and_show_up_for_participants,
    coordinators_are_named_and_see_what_others_do,
    fixed_contacts_one_per_organisation,
    coordination_reads_do_not_grow_with_page_size,
);
