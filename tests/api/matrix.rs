//! The authorization matrix: every mutation of the company record × every kind of caller,
//! allowed or denied, on both databases. Each cell runs against fresh records owned by
//! jc-101; a denied call must leave every table as it was.

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::{self as fx, company_id, error_code, held_activity, id, p_number, valid_cvr};
use crate::helpers::TestApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    OwnerConsultant,
    OtherConsultant,
    Coordinator,
    National,
    Integration,
    Admin,
    NoToken,
}

const CALLERS: [Caller; 7] = [
    Caller::OwnerConsultant,
    Caller::OtherConsultant,
    Caller::Coordinator,
    Caller::National,
    Caller::Integration,
    Caller::Admin,
    Caller::NoToken,
];

/// The token's `sub` and `org` of each caller (empty for no token).
fn identity(caller: Caller) -> (&'static str, &'static str) {
    match caller {
        Caller::OwnerConsultant => ("owner", "jc-101"),
        Caller::OtherConsultant => ("other", "jc-751"),
        Caller::Coordinator => ("coord", "jc-101"),
        Caller::National => ("jsd", "national"),
        // Same organisation as the owner: the role, not the organisation, denies it.
        Caller::Integration => ("sync", "jc-101"),
        // An admin of another organisation: admin rights, not ownership, allow it.
        Caller::Admin => ("root", "national"),
        Caller::NoToken => ("", ""),
    }
}

fn token(app: &TestApp, caller: Caller) -> Option<String> {
    let role = match caller {
        Caller::OwnerConsultant | Caller::OtherConsultant => Role::Consultant,
        Caller::Coordinator => Role::Coordinator,
        Caller::National => Role::National,
        Caller::Integration => Role::Integration,
        Caller::Admin => Role::Admin,
        Caller::NoToken => return None,
    };
    let (sub, org) = identity(caller);
    Some(app.token(sub, org, &[role]))
}

/// Records owned by jc-101 that every mutation can act on.
struct Fixture {
    company: String,
    person: String,
    deleted_person: String,
    booked: String,
    held: String,
    deleted_activity: String,
    follow_up: String,
    /// A PROPOSED job service agreement coordinated by jc-101.
    agreement: String,
    /// Another one, with jc-751 taking part.
    agreement_with_participant: String,
    /// jc-101's fixed contact for another company.
    contact: String,
    contact_company: String,
    /// A campaign with two of the company's entries assigned to jc-101: one waiting for
    /// clearance, one cleared.
    campaign: String,
    pending_entry: String,
    cleared_entry: String,
    /// A company of jc-101's municipality on no call list.
    spare_company: String,
    /// The owner consultant's calendar feed.
    calendar_feed: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = token(app, Caller::OwnerConsultant).expect("token");
    let company = company_id(app, &owner).await;
    let person = id(&fx::add_contact_person(app, &owner, &company).await);
    let deleted_person = id(&fx::add_contact_person(app, &owner, &company).await);
    app.gql_ok(
        &owner,
        "mutation($id: ID!) { deleteContactPerson(id: $id) { id } }",
        json!({ "id": deleted_person }),
    )
    .await;
    let booked =
        id(&fx::log_activity(app, &owner, &company, "BOOKED", json!({})).await["activity"]);
    let held = id(&held_activity(app, &owner, &company).await);
    let deleted_activity = id(&held_activity(app, &owner, &company).await);
    app.gql_ok(
        &owner,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": deleted_activity }),
    )
    .await;
    let outcome = fx::record_outcome(app, &owner, &held).await;
    let follow_up = id(&outcome["followUps"][0]);
    let national = token(app, Caller::National).expect("token");
    let create = "mutation($c: ID!) { createJobServiceAgreement(input: { companyId: $c, coordinatorId: \"jc-101\" }) { id } }";
    let agreement = app.gql_ok(&national, create, json!({ "c": company })).await;
    let agreement = id(&agreement["createJobServiceAgreement"]);
    let other = app.gql_ok(&national, create, json!({ "c": company })).await;
    let agreement_with_participant = id(&other["createJobServiceAgreement"]);
    app.gql_ok(
        &national,
        "mutation($id: ID!) { addJobServiceAgreementParticipant(id: $id, input: { organisationId: \"jc-751\" }) { id } }",
        json!({ "id": agreement_with_participant }),
    )
    .await;
    let contact_company = company_id(app, &owner).await;
    let contact = app
        .gql_ok(
            &owner,
            "mutation($c: ID!) { setCompanyContact(companyId: $c, input: { name: \"Hanne Fast\" }) { id } }",
            json!({ "c": contact_company }),
        )
        .await;
    let contact = id(&contact["setCompanyContact"]);
    let campaign = app
        .gql_ok(
            &national,
            "mutation { createCampaign(input: { name: \"Matrix\", startsOn: \"2027-01-01\", endsOn: \"2027-06-30\" }) { id } }",
            json!({}),
        )
        .await;
    let campaign = id(&campaign["createCampaign"]);
    let entries = app
        .gql_ok(
            &national,
            "mutation($c: ID!, $ids: [ID!]!) { addToCallList(campaignId: $c, companyIds: $ids, organisationId: \"jc-101\") { id } }",
            json!({ "c": campaign, "ids": [company, contact_company] }),
        )
        .await;
    let pending_entry = id(&entries["addToCallList"][0]);
    let cleared_entry = id(&entries["addToCallList"][1]);
    app.gql_ok(
        &owner,
        "mutation($id: ID!) { clearCallListEntry(id: $id, exclude: false) { id } }",
        json!({ "id": cleared_entry }),
    )
    .await;
    let spare_company = company_id(app, &owner).await;
    let feed = app
        .gql_ok(
            &owner,
            "mutation { createCalendarFeed { feed { id } } }",
            json!({}),
        )
        .await;
    let calendar_feed = id(&feed["createCalendarFeed"]["feed"]);
    Fixture {
        calendar_feed,
        spare_company,
        company,
        person,
        deleted_person,
        booked,
        held,
        deleted_activity,
        follow_up,
        agreement,
        agreement_with_participant,
        contact,
        contact_company,
        campaign,
        pending_entry,
        cleared_entry,
    }
}

/// The expected answer: Ok, or the error code.
type Expect = Result<(), &'static str>;

const A: Expect = Ok(());
const FORBIDDEN: Expect = Err("FORBIDDEN");
const NOT_FOUND: Expect = Err("NOT_FOUND");
const UNAUTHENTICATED: Expect = Err("UNAUTHENTICATED");

/// Allowed for every staff role; integration denied.
const STAFF: [Expect; 7] = [A, A, A, A, FORBIDDEN, A, UNAUTHENTICATED];
/// Allowed for the owning organisation's staff and admins.
const OWNER: [Expect; 7] = [A, FORBIDDEN, A, FORBIDDEN, FORBIDDEN, A, UNAUTHENTICATED];
/// Like OWNER, for a deleted record: invisible to those who may not restore it.
const OWNER_DELETED: [Expect; 7] = [A, NOT_FOUND, A, NOT_FOUND, NOT_FOUND, A, UNAUTHENTICATED];
/// The national role (Jobservice Danmark) and admins.
const NATIONAL: [Expect; 7] = [
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    A,
    FORBIDDEN,
    A,
    UNAUTHENTICATED,
];
/// The national role, coordinators and admins.
const CAMPAIGN_RUNNERS: [Expect; 7] = [FORBIDDEN, FORBIDDEN, A, A, FORBIDDEN, A, UNAUTHENTICATED];
/// Jobservice Danmark, admins and the survey integration.
const SURVEY_TAKERS: [Expect; 7] = [FORBIDDEN, FORBIDDEN, FORBIDDEN, A, A, A, UNAUTHENTICATED];
/// The feed's own user (sub "owner" of jc-101) and admins.
const FEED_OWNER: [Expect; 7] = [
    A,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    A,
    UNAUTHENTICATED,
];
/// Staff of the coordinating jobcentre (jc-101), the national role and admins.
const COORDINATOR: [Expect; 7] = [A, FORBIDDEN, A, A, FORBIDDEN, A, UNAUTHENTICATED];
const ADMIN_ONLY: [Expect; 7] = [
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    A,
    UNAUTHENTICATED,
];

/// Which record a mutation acts on: one the fixture made, one it creates, or — for an answer
/// that names no record — the row of `table` whose `column` is `value`.
enum Target {
    Existing(String),
    Created,
    Row {
        table: &'static str,
        column: &'static str,
        value: String,
    },
}

/// The id of the row of `table` whose `column` is `value`.
async fn row_id(app: &TestApp, table: &str, column: &str, value: &str) -> Option<String> {
    use sea_orm::ConnectionTrait as _;
    let db = app.db().await;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT id FROM {table} WHERE {column} = '{value}'"),
        ))
        .await
        .expect("query");
    db.close().await.ok();
    row.map(|r| r.try_get::<String>("", "id").expect("id"))
}

/// The id a mutation's answer names (`{ id }`, or `{ activity { id } }` for logActivity).
fn returned_id(body: &Value, mutation: &str) -> Option<String> {
    let field = &body["data"][mutation];
    let field = if field.is_object() && field.get("feed").is_some() {
        &field["feed"]
    } else {
        field
    };
    // A list answers with the records it acted on: the first one.
    let field = if field.is_array() { &field[0] } else { field };
    field["id"]
        .as_str()
        .or_else(|| field["activity"]["id"].as_str())
        .map(str::to_owned)
}

/// Runs `call` for every caller against fresh records. An allowed call answers with the
/// record it acted on, is audited (the latest event on that record is `action`, by the
/// caller) and writes exactly the tables in `changes` (besides the audit trail's own); a
/// denied call answers with the expected code and leaves every row of every table as it was
/// (compared by digest, so an in-place update counts too).
async fn check(
    app: TestApp,
    mutation: &str,
    action: &str,
    changes: &[&str],
    expected: [Expect; 7],
    call: impl Fn(&Fixture) -> (&'static str, Value, Target),
) {
    let admin = fx::admin(&app);
    for (caller, expect) in CALLERS.into_iter().zip(expected) {
        let f = fixture(&app).await;
        let (query, vars, target) = call(&f);
        let counts = app.row_counts().await;
        let before = app.table_digests().await;
        let caller_token = token(&app, caller);
        let (status, body) = app.gql(caller_token.as_deref(), query, vars).await;
        let after = app.table_digests().await;
        match expect {
            Ok(()) => {
                assert!(
                    body.get("errors").is_none(),
                    "{mutation} by {caller:?}: expected allowed, got {body}"
                );
                let id = match &target {
                    Target::Row {
                        table,
                        column,
                        value,
                    } => row_id(&app, table, column, value).await,
                    _ => returned_id(&body, mutation),
                }
                .unwrap_or_else(|| panic!("{mutation} by {caller:?}: no id in {body}"));
                match &target {
                    Target::Row { .. } => {}
                    Target::Existing(existing) => assert_eq!(
                        &id, existing,
                        "{mutation} by {caller:?}: acted on the record it was given"
                    ),
                    Target::Created => assert!(
                        uuid::Uuid::parse_str(&id).is_ok(),
                        "{mutation} by {caller:?}: a new id, got {id}"
                    ),
                }
                assert!(
                    app.row_counts().await["audit_event"] > counts["audit_event"],
                    "{mutation} by {caller:?}: audited"
                );
                // The record's tables written, exactly; the audit trail's own tables aside.
                let changed: Vec<&str> = after
                    .iter()
                    .filter(|(table, digest)| before.get(*table) != Some(digest))
                    .map(|(table, _)| table.as_str())
                    .filter(|table| !table.starts_with("audit_"))
                    .collect();
                assert_eq!(
                    changed, changes,
                    "{mutation} by {caller:?}: the tables written"
                );
                let events = app
                    .gql_ok(
                        &admin,
                        "query($id: ID) { auditEvents(entityId: $id) { action entityId actorSub organisation { id } } }",
                        json!({ "id": id }),
                    )
                    .await;
                let last = events["auditEvents"]
                    .as_array()
                    .and_then(|e| e.last())
                    .cloned()
                    .unwrap_or_else(|| panic!("{mutation} by {caller:?}: no event on {id}"));
                let (sub, org) = identity(caller);
                assert_eq!(
                    last,
                    json!({ "action": action, "entityId": id, "actorSub": sub, "organisation": { "id": org } }),
                    "{mutation} by {caller:?}: the audit event"
                );
            }
            Err(code) => {
                assert_eq!(
                    error_code(&body),
                    Some(code),
                    "{mutation} by {caller:?} ({status}): {body}"
                );
                assert_eq!(
                    body["data"],
                    Value::Null,
                    "{mutation} by {caller:?}: no data with a denial: {body}"
                );
                assert_eq!(
                    after, before,
                    "{mutation} by {caller:?}: nothing written (no row added, removed or changed)"
                );
            }
        }
    }
}

async fn register_company(app: TestApp) {
    check(
        app,
        "registerCompany",
        "company.registered",
        &["company"],
        STAFF,
        |_| {
            (
                "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
                json!({ "i": { "cvr": valid_cvr(), "name": "Matrix A/S" } }),
                Target::Created,
            )
        },
    )
    .await;
}

async fn update_company(app: TestApp) {
    check(app, "updateCompany", "company.updated", &["company"], STAFF, |f| {
        (
            "mutation($id: ID!, $i: UpdateCompanyInput!) { updateCompany(id: $id, expectedVersion: 1, input: $i) { id } }",
            json!({ "id": f.company, "i": { "name": "Nyt navn" } }),
            Target::Existing(f.company.clone()),
        )
    })
    .await;
}

async fn add_production_unit(app: TestApp) {
    check(app, "addProductionUnit", "productionUnit.added", &["production_unit"], STAFF, |f| {
        (
            "mutation($c: ID!, $i: ProductionUnitInput!) { addProductionUnit(companyId: $c, input: $i) { id } }",
            json!({ "c": f.company, "i": { "pNumber": p_number() } }),
            Target::Created,
        )
    })
    .await;
}

async fn add_contact_person(app: TestApp) {
    check(app, "addContactPerson", "contactPerson.added", &["contact_person"], STAFF, |f| {
        (
            "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id } }",
            json!({ "c": f.company, "i": { "name": "Ny Person" } }),
            Target::Created,
        )
    })
    .await;
}

async fn delete_contact_person(app: TestApp) {
    check(
        app,
        "deleteContactPerson",
        "contactPerson.deleted",
        &["contact_person"],
        OWNER,
        |f| {
            (
                "mutation($id: ID!) { deleteContactPerson(id: $id) { id } }",
                json!({ "id": f.person }),
                Target::Existing(f.person.clone()),
            )
        },
    )
    .await;
}

async fn restore_contact_person(app: TestApp) {
    check(
        app,
        "restoreContactPerson",
        "contactPerson.restored",
        &["contact_person"],
        OWNER_DELETED,
        |f| {
            (
                "mutation($id: ID!) { restoreContactPerson(id: $id) { id } }",
                json!({ "id": f.deleted_person }),
                Target::Existing(f.deleted_person.clone()),
            )
        },
    )
    .await;
}

async fn erase_contact_person(app: TestApp) {
    check(
        app,
        "eraseContactPerson",
        "contactPerson.erased",
        &["contact_person"],
        ADMIN_ONLY,
        |f| {
            (
                "mutation($id: ID!) { eraseContactPerson(id: $id) { id } }",
                json!({ "id": f.person }),
                Target::Existing(f.person.clone()),
            )
        },
    )
    .await;
}

async fn log_activity(app: TestApp) {
    check(
        app,
        "logActivity",
        "activity.logged",
        &["activity"],
        STAFF,
        |f| {
            (
                "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
                json!({ "i": { "companyId": f.company, "kind": "PHONE", "status": "HELD" } }),
                Target::Created,
            )
        },
    )
    .await;
}

async fn set_activity_status(app: TestApp) {
    check(app, "setActivityStatus", "activity.statusChanged", &["activity"], OWNER, |f| {
        (
            "mutation($id: ID!) { setActivityStatus(id: $id, expectedVersion: 1, status: HELD) { id } }",
            json!({ "id": f.booked }),
            Target::Existing(f.booked.clone()),
        )
    })
    .await;
}

async fn record_outcome(app: TestApp) {
    check(app, "recordOutcome", "activity.outcomeRecorded", &["activity", "agreement"], OWNER, |f| {
        (
            "mutation($id: ID!) { recordOutcome(activityId: $id, input: { agreements: [{ kind: MENTOR, positions: 1 }], followUps: [] }) { id } }",
            json!({ "id": f.held }),
            Target::Existing(f.held.clone()),
        )
    })
    .await;
}

async fn delete_activity(app: TestApp) {
    check(
        app,
        "deleteActivity",
        "activity.deleted",
        &["activity"],
        OWNER,
        |f| {
            (
                "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
                json!({ "id": f.held }),
                Target::Existing(f.held.clone()),
            )
        },
    )
    .await;
}

async fn restore_activity(app: TestApp) {
    check(
        app,
        "restoreActivity",
        "activity.restored",
        &["activity"],
        OWNER_DELETED,
        |f| {
            (
                "mutation($id: ID!) { restoreActivity(id: $id) { id } }",
                json!({ "id": f.deleted_activity }),
                Target::Existing(f.deleted_activity.clone()),
            )
        },
    )
    .await;
}

async fn complete_follow_up(app: TestApp) {
    check(
        app,
        "completeFollowUp",
        "followUp.completed",
        &["follow_up"],
        OWNER,
        |f| {
            (
                "mutation($id: ID!) { completeFollowUp(id: $id, expectedVersion: 1) { id } }",
                json!({ "id": f.follow_up }),
                Target::Existing(f.follow_up.clone()),
            )
        },
    )
    .await;
}

async fn create_job_service_agreement(app: TestApp) {
    check(
        app,
        "createJobServiceAgreement",
        "jobServiceAgreement.created",
        &["job_service_agreement"],
        NATIONAL,
        |f| {
            (
                "mutation($c: ID!) { createJobServiceAgreement(input: { companyId: $c, coordinatorId: \"jc-751\" }) { id } }",
                json!({ "c": f.company }),
                Target::Created,
            )
        },
    )
    .await;
}

async fn set_job_service_agreement_status(app: TestApp) {
    check(
        app,
        "setJobServiceAgreementStatus",
        "jobServiceAgreement.activated",
        &["job_service_agreement"],
        COORDINATOR,
        |f| {
            (
                "mutation($id: ID!) { setJobServiceAgreementStatus(id: $id, expectedVersion: 1, status: ACTIVE) { id } }",
                json!({ "id": f.agreement }),
                Target::Existing(f.agreement.clone()),
            )
        },
    )
    .await;
}

async fn update_job_service_agreement(app: TestApp) {
    check(
        app,
        "updateJobServiceAgreement",
        "jobServiceAgreement.updated",
        &["job_service_agreement"],
        COORDINATOR,
        |f| {
            (
                "mutation($id: ID!) { updateJobServiceAgreement(id: $id, expectedVersion: 1, input: { nextStatusMeetingOn: \"2027-06-01\" }) { id } }",
                json!({ "id": f.agreement }),
                Target::Existing(f.agreement.clone()),
            )
        },
    )
    .await;
}

async fn add_job_service_agreement_participant(app: TestApp) {
    check(
        app,
        "addJobServiceAgreementParticipant",
        "jobServiceAgreement.participantAdded",
        &["job_service_agreement", "job_service_agreement_participant"],
        COORDINATOR,
        |f| {
            (
                "mutation($id: ID!) { addJobServiceAgreementParticipant(id: $id, input: { organisationId: \"jc-461\", rarAreas: [FYN] }) { id } }",
                json!({ "id": f.agreement }),
                Target::Existing(f.agreement.clone()),
            )
        },
    )
    .await;
}

async fn remove_job_service_agreement_participant(app: TestApp) {
    check(
        app,
        "removeJobServiceAgreementParticipant",
        "jobServiceAgreement.participantRemoved",
        &["job_service_agreement", "job_service_agreement_participant"],
        COORDINATOR,
        |f| {
            (
                "mutation($id: ID!) { removeJobServiceAgreementParticipant(id: $id, organisationId: \"jc-751\") { id } }",
                json!({ "id": f.agreement_with_participant }),
                Target::Existing(f.agreement_with_participant.clone()),
            )
        },
    )
    .await;
}

async fn set_company_contact(app: TestApp) {
    check(
        app,
        "setCompanyContact",
        "companyContact.set",
        &["company_contact"],
        STAFF,
        |f| {
            (
                "mutation($c: ID!) { setCompanyContact(companyId: $c, input: { name: \"Ny Kontakt\", email: \"ny@jobcenter.dk\" }) { id } }",
                json!({ "c": f.company }),
                Target::Created,
            )
        },
    )
    .await;
}

async fn clear_company_contact(app: TestApp) {
    check(
        app,
        "clearCompanyContact",
        "companyContact.cleared",
        &["company_contact"],
        OWNER,
        |f| {
            (
                "mutation($c: ID!) { clearCompanyContact(companyId: $c, organisationId: \"jc-101\") { id } }",
                json!({ "c": f.contact_company }),
                Target::Existing(f.contact.clone()),
            )
        },
    )
    .await;
}

async fn create_campaign(app: TestApp) {
    check(
        app,
        "createCampaign",
        "campaign.created",
        &["campaign"],
        CAMPAIGN_RUNNERS,
        |_| {
            (
                "mutation { createCampaign(input: { name: \"Forår\", startsOn: \"2027-03-01\", endsOn: \"2027-05-31\" }) { id } }",
                json!({}),
                Target::Created,
            )
        },
    )
    .await;
}

async fn add_to_call_list(app: TestApp) {
    check(
        app,
        "addToCallList",
        "callListEntry.added",
        &["call_list_entry"],
        CAMPAIGN_RUNNERS,
        |f| {
            (
                "mutation($c: ID!, $ids: [ID!]!) { addToCallList(campaignId: $c, companyIds: $ids, organisationId: \"jc-751\") { id } }",
                json!({ "c": f.campaign, "ids": [f.spare_company] }),
                Target::Created,
            )
        },
    )
    .await;
}

async fn clear_call_list_entry(app: TestApp) {
    check(
        app,
        "clearCallListEntry",
        "callListEntry.excluded",
        &["call_list_entry"],
        OWNER,
        |f| {
            (
                "mutation($id: ID!) { clearCallListEntry(id: $id, exclude: true, reason: \"Vi kender dem\") { id } }",
                json!({ "id": f.pending_entry }),
                Target::Existing(f.pending_entry.clone()),
            )
        },
    )
    .await;
}

async fn book_meeting(app: TestApp) {
    check(
        app,
        "bookMeeting",
        "activity.logged",
        &["activity", "call_list_entry"],
        COORDINATOR,
        |f| {
            (
                "mutation($e: ID!, $at: DateTime!) { bookMeeting(callListEntryId: $e, scheduledAt: $at, assigneeSub: \"bo\") { activity { id } } }",
                json!({ "e": f.cleared_entry, "at": (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339() }),
                Target::Created,
            )
        },
    )
    .await;
}

/// `addToCallListByFilter` answers with counts, not a record: every caller, allowed or
/// denied, with what an allowed call wrote (an entry, audited) and a denied one did not.
async fn add_to_call_list_by_filter(app: TestApp) {
    for (caller, expect) in CALLERS.into_iter().zip(CAMPAIGN_RUNNERS) {
        let f = fixture(&app).await;
        let counts = app.row_counts().await;
        let before = app.table_digests().await;
        let (_, body) = app
            .gql(
                token(&app, caller).as_deref(),
                "mutation($c: ID!) { addToCallListByFilter(campaignId: $c, filter: { municipalityCode: \"101\" }) { added alreadyOnList } }",
                json!({ "c": f.campaign }),
            )
            .await;
        let after = app.table_digests().await;
        match expect {
            Ok(()) => {
                assert!(body.get("errors").is_none(), "{caller:?}: {body}");
                assert!(
                    body["data"]["addToCallListByFilter"]["added"].as_i64() >= Some(1),
                    "{caller:?}: {body}"
                );
                assert!(
                    app.row_counts().await["audit_event"] > counts["audit_event"],
                    "{caller:?}: audited"
                );
                let changed: Vec<&str> = after
                    .iter()
                    .filter(|(table, digest)| before.get(*table) != Some(digest))
                    .map(|(table, _)| table.as_str())
                    .filter(|table| !table.starts_with("audit_"))
                    .collect();
                assert_eq!(changed, ["call_list_entry"], "{caller:?}");
            }
            Err(code) => {
                assert_eq!(error_code(&body), Some(code), "{caller:?}: {body}");
                assert_eq!(after, before, "{caller:?}: nothing written");
            }
        }
    }
}

async fn record_survey_response(app: TestApp) {
    check(
        app,
        "recordSurveyResponse",
        "surveyResponse.recorded",
        &["survey_response"],
        SURVEY_TAKERS,
        |f| {
            (
                "mutation($a: ID!) { recordSurveyResponse(input: { activityId: $a, overall: 4 }) }",
                json!({ "a": f.held }),
                Target::Row {
                    table: "survey_response",
                    column: "activity_id",
                    value: f.held.clone(),
                },
            )
        },
    )
    .await;
}

async fn create_calendar_feed(app: TestApp) {
    check(
        app,
        "createCalendarFeed",
        "calendarFeed.created",
        &["calendar_feed"],
        STAFF,
        |_| {
            (
                "mutation { createCalendarFeed { feed { id } } }",
                json!({}),
                Target::Created,
            )
        },
    )
    .await;
}

async fn revoke_calendar_feed(app: TestApp) {
    check(
        app,
        "revokeCalendarFeed",
        "calendarFeed.revoked",
        &["calendar_feed"],
        FEED_OWNER,
        |f| {
            (
                "mutation($id: ID!) { revokeCalendarFeed(id: $id) { id } }",
                json!({ "id": f.calendar_feed }),
                Target::Existing(f.calendar_feed.clone()),
            )
        },
    )
    .await;
}

/// The "nothing written" check of the matrix compares table digests, not row counts: an
/// in-place update leaves every count as it was but changes the digest of its table.
async fn digests_catch_in_place_updates(app: TestApp) {
    let owner = token(&app, Caller::OwnerConsultant).expect("token");
    let company = company_id(&app, &owner).await;
    let counts = app.row_counts().await;
    let before = app.table_digests().await;
    assert_eq!(
        before.get("company").map(|d| d.starts_with("1:")),
        Some(true),
        "{before:?}"
    );

    // Through the API: the company row changes in place, the audit trail grows.
    app.gql_ok(
        &owner,
        "mutation($id: ID!) { updateCompany(id: $id, expectedVersion: 1, input: { name: \"Omdøbt A/S\" }) { id } }",
        json!({ "id": company }),
    )
    .await;
    let counts_after = app.row_counts().await;
    assert_eq!(counts_after["company"], counts["company"]);
    let after = app.table_digests().await;
    let changed: Vec<&str> = after
        .iter()
        .filter(|(t, d)| before.get(*t) != Some(d))
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(changed, ["audit_event", "company"]);

    // Behind the API's back: every row count stays, only the digest shows the change.
    let db = app.db().await;
    use sea_orm::ConnectionTrait as _;
    db.execute_unprepared(&format!(
        "UPDATE company SET address = 'Skjult vej 1' WHERE id = '{company}'"
    ))
    .await
    .expect("update");
    db.close().await.ok();
    assert_eq!(app.row_counts().await, counts_after);
    let sneaked = app.table_digests().await;
    let changed: Vec<&str> = sneaked
        .iter()
        .filter(|(t, d)| after.get(*t) != Some(d))
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(changed, ["company"]);
    // Reading changes nothing.
    app.gql_ok(
        &owner,
        "query($id: ID) { company(id: $id) { name address } }",
        json!({ "id": company }),
    )
    .await;
    assert_eq!(app.table_digests().await, sneaked);
}

db_tests!(
    digests_catch_in_place_updates,
    register_company,
    update_company,
    add_production_unit,
    add_contact_person,
    delete_contact_person,
    restore_contact_person,
    erase_contact_person,
    log_activity,
    set_activity_status,
    record_outcome,
    delete_activity,
    restore_activity,
    complete_follow_up,
    create_job_service_agreement,
    set_job_service_agreement_status,
    update_job_service_agreement,
    add_job_service_agreement_participant,
    remove_job_service_agreement_participant,
    set_company_contact,
    clear_company_contact,
    create_campaign,
    add_to_call_list,
    add_to_call_list_by_filter,
    clear_call_list_entry,
    book_meeting,
    record_survey_response,
    create_calendar_feed,
    revoke_calendar_feed,
);
