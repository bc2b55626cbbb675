//! The lane (`api::db::Lane`): PostgreSQL connections kept between statements instead of going
//! back to sqlx's pool and its ping. What must hold: a statement that succeeded leaves its
//! connection in the lane; one that failed, or whose future was dropped mid-statement, gives
//! it back to the pool; the lane never holds more than its capacity, so a transaction always
//! finds a connection; statements beyond its capacity wait for the lane in turn, and one
//! waiting for the pool takes a connection of the lane that comes free first; closing the
//! database does not wait for the lane. SQLite has no lane.

use std::time::Duration;

use api::config::PoolSettings;
use api::db::{self, Db, Lane};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::db_tests;
use crate::helpers::TestApp;

const POOL: u32 = 4;

async fn connect(app: &TestApp) -> Db {
    connect_with(
        app,
        PoolSettings {
            size: Some(POOL),
            ..PoolSettings::defaults()
        },
    )
    .await
}

async fn connect_with(app: &TestApp, settings: PoolSettings) -> Db {
    db::connect(&app.config.database_url, &settings, None)
        .await
        .expect("connect")
}

fn sql(db: &Db, text: &str) -> Statement {
    Statement::from_string(db.get_database_backend(), text)
}

async fn backend_pid(db: &Db) -> i32 {
    let row = db
        .query_one_raw(sql(db, "SELECT pg_backend_pid() AS pid"))
        .await
        .expect("pid")
        .expect("a row");
    row.try_get::<i32>("", "pid").expect("pid column")
}

async fn held(db: &Db) -> (usize, usize) {
    db.lane().expect("a lane on PostgreSQL").held()
}

async fn the_lane_keeps_a_connection_only_after_its_statement_succeeded(app: TestApp) {
    let db = connect(&app).await;
    if db.get_database_backend() == DbBackend::Sqlite {
        assert!(db.lane().is_none(), "SQLite has no lane");
        let rows = db
            .query_all_raw(sql(&db, "SELECT 1"))
            .await
            .expect("select");
        assert_eq!(rows.len(), 1);
        db.close().await.expect("close");
        return;
    }
    assert_eq!(Lane::capacity_for(POOL), 3);
    assert_eq!(Lane::capacity_for(16), 12);
    assert_eq!(Lane::capacity_for(1), 0);
    // The default reads at once (twice the cores plus one) is at least the lane's three here.
    let lane = db.lane().expect("a lane");
    assert_eq!((lane.capacity(), lane.reads_at_once()), (3, 3));
    // One statement after another: the same connection, kept in the lane each time.
    let first = backend_pid(&db).await;
    for _ in 0..5 {
        assert_eq!(
            backend_pid(&db).await,
            first,
            "the lane's connection is reused"
        );
        assert_eq!(held(&db).await, (1, 1));
    }
    // query_all_raw and execute_raw take the lane too.
    db.query_all_raw(sql(&db, "SELECT generate_series(1, 3)"))
        .await
        .expect("rows");
    db.execute_raw(sql(&db, "SELECT 1")).await.expect("execute");
    assert_eq!(held(&db).await, (1, 1));
    assert_eq!(backend_pid(&db).await, first);

    // A statement that fails: its connection goes back to the pool, the error to the caller.
    let failed = db.query_one_raw(sql(&db, "SELECT 1 / 0")).await;
    let message = failed.expect_err("division by zero").to_string();
    assert!(message.contains("division by zero"), "{message}");
    assert_eq!(
        held(&db).await,
        (0, 0),
        "a failed statement's connection left the lane"
    );
    backend_pid(&db).await;
    assert_eq!(held(&db).await, (1, 1));

    // A statement whose future is dropped mid-way (a client hung up): its connection leaves
    // the lane, and the next statement is answered on a connection with nothing half-read.
    let dropped = tokio::time::timeout(
        Duration::from_millis(100),
        db.query_one_raw(sql(&db, "SELECT pg_sleep(1)::text AS slept")),
    )
    .await;
    assert!(dropped.is_err(), "the sleep was cut short");
    assert_eq!(
        held(&db).await,
        (0, 0),
        "the dropped statement's connection left the lane"
    );
    for n in 0..3 {
        let row = db
            .query_one_raw(sql(&db, &format!("SELECT {n} AS n")))
            .await
            .expect("after a dropped statement")
            .expect("a row");
        assert_eq!(row.try_get::<i32>("", "n").expect("n"), n);
    }
    assert_eq!(held(&db).await, (1, 1));
    db.close().await.expect("close");
}

async fn the_lane_never_takes_the_connections_transactions_need(app: TestApp) {
    let db = connect(&app).await;
    let Some(lane) = db.lane() else {
        db.close().await.expect("close");
        return;
    };
    let capacity = lane.capacity();
    // More statements at once than the lane may hold: all answered, the lane full.
    let statements = (0..8).map(|_| db.query_one_raw(sql(&db, "SELECT pg_sleep(0.2)::text")));
    for answer in futures::future::join_all(statements).await {
        answer.expect("answered through the lane or the pool");
    }
    assert_eq!(held(&db).await, (capacity, capacity));
    // Its idle connections are not the pool's: a transaction still gets one at once (the
    // pool's acquire timeout is ten seconds).
    let transaction = tokio::time::timeout(Duration::from_secs(3), async {
        let txn = db.begin().await.expect("begin");
        txn.query_one_raw(sql(&db, "SELECT 1"))
            .await
            .expect("in the transaction");
        txn.commit().await.expect("commit");
    })
    .await;
    assert!(transaction.is_ok(), "a transaction waited for the lane");
    // Closing does not wait for the lane's idle connections.
    let closed = tokio::time::timeout(Duration::from_secs(5), db.close()).await;
    assert!(
        matches!(closed, Ok(Ok(()))),
        "the pool closed with the lane holding connections"
    );
}

/// `transactions` transactions hold as many of the pool's connections for two seconds, while
/// `busy` statements of 0.3 s each run through the lane; one more statement, sent while they
/// run, must be answered before the transactions commit (by a connection of the lane that
/// comes free, not by one of theirs). Returns what the lane holds at the end.
async fn one_more_statement_is_served_by_the_lane(
    db: &Db,
    transactions: usize,
    busy: usize,
) -> (usize, usize) {
    let committed = std::sync::atomic::AtomicBool::new(false);
    let mut open = Vec::new();
    for _ in 0..transactions {
        let txn = db.begin().await.expect("begin");
        txn.query_one_raw(sql(db, "SELECT 1"))
            .await
            .expect("in the transaction");
        open.push(txn);
    }
    let commit = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        committed.store(true, std::sync::atomic::Ordering::SeqCst);
        for txn in open {
            txn.commit().await.expect("commit");
        }
    };
    let busy = futures::future::join_all(
        (0..busy).map(|_| db.query_one_raw(sql(db, "SELECT pg_sleep(0.3)::text"))),
    );
    let waiting = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        db.query_one_raw(sql(db, "SELECT 1"))
            .await
            .expect("answered through the lane");
        assert!(
            !committed.load(std::sync::atomic::Ordering::SeqCst),
            "the statement waited for a transaction's connection, not for the lane's"
        );
    };
    let (answers, (), ()) = tokio::join!(busy, waiting, commit);
    for answer in answers {
        answer.expect("answered through the lane");
    }
    held(db).await
}

/// A statement that finds every permit of the lane taken waits for the next one to come free,
/// not for the pool: before the lane had its own queue it waited in the pool's, for the
/// connection a transaction held, while the lane's connections came free and sat idle.
async fn a_statement_waiting_for_the_lane_gets_the_next_free_connection(app: TestApp) {
    let db = connect(&app).await;
    let Some(capacity) = db.lane().map(Lane::capacity) else {
        db.close().await.expect("close");
        return;
    };
    assert_eq!(capacity as u32, POOL - 1);
    // The pool's one connection outside the lane held by a transaction, the lane full.
    let held = one_more_statement_is_served_by_the_lane(&db, 1, capacity).await;
    assert_eq!(held, (capacity, capacity));
    db.close().await.expect("close");
}

/// A statement that holds a permit but finds no idle connection asks the pool for one more;
/// when transactions hold the rest of the pool, a connection of the lane that comes free first
/// serves it (before, it waited for a transaction to end while statements arriving later took
/// the lane's connections as they came free).
async fn a_statement_waiting_for_the_pool_takes_a_connection_the_lane_frees(app: TestApp) {
    let db = connect(&app).await;
    let Some(capacity) = db.lane().map(Lane::capacity) else {
        db.close().await.expect("close");
        return;
    };
    assert_eq!(capacity, 3);
    // Two transactions hold two of the pool's four connections, the lane the other two: one
    // permit stays free, and the pool has no connection left for its holder.
    let held = one_more_statement_is_served_by_the_lane(&db, 2, 2).await;
    assert_eq!(held, (2, 2));
    db.close().await.expect("close");
}

/// The most of `n` statements of 0.3 s, sent together through `db`, that `pg_stat_activity`
/// shows running at once (watched through the pool, not the lane, whose permits they take);
/// every one must be answered.
async fn most_running_at_once(db: &Db, n: usize, tag: &str) -> i64 {
    // A marker of these statements, so other tests' backends are not counted.
    let marker = format!("kp_at_once_{tag}_{}", std::process::id());
    let slow = format!("SELECT pg_sleep(0.3)::text AS {marker}");
    let done = std::sync::atomic::AtomicBool::new(false);
    let statements = async {
        let answers =
            futures::future::join_all((0..n).map(|_| db.query_one_raw(sql(db, &slow)))).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        answers
    };
    let watch = async {
        let mut most = 0_i64;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let row = (**db)
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT count(*) AS n FROM pg_stat_activity \
                     WHERE state = 'active' AND datname = current_database() AND query LIKE $1",
                    [format!("%AS {marker}").into()],
                ))
                .await
                .expect("pg_stat_activity")
                .expect("a row");
            most = most.max(row.try_get::<i64>("", "n").expect("n"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        most
    };
    let (answers, most) = tokio::join!(statements, watch);
    for answer in answers {
        answer.expect("answered through the lane");
    }
    most
}

/// `DATABASE_READS_AT_ONCE` bounds the reads PostgreSQL runs for the lane at once, whatever
/// the pool's size: six reads of 0.3 s sent together, with two at once, never show more than
/// two running in `pg_stat_activity` (the lane of a pool of sixteen holds twelve). Writes
/// outside transactions (`Db::for_writes`) are not bound by it: six run at once.
async fn reads_at_once_bound_what_postgresql_runs(app: TestApp) {
    let db = connect_with(
        &app,
        PoolSettings {
            size: Some(16),
            reads_at_once: Some(2),
            // Longer than the reads: each counts until it ends.
            read_turn: Duration::from_secs(10),
            ..PoolSettings::defaults()
        },
    )
    .await;
    let Some(lane) = db.lane() else {
        db.close().await.expect("close");
        return;
    };
    assert_eq!((lane.capacity(), lane.reads_at_once()), (12, 2));
    assert_eq!(
        most_running_at_once(&db, 6, "reads").await,
        2,
        "reads running at once in PostgreSQL"
    );
    assert_eq!(
        most_running_at_once(&db.for_writes(), 6, "writes").await,
        6,
        "writes running at once in PostgreSQL"
    );
    // The six writes' connections stay in the lane, as the reads' did.
    assert_eq!(held(&db).await, (6, 6));
    db.close().await.expect("close");
}

/// A read that runs longer than its turn stops counting among the reads at once: with one read
/// at once and a turn of 0.1 s, a read sent while a read of 1.5 s runs is answered before that
/// one ends (it waited for the long read's turn, not for its end).
async fn a_long_read_holds_up_the_others_for_its_turn_only(app: TestApp) {
    let db = connect_with(
        &app,
        PoolSettings {
            size: Some(16),
            reads_at_once: Some(1),
            read_turn: Duration::from_millis(100),
            ..PoolSettings::defaults()
        },
    )
    .await;
    if db.lane().is_none() {
        db.close().await.expect("close");
        return;
    }
    let long_done = std::sync::atomic::AtomicBool::new(false);
    let long = async {
        db.query_one_raw(sql(&db, "SELECT pg_sleep(1.5)::text"))
            .await
            .expect("the long read");
        long_done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let short = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        db.query_one_raw(sql(&db, "SELECT 1"))
            .await
            .expect("the short read");
        assert!(
            !long_done.load(std::sync::atomic::Ordering::SeqCst),
            "the short read waited for the long read's end"
        );
    };
    tokio::join!(long, short);
    db.close().await.expect("close");
}

db_tests!(
    a_long_read_holds_up_the_others_for_its_turn_only,
    reads_at_once_bound_what_postgresql_runs,
    the_lane_keeps_a_connection_only_after_its_statement_succeeded,
    the_lane_never_takes_the_connections_transactions_need,
    a_statement_waiting_for_the_lane_gets_the_next_free_connection,
    a_statement_waiting_for_the_pool_takes_a_connection_the_lane_frees,
);
