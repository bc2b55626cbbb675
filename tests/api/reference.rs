//! Reference data loaded by migration: 98 municipalities, 8 RAR areas, the jobcentres and
//! Jobservice Danmark.

use std::collections::{BTreeSet, HashMap};

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::helpers::TestApp;

const RAR_AREAS: [&str; 8] = [
    "NORDJYLLAND",
    "VESTJYLLAND",
    "OESTJYLLAND",
    "FYN",
    "SYDJYLLAND",
    "BORNHOLM",
    "HOVEDSTADEN",
    "SJAELLAND",
];

async fn municipalities_are_complete(app: TestApp) {
    let token = app.consultant("jc-751");
    let data = app
        .gql_ok(
            &token,
            "{ municipalities { code name region rarArea jobcentre { id name kind municipalityCode rarArea } } }",
            json!({}),
        )
        .await;
    let list = data["municipalities"].as_array().expect("list");
    assert_eq!(list.len(), 98);
    let areas: BTreeSet<&str> = list.iter().filter_map(|m| m["rarArea"].as_str()).collect();
    assert_eq!(areas, RAR_AREAS.into_iter().collect::<BTreeSet<_>>());

    let by_code: HashMap<&str, &Value> = list
        .iter()
        .map(|m| (m["code"].as_str().expect("code"), m))
        .collect();
    let kbh = by_code["101"];
    assert_eq!(kbh["name"], "København");
    assert_eq!(kbh["region"], "Region Hovedstaden");
    assert_eq!(kbh["rarArea"], "HOVEDSTADEN");
    assert_eq!(kbh["jobcentre"]["id"], "jc-101");
    assert_eq!(kbh["jobcentre"]["name"], "Jobcenter København");
    assert_eq!(kbh["jobcentre"]["kind"], "JOBCENTRE");
    assert_eq!(kbh["jobcentre"]["municipalityCode"], "101");
    assert_eq!(by_code["751"]["name"], "Aarhus");
    assert_eq!(by_code["400"]["rarArea"], "BORNHOLM");
    // The 2015 division: Viborg and Hedensted belong to Østjylland, Herning to Vestjylland.
    assert_eq!(by_code["791"]["rarArea"], "OESTJYLLAND");
    assert_eq!(by_code["766"]["rarArea"], "OESTJYLLAND");
    assert_eq!(by_code["657"]["rarArea"], "VESTJYLLAND");
    // Every municipality is served by an existing jobcentre in its own RAR area.
    for m in list {
        assert_eq!(m["jobcentre"]["kind"], "JOBCENTRE", "{m}");
    }
    // Ordered by code.
    let codes: Vec<&str> = list.iter().filter_map(|m| m["code"].as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
}

async fn organisations_by_kind(app: TestApp) {
    let token = app.token("i1", "national", &[Role::Integration]);
    let national = app
        .gql_ok(
            &token,
            "{ organisations(kind: NATIONAL) { id name kind rarArea municipalityCode } }",
            json!({}),
        )
        .await;
    assert_eq!(
        national["organisations"],
        json!([{ "id": "national", "name": "Jobservice Danmark", "kind": "NATIONAL", "rarArea": null, "municipalityCode": null }])
    );
    let jobcentres = app
        .gql_ok(
            &token,
            "{ organisations(kind: JOBCENTRE) { id rarArea } }",
            json!({}),
        )
        .await;
    let list = jobcentres["organisations"].as_array().expect("list");
    let csv = migration::reference_data::municipalities().expect("csv");
    let distinct: BTreeSet<&str> = csv.iter().map(|m| m.jobcentre.as_str()).collect();
    assert_eq!(list.len(), distinct.len());
    assert!(
        list.iter()
            .all(|o| o["id"].as_str().is_some_and(|id| id.starts_with("jc-")))
    );
    assert!(list.iter().all(|o| o["rarArea"].is_string()));

    let all = app
        .gql_ok(&token, "{ organisations { id } }", json!({}))
        .await;
    assert_eq!(
        all["organisations"].as_array().expect("list").len(),
        distinct.len() + 1
    );

    let one = app
        .gql_ok(
            &token,
            r#"{ a: organisation(id: "jc-751") { name } b: organisation(id: "jc-000") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(one["a"]["name"], "Jobcenter Aarhus");
    assert_eq!(one["b"], Value::Null);
}

db_tests!(municipalities_are_complete, organisations_by_kind);
