//! Building and running the service: one `Application` for the binary and the tests alike.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::TokenVerifier;
use crate::config::{Config, ConfigError};
use crate::db;
use crate::graphql;
use crate::http::{self, AppState};
use crate::metrics::Metrics;

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
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: DatabaseConnection,
    addr: SocketAddr,
}

impl Application {
    /// Connects, migrates (schema and reference data), builds the schema and binds the port
    /// (`:0` picks a free one, as the tests do).
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let verifier = Arc::new(TokenVerifier::from_config(&config.jwt)?);
        let metrics = Arc::new(Metrics::new()?);
        let db = db::connect(&config.database_url, Some(metrics.clone())).await?;
        db::migrate(&db).await?;
        let schema = graphql::build_schema(
            db.clone(),
            &config.limits,
            config.introspection,
            config.contact_cooldown_days,
        );
        let state = AppState {
            schema,
            db: db.clone(),
            verifier,
            metrics,
            graphiql: config.graphiql,
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
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes the pool.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let result = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Err(e) = self.db.close().await {
            tracing::warn!(error = %e, "closing the database pool");
        }
        result
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
