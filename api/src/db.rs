//! Database connection (SQLite or PostgreSQL), statement metrics and migrations.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::metrics::Metrics;

pub async fn connect(
    url: &str,
    metrics: Option<Arc<Metrics>>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(if url.starts_with("sqlite:") { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
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

/// Applies every pending migration (schema and reference data).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
