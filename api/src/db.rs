//! Database connection (SQLite or PostgreSQL), statement metrics and migrations.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::PoolSettings;
use crate::metrics::Metrics;

pub async fn connect(
    url: &str,
    pool: &PoolSettings,
    metrics: Option<Arc<Metrics>>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(pool.size_for(url))
        .min_connections(1)
        // sqlx still pings every connection when it is returned; a ping at checkout too
        // would make every statement three round trips. Only idle connections (the ones a
        // firewall or a restarted server may have cut) are tested before use.
        .test_before_acquire_if_idle_for(pool.ping_after_idle)
        // No idle reaper and no lifetime recycling: sqlx 0.9's reaper loop reads a connection
        // count that can wrap below zero while another task takes a connection, and then spins
        // on a runtime worker forever (sqlx issue #3645, fix pending in PR #4289; seen here as
        // a test server hanging at 100 % CPU). The pool keeps at most its size open; a
        // connection idle past `ping_after_idle` is tested before use.
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if let Some(metrics) = &metrics {
        // Counted by sqlx for each connection the pool opens (sea-orm's own `after_connect`
        // runs once, after the pool is made, so it cannot show reconnects).
        let opened = metrics.db_connections_opened.clone();
        opts.map_sqlx_postgres_pool_opts(move |pool| counting_connections(pool, opened.clone()));
        let opened = metrics.db_connections_opened.clone();
        opts.map_sqlx_sqlite_pool_opts(move |pool| counting_connections(pool, opened.clone()));
    }
    let mut db = Database::connect(opts).await?;
    if let Some(metrics) = metrics {
        db.set_metric_callback(move |info| {
            metrics.sql_statements.inc();
            if info.failed {
                metrics.sql_failures.inc();
            }
            metrics.sql_duration.observe(info.elapsed.as_secs_f64());
            tracing::debug!(
                target: "kontaktpunkt::sql",
                sql = %info.statement,
                elapsed_us = info.elapsed.as_micros() as u64,
                failed = info.failed,
            );
        });
    }
    Ok(db)
}

/// `pool` with `opened` counting each connection it opens.
fn counting_connections<DB: sea_orm::sqlx::Database>(
    pool: sea_orm::sqlx::pool::PoolOptions<DB>,
    opened: prometheus::IntCounter,
) -> sea_orm::sqlx::pool::PoolOptions<DB> {
    pool.after_connect(move |_, _| {
        opened.inc();
        Box::pin(async { Ok(()) })
    })
}

/// Applies every pending migration (schema and reference data).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool runs without sqlx's idle reaper (see `connect`), with its configured size and
    /// the idle-only ping.
    #[tokio::test]
    async fn pool_runs_without_the_reaper() {
        let settings = PoolSettings {
            size: Some(3),
            ping_after_idle: Duration::from_secs(7),
        };
        let db = connect("sqlite::memory:", &settings, None)
            .await
            .expect("in-memory SQLite");
        let options = db.get_sqlite_connection_pool().options();
        assert_eq!(options.get_idle_timeout(), None);
        assert_eq!(options.get_max_lifetime(), None);
        assert_eq!(options.get_max_connections(), 3);
        assert!(!options.get_test_before_acquire());
        db.close().await.ok();
    }
}
