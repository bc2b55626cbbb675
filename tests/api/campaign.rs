//! Campaigns (issue 11): call lists that the local jobcentres clear before anyone calls,
//! meetings booked on their behalf by a named consultant, and `logActivity` in a campaign —
//! over HTTP, on both databases.

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const ENTRY: &str = "id status exclusionReason callAttempts organisation { id } company { id } campaign { id name } \
    recentContactAt recentContactBy { id } activeJobServiceAgreement { id } meeting { id status assigneeSub organisation { id } } version";

fn national(app: &TestApp) -> String {
    app.token("booker@national", "national", &[Role::National])
}

async fn create_campaign(app: &TestApp, token: &str) -> String {
    let data = app
        .gql_ok(
            token,
            "mutation($i: CampaignInput!) { createCampaign(input: $i) { id name startsOn endsOn organisation { id } } }",
            json!({ "i": { "name": "Virksomhedskampagne 2027", "startsOn": in_days(0), "endsOn": in_days(120) } }),
        )
        .await;
    id(&data["createCampaign"])
}

async fn add(app: &TestApp, token: &str, campaign: &str, companies: &[&str], org: &str) -> Value {
    let q = format!(
        "mutation($c: ID!, $ids: [ID!]!, $o: ID!) {{ addToCallList(campaignId: $c, companyIds: $ids, organisationId: $o) {{ {ENTRY} }} }}"
    );
    app.gql_ok(
        token,
        &q,
        json!({ "c": campaign, "ids": companies, "o": org }),
    )
    .await["addToCallList"]
        .clone()
}

async fn clear(
    app: &TestApp,
    token: &str,
    entry: &str,
    exclude: bool,
    reason: Option<&str>,
) -> Value {
    let q = format!(
        "mutation($id: ID!, $x: Boolean!, $r: String) {{ clearCallListEntry(id: $id, exclude: $x, reason: $r) {{ {ENTRY} }} }}"
    );
    app.gql(
        Some(token),
        &q,
        json!({ "id": entry, "x": exclude, "r": reason }),
    )
    .await
    .1
}

async fn book(
    app: &TestApp,
    token: &str,
    entry: &str,
    days: i64,
    hours: i64,
    assignee: &str,
) -> Value {
    let q = format!(
        "mutation($e: ID!, $at: DateTime!, $a: String!) {{ bookMeeting(callListEntryId: $e, scheduledAt: $at, assigneeSub: $a, note: \"Booket af kampagnen\") {{ activity {{ id status kind assigneeSub scheduledAt summary organisation {{ id }} campaign {{ id }} initiatedBy }} entry {{ {ENTRY} }} warnings {{ code message organisation {{ id }} at }} }} }}"
    );
    let at = chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(hours);
    app.gql(
        Some(token),
        &q,
        json!({ "e": entry, "at": at.to_rfc3339(), "a": assignee }),
    )
    .await
    .1
}

fn codes(warnings: &Value) -> Vec<String> {
    warnings
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code").to_owned())
        .collect()
}

/// The whole path of a company through a campaign: on the list once, cleared by the jobcentre
/// that knows it, booked on its behalf, in the consultant's name.
async fn call_lists_are_cleared_locally_before_booking(app: TestApp) {
    let local = consultant(&app, "jc-101");
    let nat = national(&app);
    // Who may run a campaign: the national role and coordinators, not a consultant.
    let (_, body) = app
        .gql(
            Some(&local),
            "mutation { createCampaign(input: { name: \"X\", startsOn: \"2027-01-01\", endsOn: \"2027-02-01\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app
        .gql(
            Some(&nat),
            "mutation { createCampaign(input: { name: \"X\", startsOn: \"2027-02-01\", endsOn: \"2027-01-01\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("input.endsOn")),
        "{body}"
    );
    let coordinator = app.token("koordinator", "jc-101", &[Role::Coordinator]);
    create_campaign(&app, &coordinator).await;
    let campaign = create_campaign(&app, &nat).await;

    let a = id(&register_company(&app, &local, "Alfa A/S", "101").await);
    let b = id(&register_company(&app, &local, "Beta A/S", "101").await);
    // Someone called Beta last week; Alfa is under an active agreement.
    log_activity(
        &app,
        &consultant(&app, "jc-751"),
        &b,
        "HELD",
        json!({ "kind": "PHONE" }),
    )
    .await;
    let agreement = active_agreement(&app, &a, "jc-751").await;

    let entries = add(&app, &nat, &campaign, &[&a, &b, &a], "jc-101").await;
    assert_eq!(
        entries.as_array().map(Vec::len),
        Some(2),
        "each company once: {entries}"
    );
    let (ea, eb) = (entries[0].clone(), entries[1].clone());
    assert_eq!(ea["status"], "PENDING_CLEARANCE");
    assert_eq!(ea["organisation"]["id"], "jc-101");
    assert_eq!(ea["activeJobServiceAgreement"]["id"], agreement);
    assert_eq!(ea["recentContactAt"], Value::Null);
    assert_eq!(eb["recentContactBy"]["id"], "jc-751");
    assert!(eb["recentContactAt"].is_string());
    // Adding again changes nothing (no new rows, no new events).
    let counts = app.row_counts().await;
    let again = add(&app, &nat, &campaign, &[&b], "jc-751").await;
    assert_eq!(again[0]["id"], eb["id"]);
    assert_eq!(
        again[0]["organisation"]["id"], "jc-101",
        "the entry stays as it was"
    );
    assert_eq!(app.row_counts().await, counts);

    // Booking before the jobcentre cleared it is refused.
    let body = book(&app, &nat, ea["id"].as_str().expect("id"), 7, 0, "bo").await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("callListEntryId")),
        "{body}"
    );
    // Only the assigned jobcentre clears; excluding needs a reason.
    let body = clear(
        &app,
        &consultant(&app, "jc-751"),
        ea["id"].as_str().expect("id"),
        false,
        None,
    )
    .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = clear(&app, &nat, ea["id"].as_str().expect("id"), false, None).await;
    assert_eq!(
        error_code(&body),
        Some("FORBIDDEN"),
        "the bookers do not clear: {body}"
    );
    let body = clear(&app, &local, ea["id"].as_str().expect("id"), true, None).await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("reason")),
        "{body}"
    );
    let excluded = clear(
        &app,
        &local,
        ea["id"].as_str().expect("id"),
        true,
        Some("Aarhus er tovholder"),
    )
    .await;
    assert_eq!(
        excluded["data"]["clearCallListEntry"]["status"], "EXCLUDED",
        "{excluded}"
    );
    assert_eq!(
        excluded["data"]["clearCallListEntry"]["exclusionReason"],
        "Aarhus er tovholder"
    );
    let body = book(&app, &nat, ea["id"].as_str().expect("id"), 7, 0, "bo").await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");
    let cleared = clear(&app, &local, eb["id"].as_str().expect("id"), false, None).await;
    assert_eq!(
        cleared["data"]["clearCallListEntry"]["status"], "CLEARED",
        "{cleared}"
    );

    // Booked on jc-101's behalf by the campaign's booker, held by consultant "bo".
    let booked = book(&app, &nat, eb["id"].as_str().expect("id"), 50, 0, "bo").await;
    let result = &booked["data"]["bookMeeting"];
    assert_eq!(
        (
            result["activity"]["status"].clone(),
            result["activity"]["kind"].clone(),
            result["activity"]["organisation"]["id"].clone(),
            result["activity"]["assigneeSub"].clone(),
            result["activity"]["campaign"]["id"].clone(),
            result["activity"]["initiatedBy"].clone()
        ),
        (
            json!("BOOKED"),
            json!("VISIT"),
            json!("jc-101"),
            json!("bo"),
            json!(campaign),
            json!("NATIONAL")
        ),
        "{booked}"
    );
    assert_eq!(result["entry"]["status"], "BOOKED");
    assert_eq!(result["entry"]["meeting"]["id"], result["activity"]["id"]);
    let warned = codes(&result["warnings"]);
    assert!(
        warned.contains(&"BOOKED_FAR_AHEAD".to_owned()),
        "{warned:?}"
    );
    assert!(
        warned.contains(&"RECENT_CONTACT_BY_OTHER_ORGANISATION".to_owned()),
        "jc-751 called last week: {warned:?}"
    );
    // A booked entry is past clearing; booking it again is refused.
    let body = clear(
        &app,
        &local,
        eb["id"].as_str().expect("id"),
        true,
        Some("for sent"),
    )
    .await;
    assert_eq!(error_code(&body), Some("CONFLICT"), "{body}");
    let body = book(&app, &nat, eb["id"].as_str().expect("id"), 3, 0, "bo").await;
    assert_eq!(error_code(&body), Some("VALIDATION"), "{body}");

    // The consultant is double-booked by a second booking an hour later.
    let c = id(&register_company(&app, &local, "Gamma A/S", "101").await);
    let ec = add(&app, &nat, &campaign, &[&c], "jc-101").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    clear(&app, &local, &ec, false, None).await;
    let second = book(&app, &local, &ec, 50, 1, "bo").await;
    let warned = codes(&second["data"]["bookMeeting"]["warnings"]);
    assert!(
        warned.contains(&"ASSIGNEE_DOUBLE_BOOKED".to_owned()),
        "{second}"
    );

    // The lists, filtered and paginated.
    let list = |org: Option<&'static str>, status: Option<&'static str>| {
        let app = &app;
        let local = local.clone();
        let campaign = campaign.clone();
        async move {
            app.gql_ok(
                &local,
                "query($c: ID!, $o: ID, $s: CallListStatus) { callList(campaignId: $c, organisationId: $o, status: $s) { company { name } status } }",
                json!({ "c": campaign, "o": org, "s": status }),
            )
            .await["callList"]
                .clone()
        }
    };
    assert_eq!(
        list(Some("jc-101"), None).await,
        json!([{ "company": { "name": "Alfa A/S" }, "status": "EXCLUDED" }, { "company": { "name": "Beta A/S" }, "status": "BOOKED" }, { "company": { "name": "Gamma A/S" }, "status": "BOOKED" }])
    );
    assert_eq!(
        list(None, Some("EXCLUDED")).await,
        json!([{ "company": { "name": "Alfa A/S" }, "status": "EXCLUDED" }])
    );
    assert_eq!(list(Some("jc-751"), None).await, json!([]));
    let page = app
        .gql_ok(&local, "query($c: ID!) { callListPage(campaignId: $c, first: 2) { nodes { company { name } } pageInfo { hasNextPage endCursor } } }", json!({ "c": campaign }))
        .await;
    assert_eq!(page["callListPage"]["pageInfo"]["hasNextPage"], true);
    let rest = app
        .gql_ok(&local, "query($c: ID!, $a: String) { callList(campaignId: $c, after: $a) { company { name } } }", json!({ "c": campaign, "a": page["callListPage"]["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(
        rest["callList"],
        json!([{ "company": { "name": "Gamma A/S" } }])
    );
    let body = app
        .gql(
            Some(&local),
            "query($c: ID!) { callList(campaignId: $c, first: 101) { id } }",
            json!({ "c": campaign }),
        )
        .await
        .1;
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");

    // Every step is audited on the entry.
    let events = app
        .gql_ok(
            &admin(&app),
            "query($id: ID) { auditEvents(entityId: $id) { action actorSub } }",
            json!({ "id": eb["id"] }),
        )
        .await;
    let actions: Vec<&str> = events["auditEvents"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("a"))
        .collect();
    assert_eq!(
        actions,
        [
            "callListEntry.added",
            "callListEntry.cleared",
            "callListEntry.booked"
        ]
    );
}

/// `logActivity` with a campaign id keeps the call list in step.
async fn contacts_in_a_campaign_keep_the_list_in_step(app: TestApp) {
    let local = consultant(&app, "jc-101");
    let nat = national(&app);
    let campaign = create_campaign(&app, &nat).await;
    let pending = id(&register_company(&app, &local, "Afventer A/S", "101").await);
    let cleared = id(&register_company(&app, &local, "Ryddet A/S", "101").await);
    let outside = id(&register_company(&app, &local, "Udenfor A/S", "101").await);
    let entries = add(&app, &nat, &campaign, &[&pending, &cleared], "jc-101").await;
    clear(
        &app,
        &local,
        entries[1]["id"].as_str().expect("id"),
        false,
        None,
    )
    .await;

    let visit = |company: String, extra: Value| {
        let app = &app;
        let local = local.clone();
        let campaign = campaign.clone();
        async move {
            let mut input = json!({ "companyId": company, "kind": "VISIT", "status": "BOOKED", "campaignId": campaign,
                "scheduledAt": (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339() });
            for (k, v) in extra.as_object().expect("object") {
                input[k] = v.clone();
            }
            app.gql(
                Some(&local),
                "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id version campaign { id } } } }",
                json!({ "i": input }),
            )
            .await
            .1
        }
    };
    // Not cleared: refused, nothing written.
    let counts = app.row_counts().await;
    let body = visit(pending.clone(), json!({})).await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("input.campaignId")),
        "{body}"
    );
    assert_eq!(app.row_counts().await, counts);
    let body = visit(
        pending.clone(),
        json!({ "campaignId": "0190c0de-0000-7000-8000-000000000000" }),
    )
    .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("input.campaignId")),
        "{body}"
    );
    // A phone call is an attempt, not a visit: allowed, counted.
    let body = visit(
        pending.clone(),
        json!({ "kind": "PHONE", "status": "HELD", "scheduledAt": null }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    // Cleared: the visit books the entry.
    let booked = visit(cleared.clone(), json!({})).await;
    let booked = booked["data"]["logActivity"]["activity"].clone();
    assert_eq!(booked["campaign"]["id"], campaign);
    // Not on the list: the visiting jobcentre adds its own visit.
    visit(outside.clone(), json!({})).await;

    let list = app
        .gql_ok(
            &local,
            "query($c: ID!) { callList(campaignId: $c) { company { id } status callAttempts organisation { id } meeting { id } } }",
            json!({ "c": campaign }),
        )
        .await["callList"]
        .clone();
    let of = |company: &str| {
        list.as_array()
            .expect("list")
            .iter()
            .find(|e| e["company"]["id"] == company)
            .cloned()
            .expect("entry")
    };
    assert_eq!(
        (
            of(&pending)["status"].clone(),
            of(&pending)["callAttempts"].clone()
        ),
        (json!("PENDING_CLEARANCE"), json!(1))
    );
    assert_eq!(of(&cleared)["status"], "BOOKED");
    assert_eq!(of(&cleared)["meeting"]["id"], booked["id"]);
    assert_eq!(
        (
            of(&outside)["status"].clone(),
            of(&outside)["organisation"]["id"].clone()
        ),
        (json!("BOOKED"), json!("jc-101"))
    );

    // The company cancels: the entry is DECLINED.
    app.gql_ok(
        &local,
        "mutation($id: ID!, $v: Int!) { setActivityStatus(id: $id, expectedVersion: $v, status: CANCELLED_BY_COMPANY) { id } }",
        json!({ "id": booked["id"], "v": booked["version"] }),
    )
    .await;
    let after = app
        .gql_ok(
            &local,
            "query($c: ID!) { callList(campaignId: $c, status: DECLINED) { company { id } } }",
            json!({ "c": campaign }),
        )
        .await;
    assert_eq!(after["callList"], json!([{ "company": { "id": cleared } }]));
}

/// `addToCallListByFilter`: each condition narrows; each company is assigned to its home
/// jobcentre; adding again adds nothing and says so.
async fn call_lists_are_filled_by_filter(app: TestApp) {
    let local = consultant(&app, "jc-101");
    let nat = national(&app);
    let campaign = create_campaign(&app, &nat).await;
    let make = |name: &'static str, municipality: &'static str, employees: Option<i32>| {
        let app = &app;
        let local = local.clone();
        async move {
            let data = app
                .gql_ok(
                    &local,
                    "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id employees } }",
                    json!({ "i": { "cvr": valid_cvr(), "name": name, "municipalityCode": municipality, "employees": employees } }),
                )
                .await;
            id(&data["registerCompany"])
        }
    };
    let big = make("Stor A/S", "101", Some(800)).await;
    let _small = make("Lille ApS", "101", Some(4)).await;
    let aarhus = make("Aarhus A/S", "751", Some(300)).await;
    let _odense = make("Odense A/S", "461", None).await;
    // Spread over the country: production units in three municipalities.
    for (p, m) in [
        ("1000000001", "101"),
        ("1000000002", "751"),
        ("1000000003", "461"),
    ] {
        app.gql_ok(&local, "mutation($c: ID!, $p: String!, $m: String) { addProductionUnit(companyId: $c, input: { pNumber: $p, municipalityCode: $m }) { id } }", json!({ "c": big, "p": p, "m": m }))
            .await;
    }
    log_activity(&app, &local, &aarhus, "HELD", json!({})).await;

    let by = |filter: Value| {
        let app = &app;
        let nat = nat.clone();
        let campaign = campaign.clone();
        async move {
            let (_, body) = app
                .gql(
                    Some(&nat),
                    "mutation($c: ID!, $f: CallListFilter!) { addToCallListByFilter(campaignId: $c, filter: $f) { added alreadyOnList } }",
                    json!({ "c": campaign, "f": filter }),
                )
                .await;
            body
        }
    };
    let body = by(json!({ "minProductionUnitMunicipalities": 3 })).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 1, "alreadyOnList": 0 }),
        "{body}"
    );
    let body = by(json!({ "employeesMin": 100, "noContactWithinDays": 30 })).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 0, "alreadyOnList": 0 }),
        "Aarhus was contacted; Stor is on already: {body}"
    );
    let body = by(json!({ "employeesMin": 100, "employeesMax": 500 })).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 1, "alreadyOnList": 0 }),
        "{body}"
    );
    let body = by(json!({ "rarArea": "HOVEDSTADEN" })).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 1, "alreadyOnList": 0 }),
        "Lille; Stor is on already: {body}"
    );
    let body = by(json!({})).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 1, "alreadyOnList": 0 }),
        "Odense: {body}"
    );
    let body = by(json!({})).await;
    assert_eq!(
        body["data"]["addToCallListByFilter"],
        json!({ "added": 0, "alreadyOnList": 0 }),
        "{body}"
    );
    let list = app
        .gql_ok(&nat, "query($c: ID!) { callList(campaignId: $c) { company { name } organisation { id } status } }", json!({ "c": campaign }))
        .await;
    assert_eq!(
        list["callList"],
        json!([
            { "company": { "name": "Stor A/S" }, "organisation": { "id": "jc-101" }, "status": "PENDING_CLEARANCE" },
            { "company": { "name": "Aarhus A/S" }, "organisation": { "id": "jc-751" }, "status": "PENDING_CLEARANCE" },
            { "company": { "name": "Lille ApS" }, "organisation": { "id": "jc-101" }, "status": "PENDING_CLEARANCE" },
            { "company": { "name": "Odense A/S" }, "organisation": { "id": "jc-461" }, "status": "PENDING_CLEARANCE" },
        ])
    );
    let body = by(json!({ "employeesMin": -1 })).await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("filter.employeesMin")),
        "{body}"
    );
    let (_, body) = app
        .gql(
            Some(&local),
            "mutation($c: ID!) { addToCallListByFilter(campaignId: $c, filter: {}) { added } }",
            json!({ "c": campaign }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app
        .gql(Some(&local), "mutation { registerCompany(input: { cvr: \"10150817\", name: \"X\", employees: -3 }) { id } }", json!({}))
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("input.employees")),
        "{body}"
    );
}

db_tests!(
    call_lists_are_cleared_locally_before_booking,
    contacts_in_a_campaign_keep_the_list_in_step,
    call_lists_are_filled_by_filter,
);

/// The consultant's calendar: a secret feed URL that calendar apps poll without a token,
/// listing the meetings they hold, read back by a calendar parser.
async fn meetings_land_in_the_consultants_calendar(app: TestApp) {
    let bo = app.token("bo", "jc-101", &[Role::Consultant]);
    let nat = national(&app);
    let campaign = create_campaign(&app, &nat).await;
    let company = id(&app
        .gql_ok(
            &bo,
            "mutation { registerCompany(input: { cvr: \"10150817\", name: \"Fynsk Stål; A/S, afd. Nord\", municipalityCode: \"101\", address: \"Havnegade 1\", postalCode: \"1058\" }) { id } }",
            json!({}),
        )
        .await["registerCompany"]);
    let entry = add(&app, &nat, &campaign, &[&company], "jc-101").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    clear(&app, &bo, &entry, false, None).await;
    let booked = book(&app, &nat, &entry, 10, 0, "bo").await;
    let booked_id = booked["data"]["bookMeeting"]["activity"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Bo's own booking, later cancelled by the company; a colleague's meeting; one too far
    // ahead; one of another organisation's "bo".
    let own = log_activity(
        &app,
        &bo,
        &company,
        "BOOKED",
        json!({ "assigneeSub": "bo", "kind": "MEETING" }),
    )
    .await["activity"]
        .clone();
    app.gql_ok(&bo, "mutation($id: ID!) { setActivityStatus(id: $id, expectedVersion: 1, status: CANCELLED_BY_COMPANY) { id } }", json!({ "id": own["id"] }))
        .await;
    log_activity(
        &app,
        &bo,
        &company,
        "BOOKED",
        json!({ "assigneeSub": "kollega" }),
    )
    .await;
    log_activity(&app, &bo, &company, "BOOKED", json!({ "assigneeSub": "bo", "scheduledAt": (chrono::Utc::now() + chrono::Duration::days(200)).to_rfc3339() })).await;
    log_activity(
        &app,
        &app.token("bo", "jc-751", &[Role::Consultant]),
        &company,
        "BOOKED",
        json!({ "assigneeSub": "bo" }),
    )
    .await;

    let created = app
        .gql_ok(&bo, "mutation { createCalendarFeed { path feed { id sub organisation { id } revokedAt } } }", json!({}))
        .await["createCalendarFeed"]
        .clone();
    let path = created["path"].as_str().expect("path").to_owned();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{path}"
    );
    let get = |path: String| {
        let app = &app;
        async move {
            let resp = app.client.get(app.url(&path)).send().await.expect("get");
            let status = resp.status().as_u16();
            let kind = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (status, kind, resp.text().await.expect("body"))
        }
    };
    let (status, kind, body) = get(path.clone()).await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/calendar; charset=utf-8"),
        "{body}"
    );
    assert!(body.lines().all(|l| l.len() <= 75), "lines are folded");
    let calendar = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()))
        .next()
        .expect("a calendar")
        .expect("parsed");
    let prop = |event: &ical::parser::ical::component::IcalEvent, name: &str| -> String {
        event
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let mut events: Vec<(String, String, String, String)> = calendar
        .events
        .iter()
        .map(|e| {
            (
                prop(e, "UID"),
                prop(e, "STATUS"),
                prop(e, "SUMMARY"),
                prop(e, "LOCATION"),
            )
        })
        .collect();
    events.sort();
    let mut expected = vec![
        (
            booked_id.clone(),
            "CONFIRMED".to_owned(),
            "Virksomhedsbesøg: Fynsk Stål\\; A/S\\, afd. Nord".to_owned(),
            "Havnegade 1 1058".to_owned(),
        ),
        (
            own["id"].as_str().expect("id").to_owned(),
            "CANCELLED".to_owned(),
            "Møde: Fynsk Stål\\; A/S\\, afd. Nord".to_owned(),
            "Havnegade 1 1058".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(events, expected, "{body}");
    for e in &calendar.events {
        assert!(
            prop(e, "DTSTART").ends_with('Z') && prop(e, "DTSTAMP").ends_with('Z'),
            "times in UTC: {body}"
        );
    }
    assert!(
        !body.contains("Booket af kampagnen"),
        "notes stay out of calendars"
    );

    // Unknown, wrong and revoked feeds answer the same 404.
    let (feed_id, secret) = path
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .split_once('.')
        .map(|(i, s)| (i.to_owned(), s.to_owned()))
        .expect("id.secret");
    let not_found = get("/calendar/does-not-exist.ics".into()).await;
    assert_eq!(not_found.0, 404);
    let wrong = get(format!(
        "/calendar/{feed_id}.{}x.ics",
        &secret[..secret.len() - 1]
    ))
    .await;
    assert_eq!((wrong.0, &wrong.2), (404, &not_found.2));
    let unknown = get(format!("/calendar/{}.{secret}.ics", uuid::Uuid::now_v7())).await;
    assert_eq!((unknown.0, &unknown.2), (404, &not_found.2));
    // Only Bo (or an admin) revokes it.
    let revoke = "mutation($id: ID!) { revokeCalendarFeed(id: $id) { id revokedAt } }";
    let (_, body) = app
        .gql(
            Some(&consultant(&app, "jc-101")),
            revoke,
            json!({ "id": feed_id }),
        )
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let feeds = app
        .gql_ok(&bo, "{ calendarFeeds { id revokedAt } }", json!({}))
        .await;
    assert_eq!(
        feeds["calendarFeeds"],
        json!([{ "id": feed_id, "revokedAt": null }])
    );
    let revoked = app.gql_ok(&bo, revoke, json!({ "id": feed_id })).await;
    assert!(revoked["revokeCalendarFeed"]["revokedAt"].is_string());
    let gone = get(path).await;
    assert_eq!((gone.0, &gone.2), (404, &not_found.2));
    // The secret is in no audit snapshot.
    let events = app
        .gql_ok(
            &admin(&app),
            "query($id: ID) { auditEvents(entityId: $id) { action after } }",
            json!({ "id": feed_id }),
        )
        .await;
    assert!(!events.to_string().contains(&secret), "{events}");
    assert_eq!(events["auditEvents"][0]["action"], "calendarFeed.created");
}

db_tests!(meetings_land_in_the_consultants_calendar);
