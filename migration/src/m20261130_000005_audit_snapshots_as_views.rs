//! Audit snapshots written before audit views existed were the table rows as serde wrote them
//! (snake_case keys, no type). This rewrites them as version-1 views, so that the audit trail
//! reads the same for old and new events and the redaction and erasure marks apply to them:
//!
//! - keys become camelCase; internal columns (`contact_at`, `name_search`) are dropped;
//! - every object gets `__typename` (from the event's entity type) and `__version: 1`;
//! - the old outcome snapshot `{activity, agreements, followUps}` becomes the activity's view
//!   with its agreements (which carry the activity's visibility) and follow-ups nested in it;
//! - `owner_organisation_id` is filled from the snapshot's `organisationId`, and contact
//!   persons' events enter the erasure index.
//!
//! The rules are written out here (not taken from the `api` crate) so this migration keeps its
//! meaning when the views change later; a later view version gets its own migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value as DbValue};
use serde_json::{Map, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TYPENAME: &str = "__typename";
const DROPPED: [&str; 2] = ["contact_at", "name_search"];
const BATCH: u64 = 500;

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn view(typename: &str, obj: Map<String, Value>) -> Map<String, Value> {
    let mut out: Map<String, Value> = obj
        .into_iter()
        .filter(|(k, _)| !DROPPED.contains(&k.as_str()))
        .map(|(k, v)| (camel(&k), v))
        .collect();
    out.insert(TYPENAME.into(), Value::from(typename));
    out.insert("__version".into(), Value::from(1));
    out
}

fn objects(v: Option<Value>) -> Vec<Map<String, Value>> {
    match v {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| match i {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The view of one legacy snapshot; typed snapshots and non-objects are left as they are.
pub fn convert(entity_type: &str, snapshot: Value) -> Value {
    let Value::Object(mut obj) = snapshot else {
        return snapshot;
    };
    if obj.contains_key(TYPENAME) {
        return Value::Object(obj);
    }
    if entity_type == "Activity"
        && let Some(Value::Object(activity)) = obj.remove("activity")
    {
        // The outcome event: the activity with what the outcome added, nested.
        let mut out = view("Activity", activity);
        let visibility = out.get("visibility").cloned().unwrap_or(Value::Null);
        let agreements: Vec<Value> = objects(obj.remove("agreements"))
            .into_iter()
            .map(|a| {
                let mut a = view("Agreement", a);
                a.insert("activityVisibility".into(), visibility.clone());
                Value::Object(a)
            })
            .collect();
        let follow_ups: Vec<Value> = objects(obj.remove("followUps"))
            .into_iter()
            .map(|f| Value::Object(view("FollowUp", f)))
            .collect();
        out.insert("agreements".into(), Value::Array(agreements));
        out.insert("followUps".into(), Value::Array(follow_ups));
        return Value::Object(out);
    }
    Value::Object(view(entity_type, obj))
}

fn owner(snapshot: Option<&Value>) -> Option<String> {
    snapshot?.get("organisationId")?.as_str().map(str::to_owned)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let (select, update, subject) = match backend {
            DatabaseBackend::Postgres => (
                r#"SELECT "id", "entity_type", "entity_id", CAST("before" AS TEXT) AS "before", CAST("after" AS TEXT) AS "after" FROM "audit_event" WHERE "id" > $1 ORDER BY "id" LIMIT $2"#,
                r#"UPDATE "audit_event" SET "before" = CAST($1 AS JSON), "after" = CAST($2 AS JSON), "owner_organisation_id" = $3 WHERE "id" = $4"#,
                r#"INSERT INTO "audit_event_subject" ("subject_id", "event_id") VALUES ($1, $2) ON CONFLICT DO NOTHING"#,
            ),
            _ => (
                r#"SELECT "id", "entity_type", "entity_id", "before", "after" FROM "audit_event" WHERE "id" > ? ORDER BY "id" LIMIT ?"#,
                r#"UPDATE "audit_event" SET "before" = ?, "after" = ?, "owner_organisation_id" = ? WHERE "id" = ?"#,
                r#"INSERT INTO "audit_event_subject" ("subject_id", "event_id") VALUES (?, ?) ON CONFLICT DO NOTHING"#,
            ),
        };
        let mut last = String::new();
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    select,
                    [DbValue::from(last.clone()), DbValue::from(BATCH as i64)],
                ))
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in &rows {
                let id: String = row.try_get("", "id")?;
                let entity_type: String = row.try_get("", "entity_type")?;
                let entity_id: String = row.try_get("", "entity_id")?;
                let parse = |col: &str| -> Result<Option<Value>, DbErr> {
                    let text: Option<String> = row.try_get("", col)?;
                    text.map(|t| {
                        serde_json::from_str::<Value>(&t)
                            .map_err(|e| DbErr::Migration(format!("audit event {id}: {e}")))
                    })
                    .transpose()
                };
                let before = parse("before")?.map(|v| convert(&entity_type, v));
                let after = parse("after")?.map(|v| convert(&entity_type, v));
                let owner = owner(after.as_ref()).or_else(|| owner(before.as_ref()));
                let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    update,
                    [
                        DbValue::from(text(&before)),
                        DbValue::from(text(&after)),
                        DbValue::from(owner),
                        DbValue::from(id.clone()),
                    ],
                ))
                .await?;
                if entity_type == "ContactPerson" {
                    db.execute_raw(Statement::from_sql_and_values(
                        backend,
                        subject,
                        [DbValue::from(entity_id), DbValue::from(id.clone())],
                    ))
                    .await?;
                }
                last = id;
            }
        }
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Views are a superset of the old information less two internal columns; there is
        // nothing to restore them to that readers could use.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_rows_become_views() {
        let company = convert(
            "Company",
            json!({ "id": "c", "municipality_code": "101", "created_at": "t" }),
        );
        assert_eq!(
            company,
            json!({ "id": "c", "municipalityCode": "101", "createdAt": "t",
                    "__typename": "Company", "__version": 1 })
        );
        let outcome = convert(
            "Activity",
            json!({ "activity": { "id": "a", "organisation_id": "jc-101", "visibility": "ORGANISATION",
                                  "summary": "s", "contact_at": "t" },
                    "agreements": [{ "id": "g", "note": "n" }],
                    "followUps": [{ "id": "f", "due_on": "2026-01-01" }] }),
        );
        assert_eq!(outcome["__typename"], "Activity");
        assert_eq!(outcome["organisationId"], "jc-101");
        assert!(outcome.get("contactAt").is_none());
        assert_eq!(outcome["agreements"][0]["__typename"], "Agreement");
        assert_eq!(
            outcome["agreements"][0]["activityVisibility"],
            "ORGANISATION"
        );
        assert_eq!(outcome["followUps"][0]["dueOn"], "2026-01-01");
        assert_eq!(owner(Some(&outcome)).as_deref(), Some("jc-101"));
        let typed = json!({ "__typename": "Company", "id": "c" });
        assert_eq!(convert("Company", typed.clone()), typed);
    }
}
