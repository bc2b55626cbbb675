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

fn token(app: &TestApp, caller: Caller) -> Option<String> {
    match caller {
        Caller::OwnerConsultant => Some(app.token("owner", "jc-101", &[Role::Consultant])),
        Caller::OtherConsultant => Some(app.token("other", "jc-751", &[Role::Consultant])),
        Caller::Coordinator => Some(app.token("coord", "jc-101", &[Role::Coordinator])),
        Caller::National => Some(app.token("jsd", "national", &[Role::National])),
        // Same organisation as the owner: the role, not the organisation, denies it.
        Caller::Integration => Some(app.token("sync", "jc-101", &[Role::Integration])),
        // An admin of another organisation: admin rights, not ownership, allow it.
        Caller::Admin => Some(app.token("root", "national", &[Role::Admin])),
        Caller::NoToken => None,
    }
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
    Fixture {
        company,
        person,
        deleted_person,
        booked,
        held,
        deleted_activity,
        follow_up,
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
const ADMIN_ONLY: [Expect; 7] = [
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    A,
    UNAUTHENTICATED,
];

async fn check(
    app: TestApp,
    mutation: &str,
    expected: [Expect; 7],
    call: impl Fn(&Fixture) -> (&'static str, Value),
) {
    for (caller, expect) in CALLERS.into_iter().zip(expected) {
        let f = fixture(&app).await;
        let (query, vars) = call(&f);
        let before = app.row_counts().await;
        let (status, body) = app.gql(token(&app, caller).as_deref(), query, vars).await;
        match expect {
            Ok(()) => {
                assert!(
                    body.get("errors").is_none(),
                    "{mutation} by {caller:?}: expected allowed, got {body}"
                );
                assert!(!body["data"].is_null(), "{mutation} by {caller:?}: {body}");
                assert_eq!(
                    app.row_counts().await["audit_event"],
                    before["audit_event"] + 1,
                    "{mutation} by {caller:?}: one audit event"
                );
            }
            Err(code) => {
                assert_eq!(
                    error_code(&body),
                    Some(code),
                    "{mutation} by {caller:?} ({status}): {body}"
                );
                assert_eq!(
                    app.row_counts().await,
                    before,
                    "{mutation} by {caller:?}: nothing written"
                );
            }
        }
    }
}

async fn register_company(app: TestApp) {
    check(app, "registerCompany", STAFF, |_| {
        (
            "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
            json!({ "i": { "cvr": valid_cvr(), "name": "Matrix A/S" } }),
        )
    })
    .await;
}

async fn update_company(app: TestApp) {
    check(app, "updateCompany", STAFF, |f| {
        (
            "mutation($id: ID!, $i: UpdateCompanyInput!) { updateCompany(id: $id, expectedVersion: 1, input: $i) { id } }",
            json!({ "id": f.company, "i": { "name": "Nyt navn" } }),
        )
    })
    .await;
}

async fn add_production_unit(app: TestApp) {
    check(app, "addProductionUnit", STAFF, |f| {
        (
            "mutation($c: ID!, $i: ProductionUnitInput!) { addProductionUnit(companyId: $c, input: $i) { id } }",
            json!({ "c": f.company, "i": { "pNumber": p_number() } }),
        )
    })
    .await;
}

async fn add_contact_person(app: TestApp) {
    check(app, "addContactPerson", STAFF, |f| {
        (
            "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id } }",
            json!({ "c": f.company, "i": { "name": "Ny Person" } }),
        )
    })
    .await;
}

async fn delete_contact_person(app: TestApp) {
    check(app, "deleteContactPerson", OWNER, |f| {
        (
            "mutation($id: ID!) { deleteContactPerson(id: $id) { id } }",
            json!({ "id": f.person }),
        )
    })
    .await;
}

async fn restore_contact_person(app: TestApp) {
    check(app, "restoreContactPerson", OWNER_DELETED, |f| {
        (
            "mutation($id: ID!) { restoreContactPerson(id: $id) { id } }",
            json!({ "id": f.deleted_person }),
        )
    })
    .await;
}

async fn erase_contact_person(app: TestApp) {
    check(app, "eraseContactPerson", ADMIN_ONLY, |f| {
        (
            "mutation($id: ID!) { eraseContactPerson(id: $id) { id } }",
            json!({ "id": f.person }),
        )
    })
    .await;
}

async fn log_activity(app: TestApp) {
    check(app, "logActivity", STAFF, |f| {
        (
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
            json!({ "i": { "companyId": f.company, "kind": "PHONE", "status": "HELD" } }),
        )
    })
    .await;
}

async fn set_activity_status(app: TestApp) {
    check(app, "setActivityStatus", OWNER, |f| {
        (
            "mutation($id: ID!) { setActivityStatus(id: $id, expectedVersion: 1, status: HELD) { id } }",
            json!({ "id": f.booked }),
        )
    })
    .await;
}

async fn record_outcome(app: TestApp) {
    check(app, "recordOutcome", OWNER, |f| {
        (
            "mutation($id: ID!) { recordOutcome(activityId: $id, input: { agreements: [{ kind: MENTOR, positions: 1 }], followUps: [] }) { id } }",
            json!({ "id": f.held }),
        )
    })
    .await;
}

async fn delete_activity(app: TestApp) {
    check(app, "deleteActivity", OWNER, |f| {
        (
            "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
            json!({ "id": f.held }),
        )
    })
    .await;
}

async fn restore_activity(app: TestApp) {
    check(app, "restoreActivity", OWNER_DELETED, |f| {
        (
            "mutation($id: ID!) { restoreActivity(id: $id) { id } }",
            json!({ "id": f.deleted_activity }),
        )
    })
    .await;
}

async fn complete_follow_up(app: TestApp) {
    check(app, "completeFollowUp", OWNER, |f| {
        (
            "mutation($id: ID!) { completeFollowUp(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": f.follow_up }),
        )
    })
    .await;
}

db_tests!(
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
);
