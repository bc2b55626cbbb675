//! Audit events written before audit views existed (table rows as serde wrote them) are
//! rewritten as views by a migration, and then obey the same redaction and erasure as new ones.

use api::auth::Role;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value as DbValue};
use serde_json::{Map, Value, json};

use crate::db_tests;
use crate::fixtures::*;
use crate::helpers::TestApp;

const EVENTS: &str =
    "query($id: ID) { auditEvents(entityId: $id, first: 100) { action before after } }";

fn snake(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The snapshot as the table row looked when serde wrote it (before views).
fn legacy(view: &Value) -> Value {
    match view {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .filter(|(k, _)| !k.starts_with("__") && k.as_str() != "activityVisibility")
                .map(|(k, v)| (snake(k), legacy(v)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

async fn legacy_events_become_views(app: TestApp) {
    let owner = consultant(&app, "jc-101");
    let company = register_company(&app, &owner, "Gammel A/S", "101").await;
    let person = id(&add_contact_person(&app, &owner, &id(&company)).await);
    let private = id(&log_activity(
        &app,
        &owner,
        &id(&company),
        "HELD",
        json!({ "visibility": "ORGANISATION", "summary": "LEGACY-SUMMARY" }),
    )
    .await["activity"]);
    app.gql_ok(
        &owner,
        "mutation($a: ID!) { recordOutcome(activityId: $a, input: { agreements: [{ kind: MENTOR, positions: 1, note: \"LEGACY-NOTE\" }], followUps: [] }) { id } }",
        json!({ "a": private }),
    )
    .await;

    // Turn the stored events back into the old format.
    let db = app.db().await;
    let backend = db.get_database_backend();
    let text_cast = |c: &str| match backend {
        DatabaseBackend::Postgres => format!("CAST(\"{c}\" AS TEXT) AS \"{c}\""),
        _ => format!("\"{c}\""),
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT \"id\", \"action\", {}, {} FROM audit_event ORDER BY \"id\"",
                text_cast("before"),
                text_cast("after")
            ),
        ))
        .await
        .expect("events");
    let parse = |row: &sea_orm::QueryResult, col: &str| -> Option<Value> {
        row.try_get::<Option<String>>("", col)
            .expect(col)
            .map(|t| serde_json::from_str(&t).expect("json"))
    };
    let agreement_view = rows
        .iter()
        .find(|r| r.try_get::<String>("", "action").expect("a") == "agreement.created")
        .and_then(|r| parse(r, "after"))
        .expect("agreement event");
    let update = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE audit_event SET \"before\" = CAST($1 AS JSON), \"after\" = CAST($2 AS JSON), owner_organisation_id = NULL WHERE \"id\" = $3"
        }
        _ => {
            "UPDATE audit_event SET \"before\" = ?, \"after\" = ?, owner_organisation_id = NULL WHERE \"id\" = ?"
        }
    };
    for row in &rows {
        let id: String = row.try_get("", "id").expect("id");
        let action: String = row.try_get("", "action").expect("action");
        let before = parse(row, "before").map(|v| legacy(&v));
        let mut after = parse(row, "after").map(|v| legacy(&v));
        if action == "activity.outcomeRecorded" {
            after = Some(json!({
                "activity": after,
                "agreements": [legacy(&agreement_view)],
                "followUps": [],
            }));
        }
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            [
                DbValue::from(text(&before)),
                DbValue::from(text(&after)),
                DbValue::from(id),
            ],
        ))
        .await
        .expect("update");
    }
    db.execute_unprepared("DELETE FROM audit_event_subject")
        .await
        .expect("clear index");

    // Old snapshots have no marks: nobody is shown them.
    let other_admin = app.token("root", "national", &[Role::Admin]);
    let events = app.gql_ok(&owner, EVENTS, json!({ "id": private })).await;
    assert_eq!(events["auditEvents"][1]["after"], Value::Null, "{events}");

    // The migration rewrites them: run it again (down to just before it, then up).
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied");
    let position = applied
        .iter()
        .position(|m| m.name() == "m20261130_000005_audit_snapshots_as_views")
        .expect("the view migration is applied");
    let steps = u32::try_from(applied.len() - position).expect("steps");
    Migrator::down(&db, Some(steps)).await.expect("down");
    Migrator::up(&db, None).await.expect("up");

    let events = app.gql_ok(&owner, EVENTS, json!({ "id": private })).await;
    let outcome = &events["auditEvents"][1];
    assert_eq!(outcome["action"], "activity.outcomeRecorded");
    assert_eq!(outcome["after"]["__typename"], "Activity");
    assert_eq!(outcome["after"]["summary"], "LEGACY-SUMMARY");
    assert_eq!(outcome["after"]["agreements"][0]["note"], "LEGACY-NOTE");
    assert_eq!(outcome["before"]["companyId"], company["id"]);

    // Redacted like new events for an admin of another organisation.
    let seen = app
        .gql_ok(&other_admin, EVENTS, json!({ "id": private }))
        .await
        .to_string();
    assert!(
        !seen.contains("LEGACY-SUMMARY") && !seen.contains("LEGACY-NOTE"),
        "{seen}"
    );
    assert!(seen.contains("\"__typename\":\"Activity\""), "{seen}");

    let events = app
        .gql_ok(&owner, EVENTS, json!({ "id": company["id"] }))
        .await;
    assert_eq!(events["auditEvents"][0]["after"]["municipalityCode"], "101");

    // Erasure finds the old events of the person through the rebuilt index.
    app.gql_ok(
        &admin(&app),
        "mutation($id: ID!) { eraseContactPerson(id: $id) { id } }",
        json!({ "id": person }),
    )
    .await;
    let stored = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT {} FROM audit_event", text_cast("after")),
        ))
        .await
        .expect("after");
    for row in stored {
        let after: Option<String> = row.try_get("", "after").expect("after");
        assert!(!after.unwrap_or_default().contains("Jens Hansen"));
    }
    db.close().await.ok();
}

db_tests!(legacy_events_become_views);
