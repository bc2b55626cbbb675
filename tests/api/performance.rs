//! The SQL statement count of a request depends on its depth, never on its page size: every
//! relation is served by a DataLoader (counted through /metrics).

use serde_json::json;

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const PAGE: &str = "query($n: Int) { companies(first: $n) { nodes { contactPersons { name } productionUnits { pNumber } followUps { dueOn } entryPoint { organisation { name } } lastActivityAt activities(first: 3) { nodes { kind } } } } }";

async fn statements_do_not_grow_with_page_size(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let municipalities = ["101", "751", "461", "851", "147"];
    for i in 0..100 {
        let company = id(&register_company(
            &app,
            &token,
            &format!("Virksomhed {i:03}"),
            municipalities[i % 5],
        )
        .await);
        add_contact_person(&app, &token, &company).await;
        app.gql_ok(
            &token,
            "mutation($c: ID!, $i: ProductionUnitInput!) { addProductionUnit(companyId: $c, input: $i) { id } }",
            json!({ "c": company, "i": { "pNumber": p_number() } }),
        )
        .await;
        let held = id(&held_activity(&app, &token, &company).await);
        crate::fixtures::record_outcome(&app, &token, &held).await;
        log_activity(&app, &token, &company, "BOOKED", json!({})).await;
    }

    let mut counts = Vec::new();
    for n in [10, 100] {
        let before = app.metric("kontaktpunkt_sql_statements_total").await;
        let data = app.gql_ok(&token, PAGE, json!({ "n": n })).await;
        let after = app.metric("kontaktpunkt_sql_statements_total").await;
        let nodes = data["companies"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), n);
        assert!(nodes.iter().all(|c| {
            c["activities"]["nodes"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
        }));
        assert!(
            nodes
                .iter()
                .all(|c| c["followUps"].as_array().is_some_and(|f| f.len() == 1))
        );
        counts.push(after - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 10 and 100 companies: {counts:?}"
    );
    assert!(counts[1] <= 10.0, "at most 10 statements: {counts:?}");
    eprintln!("SQL statements for companies(first: 10) and (first: 100): {counts:?}");
}

db_tests!(statements_do_not_grow_with_page_size);
