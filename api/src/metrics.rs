//! Prometheus metrics of one running service (its own registry, so several servers in one
//! process, as in the test suite, never mix their counts).

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub graphql_errors: IntCounterVec,
    pub sql_statements: IntCounter,
    pub sql_failures: IntCounter,
    pub sql_duration: Histogram,
    pub document_cache: IntCounterVec,
    pub validations: IntCounterVec,
    pub db_connections_opened: IntCounter,
    pub graphql_executions: IntCounter,
    pub db_reads_at_once: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("kontaktpunkt".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )?;
        let sql_statements = IntCounter::new(
            "sql_statements_total",
            "SQL statements executed against the database",
        )?;
        let sql_failures = IntCounter::new(
            "sql_statement_failures_total",
            "SQL statements that returned an error",
        )?;
        let sql_duration = Histogram::with_opts(
            HistogramOpts::new("sql_statement_duration_seconds", "SQL statement latency").buckets(
                vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
            ),
        )?;
        let document_cache = IntCounterVec::new(
            Opts::new(
                "graphql_document_cache_total",
                "GraphQL documents by whether their parse and cost check came from the cache",
            ),
            &["outcome"],
        )?;
        let validations = IntCounterVec::new(
            Opts::new(
                "graphql_validations_total",
                "GraphQL requests by how async-graphql validated them: strict (every rule), or \
                 revalidated (a document that passed before, with new variables)",
            ),
            &["mode"],
        )?;
        let db_connections_opened = IntCounter::new(
            "db_connections_opened_total",
            "database connections the pool opened (steady under load when the pool stays warm)",
        )?;
        let graphql_executions = IntCounter::new(
            "graphql_executions_total",
            "GraphQL executions that ran to their end (answered, or finished after the client left)",
        )?;
        let db_reads_at_once = IntGauge::new(
            "db_reads_at_once",
            "reads outside transactions the server runs on PostgreSQL at once at most \
             (DATABASE_READS_AT_ONCE; 0 without a bound: SQLite)",
        )?;
        registry.register(Box::new(db_reads_at_once.clone()))?;
        registry.register(Box::new(graphql_executions.clone()))?;
        registry.register(Box::new(document_cache.clone()))?;
        registry.register(Box::new(validations.clone()))?;
        registry.register(Box::new(db_connections_opened.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(graphql_errors.clone()))?;
        registry.register(Box::new(sql_statements.clone()))?;
        registry.register(Box::new(sql_failures.clone()))?;
        registry.register(Box::new(sql_duration.clone()))?;
        // Every code appears from the start, so dashboards see zeros rather than gaps.
        for code in crate::error::ErrorCode::ALL {
            graphql_errors.with_label_values(&[code.as_str()]);
        }
        for mode in ["strict", "revalidated"] {
            validations.with_label_values(&[mode]);
        }
        Ok(Metrics {
            registry,
            db_reads_at_once,
            http_requests,
            http_duration,
            graphql_errors,
            sql_statements,
            sql_failures,
            sql_duration,
            document_cache,
            validations,
            db_connections_opened,
            graphql_executions,
        })
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
