//! Racing writers: registration stays one-company-per-CVR and versions let exactly one of
//! several concurrent updates win.

use serde_json::json;

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

async fn concurrent_registration_yields_one_company(app: TestApp) {
    let cvr = valid_cvr();
    let tokens: Vec<String> = [
        "jc-101", "jc-751", "jc-461", "jc-851", "national", "jc-147", "jc-101", "jc-751",
    ]
    .iter()
    .map(|org| consultant(&app, org))
    .collect();
    let calls = tokens.iter().map(|t| {
        app.gql(
            Some(t),
            "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
            json!({ "i": { "cvr": cvr, "name": "Kapløb A/S" } }),
        )
    });
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(_, body)| {
            body["data"]["registerCompany"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one company for one CVR: {ids:?}");
    let stored = app
        .gql_ok(
            &tokens[0],
            "query($cvr: String) { company(cvr: $cvr) { id name version } }",
            json!({ "cvr": cvr }),
        )
        .await;
    assert_eq!(
        stored["company"],
        json!({ "id": ids.first().expect("id"), "name": "Kapløb A/S", "version": 1 })
    );
    assert_eq!(app.row_counts().await["company"], 1);
    assert_eq!(
        app.row_counts().await["audit_event"],
        1,
        "one registration happened"
    );
}

async fn exactly_one_of_racing_updates_wins(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let q = "mutation($id: ID!, $n: String!) { updateCompany(id: $id, expectedVersion: 1, input: { name: $n }) { version } }";
    let calls = (0..6).map(|i| {
        app.gql(
            Some(&token),
            q,
            json!({ "id": company, "n": format!("Navn {i}") }),
        )
    });
    let results = futures::future::join_all(calls).await;
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, (_, b))| b.get("errors").is_none())
        .map(|(i, _)| i)
        .collect();
    let conflicts = results
        .iter()
        .filter(|(_, b)| error_code(b) == Some("VERSION_CONFLICT") && b["data"].is_null())
        .count();
    assert_eq!((winners.len(), conflicts), (1, 5), "{results:?}");
    let winner = winners[0];
    assert_eq!(
        results[winner].1["data"],
        json!({ "updateCompany": { "version": 2 } })
    );
    // The stored company is the winner's update, and only that.
    let now = app
        .gql_ok(
            &token,
            "query($id: ID) { company(id: $id) { name version } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        now["company"],
        json!({ "name": format!("Navn {winner}"), "version": 2 })
    );
    assert_eq!(
        app.row_counts().await["audit_event"],
        2,
        "register + one update"
    );
}

db_tests!(
    concurrent_registration_yields_one_company,
    exactly_one_of_racing_updates_wins
);
