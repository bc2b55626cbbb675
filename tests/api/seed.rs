//! `seed-demo`: a deterministic demo data set of rows the API could have written, readable
//! through the API on both databases.

use api::service::seed::{SeedOptions, seed};
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
    let db = Database::connect(app.database_url()).await.expect("db");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT cvr FROM company ORDER BY cvr",
        ))
        .await
        .expect("cvrs");
    db.close().await.ok();
    rows.iter()
        .map(|r| r.try_get::<String>("", "cvr").expect("cvr"))
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
}

db_tests!(seeded_rows_are_api_rows);
