//! Reports on a hand-made data set whose numbers were counted by hand, traps included: DRAFT
//! visits, PHONE contacts, visits outside the campaign or the period, cancelled visits (they
//! count as booked), soft-deleted activities (never counted), Jobservice Danmark's visits
//! (whole country only), a joint visit (counted once, in its owner's column) and an empty
//! outcome (counts as registered).

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const LOG: &str =
    "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id version } } }";
const OUTCOME: &str =
    "mutation($a: ID!, $i: OutcomeInput!) { recordOutcome(activityId: $a, input: $i) { id } }";

async fn visit(
    app: &TestApp,
    token: &str,
    company: &str,
    campaign: Option<&str>,
    status: &str,
    extra: Value,
) -> Value {
    let mut input =
        json!({ "companyId": company, "kind": "VISIT", "status": status, "campaignId": campaign });
    if status == "BOOKED" {
        input["scheduledAt"] = json!((chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339());
    }
    for (k, v) in extra.as_object().expect("object") {
        input[k] = v.clone();
    }
    app.gql_ok(token, LOG, json!({ "i": input })).await["logActivity"]["activity"].clone()
}

async fn outcome(app: &TestApp, token: &str, activity: &Value, agreements: Value, follow_up: bool) {
    let follow_ups = if follow_up {
        json!([{ "description": "Send CV'er", "dueOn": in_days(7) }])
    } else {
        json!([])
    };
    app.gql_ok(
        token,
        OUTCOME,
        json!({ "a": activity["id"], "i": { "agreements": agreements, "followUps": follow_ups } }),
    )
    .await;
}

/// A report's columns by area name ("" for the whole country).
fn by_area(columns: &Value) -> std::collections::BTreeMap<String, Value> {
    columns
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| (c["rarArea"].as_str().unwrap_or("").to_owned(), c.clone()))
        .collect()
}

fn positions(column: &Value) -> std::collections::BTreeMap<String, i64> {
    column["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .filter(|p| p["positions"].as_i64() != Some(0))
        .map(|p| {
            (
                p["kind"].as_str().expect("kind").to_owned(),
                p["positions"].as_i64().expect("n"),
            )
        })
        .collect()
}

async fn table_one_is_counted_as_by_hand(app: TestApp) {
    let copenhagen = consultant(&app, "jc-101");
    let aarhus = consultant(&app, "jc-751");
    let nat = app.token("jsd@national", "national", &[Role::National]);
    let campaign = app
        .gql_ok(&nat, "mutation { createCampaign(input: { name: \"Tabel 1\", startsOn: \"2026-01-01\", endsOn: \"2027-12-31\" }) { id } }", json!({}))
        .await["createCampaign"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let c = Some(campaign.as_str());
    let x = id(&register_company(&app, &copenhagen, "Hovedstadsfirma A/S", "101").await);
    let y = id(&register_company(&app, &aarhus, "Østjysk Firma A/S", "751").await);

    // Hovedstaden (jc-101): counted 1–4.
    let v1 = visit(&app, &copenhagen, &x, c, "HELD", json!({})).await;
    outcome(
        &app,
        &copenhagen,
        &v1,
        json!([{ "kind": "RECRUITMENT", "positions": 2 }]),
        true,
    )
    .await;
    let v2 = visit(&app, &copenhagen, &x, c, "HELD", json!({})).await;
    outcome(&app, &copenhagen, &v2, json!([]), false).await; // an empty outcome counts
    visit(&app, &copenhagen, &x, c, "BOOKED", json!({})).await;
    let v4 = visit(&app, &copenhagen, &x, c, "BOOKED", json!({})).await;
    // Traps: a draft, a phone call, a visit outside the campaign, a deleted visit with positions.
    visit(&app, &copenhagen, &x, c, "DRAFT", json!({})).await;
    visit(&app, &copenhagen, &x, c, "HELD", json!({ "kind": "PHONE" })).await;
    visit(&app, &copenhagen, &x, None, "HELD", json!({})).await;
    let deleted = visit(&app, &copenhagen, &x, c, "HELD", json!({})).await;
    outcome(
        &app,
        &copenhagen,
        &deleted,
        json!([{ "kind": "MENTOR", "positions": 5 }]),
        true,
    )
    .await;
    app.gql_ok(
        &copenhagen,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": deleted["id"] }),
    )
    .await;
    // Cancelled by the company: still a booked meeting.
    app.gql_ok(
        &copenhagen,
        "mutation($id: ID!, $v: Int!) { setActivityStatus(id: $id, expectedVersion: $v, status: CANCELLED_BY_COMPANY) { id } }",
        json!({ "id": v4["id"], "v": v4["version"] }),
    )
    .await;

    // Jobservice Danmark's joint visit with Aarhus: the whole country only, once.
    let v9 = visit(
        &app,
        &nat,
        &y,
        c,
        "HELD",
        json!({ "participantOrganisationIds": ["jc-751"] }),
    )
    .await;
    outcome(
        &app,
        &nat,
        &v9,
        json!([{ "kind": "WAGE_SUBSIDY", "positions": 3 }]),
        false,
    )
    .await;
    // Østjylland (jc-751): one this week, one 40 days ago without an outcome.
    let v10 = visit(&app, &aarhus, &y, c, "HELD", json!({})).await;
    outcome(
        &app,
        &aarhus,
        &v10,
        json!([{ "kind": "COMPANY_INTERNSHIP", "positions": 1 }]),
        true,
    )
    .await;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let v11 = visit(
        &app,
        &aarhus,
        &y,
        c,
        "HELD",
        json!({ "occurredAt": long_ago }),
    )
    .await;

    let report = |campaign: Option<String>, from: Option<String>| {
        let app = &app;
        let token = copenhagen.clone();
        async move {
            let data = app
                .gql_ok(
                    &token,
                    "query($c: ID, $f: Date) { agreementReport(campaignId: $c, from: $f) { columns { rarArea bookedMeetings meetingsWithOutcome heldMeetings followUpRate positions { kind positions } } } }",
                    json!({ "c": campaign, "f": from }),
                )
                .await;
            by_area(&data["agreementReport"]["columns"])
        }
    };
    let all = report(Some(campaign.clone()), None).await;
    assert_eq!(all.len(), 9, "eight RAR areas and the country");
    let h = &all["HOVEDSTADEN"];
    assert_eq!(
        (
            h["bookedMeetings"].clone(),
            h["meetingsWithOutcome"].clone(),
            h["heldMeetings"].clone(),
            h["followUpRate"].clone()
        ),
        (json!(4), json!(2), json!(2), json!(0.5)),
        "{h}"
    );
    assert_eq!(positions(h), [("RECRUITMENT".to_owned(), 2)].into());
    assert_eq!(
        h["positions"].as_array().map(Vec::len),
        Some(13),
        "every kind, zeros too"
    );
    let o = &all["OESTJYLLAND"];
    assert_eq!(
        (
            o["bookedMeetings"].clone(),
            o["meetingsWithOutcome"].clone(),
            o["heldMeetings"].clone(),
            o["followUpRate"].clone()
        ),
        (json!(2), json!(1), json!(2), json!(0.5)),
        "{o}"
    );
    assert_eq!(positions(o), [("COMPANY_INTERNSHIP".to_owned(), 1)].into());
    let country = &all[""];
    assert_eq!(
        (
            country["bookedMeetings"].clone(),
            country["meetingsWithOutcome"].clone(),
            country["heldMeetings"].clone(),
            country["followUpRate"].clone()
        ),
        (json!(7), json!(4), json!(5), json!(0.4)),
        "{country}"
    );
    assert_eq!(
        positions(country),
        [
            ("RECRUITMENT".to_owned(), 2),
            ("COMPANY_INTERNSHIP".to_owned(), 1),
            ("WAGE_SUBSIDY".to_owned(), 3)
        ]
        .into()
    );
    let fyn = &all["FYN"];
    assert_eq!(
        (fyn["bookedMeetings"].clone(), fyn["followUpRate"].clone()),
        (json!(0), Value::Null)
    );

    // The period: the visit 40 days ago drops out.
    let recent = report(Some(campaign.clone()), Some(in_days(-10))).await;
    assert_eq!(
        (
            recent["OESTJYLLAND"]["bookedMeetings"].clone(),
            recent["OESTJYLLAND"]["followUpRate"].clone()
        ),
        (json!(1), json!(1.0))
    );
    assert_eq!(
        (
            recent[""]["bookedMeetings"].clone(),
            recent[""]["heldMeetings"].clone()
        ),
        (json!(6), json!(4))
    );
    // Without the campaign: the visit outside it counts too.
    let any = report(None, Some(in_days(-10))).await;
    assert_eq!(any["HOVEDSTADEN"]["bookedMeetings"], 5);
    let (_, body) = app
        .gql(
            Some(&copenhagen),
            "{ agreementReport(from: \"2027-02-01\", to: \"2027-01-01\") { columns { rarArea } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        (Some("VALIDATION"), Some("to")),
        "{body}"
    );

    // Survey answers and the satisfaction report.
    let survey = "mutation($i: SurveyResponseInput!) { recordSurveyResponse(input: $i) }";
    for (activity, answers) in [
        (&v1, json!({ "overall": 5, "wellPrepared": 3 })),
        (&v10, json!({ "overall": 4 })),
        (&v9, json!({ "overall": 2, "comment": "For lidt tid" })),
    ] {
        let mut input = answers.clone();
        input["activityId"] = activity["id"].clone();
        let data = app.gql_ok(&nat, survey, json!({ "i": input })).await;
        assert_eq!(data["recordSurveyResponse"], true);
    }
    for (token, input, code) in [
        (
            nat.clone(),
            json!({ "activityId": v1["id"], "overall": 4 }),
            "CONFLICT",
        ),
        (
            nat.clone(),
            json!({ "activityId": v2["id"], "overall": 6 }),
            "VALIDATION",
        ),
        (
            nat.clone(),
            json!({ "activityId": v4["id"], "overall": 3 }),
            "VALIDATION",
        ),
        (
            copenhagen.clone(),
            json!({ "activityId": v2["id"], "overall": 3 }),
            "FORBIDDEN",
        ),
    ] {
        let (_, body) = app.gql(Some(&token), survey, json!({ "i": input })).await;
        assert_eq!(error_code(&body), Some(code), "{input}: {body}");
    }
    let integration = app.token("survey-tool", "national", &[Role::Integration]);
    app.gql_ok(
        &integration,
        survey,
        json!({ "i": { "activityId": v11["id"], "overall": 5, "likelyToCooperate": 4 } }),
    )
    .await;
    let data = app
        .gql_ok(
            &copenhagen,
            "query($c: ID) { satisfactionReport(campaignId: $c) { columns { rarArea heldMeetings responses responseRate questions { question answers satisfiedShare } } } }",
            json!({ "c": campaign }),
        )
        .await;
    let s = by_area(&data["satisfactionReport"]["columns"]);
    let q = |column: &Value, question: &str| -> (i64, Value) {
        let found = column["questions"]
            .as_array()
            .expect("questions")
            .iter()
            .find(|x| x["question"] == question)
            .cloned()
            .expect("question");
        (
            found["answers"].as_i64().expect("n"),
            found["satisfiedShare"].clone(),
        )
    };
    let h = &s["HOVEDSTADEN"];
    assert_eq!(
        (
            h["heldMeetings"].clone(),
            h["responses"].clone(),
            h["responseRate"].clone()
        ),
        (json!(2), json!(1), json!(0.5))
    );
    assert_eq!(q(h, "OVERALL"), (1, json!(1.0)));
    assert_eq!(q(h, "WELL_PREPARED"), (1, json!(0.0)));
    assert_eq!(q(h, "NEEDS_UNCOVERED"), (0, Value::Null));
    let o = &s["OESTJYLLAND"];
    assert_eq!(
        (o["responses"].clone(), o["responseRate"].clone()),
        (json!(2), json!(1.0))
    );
    assert_eq!(q(o, "LIKELY_TO_COOPERATE"), (1, json!(1.0)));
    let all = &s[""];
    assert_eq!(
        (
            all["heldMeetings"].clone(),
            all["responses"].clone(),
            all["responseRate"].clone()
        ),
        (json!(5), json!(4), json!(0.8))
    );
    assert_eq!(q(all, "OVERALL"), (4, json!(0.75)));

    // The campaign's funnel. The visits put the companies on the list (Hovedstadsfirma for
    // jc-101, later DECLINED; Østjysk Firma for Jobservice Danmark, who visited first); the
    // campaign PHONE call is a call attempt; v1's follow-up is kept on time.
    let follow_up = app
        .gql_ok(
            &copenhagen,
            "query($id: ID!) { activity(id: $id) { followUps { id version } } }",
            json!({ "id": v1["id"] }),
        )
        .await["activity"]["followUps"][0]
        .clone();
    app.gql_ok(
        &copenhagen,
        "mutation($id: ID!, $v: Int!) { completeFollowUp(id: $id, expectedVersion: $v) { status } }",
        json!({ "id": follow_up["id"], "v": follow_up["version"] }),
    )
    .await;
    let data = app
        .gql_ok(
            &copenhagen,
            "query($c: ID!) { campaignReport(campaignId: $c) { byOrganisation { organisation { id } rarArea entries cleared excluded callAttempts booked held cancelledByCompany noShow withOutcome withFollowUp followUps followUpsKeptOnTime bookedWithin42Days cancellationRateWithin42Days bookedBeyond42Days cancellationRateBeyond42Days } byRarArea { rarArea entries booked held } } }",
            json!({ "c": campaign }),
        )
        .await;
    let rows = data["campaignReport"]["byOrganisation"]
        .as_array()
        .expect("rows")
        .clone();
    let row = |org: &str| {
        rows.iter()
            .find(|r| r["organisation"]["id"] == org)
            .cloned()
            .expect("row")
    };
    assert_eq!(
        row("jc-101"),
        json!({ "organisation": { "id": "jc-101" }, "rarArea": "HOVEDSTADEN", "entries": 1, "cleared": 0, "excluded": 0,
                "callAttempts": 1, "booked": 4, "held": 2, "cancelledByCompany": 1, "noShow": 0, "withOutcome": 2,
                "withFollowUp": 1, "followUps": 1, "followUpsKeptOnTime": 1, "bookedWithin42Days": 2,
                "cancellationRateWithin42Days": 0.5, "bookedBeyond42Days": 0, "cancellationRateBeyond42Days": null })
    );
    assert_eq!(
        (
            row("national")["entries"].clone(),
            row("national")["booked"].clone(),
            row("national")["rarArea"].clone()
        ),
        (json!(1), json!(1), Value::Null)
    );
    assert_eq!(
        (
            row("jc-751")["entries"].clone(),
            row("jc-751")["booked"].clone(),
            row("jc-751")["withFollowUp"].clone(),
            row("jc-751")["followUpsKeptOnTime"].clone()
        ),
        (json!(0), json!(2), json!(1), json!(0))
    );
    let areas = by_area(&data["campaignReport"]["byRarArea"]);
    assert_eq!(
        areas[""],
        json!({ "rarArea": null, "entries": 2, "booked": 7, "held": 5 })
    );
    assert_eq!(
        areas["OESTJYLLAND"],
        json!({ "rarArea": "OESTJYLLAND", "entries": 0, "booked": 2, "held": 2 })
    );

    // Samarbejdsgrad: companies with an agreement in the period, each once; agreements of a
    // deleted visit do not count.
    register_company(&app, &copenhagen, "Uden Aftale ApS", "461").await;
    let other = id(&register_company(&app, &copenhagen, "Kun Slettet ApS", "461").await);
    let gone = visit(&app, &copenhagen, &other, None, "HELD", json!({})).await;
    outcome(
        &app,
        &copenhagen,
        &gone,
        json!([{ "kind": "MENTOR", "positions": 1 }]),
        false,
    )
    .await;
    app.gql_ok(
        &copenhagen,
        "mutation($id: ID!) { deleteActivity(id: $id) { id } }",
        json!({ "id": gone["id"] }),
    )
    .await;
    let cooperation = |group: &'static str, from: String| {
        let app = &app;
        let token = copenhagen.clone();
        async move {
            app.gql_ok(
                &token,
                "query($g: CooperationGroup!, $f: Date) { cooperationReport(groupBy: $g, from: $f) { key name companies cooperating share } }",
                json!({ "g": group, "f": from }),
            )
            .await["cooperationReport"]
                .clone()
        }
    };
    assert_eq!(
        cooperation("JOBCENTRE", in_days(-1)).await,
        json!([
            { "key": "jc-101", "name": "Jobcenter København", "companies": 1, "cooperating": 1, "share": 1.0 },
            { "key": "jc-461", "name": "Jobcenter Odense", "companies": 2, "cooperating": 0, "share": 0.0 },
            { "key": "jc-751", "name": "Jobcenter Aarhus", "companies": 1, "cooperating": 1, "share": 1.0 },
        ])
    );
    let later = cooperation("RAR_AREA", in_days(1)).await;
    assert_eq!(
        later
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| (
                r["key"].as_str().expect("key").to_owned(),
                r["cooperating"].as_i64().expect("n")
            ))
            .collect::<Vec<_>>(),
        [
            ("FYN".to_owned(), 0),
            ("HOVEDSTADEN".to_owned(), 0),
            ("OESTJYLLAND".to_owned(), 0)
        ]
    );
    let by_municipality = cooperation("MUNICIPALITY", in_days(-1)).await;
    assert_eq!(by_municipality[0]["key"], "101");
}

db_tests!(table_one_is_counted_as_by_hand);
