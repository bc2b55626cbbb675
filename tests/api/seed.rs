//! `seed-demo`: a deterministic demo data set of rows the API could have written, readable
//! through the API on both databases.

use std::collections::{HashMap, HashSet};

use api::service::seed::{SeedOptions, seed};
use api::service::validation as v;
use sea_orm::{ConnectionTrait, Database, Statement};
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
    let db = Database::connect(app.database_url()).await.expect("db");
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
    let db = Database::connect(app.database_url()).await.expect("db");
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
    let db = Database::connect(other.database_url()).await.expect("db");
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
