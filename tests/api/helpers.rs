//! The test harness: a real server on a random port against a fresh database, spoken to over
//! HTTP. SQLite always; PostgreSQL when KONTAKTPUNKT_TEST_POSTGRES_URL is set (a database per
//! test, dropped afterwards).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Once;

use api::app::Application;
use api::auth::{Role, mint_token};
use api::config::{Config, KeyMode};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

pub const POSTGRES_ENV: &str = "KONTAKTPUNKT_TEST_POSTGRES_URL";
pub const TEST_SECRET: &str = "kontaktpunkt-test-secret-0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(app: TestApp)` on SQLite and on PostgreSQL.
///
/// `db_tests!(config = customize; a, b)` spawns the apps with `fn customize(&mut Config)` of
/// the calling module applied to the test configuration.
#[macro_export]
macro_rules! db_tests {
    (config = $config:ident; $($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, super::$config).await;
                    super::$test(app.expect("SQLite is always available")).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, super::$config).await {
                        super::$test(app).await;
                    }
                }
            }
        )+
    };
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$test(app.expect("SQLite is always available")).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$test(app).await;
                    }
                }
            }
        )+
    };
}

static SKIP_NOTICE: Once = Once::new();

/// The admin URL of the test PostgreSQL, or one visible line saying PostgreSQL was skipped.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            SKIP_NOTICE.call_once(|| {
                // Written to the real stderr (not the captured test output) so it is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL was skipped: {POSTGRES_ENV} is not set; the tests ran on SQLite only ***\n"
                );
            });
            None
        }
    }
}

pub fn test_config() -> Config {
    let vars = [
        ("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET),
        ("KONTAKTPUNKT_LISTEN", "127.0.0.1:0"),
    ];
    Config::from_lookup(
        |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        },
        KeyMode::Required,
    )
    .expect("test config")
}

/// A database that exists for one test and is removed when dropped (even after a panic).
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Option<Self> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("kontaktpunkt-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{id}.db"));
                Some(TestDatabase {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("kp_test_{id}");
                let admin = connect_db(&admin_url)
                    .await
                    .expect("connect to KONTAKTPUNKT_TEST_POSTGRES_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = reqwest::Url::parse(&admin_url).expect("postgres url");
                url.set_path(&format!("/{name}"));
                Some(TestDatabase {
                    url: url.to_string(),
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(p));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // A runtime of its own: this may run while the test's runtime shuts down.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async move {
                        if let Ok(admin) = connect_db(&admin_url).await {
                            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                            if let Err(e) = admin.execute_unprepared(&sql).await {
                                eprintln!("could not drop test database {name}: {e}");
                            }
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
                if dropped.is_err() {
                    eprintln!("dropping a test database panicked");
                }
            }
        }
    }
}

/// The tables of the company record (everything but reference data and migrations).
pub const COMPANY_RECORD_TABLES: [&str; 7] = [
    "company",
    "production_unit",
    "contact_person",
    "activity",
    "agreement",
    "follow_up",
    "audit_event",
];

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub config: Config,
    #[allow(dead_code)] // read by tests that differ per backend
    pub backend: Backend,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    // Dropped last: the server lets go of the database first.
    _db: TestDatabase,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(
    backend: Backend,
    customize: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    init_test_logging();
    let db = TestDatabase::create(backend).await?;
    let mut config = test_config();
    config.database_url = db.url.clone();
    customize(&mut config);
    // The server runs on a runtime of its own thread, as in production: a request stuck in
    // CPU work (a regression) fails its test by timeout instead of holding the test's runtime,
    // and the test process can still exit.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let server_config = config.clone();
    std::thread::Builder::new()
        .name("test-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let app = Application::build(&server_config)
                    .await
                    .expect("application builds");
                let _ = ready_tx.send(app.local_addr());
                let _ = app
                    .run(async {
                        let _ = rx.await;
                    })
                    .await;
            });
            runtime.shutdown_background();
        })
        .expect("server thread");
    let addr = ready_rx.await.expect("the server started");
    Some(TestApp {
        addr,
        client: reqwest::Client::new(),
        config,
        backend,
        shutdown: Some(tx),
        _db: db,
    })
}

fn init_test_logging() {
    static LOGGING: Once = Once::new();
    LOGGING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            api::telemetry::init("debug,sqlx=warn");
        }
    });
}

impl TestApp {
    pub fn database_url(&self) -> &str {
        &self._db.url
    }

    /// A connection of its own to the server's database, for checks and set-up.
    pub async fn db(&self) -> sea_orm::DatabaseConnection {
        connect_db(self.database_url())
            .await
            .expect("connect to the test database")
    }

    /// Rows per table of the company record, read straight from the database.
    pub async fn row_counts(&self) -> std::collections::BTreeMap<&'static str, i64> {
        let db = self.db().await;
        let mut out = std::collections::BTreeMap::new();
        for table in COMPANY_RECORD_TABLES {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await
                .expect("count")
                .expect("row");
            out.insert(table, row.try_get::<i64>("", "n").expect("n"));
        }
        db.close().await.ok();
        out
    }

    /// A digest of every row of every table (except the migration bookkeeping), read straight
    /// from the database: equal digests mean nothing was inserted, deleted or updated in place.
    /// Generic over the schema, so a table added later is covered without touching this.
    /// The value is `"<rows>:<hash>"`, so a failing comparison also shows the row counts.
    pub async fn table_digests(&self) -> std::collections::BTreeMap<String, String> {
        use std::hash::{Hash as _, Hasher as _};

        let db = self.db().await;
        let backend = db.get_database_backend();
        let texts = |sql: String| {
            let db = &db;
            async move {
                db.query_all_raw(sea_orm::Statement::from_string(backend, sql.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .into_iter()
                    .map(|row| row.try_get::<String>("", "t").expect("text column t"))
                    .collect::<Vec<String>>()
            }
        };
        let tables = match self.backend {
            Backend::Sqlite => {
                texts(
                    "SELECT name AS t FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
                        .into(),
                )
                .await
            }
            Backend::Postgres => texts(
                "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = current_schema() \
                     AND tablename <> 'seaql_migrations' ORDER BY tablename"
                    .into(),
            )
            .await,
        };
        for expected in COMPANY_RECORD_TABLES {
            assert!(
                tables.iter().any(|t| t == expected),
                "table {expected} missing from the database: {tables:?}"
            );
        }
        let mut out = std::collections::BTreeMap::new();
        for table in tables {
            let rows = match self.backend {
                Backend::Sqlite => {
                    let columns = texts(format!(
                        "SELECT name AS t FROM pragma_table_info('{table}') ORDER BY cid"
                    ))
                    .await;
                    let row = columns
                        .iter()
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join(" || ',' || ");
                    texts(format!("SELECT {row} AS t FROM \"{table}\" ORDER BY 1")).await
                }
                Backend::Postgres => {
                    texts(format!("SELECT r::text AS t FROM \"{table}\" r ORDER BY 1")).await
                }
            };
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            rows.hash(&mut hasher);
            out.insert(table, format!("{}:{:016x}", rows.len(), hasher.finish()));
        }
        db.close().await.ok();
        out
    }

    /// POST /graphql returning the body and the response's x-request-id.
    pub async fn gql_with_request_id(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (Value, String) {
        let resp = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        let id = resp.headers()["x-request-id"]
            .to_str()
            .expect("id")
            .to_owned();
        (resp.json().await.expect("json"), id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A valid token for `sub` at `org` with `roles`.
    pub fn token(&self, sub: &str, org: &str, roles: &[Role]) -> String {
        mint_token(&self.config.jwt, sub, Some("Test Person"), org, roles, 600).expect("mint")
    }

    pub fn consultant(&self, org: &str) -> String {
        self.token("consultant-1", org, &[Role::Consultant])
    }

    /// POST /graphql with a token; returns status and JSON body.
    pub async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body = resp.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// `data` of a request that must succeed without errors.
    pub async fn gql_ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(Some(token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The first error's `extensions.code`.
    pub async fn gql_error_code(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> String {
        let (_, body) = self.gql(token, query, variables).await;
        first_error_code(&body).unwrap_or_else(|| panic!("expected an error: {body}"))
    }

    /// The text of /metrics.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Value of a counter in /metrics (sum over its label sets).
    pub async fn metric(&self, name: &str) -> f64 {
        metric_value(&self.metrics_text().await, name)
    }

    /// Value of one sample in /metrics, named with its labels as the text shows them
    /// (`name{label="value"}`).
    pub async fn metric_sample(&self, sample: &str) -> f64 {
        self.metrics_text()
            .await
            .lines()
            .filter_map(|l| {
                l.strip_prefix(sample)?
                    .strip_prefix(' ')?
                    .parse::<f64>()
                    .ok()
            })
            .sum()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn first_error_code(body: &Value) -> Option<String> {
    body.pointer("/errors/0/extensions/code")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Sums the samples of one metric in Prometheus text format.
pub fn metric_value(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A file or directory under the test temp folder, removed when dropped (even after a panic).
pub struct TempPath(pub PathBuf);

impl TempPath {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join("kontaktpunkt-tests");
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempPath(dir.join(format!("{name}-{}", uuid::Uuid::now_v7())))
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A connection beside the server's, for checks and set-up, with the server's pool options: a
/// pool with sea-orm's defaults runs sqlx's idle reaper, which can spin forever on a runtime
/// worker (sqlx issue #3645) and then hangs the test at its runtime's shutdown (seen:
/// `matrix::delete_activity::sqlite` at 100 % CPU for ten minutes).
pub async fn connect_db(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    api::db::connect_pool(url, &api::config::PoolSettings::defaults(), None).await
}
