//! Building blocks for tests: valid CVR numbers, companies, activities, outcomes.

use api::auth::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A fresh CVR number that passes the modulus-11 check.
pub fn valid_cvr() -> String {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    loop {
        let raw = uuid::Uuid::new_v4().as_u128();
        let mut digits: Vec<u32> = (0..7).map(|i| ((raw >> (i * 8)) % 10) as u32).collect();
        if digits[0] == 0 {
            digits[0] = 1 + (raw >> 60) as u32 % 9;
        }
        let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
        let check = (11 - sum % 11) % 11;
        if check < 10 {
            digits.push(check);
            return digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        }
    }
}

/// A valid-looking CVR whose checksum fails.
pub fn invalid_cvr() -> String {
    let mut cvr = valid_cvr().into_bytes();
    cvr[7] = if cvr[7] == b'9' { b'0' } else { cvr[7] + 1 };
    String::from_utf8(cvr).expect("ascii")
}

pub fn p_number() -> String {
    let raw = uuid::Uuid::new_v4().as_u128();
    format!("{:010}", raw % 10_000_000_000)
}

pub fn consultant(app: &TestApp, org: &str) -> String {
    app.token(&format!("consultant@{org}"), org, &[Role::Consultant])
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin", "national", &[Role::Admin])
}

pub async fn register_company(app: &TestApp, token: &str, name: &str, municipality: &str) -> Value {
    let data = app
        .gql_ok(
            token,
            "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id cvr name version } }",
            json!({ "i": { "cvr": valid_cvr(), "name": name, "municipalityCode": municipality } }),
        )
        .await;
    data["registerCompany"].clone()
}

/// An ACTIVE job service agreement for `company`, coordinated by `coordinator`, made and
/// activated by Jobservice Danmark; its id.
pub async fn active_agreement(app: &TestApp, company: &str, coordinator: &str) -> String {
    let national = app.token("jsd@national", "national", &[Role::National]);
    let created = app
        .gql_ok(
            &national,
            "mutation($c: ID!, $o: ID!) { createJobServiceAgreement(input: { companyId: $c, coordinatorId: $o }) { id version } }",
            json!({ "c": company, "o": coordinator }),
        )
        .await["createJobServiceAgreement"]
        .clone();
    app.gql_ok(
        &national,
        "mutation($id: ID!, $v: Int!) { setJobServiceAgreementStatus(id: $id, expectedVersion: $v, status: ACTIVE) { id } }",
        json!({ "id": created["id"], "v": created["version"] }),
    )
    .await;
    id(&created)
}

pub async fn company_id(app: &TestApp, token: &str) -> String {
    id(&register_company(app, token, "Testfirma ApS", "101").await)
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

pub async fn add_contact_person(app: &TestApp, token: &str, company: &str) -> Value {
    app.gql_ok(
        token,
        "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id name email phone erased version } }",
        json!({ "c": company, "i": { "name": "Jens Hansen", "email": "jens@firma.dk", "phone": "+45 12 34 56 78", "title": "HR-chef" } }),
    )
    .await["addContactPerson"]
        .clone()
}

/// Logs an activity with `extra` fields merged into the input; returns the activity.
pub async fn log_activity(
    app: &TestApp,
    token: &str,
    company: &str,
    status: &str,
    extra: Value,
) -> Value {
    let mut input = json!({ "companyId": company, "kind": "VISIT", "status": status });
    if status == "BOOKED" {
        input["scheduledAt"] = json!((chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339());
    }
    if let (Some(obj), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    app.gql_ok(
        token,
        "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id status version summary } warnings { code message at organisation { id name } } } }",
        json!({ "i": input }),
    )
    .await["logActivity"]
        .clone()
}

pub async fn held_activity(app: &TestApp, token: &str, company: &str) -> Value {
    log_activity(app, token, company, "HELD", json!({})).await["activity"].clone()
}

/// A date `days` from today, in Danish time as the server counts it.
pub fn in_days(days: i64) -> String {
    (api::service::validation::danish_today(chrono::Utc::now()) + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Records an outcome with one RECRUITMENT agreement and one follow-up due in a week.
pub async fn record_outcome(app: &TestApp, token: &str, activity: &str) -> Value {
    app.gql_ok(
        token,
        "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { id version outcomeRegistered agreements { id kind positions note } followUps { id dueOn status version } } }",
        json!({ "a": activity, "i": {
            "agreements": [{ "kind": "RECRUITMENT", "positions": 2, "note": "to smede" }],
            "followUps": [{ "description": "Send CV'er", "dueOn": in_days(7), "assigneeSub": "consultant@jc-101" }],
        } }),
    )
    .await["recordOutcome"]
        .clone()
}

pub fn error_code(body: &Value) -> Option<&str> {
    body.pointer("/errors/0/extensions/code")
        .and_then(Value::as_str)
}

pub fn error_field(body: &Value) -> Option<&str> {
    body.pointer("/errors/0/extensions/field")
        .and_then(Value::as_str)
}
