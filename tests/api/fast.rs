//! A list's objects resolve the plain way (`graphql::fast`: every field by the type's own
//! resolver, joined in one future) and the engine's way (each field its own task) alike. A
//! selection inside a fragment always takes the engine's way, so every selection here is asked
//! both ways, and the whole response (data, errors and their paths) must be the same.

use api::auth::Role;
use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;
use crate::prefetch::company_with_history;

/// Every field of `type_name` that takes no required argument, with `{ id __typename }` under
/// the object-valued ones (a connection: its nodes').
async fn every_field(app: &TestApp, token: &str, type_name: &str) -> Vec<String> {
    let data = app
        .gql_ok(
            token,
            r#"query($t: String!) { __type(name: $t) { fields {
                 name
                 args { defaultValue type { kind } }
                 type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }"#,
            json!({ "t": type_name }),
        )
        .await;
    let fields = data["__type"]["fields"].as_array().expect("fields");
    assert!(fields.len() >= 5, "{type_name} has its fields: {fields:?}");
    fields
        .iter()
        .filter(|f| {
            f["args"]
                .as_array()
                .expect("args")
                .iter()
                .all(|a| a["type"]["kind"] != "NON_NULL" || !a["defaultValue"].is_null())
        })
        .map(|f| {
            let name = f["name"].as_str().expect("name");
            let mut t = &f["type"];
            while t["ofType"].is_object() {
                t = &t["ofType"];
            }
            let inner = t["name"].as_str().unwrap_or_default();
            if inner.ends_with("Connection") {
                format!("{name} {{ nodes {{ id __typename }} }}")
            } else if t["kind"] == "OBJECT" {
                format!("{name} {{ __typename }}")
            } else {
                name.to_owned()
            }
        })
        .collect()
}

/// The whole body of `query`, whose `{ SELECTION }` is the list object's selection, asked
/// plainly, inside an inline fragment and inside a named one; the three must be equal.
async fn alike(app: &TestApp, token: &str, type_name: &str, query: &str, selection: &str) -> Value {
    let ask = |selection: String, fragments: String| async move {
        let text = format!("{}{fragments}", query.replace("SELECTION", &selection));
        let (status, body) = app.gql(Some(token), &text, json!({})).await;
        assert_eq!(status.as_u16(), 200, "{text}: {body}");
        body
    };
    let plain = ask(selection.to_owned(), String::new()).await;
    let inline = ask(
        format!("... on {type_name} {{ {selection} }}"),
        String::new(),
    )
    .await;
    let named = ask(
        "...Chosen".to_owned(),
        format!(" fragment Chosen on {type_name} {{ {selection} }}"),
    )
    .await;
    // An error's location is where the field stands in the text, which the fragment moves.
    let placeless = |body: &Value| {
        let mut body = body.clone();
        for error in body["errors"].as_array_mut().into_iter().flatten() {
            assert!(error["locations"][0]["column"].is_u64(), "{error}");
            error["locations"] = Value::Null;
        }
        body
    };
    assert_eq!(
        placeless(&plain),
        placeless(&inline),
        "`{selection}` of {type_name}: plain and inline fragment"
    );
    assert_eq!(
        placeless(&plain),
        placeless(&named),
        "`{selection}` of {type_name}: plain and named fragment"
    );
    plain
}

async fn list_objects_resolve_plainly_as_the_engine_does(app: TestApp) {
    let company = company_with_history(&app).await;
    let agreement = active_agreement(&app, &company, "jc-101").await;
    let own = consultant(&app, "jc-101");
    app.gql_ok(
        &own,
        "mutation($id: ID!, $i: ParticipantInput!) { addJobServiceAgreementParticipant(id: $id, input: $i) { id } }",
        json!({ "id": agreement, "i": { "organisationId": "jc-751", "contactName": "Fyn" } }),
    )
    .await;
    app.gql_ok(
        &own,
        "mutation($c: ID!, $i: CompanyContactInput!) { setCompanyContact(companyId: $c, input: $i) { id } }",
        json!({ "c": company, "i": { "name": "Hanne Fast", "email": "fast@jobcenter.dk", "sub": "hanne" } }),
    )
    .await;
    let national = app.token("booker@national", "national", &[Role::National]);
    let campaign = app
        .gql_ok(
            &national,
            "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Kampagne", "startsOn": in_days(0), "endsOn": in_days(90) } }),
        )
        .await["createCampaign"]["id"]
        .as_str()
        .expect("campaign id")
        .to_owned();
    app.gql_ok(
        &national,
        "mutation($c: ID!, $ids: [ID!]!, $o: ID!) { addToCallList(campaignId: $c, companyIds: $ids, organisationId: $o) { id } }",
        json!({ "c": campaign, "ids": [company], "o": "jc-101" }),
    )
    .await;
    let of_company = |inner: &str| format!(r#"{{ company(id: "{company}") {{ {inner} }} }}"#);
    let lists = [
        ("Company", "{ companies(first: 10) { nodes { SELECTION } } }".to_owned()),
        (
            "Activity",
            format!(r#"{{ activities(filter: {{ companyId: "{company}" }}, first: 10) {{ nodes {{ SELECTION }} }} }}"#),
        ),
        (
            "Activity",
            r#"{ activities(filter: { coordinatedBy: "jc-101" }) { edges { cursor node { SELECTION } } } }"#.to_owned(),
        ),
        ("FollowUp", "{ followUps(first: 10) { nodes { SELECTION } } }".to_owned()),
        (
            "JobServiceAgreement",
            "{ jobServiceAgreements(first: 10) { nodes { SELECTION } } }".to_owned(),
        ),
        (
            "ContactPerson",
            format!(r#"{{ company(id: "{company}") {{ contactPersons {{ SELECTION }} }} }}"#),
        ),
        (
            "Organisation",
            format!(r#"{{ company(id: "{company}") {{ activities {{ nodes {{ organisation {{ SELECTION }} }} }} }} }}"#),
        ),
        // Lists that are plain lists, not connections.
        ("Organisation", "{ organisations { SELECTION } }".to_owned()),
        ("Municipality", "{ municipalities { SELECTION } }".to_owned()),
        (
            "CallListEntry",
            format!(r#"{{ callList(campaignId: "{campaign}") {{ SELECTION }} }}"#),
        ),
        ("FollowUp", of_company("followUps { SELECTION }")),
        ("CompanyContact", of_company("contacts { SELECTION }")),
        (
            "Agreement",
            of_company("activities { nodes { agreements { SELECTION } } }"),
        ),
        (
            "FollowUp",
            of_company("activities { nodes { followUps { SELECTION } } }"),
        ),
        (
            "JobServiceAgreementParticipant",
            of_company("jobServiceAgreements { participants { SELECTION } }"),
        ),
        ("AuditEvent", "{ auditEvents(first: 20) { SELECTION } }".to_owned()),
    ];
    // The owner, another jobcentre (private summaries withheld) and Jobservice Danmark.
    let readers = [
        consultant(&app, "jc-101"),
        consultant(&app, "jc-751"),
        app.token("jsd@national", "national", &[Role::National]),
    ];
    for token in &readers {
        for (type_name, query) in &lists {
            let fields = every_field(&app, token, type_name).await;
            let mut selections: Vec<String> = fields.clone();
            selections.push(fields.join(" "));
            // Aliases, the type's name, a key asked twice (the engine merges it) and a field
            // under two keys.
            let key = fields
                .iter()
                .find(|f| !f.contains('{'))
                .expect("a field without a selection");
            selections.push(format!("a: {key} __typename b: {key}"));
            selections.push(format!("{key} {key} __typename"));
            let mut rows = 0;
            for selection in &selections {
                let body = alike(&app, token, type_name, query, selection).await;
                assert!(
                    body.get("errors").is_none(),
                    "{query} `{selection}`: {body}"
                );
                rows += body.to_string().matches("\"__typename\"").count();
            }
            assert!(rows > 0, "{query} lists some {type_name}");
        }
    }
}

/// A field that fails inside a list: the same error with the same path, and the same data
/// around it, whichever way the objects resolve.
async fn a_failing_field_of_a_list_object_fails_alike(app: TestApp) {
    company_with_history(&app).await;
    let own = consultant(&app, "jc-101");
    let body = alike(
        &app,
        &own,
        "Company",
        "{ companies(first: 3) { nodes { SELECTION } } }",
        "id name activities(first: 500) { nodes { id } }",
    )
    .await;
    let errors = body["errors"].as_array().expect("the page size is refused");
    assert_eq!(
        errors[0]["path"],
        json!(["companies", "nodes", 0, "activities"]),
        "{body}"
    );
    assert_eq!(error_code(&body), Some("LIMIT_EXCEEDED"), "{body}");
    // The plain way's location is the field's own: `activities` at column 41.
    assert_eq!(
        errors[0]["locations"],
        json!([{ "line": 1, "column": 41 }]),
        "{body}"
    );
}

db_tests!(
    list_objects_resolve_plainly_as_the_engine_does,
    a_failing_field_of_a_list_object_fails_alike
);
