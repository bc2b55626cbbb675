//! `seed-demo`: a deterministic demo data set of rows the API could have written, readable
//! through the API on both databases.

use std::collections::{HashMap, HashSet};

use api::service::seed::{SeedOptions, seed};
use api::service::validation as v;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::db_tests;
use crate::helpers::TestApp;

const OPTIONS: SeedOptions = SeedOptions {
    companies: 60,
    seed: 42,
    activities_per_company: 5,
};

async fn cvrs(app: &TestApp) -> Vec<String> {
    strings(app, 1, "SELECT cvr AS c0 FROM company ORDER BY cvr")
        .await
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect()
}

/// Rows of a query with `columns` text columns named `c0`, `c1`, … (NULL as the empty
/// string).
async fn strings(app: &TestApp, columns: usize, sql: &str) -> Vec<Vec<String>> {
    let db = api::db::connect(app.database_url(), &app.config.pool, None)
        .await
        .expect("db");
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql);
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            (0..columns)
                .map(|i| {
                    r.try_get::<Option<String>>("", &format!("c{i}"))
                        .expect("a text column")
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

async fn seeded_rows_are_api_rows(app: TestApp) {
    let db = api::db::connect(app.database_url(), &app.config.pool, None)
        .await
        .expect("db");
    let counts = seed(&db, &OPTIONS).await.expect("seed");
    assert_eq!(counts.companies, 60);
    assert!(
        counts.contact_persons >= 60 && counts.contact_persons <= 180,
        "{counts:?}"
    );
    assert!(counts.activities > 100, "{counts:?}");
    assert!(counts.follow_ups > 0 && counts.agreements > 0, "{counts:?}");
    // Companies 0, 20 and 40 have job service agreements (ACTIVE, ACTIVE, PROPOSED), some an
    // earlier ENDED one too; ACTIVE ones have one to three participants.
    assert!(counts.job_service_agreements >= 3, "{counts:?}");
    assert_eq!(counts.active_job_service_agreements, 2, "{counts:?}");
    assert!(
        (2..=6).contains(&counts.job_service_agreement_participants),
        "{counts:?}"
    );
    assert!(counts.company_contacts > 0, "{counts:?}");
    assert!(counts.activity_participants > 0, "{counts:?}");
    // A second run refuses instead of doubling the record.
    assert!(seed(&db, &OPTIONS).await.is_err());
    db.close().await.ok();
    assert_eq!(app.row_counts().await["company"], 60);

    // The same seed gives the same companies on another database.
    let other = crate::helpers::spawn_app(app.backend).await.expect("app");
    let db = api::db::connect(other.database_url(), &other.config.pool, None)
        .await
        .expect("db");
    seed(&db, &OPTIONS).await.expect("seed");
    db.close().await.ok();
    let mine = cvrs(&app).await;
    assert_eq!(mine, cvrs(&other).await);

    // Every row reads through the API: a company page by CVR, a jobcentre's overdue list.
    let token = app.consultant("jc-101");
    for cvr in mine.iter().take(10) {
        let data = app
            .gql_ok(
                &token,
                "query($c: String) { company(cvr: $c) { cvr name municipality { code } entryPoint { reason } contactPersons { name email } activities(first: 20) { nodes { kind status summary organisation { id } agreements { kind positions } } } followUps { dueOn overdue } } }",
                json!({ "c": cvr }),
            )
            .await;
        assert_eq!(data["company"]["cvr"], cvr.as_str());
        assert!(
            !data["company"]["contactPersons"]
                .as_array()
                .expect("people")
                .is_empty()
        );
    }
    let data = app
        .gql_ok(
            &app.token("n", "national", &[api::auth::Role::National]),
            "{ followUps(filter: { overdue: true }, first: 100) { nodes { overdue status company { name } } } }",
            json!({}),
        )
        .await;
    let overdue = data["followUps"]["nodes"].as_array().expect("nodes");
    assert!(!overdue.is_empty(), "a share of the promises is overdue");
    assert!(
        overdue
            .iter()
            .all(|f| f["overdue"] == true && f["status"] == "OPEN")
    );

    coordination_rows_are_api_rows(&app).await;
    campaign_rows_are_api_rows(&app, &counts).await;
}

/// The seeded campaigns read through the API: the call list (each company once, booked
/// entries pointing at a campaign VISIT of the entry's organisation), and the agreement
/// report counting exactly the seeded campaign VISITs.
async fn campaign_rows_are_api_rows(app: &TestApp, counts: &api::service::seed::SeedCounts) {
    let national = app.token("n", "national", &[api::auth::Role::National]);
    assert_eq!(counts.campaigns, 2, "{counts:?}");
    // One in four of the first 100 companies is on the current campaign's list.
    assert!(counts.call_list_entries >= 15, "{counts:?}");
    assert!(
        counts.campaign_visits > 0 && counts.campaign_calls > 0,
        "{counts:?}"
    );
    let entries = strings(
        app,
        4,
        "SELECT campaign_id AS c0, company_id AS c1, exclusion_reason AS c2, cleared_by_sub AS c3 \
         FROM call_list_entry",
    )
    .await;
    assert_eq!(entries.len() as u64, counts.call_list_entries);
    let pairs: HashSet<(&String, &String)> = entries.iter().map(|r| (&r[0], &r[1])).collect();
    assert_eq!(pairs.len(), entries.len(), "a company is on a list once");
    for row in &entries {
        if !row[2].is_empty() {
            assert_eq!(
                v::optional_text("reason", Some(&row[2]), v::NOTE_MAX).ok(),
                Some(Some(row[2].clone()))
            );
        }
        if !row[3].is_empty() {
            assert_eq!(
                v::subject("sub", Some(&row[3])).ok(),
                Some(Some(row[3].clone()))
            );
        }
    }
    let campaigns = strings(app, 1, "SELECT id AS c0 FROM campaign ORDER BY name").await;
    assert_eq!(campaigns.len(), 2);
    let list =
        "query($c: ID!, $after: String) { callListPage(campaignId: $c, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id status callAttempts exclusionReason clearedBySub version company { id }
          organisation { id }
          meeting { kind status assigneeSub organisation { id } campaign { id } } } } }";
    let mut statuses = HashSet::new();
    for campaign in &campaigns {
        let c = &campaign[0];
        let mut nodes = Vec::new();
        let mut after = serde_json::Value::Null;
        loop {
            let data = app
                .gql_ok(&national, list, json!({ "c": c, "after": after }))
                .await;
            let page = &data["callListPage"];
            nodes.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let expected = entries.iter().filter(|r| &r[0] == c).count();
        assert_eq!(nodes.len(), expected, "every entry of {c} lists");
        let companies: HashSet<&str> = nodes
            .iter()
            .map(|n| n["company"]["id"].as_str().expect("company"))
            .collect();
        assert_eq!(
            companies.len(),
            nodes.len(),
            "at most one entry per company"
        );
        // The plain list answers the same first page.
        let data = app
            .gql_ok(
                &national,
                "query($c: ID!) { callList(campaignId: $c, first: 100) { id } }",
                json!({ "c": c }),
            )
            .await;
        let plain: Vec<&serde_json::Value> = data["callList"]
            .as_array()
            .expect("list")
            .iter()
            .map(|n| &n["id"])
            .collect();
        let paged: Vec<&serde_json::Value> = nodes.iter().take(100).map(|n| &n["id"]).collect();
        assert_eq!(plain, paged);
        for n in &nodes {
            let status = n["status"].as_str().expect("status").to_owned();
            let attempts = n["callAttempts"].as_i64().expect("attempts");
            assert!((0..=3).contains(&attempts), "{n}");
            match status.as_str() {
                "PENDING_CLEARANCE" => {
                    assert!(n["clearedBySub"].is_null() && n["meeting"].is_null(), "{n}");
                    assert_eq!(n["version"], 1, "{n}");
                }
                "EXCLUDED" => {
                    assert!(n["exclusionReason"].is_string() && n["clearedBySub"].is_string());
                    assert!(n["meeting"].is_null(), "{n}");
                }
                "CLEARED" => assert!(n["clearedBySub"].is_string() && n["meeting"].is_null()),
                "BOOKED" | "DECLINED" => {
                    let m = &n["meeting"];
                    assert_eq!(m["kind"], "VISIT", "{n}");
                    assert_eq!(m["campaign"]["id"], c.as_str(), "{n}");
                    assert_eq!(m["organisation"]["id"], n["organisation"]["id"], "{n}");
                    assert!(m["assigneeSub"].is_string(), "{n}");
                    assert!(attempts >= 1, "booked on a call: {n}");
                    if status == "DECLINED" {
                        assert_eq!(m["status"], "CANCELLED_BY_COMPANY", "{n}");
                    } else {
                        assert_ne!(m["status"], "CANCELLED_BY_COMPANY", "{n}");
                    }
                }
                other => panic!("status {other}"),
            }
            statuses.insert(status);
        }

        // The agreement report counts the seeded campaign VISITs (any status but DRAFT).
        let visits = strings(
            app,
            1,
            &format!(
                "SELECT CAST(count(*) AS TEXT) AS c0 FROM activity WHERE campaign_id = '{c}' \
                 AND kind = 'VISIT' AND status <> 'DRAFT' AND deleted_at IS NULL"
            ),
        )
        .await;
        let data = app
            .gql_ok(
                &national,
                "query($c: ID!) { agreementReport(campaignId: $c) { columns { rarArea bookedMeetings
                   meetingsWithOutcome positions { kind positions } } } }",
                json!({ "c": c }),
            )
            .await;
        let columns = data["agreementReport"]["columns"]
            .as_array()
            .expect("columns");
        let country = columns.last().expect("country");
        assert!(country["rarArea"].is_null(), "{country}");
        assert_eq!(
            country["bookedMeetings"]
                .as_i64()
                .expect("booked")
                .to_string(),
            visits[0][0],
            "{country}"
        );
        // Every campaign visit is a jobcentre's: the areas add up to the country.
        let areas: i64 = columns[..columns.len() - 1]
            .iter()
            .map(|c| c["bookedMeetings"].as_i64().expect("booked"))
            .sum();
        assert_eq!(Some(areas), country["bookedMeetings"].as_i64());
    }
    assert!(statuses.contains("BOOKED"), "{statuses:?}");
    // Survey responses after held campaign meetings, one per meeting.
    let surveys = strings(
        app,
        3,
        "SELECT s.activity_id AS c0, a.status AS c1, a.campaign_id AS c2 FROM survey_response s \
         JOIN activity a ON a.id = s.activity_id",
    )
    .await;
    assert_eq!(surveys.len() as u64, counts.survey_responses);
    let meetings: HashSet<&String> = surveys.iter().map(|r| &r[0]).collect();
    assert_eq!(meetings.len(), surveys.len());
    assert!(surveys.iter().all(|r| r[1] == "HELD" && !r[2].is_empty()));
    // Companies carry an employee count (1 to 5,000).
    let sizes = strings(
        app,
        1,
        "SELECT CAST(count(*) AS TEXT) AS c0 FROM company \
         WHERE employees IS NULL OR employees < 1 OR employees > 5000",
    )
    .await;
    assert_eq!(sizes[0][0], "0");
}

/// The seeded job service agreements, participants, fixed contacts and joint visits pass the
/// services' validation and read through the API as the entry point rule says.
async fn coordination_rows_are_api_rows(app: &TestApp) {
    let national = app.token("n", "national", &[api::auth::Role::National]);
    // Text as the services accept it.
    let texts = strings(
        app,
        4,
        "SELECT coordinator_contact_name AS c0, coordinator_contact_email AS c1, \
         coordinator_contact_phone AS c2, created_by_sub AS c3 FROM job_service_agreement \
         UNION ALL SELECT contact_name, contact_email, contact_phone, region_label \
         FROM job_service_agreement_participant \
         UNION ALL SELECT name, email, phone, sub FROM company_contact",
    )
    .await;
    assert!(!texts.is_empty());
    for row in &texts {
        assert_eq!(
            v::required_text("name", &row[0], v::NAME_MAX).ok().as_ref(),
            Some(&row[0]),
            "{row:?}"
        );
        assert_eq!(
            v::email("email", Some(&row[1])).ok(),
            Some(Some(row[1].clone()))
        );
        assert_eq!(
            v::phone("phone", Some(&row[2])).ok(),
            Some(Some(row[2].clone()))
        );
        assert_eq!(
            v::subject("sub", Some(&row[3])).ok(),
            Some(Some(row[3].clone()))
        );
    }
    // At most one ACTIVE agreement per company (the database enforces it as well).
    let active = strings(
        app,
        3,
        "SELECT company_id AS c0, coordinator_id AS c1, coordinator_contact_name AS c2 \
         FROM job_service_agreement WHERE status = 'ACTIVE'",
    )
    .await;
    let companies: HashSet<&String> = active.iter().map(|r| &r[0]).collect();
    assert_eq!(companies.len(), active.len(), "one ACTIVE per company");
    assert!(!active.is_empty());
    let statuses: HashSet<String> =
        strings(app, 1, "SELECT status AS c0 FROM job_service_agreement")
            .await
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect();
    assert!(statuses.contains("PROPOSED"), "{statuses:?}");

    let page = "query($id: ID!) { company(id: $id) { id municipality { code }
        entryPoint { reason organisation { id } contactName }
        jobServiceAgreements { status coordinator { id } coordinatorContactName signedOn endsOn
          nextStatusMeetingOn activatedAt endedAt version
          participants { organisation { id rarArea } regionLabel contactName rarAreas } }
        contacts { name organisation { id } } } }";
    for row in &active {
        let data = app.gql_ok(&national, page, json!({ "id": row[0] })).await;
        let c = &data["company"];
        assert_eq!(c["entryPoint"]["reason"], "JOB_SERVICE_AGREEMENT", "{c}");
        assert_eq!(c["entryPoint"]["organisation"]["id"], row[1].as_str());
        assert_eq!(c["entryPoint"]["contactName"], row[2].as_str());
        let agreements = c["jobServiceAgreements"].as_array().expect("agreements");
        let active: Vec<_> = agreements
            .iter()
            .filter(|a| a["status"] == "ACTIVE")
            .collect();
        assert_eq!(active.len(), 1, "{c}");
        let a = active[0];
        assert!(
            a["activatedAt"].is_string() && a["endedAt"].is_null(),
            "{a}"
        );
        assert!(a["signedOn"].as_str() < a["endsOn"].as_str(), "{a}");
        assert!(
            a["nextStatusMeetingOn"].as_str() > a["signedOn"].as_str(),
            "{a}"
        );
        let participants = a["participants"].as_array().expect("participants");
        assert!((1..=3).contains(&participants.len()), "{a}");
        assert_eq!(a["version"], 2 + participants.len(), "{a}");
        let mut orgs = HashSet::new();
        let mut areas = HashSet::new();
        for p in participants {
            let org = p["organisation"]["id"].as_str().expect("org");
            assert_ne!(org, row[1], "the coordinator is not a participant");
            assert!(orgs.insert(org), "{a}");
            // Each covers its own jobcentre's RAR area, one participant per area.
            assert_eq!(p["rarAreas"], json!([p["organisation"]["rarArea"]]), "{p}");
            assert!(areas.insert(p["rarAreas"][0].to_string()), "{a}");
            assert!(p["regionLabel"].is_string() && p["contactName"].is_string());
        }
        for ended in agreements.iter().filter(|a| a["status"] == "ENDED") {
            assert!(ended["endedAt"].is_string(), "{ended}");
            assert!(ended["endedAt"].as_str() < a["activatedAt"].as_str(), "{c}");
        }
    }
    // A fixed contact of the home jobcentre is the entry point's contact, without an ACTIVE
    // agreement.
    let fixed = strings(
        app,
        3,
        "SELECT k.company_id AS c0, k.name AS c1, m.jobcentre_id AS c2 FROM company_contact k \
         JOIN company c ON c.id = k.company_id JOIN municipality m ON m.code = c.municipality_code \
         WHERE NOT EXISTS (SELECT 1 FROM job_service_agreement a \
           WHERE a.company_id = k.company_id AND a.status = 'ACTIVE')",
    )
    .await;
    assert!(!fixed.is_empty());
    for row in &fixed {
        let data = app.gql_ok(&national, page, json!({ "id": row[0] })).await;
        let c = &data["company"];
        assert_eq!(c["entryPoint"]["reason"], "HOME_MUNICIPALITY", "{c}");
        assert_eq!(c["entryPoint"]["organisation"]["id"], row[2].as_str());
        assert_eq!(c["entryPoint"]["contactName"], row[1].as_str());
        assert_eq!(
            c["contacts"],
            json!([{ "name": row[1], "organisation": { "id": row[2] } }])
        );
    }
    // The coordinator's view lists the activities of the companies it coordinates.
    let mut by_coordinator: HashMap<&str, usize> = HashMap::new();
    for row in &active {
        *by_coordinator.entry(row[1].as_str()).or_default() += 1;
    }
    let mut listed = 0;
    for org in by_coordinator.keys() {
        let data = app
            .gql_ok(
                &national,
                "query($o: ID!) { activities(filter: { coordinatedBy: $o }, first: 100) {
                   nodes { company { id } participants { id } } } }",
                json!({ "o": org }),
            )
            .await;
        let nodes = data["activities"]["nodes"].as_array().expect("nodes");
        let mine: HashSet<&str> = active
            .iter()
            .filter(|r| r[1] == *org)
            .map(|r| r[0].as_str())
            .collect();
        assert!(
            nodes
                .iter()
                .all(|n| mine.contains(n["company"]["id"].as_str().expect("id")))
        );
        listed += nodes.len();
    }
    assert!(listed > 0, "the coordinated companies have activities");
    // Joint visits: Jobservice Danmark took part in some of the jobcentres' visits.
    let joint = strings(
        app,
        1,
        "SELECT p.activity_id AS c0 FROM activity_participant p JOIN activity a ON a.id = p.activity_id \
         WHERE a.kind = 'VISIT' AND a.organisation_id <> 'national' AND p.organisation_id = 'national' \
         AND p.company_id = a.company_id",
    )
    .await;
    let all = strings(app, 1, "SELECT id AS c0 FROM activity_participant").await;
    assert_eq!(joint.len(), all.len());
    let data = app
        .gql_ok(
            &national,
            "query($id: ID!) { activity(id: $id) { kind participants { id } } }",
            json!({ "id": joint[0][0] }),
        )
        .await;
    assert_eq!(
        data["activity"],
        json!({ "kind": "VISIT", "participants": [{ "id": "national" }] })
    );
}

db_tests!(seeded_rows_are_api_rows);
