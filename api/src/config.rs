//! Settings from the environment, parsed and validated once at start.
//!
//! A bad or missing value stops the process with one line that names the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://kontaktpunkt.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_ISSUER: &str = "kontaktpunkt";
pub const DEFAULT_AUDIENCE: &str = "kontaktpunkt-api";
/// HS256 secrets shorter than the hash output weaken the signature (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// Where token signatures are checked against.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// HS256 with a shared secret (`KONTAKTPUNKT_JWT_SECRET`).
    Secret(SecretString),
    /// A secret generated at start by `serve --dev`; tokens die with the process.
    DevGenerated(SecretString),
    /// RS256/ES256 public keys from a PEM or JWKS file (`KONTAKTPUNKT_JWT_PUBLIC_KEYS`).
    PublicKeys(PathBuf),
}

impl KeySource {
    /// The HS256 secret, when this deployment signs its own tokens.
    pub fn secret(&self) -> Option<&str> {
        match self {
            KeySource::Secret(s) | KeySource::DevGenerated(s) => Some(s.expose_secret()),
            KeySource::PublicKeys(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub key: KeySource,
    pub issuer: String,
    pub audience: String,
    /// Tokens that live longer than this (`exp` − `iat`, or `exp` − now) are refused.
    pub max_lifetime_secs: u64,
}

/// Default maximum token lifetime: one working day.
pub const DEFAULT_MAX_TOKEN_LIFETIME_SECS: u64 = 12 * 3600;

/// Caps that protect the service from expensive or abusive requests.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// Aliased fields per operation (alias overloading), counted after fragment expansion.
    pub max_aliases: usize,
    /// Fields per operation after fragment expansion (refused before validation, in time
    /// linear in the document's size).
    pub max_fields: usize,
    /// Argument values (list items, object fields) per operation, literals and variables.
    pub max_values: usize,
    /// Tokens of a document, counted before it is parsed.
    pub max_tokens: usize,
    /// A response larger than this is replaced by LIMIT_EXCEEDED.
    pub max_response_bytes: usize,
    /// A client must send its request headers within this time.
    pub header_read_timeout: Duration,
    /// A client must send its whole request body within this time.
    pub body_read_timeout: Duration,
}

impl Limits {
    /// The defaults of every limit (what `from_env` gives without variables).
    pub fn defaults() -> Limits {
        Limits {
            max_depth: 15,
            max_complexity: 20_000,
            max_body_bytes: 1_048_576,
            request_timeout: Duration::from_secs(30),
            max_aliases: 100,
            max_fields: 5_000,
            max_values: 10_000,
            max_tokens: 20_000,
            max_response_bytes: 4 * 1_048_576,
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub pool: PoolSettings,
    pub listen: SocketAddr,
    pub jwt: JwtConfig,
    pub contact_cooldown_days: u32,
    pub graphiql: bool,
    pub introspection: bool,
    pub limits: Limits,
}

/// The database pool. `size: None` picks the default for the backend (8 for SQLite, 16 for
/// PostgreSQL: on a few cores more connections only queue inside PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub size: Option<u32>,
    /// How many reads outside transactions run on PostgreSQL at once (at most the lane's
    /// size, three quarters of the pool); `None`: twice this host's cores plus one.
    pub reads_at_once: Option<u32>,
    /// How long a read counts among the reads at once; a longer one goes on uncounted, so a
    /// few long reads hold up the others no longer than this. Not a variable: 50 ms.
    pub read_turn: Duration,
    /// A pooled connection idle at least this long is pinged before it is handed out; busy
    /// connections are not (a ping on every checkout costs a round trip per statement).
    pub ping_after_idle: Duration,
}

impl PoolSettings {
    pub const DEFAULT_PING_AFTER_IDLE: Duration = Duration::from_secs(30);
    pub const DEFAULT_READ_TURN: Duration = Duration::from_millis(50);

    pub fn defaults() -> Self {
        PoolSettings {
            size: None,
            reads_at_once: None,
            read_turn: Self::DEFAULT_READ_TURN,
            ping_after_idle: Self::DEFAULT_PING_AFTER_IDLE,
        }
    }

    /// `DATABASE_READS_AT_ONCE`, or twice the cores this server sees plus one (the
    /// database server's own count is not known here; on one host with it, as in the bench,
    /// it is the same). PostgreSQL gives each running statement an equal share of the cores:
    /// with more running than a few per core, a long one stretches by their number while the
    /// ones waiting behind a bound would have waited in turn (company search on 2 cores at 16
    /// clients: p99 36–39 ms with 15 at once, 14–16 ms with 4 or 5, at the same rate).
    pub fn reads_at_once(&self) -> u32 {
        self.reads_at_once.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            u32::try_from(cores.saturating_mul(2).saturating_add(1)).unwrap_or(u32::MAX)
        })
    }

    pub fn size_for(&self, url: &str) -> u32 {
        self.size
            .unwrap_or(if url.starts_with("sqlite:") { 8 } else { 16 })
    }
}

/// Every variable Kontaktpunkt reads, with its default (for `--help`, README and errors).
pub const VARIABLES: &[(&str, &str)] = &[
    ("DATABASE_URL", DEFAULT_DATABASE_URL),
    ("DATABASE_POOL_SIZE", "16 (PostgreSQL), 8 (SQLite)"),
    (
        "DATABASE_READS_AT_ONCE",
        "2 × this host's cores + 1 (PostgreSQL; at most 3/4 of the pool)",
    ),
    ("DATABASE_PING_AFTER_IDLE_SECS", "30"),
    ("KONTAKTPUNKT_LISTEN", DEFAULT_LISTEN),
    ("KONTAKTPUNKT_JWT_SECRET", ""),
    ("KONTAKTPUNKT_JWT_PUBLIC_KEYS", ""),
    ("KONTAKTPUNKT_JWT_ISSUER", DEFAULT_ISSUER),
    ("KONTAKTPUNKT_JWT_AUDIENCE", DEFAULT_AUDIENCE),
    ("KONTAKTPUNKT_JWT_MAX_LIFETIME_SECS", "43200"),
    ("CONTACT_COOLDOWN_DAYS", "14"),
    ("KONTAKTPUNKT_GRAPHIQL", "true"),
    ("KONTAKTPUNKT_INTROSPECTION", "true"),
    ("KONTAKTPUNKT_MAX_DEPTH", "15"),
    ("KONTAKTPUNKT_MAX_COMPLEXITY", "20000"),
    ("KONTAKTPUNKT_MAX_BODY_BYTES", "1048576"),
    ("KONTAKTPUNKT_REQUEST_TIMEOUT_SECS", "30"),
    ("KONTAKTPUNKT_MAX_ALIASES", "100"),
    ("KONTAKTPUNKT_MAX_FIELDS", "5000"),
    ("KONTAKTPUNKT_MAX_VALUES", "10000"),
    ("KONTAKTPUNKT_MAX_TOKENS", "20000"),
    ("KONTAKTPUNKT_MAX_RESPONSE_BYTES", "4194304"),
    ("KONTAKTPUNKT_HEADER_READ_TIMEOUT_SECS", "5"),
    ("KONTAKTPUNKT_BODY_READ_TIMEOUT_SECS", "10"),
];

/// How the key is chosen when none is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// A key must be configured.
    Required,
    /// `serve --dev`: generate an HS256 secret when none is configured.
    GenerateIfMissing,
}

impl Config {
    pub fn from_env(mode: KeyMode) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), mode)
    }

    /// Parses settings from any lookup (the process environment, or a map in tests).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        mode: KeyMode,
    ) -> Result<Self, ConfigError> {
        // An empty variable counts as unset, as docker-compose's `VAR: ${VAR:-}` produces.
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite: or postgres:// (got a URL of another kind)",
            ));
        }

        let pool = PoolSettings {
            size: match get("DATABASE_POOL_SIZE") {
                Some(_) => Some(parse_number(&get, "DATABASE_POOL_SIZE", 16, 1, 1_000)?),
                None => None,
            },
            reads_at_once: match get("DATABASE_READS_AT_ONCE") {
                Some(_) => Some(parse_number(&get, "DATABASE_READS_AT_ONCE", 5, 1, 1_000)?),
                None => None,
            },
            read_turn: PoolSettings::DEFAULT_READ_TURN,
            ping_after_idle: Duration::from_secs(parse_number(
                &get,
                "DATABASE_PING_AFTER_IDLE_SECS",
                PoolSettings::DEFAULT_PING_AFTER_IDLE.as_secs(),
                0,
                86_400,
            )?),
        };

        let listen_raw = get("KONTAKTPUNKT_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_raw.trim().parse().map_err(|_| {
            ConfigError::new(
                "KONTAKTPUNKT_LISTEN",
                format!("expected host:port such as 127.0.0.1:8080, got {listen_raw:?}"),
            )
        })?;

        let secret = get("KONTAKTPUNKT_JWT_SECRET");
        let public_keys = get("KONTAKTPUNKT_JWT_PUBLIC_KEYS");
        let key = match (secret, public_keys) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "KONTAKTPUNKT_JWT_SECRET",
                    "set either KONTAKTPUNKT_JWT_SECRET (HS256) or KONTAKTPUNKT_JWT_PUBLIC_KEYS (RS256/ES256), not both",
                ));
            }
            (Some(secret), None) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(ConfigError::new(
                        "KONTAKTPUNKT_JWT_SECRET",
                        format!("must be at least {MIN_SECRET_BYTES} bytes long"),
                    ));
                }
                KeySource::Secret(SecretString::from(secret))
            }
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(ConfigError::new(
                        "KONTAKTPUNKT_JWT_PUBLIC_KEYS",
                        format!("{} is not a readable file", path.display()),
                    ));
                }
                KeySource::PublicKeys(path)
            }
            (None, None) => match mode {
                KeyMode::GenerateIfMissing => KeySource::DevGenerated(generate_secret()),
                KeyMode::Required => {
                    return Err(ConfigError::new(
                        "KONTAKTPUNKT_JWT_SECRET",
                        "no token key configured: set KONTAKTPUNKT_JWT_SECRET or KONTAKTPUNKT_JWT_PUBLIC_KEYS (or run `serve --dev` on a developer machine)",
                    ));
                }
            },
        };

        let issuer = get("KONTAKTPUNKT_JWT_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.into());
        let audience = get("KONTAKTPUNKT_JWT_AUDIENCE").unwrap_or_else(|| DEFAULT_AUDIENCE.into());

        let max_lifetime_secs = parse_number(
            &get,
            "KONTAKTPUNKT_JWT_MAX_LIFETIME_SECS",
            DEFAULT_MAX_TOKEN_LIFETIME_SECS,
            60,
            7 * 24 * 3600,
        )?;
        let contact_cooldown_days = parse_number(&get, "CONTACT_COOLDOWN_DAYS", 14, 0, 365)?;
        let graphiql = parse_bool(&get, "KONTAKTPUNKT_GRAPHIQL", true)?;
        let introspection = parse_bool(&get, "KONTAKTPUNKT_INTROSPECTION", true)?;
        let d = Limits::defaults();
        let secs = |name: &'static str, default: Duration, max: u64| {
            parse_number(&get, name, default.as_secs(), 1, max).map(Duration::from_secs)
        };
        let limits = Limits {
            max_depth: parse_number(&get, "KONTAKTPUNKT_MAX_DEPTH", d.max_depth, 2, 100)?,
            max_complexity: parse_number(
                &get,
                "KONTAKTPUNKT_MAX_COMPLEXITY",
                d.max_complexity,
                10,
                10_000_000,
            )?,
            max_body_bytes: parse_number(
                &get,
                "KONTAKTPUNKT_MAX_BODY_BYTES",
                d.max_body_bytes,
                1_024,
                64 * 1_048_576,
            )?,
            request_timeout: secs(
                "KONTAKTPUNKT_REQUEST_TIMEOUT_SECS",
                d.request_timeout,
                3_600,
            )?,
            max_aliases: parse_number(&get, "KONTAKTPUNKT_MAX_ALIASES", d.max_aliases, 1, 10_000)?,
            max_fields: parse_number(&get, "KONTAKTPUNKT_MAX_FIELDS", d.max_fields, 10, 1_000_000)?,
            max_values: parse_number(
                &get,
                "KONTAKTPUNKT_MAX_VALUES",
                d.max_values,
                10,
                10_000_000,
            )?,
            max_tokens: parse_number(
                &get,
                "KONTAKTPUNKT_MAX_TOKENS",
                d.max_tokens,
                100,
                10_000_000,
            )?,
            max_response_bytes: parse_number(
                &get,
                "KONTAKTPUNKT_MAX_RESPONSE_BYTES",
                d.max_response_bytes,
                1_024,
                1_073_741_824,
            )?,
            header_read_timeout: secs(
                "KONTAKTPUNKT_HEADER_READ_TIMEOUT_SECS",
                d.header_read_timeout,
                300,
            )?,
            body_read_timeout: secs(
                "KONTAKTPUNKT_BODY_READ_TIMEOUT_SECS",
                d.body_read_timeout,
                3_600,
            )?,
        };

        Ok(Config {
            database_url,
            pool,
            listen,
            jwt: JwtConfig {
                key,
                issuer,
                audience,
                max_lifetime_secs,
            },
            contact_cooldown_days,
            graphiql,
            introspection,
            limits,
        })
    }
}

fn parse_number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    let value: T = raw
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(name, format!("expected a whole number, got {raw:?}")))?;
    if value < min || value > max {
        return Err(ConfigError::new(
            name,
            format!("must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(value)
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(
            name,
            format!("expected true or false, got {v:?}"),
        )),
    }
}

/// 32 random bytes, base64url: a fresh HS256 secret for `serve --dev`.
pub fn generate_secret() -> SecretString {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)], mode: KeyMode) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned(), mode)
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_with_a_secret() {
        let c = parse(&[("KONTAKTPUNKT_JWT_SECRET", SECRET)], KeyMode::Required).expect("ok");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.jwt.issuer, "kontaktpunkt");
        assert_eq!(c.jwt.audience, "kontaktpunkt-api");
        assert_eq!(c.contact_cooldown_days, 14);
        assert!(c.graphiql && c.introspection);
    }

    #[test]
    fn no_key_refuses_unless_dev() {
        let err = parse(&[], KeyMode::Required).expect_err("no key");
        assert_eq!(err.variable, "KONTAKTPUNKT_JWT_SECRET");
        let dev = parse(&[], KeyMode::GenerateIfMissing).expect("dev ok");
        assert!(matches!(dev.jwt.key, KeySource::DevGenerated(_)));
        assert!(
            dev.jwt
                .key
                .secret()
                .is_some_and(|s| s.len() >= MIN_SECRET_BYTES)
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://x"),
            ("KONTAKTPUNKT_LISTEN", "not-an-address"),
            ("KONTAKTPUNKT_JWT_SECRET", "short"),
            ("KONTAKTPUNKT_JWT_PUBLIC_KEYS", "/nonexistent/keys.pem"),
            ("CONTACT_COOLDOWN_DAYS", "fourteen"),
            ("CONTACT_COOLDOWN_DAYS", "-1"),
            ("CONTACT_COOLDOWN_DAYS", "400"),
            ("KONTAKTPUNKT_GRAPHIQL", "maybe"),
            ("KONTAKTPUNKT_MAX_DEPTH", "0"),
            ("KONTAKTPUNKT_REQUEST_TIMEOUT_SECS", "x"),
            ("DATABASE_POOL_SIZE", "0"),
            ("DATABASE_POOL_SIZE", "many"),
            ("DATABASE_READS_AT_ONCE", "0"),
            ("DATABASE_READS_AT_ONCE", "lots"),
            ("DATABASE_READS_AT_ONCE", "1001"),
            ("DATABASE_PING_AFTER_IDLE_SECS", "-5"),
        ];
        for (var, value) in cases {
            let mut vars = vec![(*var, *value)];
            if *var != "KONTAKTPUNKT_JWT_SECRET" && *var != "KONTAKTPUNKT_JWT_PUBLIC_KEYS" {
                vars.push(("KONTAKTPUNKT_JWT_SECRET", SECRET));
            }
            let err = parse(&vars, KeyMode::Required).expect_err(var);
            assert_eq!(err.variable, *var, "{var}={value}: {err}");
            assert!(err.to_string().contains(var), "{err}");
        }
    }

    #[test]
    fn pool_size_defaults_per_backend_and_can_be_set() {
        let c = parse(&[("KONTAKTPUNKT_JWT_SECRET", SECRET)], KeyMode::Required).expect("ok");
        assert_eq!(c.pool, PoolSettings::defaults());
        assert_eq!(c.pool.size_for("sqlite://x.db"), 8);
        assert_eq!(c.pool.size_for("postgres://h/db"), 16);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(c.pool.reads_at_once() as usize, 2 * cores + 1);
        let c = parse(
            &[
                ("KONTAKTPUNKT_JWT_SECRET", SECRET),
                ("DATABASE_POOL_SIZE", "40"),
                ("DATABASE_READS_AT_ONCE", "12"),
                ("DATABASE_PING_AFTER_IDLE_SECS", "0"),
            ],
            KeyMode::Required,
        )
        .expect("ok");
        assert_eq!(c.pool.size_for("postgres://h/db"), 40);
        assert_eq!(c.pool.reads_at_once(), 12);
        assert_eq!(c.pool.ping_after_idle, Duration::ZERO);
    }

    #[test]
    fn secret_and_public_keys_together_are_refused() {
        let err = parse(
            &[
                ("KONTAKTPUNKT_JWT_SECRET", SECRET),
                ("KONTAKTPUNKT_JWT_PUBLIC_KEYS", "Cargo.toml"),
            ],
            KeyMode::Required,
        )
        .expect_err("both");
        assert!(err.message.contains("not both"));
    }
}
