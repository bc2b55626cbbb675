//! The binary as an operator uses it: configuration errors, `token`, `print-schema`,
//! `serve --dev` on a fresh directory, PostgreSQL via DATABASE_URL, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use api::auth::TokenVerifier;
use serde_json::{Value, json};

use crate::fixtures::valid_cvr;
use crate::helpers::{Backend, TEST_SECRET, TempPath, TestDatabase, test_config};

const BIN: &str = env!("CARGO_BIN_EXE_kontaktpunkt");

fn command(vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn run(vars: &[(&str, &str)], args: &[&str]) -> Output {
    command(vars).args(args).output().expect("run binary")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serve_refuses_to_start_without_a_key() {
    let out = run(&[], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    assert!(err.contains("KONTAKTPUNKT_JWT_SECRET"), "{err}");
}

#[test]
fn a_bad_value_stops_the_process_naming_the_variable() {
    for (var, value) in [
        ("KONTAKTPUNKT_LISTEN", "everywhere"),
        ("CONTACT_COOLDOWN_DAYS", "two weeks"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("KONTAKTPUNKT_JWT_SECRET", "too-short"),
        ("KONTAKTPUNKT_JWT_PUBLIC_KEYS", "/does/not/exist.pem"),
    ] {
        let mut vars = vec![(var, value)];
        if !var.starts_with("KONTAKTPUNKT_JWT") {
            vars.push(("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET));
        }
        let out = run(&vars, &["serve"]);
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{var}: {err}");
        assert!(err.contains(var), "{var}: {err}");
    }
}

#[test]
fn an_unparsable_public_key_file_is_a_config_error() {
    let tmp = TempPath::new("bad.pem");
    let path = tmp.0.clone();
    std::fs::write(&path, "hello").expect("write");
    let out = run(
        &[("KONTAKTPUNKT_JWT_PUBLIC_KEYS", path.to_str().expect("utf8"))],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("KONTAKTPUNKT_JWT_PUBLIC_KEYS"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn token_command_mints_a_verifiable_token() {
    let out = run(
        &[("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET)],
        &[
            "token",
            "--sub",
            "u7",
            "--org",
            "jc-751",
            "--roles",
            "consultant,coordinator",
            "--ttl",
            "120",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8(out.stdout).expect("utf8");
    let actor = TokenVerifier::from_config(&test_config().jwt)
        .expect("verifier")
        .verify(token.trim())
        .expect("valid token");
    assert_eq!(actor.sub, "u7");
    assert_eq!(actor.organisation_id, "jc-751");
    assert_eq!(actor.roles.len(), 2);

    let bad_role = run(
        &[("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET)],
        &[
            "token", "--sub", "u7", "--org", "jc-751", "--roles", "wizard",
        ],
    );
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(stderr(&bad_role).contains("wizard"));
    let bad_org = run(
        &[("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET)],
        &[
            "token",
            "--sub",
            "u7",
            "--org",
            "jc-999",
            "--roles",
            "consultant",
        ],
    );
    assert_eq!(bad_org.status.code(), Some(2));
    let no_secret = run(
        &[],
        &[
            "token",
            "--sub",
            "u7",
            "--org",
            "jc-751",
            "--roles",
            "consultant",
        ],
    );
    assert_eq!(no_secret.status.code(), Some(2));
}

#[test]
fn committed_schema_matches_the_binary() {
    let out = run(&[], &["print-schema"]);
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).expect("utf8");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    assert!(
        printed == committed,
        "schema.graphql differs from `kontaktpunkt print-schema`; run `cargo run -- print-schema > schema.graphql` and review the diff"
    );
}

/// A running `kontaktpunkt serve` process, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
    stdout: Vec<String>,
    // Kept open while the server runs: a closed pipe is not what an operator's terminal does.
    _stdout_reader: Option<BufReader<std::process::ChildStdout>>,
    /// The log lines (stderr) written after the one that named the address.
    log: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(dir: &std::path::Path, vars: &[(&str, &str)], args: &[&str]) -> Server {
        let mut child = command(vars)
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The address is printed in the log line (stderr); in dev mode also on stdout.
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut base = None;
        while base.is_none() && Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
                && let Ok(v) = serde_json::from_str::<Value>(&line)
                && let Some(addr) = v["addr"].as_str()
            {
                base = Some(format!("http://{addr}"));
            }
        }
        let base = base.expect("server printed its address");
        Server {
            child,
            base,
            stdout: Vec::new(),
            _stdout_reader: None,
            log: rx,
        }
    }

    /// `serve --dev` in a fresh directory `tmp` (the SQLite file is created there), on a free
    /// port, with `vars` besides.
    fn dev(tmp: &TempPath, vars: &[(&str, &str)]) -> Server {
        std::fs::create_dir_all(&tmp.0).expect("dir");
        let mut all = vec![("KONTAKTPUNKT_LISTEN", "127.0.0.1:0")];
        all.extend_from_slice(vars);
        Server::start(&tmp.0, &all, &["serve", "--dev"])
    }

    /// The token `serve --dev` prints (after reading its banner).
    fn dev_token(&mut self) -> String {
        self.read_stdout_until("export KONTAKTPUNKT_JWT_SECRET");
        self.stdout
            .iter()
            .position(|l| l.starts_with("Bearer token"))
            .and_then(|i| self.stdout.get(i + 1))
            .expect("token printed")
            .trim()
            .to_owned()
    }

    /// Log lines until one for which `found` holds (or 20 s pass); every line must be JSON.
    fn log_until(&self, found: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = self.log.recv_timeout(Duration::from_millis(200)) {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
                if found(&v) {
                    return Some(v);
                }
            }
        }
        None
    }

    fn read_stdout_until(&mut self, marker: &str) {
        let stdout = self.child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let done = line.contains(marker);
            self.stdout.push(line.trim_end().to_owned());
            line.clear();
            if done {
                break;
            }
        }
        self._stdout_reader = Some(reader);
    }

    fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's own id of a request (`x-server-request-id`), which its log lines carry.
fn server_request_id(response: &reqwest::Response) -> String {
    response.headers()["x-server-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

async fn me(base: &str, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { sub organisation { name } } }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_dev_on_a_fresh_directory() {
    let tmp = TempPath::new("fresh");
    let mut server = Server::dev(&tmp, &[]);
    let token_line = server.dev_token();
    let printed = server.stdout.join("\n");
    assert!(
        printed.contains(&format!("{}/graphql", server.base)),
        "{printed}"
    );
    assert!(
        tmp.0.join("kontaktpunkt.db").exists(),
        "SQLite file created in the working directory"
    );

    let body = me(&server.base, &token_line).await;
    assert_eq!(body["data"]["me"]["sub"], "dev", "{body}");
    assert_eq!(
        body["data"]["me"]["organisation"]["name"],
        "Jobservice Danmark"
    );
    let page = reqwest::get(format!("{}/graphql", server.base))
        .await
        .expect("graphiql");
    assert!(
        page.text()
            .await
            .expect("html")
            .to_lowercase()
            .contains("graphiql")
    );

    assert_eq!(server.terminate(), Some(0), "SIGTERM shuts down cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_binary_runs_on_postgresql() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let dir = std::env::temp_dir().join("kontaktpunkt-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("KONTAKTPUNKT_JWT_SECRET", TEST_SECRET),
        ("KONTAKTPUNKT_LISTEN", "127.0.0.1:0"),
        ("DATABASE_POOL_SIZE", "4"),
        ("DATABASE_READS_AT_ONCE", "2"),
    ];
    let migrate = run(&vars, &["migrate"]);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let mut server = Server::start(&dir, &vars, &["serve"]);
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    let token = run(
        &vars,
        &[
            "token",
            "--sub",
            "pg",
            "--org",
            "jc-101",
            "--roles",
            "consultant",
        ],
    );
    let token = String::from_utf8(token.stdout).expect("utf8");
    let body = me(&server.base, token.trim()).await;
    assert_eq!(
        body["data"]["me"]["organisation"]["name"], "Jobcenter København",
        "{body}"
    );
    // The pool opened all its connections before serving (a burst of clients right after a
    // start would otherwise wait for each login), and no more since.
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let opened: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("kontaktpunkt_db_connections_opened_total "))
        .collect();
    assert_eq!(
        opened,
        ["kontaktpunkt_db_connections_opened_total 4"],
        "{metrics}"
    );
    // DATABASE_READS_AT_ONCE reached the lane (three quarters of the pool would be 3).
    assert!(
        metrics
            .lines()
            .any(|l| l == "kontaktpunkt_db_reads_at_once 2"),
        "{metrics}"
    );
    assert_eq!(server.terminate(), Some(0));
}

/// The `environment:` of one service in docker-compose.yml, with `${VAR:-default}` resolved to
/// its default and `${VAR:?message}` to `required` (no YAML library needed for this shape).
fn compose_environment(service: &str, required: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.yml"))
        .expect("docker-compose.yml");
    let mut in_service = false;
    let mut in_env = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if indent == 2 {
            in_service = trimmed == format!("{service}:");
            in_env = false;
        } else if in_service && indent == 4 {
            in_env = trimmed == "environment:";
        } else if in_service && in_env && indent == 6 {
            let (key, value) = trimmed.split_once(':').expect("KEY: value");
            out.push((key.trim().to_owned(), resolve(value.trim(), required)));
        }
    }
    out
}

fn resolve(value: &str, required: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let expr = &rest[start + 2..end];
        if let Some((_, default)) = expr.split_once(":-") {
            out.push_str(default);
        } else if expr.contains(":?") {
            out.push_str(required);
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_compose_settings_run_natively() {
    let api = compose_environment("api", TEST_SECRET);
    let db = compose_environment("db", TEST_SECRET);
    let get = |list: &[(String, String)], k: &str| {
        list.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} missing in docker-compose.yml"))
    };
    // Every variable the api gets is one Kontaktpunkt reads (or RUST_LOG).
    for (k, _) in &api {
        assert!(
            k == "RUST_LOG" || api::config::VARIABLES.iter().any(|(name, _)| name == k),
            "docker-compose.yml sets {k}, which Kontaktpunkt does not read"
        );
    }
    // The api's DATABASE_URL points at the db service with its credentials.
    let url = reqwest::Url::parse(&get(&api, "DATABASE_URL")).expect("DATABASE_URL");
    assert_eq!(url.scheme(), "postgres");
    assert_eq!(url.host_str(), Some("db"));
    assert_eq!(url.username(), get(&db, "POSTGRES_USER"));
    assert_eq!(url.password(), Some(get(&db, "POSTGRES_PASSWORD").as_str()));
    assert_eq!(url.path(), format!("/{}", get(&db, "POSTGRES_DB")));
    // The listen port is the one the Dockerfile exposes.
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile"))
        .expect("Dockerfile");
    let port = get(&api, "KONTAKTPUNKT_LISTEN")
        .rsplit(':')
        .next()
        .expect("port")
        .to_owned();
    assert!(
        dockerfile.contains(&format!("EXPOSE {port}")),
        "Dockerfile exposes {port}"
    );

    // The same settings, natively: only the database host and the port differ.
    let Some(test_db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let mut vars: Vec<(String, String)> = api
        .into_iter()
        .filter(|(k, _)| k != "DATABASE_URL" && k != "KONTAKTPUNKT_LISTEN")
        .collect();
    vars.push(("DATABASE_URL".into(), test_db.url.clone()));
    vars.push(("KONTAKTPUNKT_LISTEN".into(), "127.0.0.1:0".into()));
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = std::env::temp_dir().join("kontaktpunkt-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let mut server = Server::start(&dir, &refs, &["serve"]);
    // What the compose health check asks.
    let ready = reqwest::get(format!("{}/readyz", server.base))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    assert_eq!(server.terminate(), Some(0));
}

/// What an operator's log shipper reads: one JSON object a line on stderr. The access line and
/// a line logged while answering carry the server's request id that the client got back, the
/// caller's own id beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_json_and_carry_the_request_id() {
    let tmp = TempPath::new("logs");
    let server = Server::dev(&tmp, &[]);
    let client = reqwest::Client::new();
    // A refused token is logged with its reason, inside the request's span.
    let refused = client
        .post(format!("{}/graphql", server.base))
        .bearer_auth("not.a.token")
        .header("x-request-id", "client-7")
        .json(&json!({ "query": "{ me { sub } }" }))
        .send()
        .await
        .expect("request");
    let id = server_request_id(&refused);
    assert_eq!(refused.headers()["x-request-id"], "client-7");
    let in_span = |v: &Value| v["span"]["request_id"] == id.as_str();
    let rejected = server
        .log_until(|v| in_span(v) && v["message"] == "bearer token rejected")
        .expect("the refusal is logged with the request id");
    assert_eq!(rejected["level"], "INFO");
    assert_eq!(rejected["span"]["client_request_id"], "client-7");
    assert_eq!(rejected["span"]["name"], "request");
    assert_eq!(rejected["span"]["path"], "/graphql");
    assert!(rejected["reason"].is_string(), "{rejected}");
    assert!(
        rejected["timestamp"].as_str().is_some_and(|t| {
            t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok()
        })
    );
    let access = server
        .log_until(|v| in_span(v) && v["message"] == "finished processing request")
        .expect("the access line");
    assert_eq!(access["status"], 401, "{access}");
    assert_eq!(access["span"]["method"], "POST");
    assert_eq!(access["target"], "tower_http::trace::on_response");

    // Every answer has its access line, a 404 too; a caller's id that is not plain text is
    // dropped, not logged.
    let odd = client
        .get(format!("{}/no/such/page", server.base))
        .header("x-request-id", "a \"quoted\" id")
        .send()
        .await
        .expect("request");
    assert_eq!(odd.status(), reqwest::StatusCode::NOT_FOUND);
    let odd_id = server_request_id(&odd);
    let line = server
        .log_until(|v| v["span"]["request_id"] == odd_id.as_str())
        .expect("the 404's access line");
    assert_eq!(line["status"], 404);
    assert_eq!(line["span"]["path"], "/no/such/page");
    assert_eq!(line["span"]["client_request_id"], "-");
}

/// `kontaktpunkt::sql=debug` logs every statement, but not what users wrote into it: a contact
/// person's name and address must not reach the log by the statement that stores them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_log_has_statements_not_their_values() {
    let tmp = TempPath::new("sql-log");
    let mut server = Server::dev(&tmp, &[("RUST_LOG", "info,kontaktpunkt::sql=debug")]);
    let token = server.dev_token();
    let client = reqwest::Client::new();
    let gql = |query: &'static str, variables: Value| {
        client
            .post(format!("{}/graphql", server.base))
            .bearer_auth(&token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let company: Value = gql(
        "mutation($i: RegisterCompanyInput!) { registerCompany(input: $i) { id } }",
        json!({ "i": { "cvr": valid_cvr(), "name": "Logtest ApS" } }),
    )
    .await
    .expect("request")
    .json()
    .await
    .expect("json");
    let company = company["data"]["registerCompany"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{company}"))
        .to_owned();
    const SECRET_NAME: &str = "Hemmelig Persondata-7Q";
    const SECRET_EMAIL: &str = "hemmelig-7q@example.dk";
    let added = gql(
        "mutation($c: ID!, $i: ContactPersonInput!) { addContactPerson(companyId: $c, input: $i) { id name } }",
        json!({ "c": company, "i": { "name": SECRET_NAME, "email": SECRET_EMAIL } }),
    )
    .await
    .expect("request");
    let id = server_request_id(&added);
    let body: Value = added.json().await.expect("json");
    assert_eq!(
        body["data"]["addContactPerson"]["name"], SECRET_NAME,
        "{body}"
    );

    let insert = std::cell::Cell::new(false);
    server
        .log_until(|v| {
            let line = v.to_string();
            assert!(
                !line.contains("Hemmelig") && !line.contains("hemmelig-7q"),
                "a value the user wrote is in the log: {line}"
            );
            if v["target"] == "kontaktpunkt::sql"
                && v["span"]["request_id"] == id.as_str()
                && v["sql"]
                    .as_str()
                    .is_some_and(|sql| sql.contains("INSERT") && sql.contains("contact_person"))
            {
                assert!(v["values"].as_u64().is_some_and(|n| n >= 2), "{line}");
                insert.set(true);
            }
            v["span"]["request_id"] == id.as_str() && v["message"] == "finished processing request"
        })
        .expect("the request's access line");
    assert!(insert.get(), "the contact person's INSERT is logged");
}

/// A calendar feed's address is its credential: fetching it is logged without the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_feeds_secret_is_not_logged() {
    let tmp = TempPath::new("calendar-log");
    let mut server = Server::dev(&tmp, &[]);
    let token = server.dev_token();
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/graphql", server.base))
        .bearer_auth(&token)
        .json(&json!({ "query": "mutation { createCalendarFeed { path feed { id } } }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let path = created["data"]["createCalendarFeed"]["path"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let feed = created["data"]["createCalendarFeed"]["feed"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let secret = path
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .split_once('.')
        .map(|(_, secret)| secret.to_owned())
        .expect("<id>.<secret>.ics");
    assert!(secret.len() >= 16, "{path}");
    let fetched = client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(fetched.status(), reqwest::StatusCode::OK);
    let id = server_request_id(&fetched);
    let access = server
        .log_until(|v| {
            let line = v.to_string();
            assert!(
                !line.contains(&secret),
                "the feed's secret is in the log: {line}"
            );
            v["span"]["request_id"] == id.as_str() && v["message"] == "finished processing request"
        })
        .expect("the feed's access line");
    assert_eq!(access["status"], 200);
    assert_eq!(
        access["span"]["path"],
        format!("/calendar/{feed}.<secret>.ics"),
        "{access}"
    );
}
