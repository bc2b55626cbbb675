//! The unit of work against the real databases: deferred inserts and their audit events are
//! written all or nothing (on PostgreSQL as one statement, inside the transaction or, for a
//! lazy unit of work, without one), and a statement in the unit of work sees the rows
//! deferred before it.

use api::auth::policy::Action;
use api::auth::{Actor, Role};
use api::db::Db;
use api::service::uow::{UnitOfWork, WriteContext, new_id};
use chrono::Utc;
use entity::{audit_event, company};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db_tests;
use crate::fixtures::valid_cvr;
use crate::helpers::TestApp;

fn context() -> WriteContext {
    WriteContext {
        actor: Actor {
            sub: "uow-test".into(),
            name: None,
            organisation_id: "jc-101".into(),
            roles: vec![Role::Consultant],
        },
        request_id: new_id(),
        client_request_id: None,
    }
}

fn row(cvr: &str) -> company::Model {
    let now = Utc::now();
    company::Model {
        id: new_id(),
        cvr: cvr.into(),
        name: format!("Deferred {cvr}"),
        name_search: format!("deferred {cvr}"),
        industry_code: None,
        municipality_code: Some("101".into()),
        address: None,
        postal_code: None,
        employees: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// (companies, audit events) stored for these rows.
async fn stored(db: &Db, rows: &[&company::Model]) -> (usize, usize) {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let companies = company::Entity::find()
        .filter(company::Column::Id.is_in(ids.clone()))
        .all(db)
        .await
        .expect("companies");
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EntityId.is_in(ids))
        .all(db)
        .await
        .expect("events");
    (companies.len(), events.len())
}

/// A unit of work allowed to register companies.
async fn begin<'a>(db: &Db, ctx: &'a WriteContext, lazy: bool) -> UnitOfWork<'a> {
    let uow = if lazy {
        UnitOfWork::begin_lazy(db, ctx).await
    } else {
        UnitOfWork::begin(db, ctx).await
    };
    let mut uow = uow.expect("begin");
    uow.authorize(&Action::RegisterCompany).expect("allowed");
    uow
}

async fn deferred_inserts_are_written_all_or_nothing(app: TestApp) {
    let db = api::db::connect(&app.config.database_url, &app.config.pool, None)
        .await
        .expect("connect");
    for lazy in [true, false] {
        deferred_inserts(&db, lazy).await;
    }
    db.close().await.ok();
}

async fn deferred_inserts(db: &Db, lazy: bool) {
    let db = db.clone();
    let ctx = context();
    let defer = |uow: &mut UnitOfWork<'_>, row: &company::Model| {
        uow.defer(company::Entity::insert(company::ActiveModel::from(
            row.clone(),
        )));
        uow.created("company.registered", row).expect("record");
    };

    // The third row repeats the first one's CVR: its insert fails, and takes the two rows
    // before it and all three audit events with it.
    let (a, b) = (row(&valid_cvr()), row(&valid_cvr()));
    let clash = row(&a.cvr);
    let mut uow = begin(&db, &ctx, lazy).await;
    for r in [&a, &b, &clash] {
        defer(&mut uow, r);
    }
    assert!(uow.commit().await.is_err(), "a unique CVR twice must fail");
    assert_eq!(stored(&db, &[&a, &b, &clash]).await, (0, 0), "lazy: {lazy}");

    // Without the clash both rows and both events are written.
    let mut uow = begin(&db, &ctx, lazy).await;
    defer(&mut uow, &a);
    defer(&mut uow, &b);
    uow.commit().await.expect("commit");
    assert_eq!(stored(&db, &[&a, &b]).await, (2, 2), "lazy: {lazy}");

    // A read after a deferred insert sees the row (the insert runs first, in the transaction);
    // a unit of work dropped without commit writes neither, a committed one the row once,
    // with one event.
    let c = row(&valid_cvr());
    for commit in [false, true] {
        let mut uow = begin(&db, &ctx, lazy).await;
        defer(&mut uow, &c);
        let seen = company::Entity::find_by_id(c.id.clone())
            .one(uow.conn())
            .await
            .expect("read");
        assert_eq!(seen.map(|s| s.cvr), Some(c.cvr.clone()));
        let expected = if commit {
            uow.commit().await.expect("commit");
            (1, 1)
        } else {
            drop(uow);
            (0, 0)
        };
        assert_eq!(stored(&db, &[&c]).await, expected, "lazy: {lazy}");
    }
}

db_tests!(deferred_inserts_are_written_all_or_nothing);

/// `commit_reading` answers its read as the database stood before the unit of work's writes
/// (on PostgreSQL in the statement that writes them, on SQLite before them in the
/// transaction), and a row referring to a record that is not there (a foreign key) comes
/// back as `None` with nothing written.
async fn commit_reading_answers_as_before_the_write(app: TestApp) {
    let db = api::db::connect(&app.config.database_url, &app.config.pool, None)
        .await
        .expect("connect");
    let ctx = context();
    for lazy in [true, false] {
        let read = |id: &str| {
            sea_orm::sea_query::Query::select()
                .column(company::Column::Id)
                .from(company::Entity)
                .and_where(company::Column::Id.eq(id))
                .to_owned()
        };
        let ok = row(&valid_cvr());
        let mut uow = begin(&db, &ctx, lazy).await;
        uow.defer(company::Entity::insert(company::ActiveModel::from(
            ok.clone(),
        )));
        uow.created("company.registered", &ok).expect("record");
        let rows = uow
            .commit_reading(read(&ok.id))
            .await
            .expect("commit")
            .expect("every reference is there");
        assert!(
            rows.is_empty(),
            "the read saw the row it wrote (lazy: {lazy})"
        );
        assert_eq!(stored(&db, &[&ok]).await, (1, 1), "lazy: {lazy}");

        // A company in a municipality that does not exist is refused by its foreign key, and
        // neither it nor its event is written.
        let mut missing = row(&valid_cvr());
        missing.municipality_code = Some("999".into());
        let mut uow = begin(&db, &ctx, lazy).await;
        uow.defer(company::Entity::insert(company::ActiveModel::from(
            missing.clone(),
        )));
        uow.created("company.registered", &missing).expect("record");
        let refused = uow.commit_reading(read(&ok.id)).await.expect("no error");
        assert!(refused.is_none(), "a missing reference (lazy: {lazy})");
        assert_eq!(stored(&db, &[&missing]).await, (0, 0), "lazy: {lazy}");
    }
    db.close().await.ok();
}

db_tests!(commit_reading_answers_as_before_the_write);
