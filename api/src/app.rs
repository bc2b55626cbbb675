//! Building and running the service: one `Application` for the binary and the tests alike.

use crate::db::Db;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sea_orm::DbBackend;
use tokio::net::TcpListener;

use crate::auth::TokenVerifier;
use crate::config::{Config, ConfigError};
use crate::db;
use crate::graphql;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::service::reference::Catalogue;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("reference data: {0}")]
    Reference(String),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
    addr: SocketAddr,
    header_read_timeout: std::time::Duration,
}

impl Application {
    /// Connects, migrates (schema and reference data), builds the schema and binds the port
    /// (`:0` picks a free one, as the tests do).
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let verifier = Arc::new(TokenVerifier::from_config(&config.jwt)?);
        let metrics = Arc::new(Metrics::new()?);
        let db = db::connect(&config.database_url, &config.pool, Some(metrics.clone())).await?;
        db::migrate(&db).await?;
        metrics.db_reads_at_once.set(db.lane().map_or(0, |lane| {
            i64::try_from(lane.reads_at_once()).unwrap_or(i64::MAX)
        }));
        let catalogue = Catalogue::load(&db)
            .await
            .map_err(|e| StartupError::Reference(e.to_string()))?;
        let schemas = graphql::build_schemas(
            db.clone(),
            catalogue.clone(),
            &config.limits,
            config.introspection,
            config.contact_cooldown_days,
        );
        let state = AppState {
            schemas,
            db: db.clone(),
            catalogue,
            limits: config.limits.clone(),
            verifier,
            metrics,
            graphiql: config.graphiql,
            documents: Arc::new(crate::graphql::shield::DocumentCache::new(
                crate::graphql::shield::DocumentCache::DEFAULT_CAPACITY,
            )),
        };
        let router = http::router(state, &config.limits);
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartupError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: config.listen,
                source,
            })?;
        Ok(Application {
            listener,
            router,
            db,
            addr,
            header_read_timeout: config.limits.header_read_timeout,
        })
    }

    /// Opens the database pool's connections before serving (PostgreSQL). Otherwise a burst
    /// of clients right after a start waits for one login (SCRAM) per connection the pool
    /// opens on demand: up to 1.4 s was measured with 16 clients. Returns how many
    /// connections the pool held; a connection that fails here is opened on demand later, as
    /// before.
    pub async fn warm_pool(&self, size: u32) -> usize {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return 0;
        }
        let pool = self.db.get_postgres_connection_pool();
        let held = futures::future::join_all((0..size).map(|_| pool.acquire())).await;
        held.iter().filter(|c| c.is_ok()).count()
    }

    /// How many reads outside transactions run on the database at once at most
    /// (`DATABASE_READS_AT_ONCE`; `None` without a lane: SQLite, or a pool of one).
    pub fn reads_at_once(&self) -> Option<usize> {
        self.db.lane().map(crate::db::Lane::reads_at_once)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    ///
    /// The accept loop is hyper's HTTP/1.1 server with a header read timeout: a client that
    /// sends its headers slowly (or not at all) is disconnected after
    /// `KONTAKTPUNKT_HEADER_READ_TIMEOUT_SECS` instead of holding a connection open.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        Err(e) => {
                            // Out of file descriptors and the like: wait a moment, go on.
                            tracing::warn!(error = %e, "accepting a connection");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let service = TowerToHyperService::new(self.router.clone());
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(self.listener);
        graceful.shutdown().await;
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool");
        }
        Ok(())
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (docker stop, Kubernetes).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
