//! Command line: `serve [--dev]`, `migrate`, `token`, `print-schema`, `seed-demo`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::{Application, StartupError, shutdown_signal};
use crate::auth::{Role, mint_token};
use crate::config::{Config, KeyMode, KeySource};
use crate::{db, graphql, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "kontaktpunkt",
    version,
    about = "Kontaktpunkt: one shared employer record for every jobcentre (GraphQL API)",
    after_help = "Configuration is read from the environment; see README.md (DATABASE_URL, KONTAKTPUNKT_JWT_SECRET, …)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve the API.
    Serve {
        /// Developer mode: generate a signing key when none is configured and print a token.
        #[arg(long)]
        dev: bool,
    },
    /// Apply pending migrations (schema and reference data) and exit.
    Migrate,
    /// Mint an HS256 token with the configured KONTAKTPUNKT_JWT_SECRET (scripts, tests).
    Token {
        /// Subject: the user's stable id.
        #[arg(long)]
        sub: String,
        /// Organisation id: `jc-<kommunekode>` or `national`.
        #[arg(long)]
        org: String,
        /// Comma-separated roles: consultant, coordinator, national, integration, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    PrintSchema,
    /// Fill an empty database with a deterministic national demo data set (migrates first).
    SeedDemo {
        /// Companies (Denmark has about 181,000 firms with employees).
        #[arg(long, default_value_t = 200_000)]
        companies: u32,
        /// The same seed gives the same companies, people and contacts.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Activities per company on average.
        #[arg(long, default_value_t = 5)]
        activities_per_company: u32,
    },
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(CliError::Startup(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(match e {
                StartupError::Config(_) => 2,
                _ => 1,
            })
        }
    }
}

enum CliError {
    Usage(String),
    Startup(StartupError),
}

impl<E: Into<StartupError>> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::Startup(e.into())
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::PrintSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Token {
            sub,
            org,
            roles,
            name,
            ttl,
        } => {
            let config = Config::from_env(KeyMode::Required)?;
            let token = token(&config, &sub, name.as_deref(), &org, &roles, ttl)?;
            println!("{token}");
            Ok(())
        }
        Command::SeedDemo {
            companies,
            seed,
            activities_per_company,
        } => {
            let config = Config::from_env(KeyMode::GenerateIfMissing)?;
            telemetry::init(telemetry::DEFAULT_FILTER);
            runtime()?.block_on(async {
                let conn = db::connect(&config.database_url, &config.pool, None).await?;
                db::migrate(&conn).await?;
                let options = crate::service::seed::SeedOptions {
                    companies,
                    seed,
                    activities_per_company,
                };
                let report = crate::service::seed::seed_and_report(&conn, &options)
                    .await
                    .map_err(|e| CliError::Usage(format!("seed-demo: {e}")))?;
                println!("{report}");
                conn.close().await.ok();
                Ok(())
            })
        }
        Command::Migrate => {
            let config = Config::from_env(KeyMode::GenerateIfMissing)?;
            telemetry::init(telemetry::DEFAULT_FILTER);
            runtime()?.block_on(async {
                let conn = db::connect(&config.database_url, &config.pool, None).await?;
                db::migrate(&conn).await?;
                tracing::info!("migrations applied");
                Ok(())
            })
        }
        Command::Serve { dev } => {
            let mode = if dev {
                KeyMode::GenerateIfMissing
            } else {
                KeyMode::Required
            };
            let config = Config::from_env(mode)?;
            telemetry::init(telemetry::DEFAULT_FILTER);
            runtime()?.block_on(serve(config, dev))
        }
    }
}

fn token(
    config: &Config,
    sub: &str,
    name: Option<&str>,
    org: &str,
    roles: &[String],
    ttl: u64,
) -> Result<String, CliError> {
    if config.jwt.key.secret().is_none() {
        return Err(CliError::Usage(
            "KONTAKTPUNKT_JWT_SECRET is not set: with public keys configured, tokens come from the identity provider".into(),
        ));
    }
    let roles = roles
        .iter()
        .map(|r| r.trim().parse::<Role>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Usage)?;
    if !known_organisation(org) {
        return Err(CliError::Usage(format!(
            "unknown organisation {org:?}: use national or jc-<kommunekode>, e.g. jc-101"
        )));
    }
    let max = config.jwt.max_lifetime_secs;
    if ttl == 0 || ttl > max {
        return Err(CliError::Usage(format!(
            "--ttl must be between 1 and {max} seconds (KONTAKTPUNKT_JWT_MAX_LIFETIME_SECS)"
        )));
    }
    mint_token(&config.jwt, sub, name, org, &roles, ttl).map_err(|e| CliError::Usage(e.to_string()))
}

/// Organisation ids come from the reference data the binary ships.
fn known_organisation(org: &str) -> bool {
    use migration::reference_data;
    org == reference_data::NATIONAL_ID
        || reference_data::municipalities()
            .map(|rows| rows.iter().any(|m| m.jobcentre == org))
            .unwrap_or(false)
}

async fn serve(config: Config, dev: bool) -> Result<(), CliError> {
    let app = Application::build(&config).await?;
    let warm = app
        .warm_pool(config.pool.size_for(&config.database_url))
        .await;
    if warm > 0 {
        tracing::info!(
            connections = warm,
            reads_at_once = app.reads_at_once(),
            "database pool warm"
        );
    }
    let addr = app.local_addr();
    tracing::info!(%addr, "Kontaktpunkt listening");
    if dev {
        print_dev_banner(&config, addr);
    }
    app.run(shutdown_signal())
        .await
        .map_err(|e| CliError::Usage(format!("server error: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

fn print_dev_banner(config: &Config, addr: SocketAddr) {
    let shown = if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    };
    let ttl = config.jwt.max_lifetime_secs.min(12 * 3600);
    let roles = [Role::Admin, Role::National];
    let mut out = String::new();
    let token = match mint_token(
        &config.jwt,
        "dev",
        Some("Udvikler"),
        crate::service::reference::NATIONAL_ID,
        &roles,
        ttl,
    ) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot mint the development token");
            return;
        }
    };
    out.push('\n');
    let _ = writeln!(out, "Kontaktpunkt is running in development mode.");
    let _ = writeln!(out, "  GraphiQL:  http://{shown}/graphql");
    let _ = writeln!(out, "  Database:  {}", config.database_url);
    out.push('\n');
    let _ = writeln!(
        out,
        "Bearer token (sub dev, org national, roles admin+national, valid 12 h):"
    );
    let _ = writeln!(out, "  {token}");
    out.push('\n');
    let _ = writeln!(out, "In GraphiQL open \"Headers\" and paste:");
    let _ = writeln!(out, "  {{\"Authorization\": \"Bearer {token}\"}}");
    let _ = writeln!(out, "then run:  {{ me {{ sub organisation {{ name }} }} }}");
    out.push('\n');
    let _ = writeln!(out, "With curl:");
    let _ = writeln!(
        out,
        "  curl -s http://{shown}/graphql -H 'Content-Type: application/json' -H \"Authorization: Bearer {token}\" -d '{{\"query\":\"{{ me {{ sub organisation {{ name }} }} }}\"}}'"
    );
    if let KeySource::DevGenerated(_) = &config.jwt.key
        && let Some(secret) = config.jwt.key.secret()
    {
        out.push('\n');
        let _ = writeln!(
            out,
            "The signing key was generated for this process only. To mint more tokens with it:"
        );
        let _ = writeln!(out, "  export KONTAKTPUNKT_JWT_SECRET={secret}");
        let _ = writeln!(
            out,
            "  cargo run --release -- token --sub u2 --org jc-751 --roles consultant"
        );
    }
    out.push('\n');
    // A closed stdout (a supervisor that stopped reading) must not take the server down.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}
