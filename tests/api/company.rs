//! Companies: registration by CVR, lookup, search, update with versions, production units,
//! contact persons, soft delete and erasure.

use serde_json::{Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const REGISTER: &str = "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id cvr name version industryCode municipality { code name } address postalCode entryPoint { organisation { id name } reason } } }";

async fn register_is_idempotent_by_cvr(app: TestApp) {
    let token = consultant(&app, "jc-461");
    let cvr = valid_cvr();
    let input = json!({ "cvr": cvr, "name": "Odense Stål A/S", "municipalityCode": "461",
        "industryCode": "251100", "address": "Havnegade 1", "postalCode": "5000" });
    let first =
        app.gql_ok(&token, REGISTER, json!({ "i": input })).await["registerCompany"].clone();
    assert_eq!(first["cvr"], cvr.as_str());
    assert_eq!(first["version"], 1);
    assert_eq!(first["municipality"]["name"], "Odense");
    assert_eq!(first["entryPoint"]["organisation"]["id"], "jc-461");
    assert_eq!(first["entryPoint"]["reason"], "HOME_MUNICIPALITY");
    let before = app.table_digests().await;

    // Again, by another organisation and with other data: the existing company, unchanged.
    let other = consultant(&app, "jc-751");
    let again = app
        .gql_ok(
            &other,
            REGISTER,
            json!({ "i": { "cvr": cvr, "name": "Another Name" } }),
        )
        .await["registerCompany"]
        .clone();
    assert_eq!(again, first);
    assert_eq!(app.table_digests().await, before, "nothing written");

    // Found by id and by CVR.
    let q = "query($id: ID, $cvr: String) { company(id: $id, cvr: $cvr) { id name } }";
    let by_id = app.gql_ok(&token, q, json!({ "id": first["id"] })).await;
    assert_eq!(by_id["company"]["name"], "Odense Stål A/S");
    let by_cvr = app.gql_ok(&token, q, json!({ "cvr": cvr })).await;
    assert_eq!(by_cvr["company"]["id"], first["id"]);
    let none = app.gql_ok(&token, q, json!({ "cvr": valid_cvr() })).await;
    assert_eq!(none["company"], Value::Null);
    let bad_id = app.gql_ok(&token, q, json!({ "id": "not-an-id" })).await;
    assert_eq!(bad_id["company"], Value::Null);
}

async fn bad_input_is_rejected_with_field_and_nothing_written(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let before = app.table_digests().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            REGISTER,
            json!({ "i": { "cvr": invalid_cvr(), "name": "X" } }),
            "input.cvr",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": "1234567", "name": "X" } }),
            "input.cvr",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": "  " } }),
            "input.name",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": "x".repeat(201) } }),
            "input.name",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": "X", "municipalityCode": "999" } }),
            "input.municipalityCode",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": "X", "postalCode": "50000" } }),
            "input.postalCode",
        ),
        (
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": "X", "industryCode": "abc" } }),
            "input.industryCode",
        ),
        (
            "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id } }",
            json!({ "c": company, "i": { "name": "Bo", "email": "bo@" } }),
            "input.email",
        ),
        (
            "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id } }",
            json!({ "c": company, "i": { "name": "Bo", "phone": "12ab" } }),
            "input.phone",
        ),
        (
            "mutation($c: ID!, $i: ProductionUnitInput!) { addProductionUnit(companyId: $c, input: $i) { id } }",
            json!({ "c": company, "i": { "pNumber": "123456789" } }),
            "input.pNumber",
        ),
        (
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
            json!({ "i": { "companyId": company, "kind": "VISIT", "status": "HELD", "summary": "x".repeat(10_001) } }),
            "input.summary",
        ),
        (
            "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { id } } }",
            json!({ "i": { "companyId": company, "kind": "VISIT", "status": "BOOKED" } }),
            "input.scheduledAt",
        ),
    ];
    for (query, vars, field) in cases {
        let (_, body) = app.gql(Some(&token), query, vars).await;
        assert_eq!(error_code(&body), Some("VALIDATION"), "{field}: {body}");
        assert_eq!(error_field(&body), Some(field), "{body}");
        assert!(body["data"].is_null(), "{body}");
    }
    assert_eq!(
        app.table_digests().await,
        before,
        "nothing written by bad input"
    );
}

async fn search_and_pagination(app: TestApp) {
    let token = consultant(&app, "jc-101");
    for (name, municipality, industry) in [
        ("Ærøskøbing Værft", "492", "301100"),
        ("Øster Bryghus", "101", "110500"),
        ("Åbenrå Maskiner", "580", "282900"),
        ("København Kaffe", "101", "110700"),
        ("Aalborg Software", "851", "620100"),
    ] {
        app.gql_ok(
            &token,
            REGISTER,
            json!({ "i": { "cvr": valid_cvr(), "name": name, "municipalityCode": municipality, "industryCode": industry } }),
        )
        .await;
    }
    let q = "query($f: CompanyFilter, $first: Int, $after: String) { companies(filter: $f, first: $first, after: $after) { nodes { name } edges { cursor } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let names = |v: &Value| -> Vec<String> {
        v["companies"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["name"].as_str().expect("name").to_owned())
            .collect()
    };
    // Case-insensitive with Danish letters.
    let r = app
        .gql_ok(&token, q, json!({ "f": { "nameContains": "ærø" } }))
        .await;
    assert_eq!(names(&r), ["Ærøskøbing Værft"]);
    let r = app
        .gql_ok(&token, q, json!({ "f": { "nameContains": "ØSTER" } }))
        .await;
    assert_eq!(names(&r), ["Øster Bryghus"]);
    let r = app
        .gql_ok(&token, q, json!({ "f": { "nameContains": "VÆRFT" } }))
        .await;
    assert_eq!(names(&r), ["Ærøskøbing Værft"]);
    // Wildcards are literal.
    let r = app
        .gql_ok(&token, q, json!({ "f": { "nameContains": "%" } }))
        .await;
    assert!(names(&r).is_empty());
    // Municipality, RAR area, industry prefix.
    let r = app
        .gql_ok(&token, q, json!({ "f": { "municipalityCode": "101" } }))
        .await;
    assert_eq!(names(&r), ["København Kaffe", "Øster Bryghus"]);
    let r = app
        .gql_ok(&token, q, json!({ "f": { "rarArea": "NORDJYLLAND" } }))
        .await;
    assert_eq!(names(&r), ["Aalborg Software"]);
    let r = app
        .gql_ok(&token, q, json!({ "f": { "rarArea": "SYDJYLLAND" } }))
        .await;
    assert_eq!(names(&r), ["Åbenrå Maskiner"]);
    let r = app
        .gql_ok(&token, q, json!({ "f": { "industryCode": "1105" } }))
        .await;
    assert_eq!(names(&r), ["Øster Bryghus"]);
    let r = app
        .gql_ok(
            &token,
            q,
            json!({ "f": { "industryCode": "11", "municipalityCode": "101" } }),
        )
        .await;
    assert_eq!(names(&r), ["København Kaffe", "Øster Bryghus"]);

    // Cursor pagination walks every company exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let r = app
            .gql_ok(&token, q, json!({ "first": 2, "after": after }))
            .await;
        seen.extend(names(&r));
        let info = &r["companies"]["pageInfo"];
        assert_eq!(info["hasPreviousPage"], after.is_some());
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(seen, sorted, "ordered by name");

    // Page size is capped at 100; a bad cursor is a validation error.
    let code = app
        .gql_error_code(Some(&token), q, json!({ "first": 101 }))
        .await;
    assert_eq!(code, "LIMIT_EXCEEDED");
    let code = app
        .gql_error_code(Some(&token), q, json!({ "after": "garbage" }))
        .await;
    assert_eq!(code, "VALIDATION");
}

async fn update_with_expected_version(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = register_company(&app, &token, "Gammelt Navn ApS", "101").await;
    let q = "mutation($id: ID!, $v: Int!, $i: UpdateCompanyInput!) { updateCompany(id: $id, expectedVersion: $v, input: $i) { name version address municipality { code } entryPoint { organisation { id } } } }";
    let updated = app
        .gql_ok(&token, q, json!({ "id": company["id"], "v": 1, "i": { "name": "Nyt Navn ApS", "address": "Vej 2", "municipalityCode": "751" } }))
        .await["updateCompany"]
        .clone();
    assert_eq!(updated["name"], "Nyt Navn ApS");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["entryPoint"]["organisation"]["id"], "jc-751");

    // Stale version: VERSION_CONFLICT and nothing written.
    let before = app.table_digests().await;
    let (_, body) = app
        .gql(
            Some(&token),
            q,
            json!({ "id": company["id"], "v": 1, "i": { "name": "Tabt Opdatering" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("VERSION_CONFLICT"), "{body}");
    assert_eq!(app.table_digests().await, before);
    let now = app
        .gql_ok(
            &token,
            "query($id: ID) { company(id: $id) { name version } }",
            json!({ "id": company["id"] }),
        )
        .await;
    assert_eq!(
        now["company"],
        json!({ "name": "Nyt Navn ApS", "version": 2 })
    );

    // Null clears an optional field; omitted fields stay.
    let cleared = app
        .gql_ok(
            &token,
            q,
            json!({ "id": company["id"], "v": 2, "i": { "address": null } }),
        )
        .await["updateCompany"]
        .clone();
    assert_eq!(cleared["address"], Value::Null);
    assert_eq!(cleared["name"], "Nyt Navn ApS");
    assert_eq!(cleared["municipality"]["code"], "751");

    let (_, body) = app
        .gql(
            Some(&token),
            q,
            json!({ "id": uuid::Uuid::now_v7().to_string(), "v": 1, "i": { "name": "X" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"));
}

async fn production_units_and_contact_persons(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let add_unit = "mutation($c: ID!, $i: ProductionUnitInput!) { addProductionUnit(companyId: $c, input: $i) { id pNumber name municipality { name } } }";
    // No checksum on P-numbers: any 10 digits.
    let p = p_number();
    let unit = app
        .gql_ok(&token, add_unit, json!({ "c": company, "i": { "pNumber": p, "name": "Lager", "municipalityCode": "751" } }))
        .await["addProductionUnit"]
        .clone();
    assert_eq!(unit["pNumber"], p.as_str());
    assert_eq!(unit["municipality"]["name"], "Aarhus");
    // The same P-number again on the same company: unchanged; on another company: CONFLICT.
    let again = app
        .gql_ok(
            &token,
            add_unit,
            json!({ "c": company, "i": { "pNumber": p } }),
        )
        .await["addProductionUnit"]
        .clone();
    assert_eq!(again["id"], unit["id"]);
    let other = company_id(&app, &token).await;
    let code = app
        .gql_error_code(
            Some(&token),
            add_unit,
            json!({ "c": other, "i": { "pNumber": p } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");

    let person = add_contact_person(&app, &token, &company).await;
    assert_eq!(person["name"], "Jens Hansen");
    assert_eq!(person["erased"], false);
    let q = "query($id: ID) { company(id: $id) { productionUnits { pNumber } contactPersons { id name email phone } } }";
    let data = app.gql_ok(&token, q, json!({ "id": company })).await;
    assert_eq!(data["company"]["productionUnits"][0]["pNumber"], p.as_str());
    assert_eq!(
        data["company"]["contactPersons"][0]["email"],
        "jens@firma.dk"
    );

    let code = app
        .gql_error_code(
            Some(&token),
            add_unit,
            json!({ "c": uuid::Uuid::now_v7().to_string(), "i": { "pNumber": p_number() } }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

async fn contact_person_soft_delete_and_restore(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let person = id(&add_contact_person(&app, &token, &company).await);
    let list = "query($id: ID) { company(id: $id) { contactPersons { id } } }";
    let del = "mutation($id: ID!) { deleteContactPerson(id: $id) { id deletedAt version } }";
    let restore = "mutation($id: ID!) { restoreContactPerson(id: $id) { id deletedAt version } }";

    let deleted = app.gql_ok(&token, del, json!({ "id": person })).await;
    assert_eq!(deleted["deleteContactPerson"]["id"], person.as_str());
    assert_eq!(deleted["deleteContactPerson"]["version"], 2);
    let deleted_at = chrono::DateTime::parse_from_rfc3339(
        deleted["deleteContactPerson"]["deletedAt"]
            .as_str()
            .expect("deletedAt"),
    )
    .expect("time");
    assert!(
        chrono::Utc::now() - deleted_at.with_timezone(&chrono::Utc) < chrono::Duration::minutes(1)
    );
    let data = app.gql_ok(&token, list, json!({ "id": company })).await;
    assert_eq!(
        data["company"]["contactPersons"],
        json!([]),
        "hidden from normal queries"
    );
    // Another organisation cannot see the deleted person: the same answer as for no person.
    let other = consultant(&app, "jc-751");
    let (_, body) = app
        .gql(Some(&other), restore, json!({ "id": person }))
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let (_, missing) = app
        .gql(
            Some(&other),
            restore,
            json!({ "id": uuid::Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"));

    let restored = app.gql_ok(&token, restore, json!({ "id": person })).await;
    assert_eq!(restored["restoreContactPerson"]["deletedAt"], Value::Null);
    let data = app.gql_ok(&token, list, json!({ "id": company })).await;
    assert_eq!(data["company"]["contactPersons"][0]["id"], person.as_str());
    // Restoring what is not deleted is a conflict.
    let code = app
        .gql_error_code(Some(&token), restore, json!({ "id": person }))
        .await;
    assert_eq!(code, "CONFLICT");
}

async fn erasure_removes_personal_data_everywhere(app: TestApp) {
    let token = consultant(&app, "jc-101");
    let company = company_id(&app, &token).await;
    let person = id(&add_contact_person(&app, &token, &company).await);
    let admin = admin(&app);
    let erase =
        "mutation($id: ID!) { eraseContactPerson(id: $id) { id name email phone title erased } }";
    // Only an admin erases.
    assert_eq!(
        app.gql_error_code(Some(&token), erase, json!({ "id": person }))
            .await,
        "FORBIDDEN"
    );
    let erased =
        app.gql_ok(&admin, erase, json!({ "id": person })).await["eraseContactPerson"].clone();
    assert_eq!(erased["erased"], true);
    assert_eq!(erased["name"], Value::Null);
    assert_eq!(erased["email"], Value::Null);
    assert_eq!(erased["phone"], Value::Null);
    assert_eq!(erased["title"], "HR-chef", "non-personal data stays");

    // The row still counts; the audit trail no longer holds the name, e-mail or phone.
    let data = app
        .gql_ok(
            &token,
            "query($id: ID) { company(id: $id) { contactPersons { id erased name } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(data["company"]["contactPersons"][0]["erased"], true);
    let events = app
        .gql_ok(
            &admin,
            "query($id: ID) { auditEvents(entityId: $id) { action before after } }",
            json!({ "id": person }),
        )
        .await;
    let text = events.to_string();
    assert_eq!(
        events["auditEvents"].as_array().expect("events").len(),
        2,
        "{text}"
    );
    assert_eq!(events["auditEvents"][1]["action"], "contactPerson.erased");
    for secret in ["Jens Hansen", "jens@firma.dk", "12 34 56 78"] {
        assert!(
            !text.contains(secret),
            "{secret} left in the audit trail: {text}"
        );
    }
    // And not in the database at all.
    let db = app.db().await;
    use sea_orm::ConnectionTrait;
    let count = |sql: String| {
        let db = &db;
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .expect("query")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n")
        }
    };
    let left_in_row = count(format!(
        "SELECT COUNT(*) AS n FROM contact_person WHERE id = '{person}' AND (name IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL)"
    ))
    .await;
    assert_eq!(left_in_row, 0);
    for secret in ["Jens Hansen", "jens@firma.dk"] {
        let in_audit = count(format!(
            "SELECT COUNT(*) AS n FROM audit_event WHERE CAST(before AS TEXT) LIKE '%{secret}%' OR CAST(after AS TEXT) LIKE '%{secret}%'"
        ))
        .await;
        assert_eq!(in_audit, 0, "{secret} in audit_event");
    }
    // The check itself finds personal data where it exists (another, unerased person).
    add_contact_person(&app, &token, &company).await;
    let present = count(
        "SELECT COUNT(*) AS n FROM audit_event WHERE CAST(after AS TEXT) LIKE '%Jens Hansen%'"
            .into(),
    )
    .await;
    assert_eq!(present, 1);
}

db_tests!(
    register_is_idempotent_by_cvr,
    bad_input_is_rejected_with_field_and_nothing_written,
    search_and_pagination,
    update_with_expected_version,
    production_units_and_contact_persons,
    contact_person_soft_delete_and_restore,
    erasure_removes_personal_data_everywhere,
);
