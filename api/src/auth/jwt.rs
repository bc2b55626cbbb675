//! Bearer token verification with jsonwebtoken.
//!
//! The algorithm is pinned by configuration (HS256 for a secret, RS256/ES256 from the type of
//! each public key); the token's `alg` header is only compared against it, never trusted.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;

use lru::LruCache;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use super::{Actor, Role};
use crate::config::{ConfigError, JwtConfig, KeySource};
use crate::error::AppError;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: u64 = 30;

/// The one answer to every token that is not accepted; the reason goes to the log only, so a
/// caller learns nothing about which check failed.
pub const TOKEN_REJECTED: &str = "the bearer token is not valid";

/// Longest `sub` and `org` a token may carry.
const CLAIM_MAX: usize = 200;

/// Refuses a token: logs why (with the request id of the current span), answers the same.
pub fn reject(reason: &str) -> AppError {
    tracing::info!(reason, "bearer token rejected");
    AppError::Unauthenticated(TOKEN_REJECTED.into())
}

/// A claim that names someone or something: non-empty, bounded, no control characters
/// (a NUL cannot be stored in PostgreSQL text and must not reach it).
pub fn is_plain_identifier(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// The token's header as JSON (`decode_header` drops fields it does not know, `crit` among
/// them).
fn raw_header(token: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let segment = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The claims Kontaktpunkt reads. `exp`, `iss`, `aud` are checked by the validator as well.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub org: String,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

struct PinnedKey {
    key: DecodingKey,
    validation: Validation,
}

pub struct TokenVerifier {
    /// Keys by `kid`; a single key without `kid` is stored under "".
    keys: HashMap<String, PinnedKey>,
    max_lifetime_secs: u64,
    verified: Mutex<LruCache<Box<str>, Verified, foldhash::fast::RandomState>>,
}

/// How many verified tokens are remembered (a few MiB at most).
pub const VERIFIED_TOKENS: usize = 4096;

/// A token that passed every check, by its whole text (signature included): a client sends the
/// same token with every request, and verifying it again cost about 58,000 instructions for
/// HS256 (callgrind; 13 % of a company page) and far more for RS256/ES256. Only `exp` can turn
/// a verified token invalid as time passes (`nbf` and `iat` only ever become more valid, and the
/// lifetime checks compare fixed claims or shrink), so a remembered token is checked against
/// `exp` again on every use.
#[derive(Clone)]
struct Verified {
    actor: Actor,
    exp: u64,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn validation_for(alg: Algorithm, config: &JwtConfig) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = LEEWAY_SECONDS;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.validate_aud = true;
    v.set_issuer(&[&config.issuer]);
    v.set_audience(&[&config.audience]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

impl TokenVerifier {
    pub fn from_config(config: &JwtConfig) -> Result<Self, ConfigError> {
        let mut keys = HashMap::new();
        match &config.key {
            KeySource::Secret(_) | KeySource::DevGenerated(_) => {
                let secret = config.key.secret().unwrap_or_default();
                keys.insert(
                    String::new(),
                    PinnedKey {
                        key: DecodingKey::from_secret(secret.as_bytes()),
                        validation: validation_for(Algorithm::HS256, config),
                    },
                );
            }
            KeySource::PublicKeys(path) => {
                for (kid, key, alg) in load_public_keys(path)? {
                    keys.insert(
                        kid,
                        PinnedKey {
                            key,
                            validation: validation_for(alg, config),
                        },
                    );
                }
            }
        }
        Ok(TokenVerifier {
            keys,
            max_lifetime_secs: config.max_lifetime_secs,
            verified: Mutex::new(LruCache::with_hasher(
                NonZeroUsize::new(VERIFIED_TOKENS).unwrap_or(NonZeroUsize::MIN),
                foldhash::fast::RandomState::default(),
            )),
        })
    }

    /// Checks signature, algorithm, `exp`/`nbf`/`iat` (30 s leeway), the lifetime, `iss`,
    /// `aud`, `crit` and the claim shapes. The organisation is checked against the database by
    /// the caller. Every refusal answers [`TOKEN_REJECTED`]; the reason is logged.
    pub fn verify(&self, token: &str) -> Result<Actor, AppError> {
        self.verify_at(token, jsonwebtoken::get_current_timestamp())
    }

    /// `verify` at the time `now` (seconds since the epoch).
    fn verify_at(&self, token: &str, now: u64) -> Result<Actor, AppError> {
        {
            let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(known) = verified.get(token) {
                if known.exp + LEEWAY_SECONDS >= now {
                    return Ok(known.actor.clone());
                }
                // Expired since: verified again below, which refuses it with its reason.
                verified.pop(token);
            }
        }
        let (actor, exp) = self.verify_fully(token, now)?;
        self.verified.lock().unwrap_or_else(|e| e.into_inner()).put(
            token.into(),
            Verified {
                actor: actor.clone(),
                exp,
            },
        );
        Ok(actor)
    }

    /// Every check, and the token's `exp`.
    fn verify_fully(&self, token: &str, now: u64) -> Result<(Actor, u64), AppError> {
        let raw = raw_header(token).ok_or_else(|| reject("malformed token header"))?;
        if raw.get("crit").is_some() {
            // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
            return Err(reject("token header names critical extensions (crit)"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| reject("malformed token or unsupported algorithm"))?;
        let pinned = match (&header.kid, self.keys.len()) {
            (Some(kid), _) => self.keys.get(kid).or_else(|| self.keys.get("")),
            (None, 1) => self.keys.values().next(),
            (None, _) => None,
        }
        .ok_or_else(|| reject("token signed with an unknown key"))?;

        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &pinned.key, &pinned.validation)
                .map_err(|e| {
                    reject(match e.kind() {
                        ErrorKind::ExpiredSignature => "token expired",
                        ErrorKind::ImmatureSignature => "token not valid yet",
                        ErrorKind::InvalidIssuer => "token issuer not accepted",
                        ErrorKind::InvalidAudience => "token audience not accepted",
                        ErrorKind::InvalidSignature => "token signature invalid",
                        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                            "token algorithm not accepted"
                        }
                        ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
                        ErrorKind::InvalidClaimFormat(_) => "token claim has the wrong type",
                        _ => "token invalid",
                    })
                })?;
        let claims: Claims = serde_json::from_value(data.claims)
            .map_err(|_| reject("token claims missing or of the wrong type (sub, org, roles)"))?;
        self.check_lifetime(&claims, now)?;
        if !is_plain_identifier(&claims.sub, CLAIM_MAX) || !is_plain_identifier(&claims.org, 64) {
            return Err(reject(
                "token sub or org empty, too long or with control characters",
            ));
        }
        if claims
            .name
            .as_deref()
            .is_some_and(|n| !is_plain_identifier(n, CLAIM_MAX))
        {
            return Err(reject("token name too long or with control characters"));
        }
        if claims.roles.is_empty() {
            return Err(reject("token carries no role"));
        }
        let roles = claims
            .roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| reject("token names an unknown role"))?;
        Ok((
            Actor {
                sub: claims.sub,
                name: claims.name,
                organisation_id: claims.org,
                roles,
            },
            claims.exp,
        ))
    }

    /// A token may not live longer than the configured maximum, nor be issued in the future.
    fn check_lifetime(&self, claims: &Claims, now: u64) -> Result<(), AppError> {
        // jsonwebtoken checks `exp` too, on its own clock; this one is `now`, the same clock
        // as a remembered token's (see `Verified`).
        if claims.exp.saturating_add(LEEWAY_SECONDS) < now {
            return Err(reject("token expired"));
        }
        if let Some(iat) = claims.iat {
            if iat > now + LEEWAY_SECONDS {
                return Err(reject("token issued in the future (iat)"));
            }
            if claims.exp.saturating_sub(iat) > self.max_lifetime_secs {
                return Err(reject("token lifetime (exp - iat) exceeds the maximum"));
            }
        } else if claims.exp.saturating_sub(now) > self.max_lifetime_secs {
            return Err(reject("token lifetime (exp - now) exceeds the maximum"));
        }
        Ok(())
    }
}

/// Reads a PEM public key (RSA → RS256, EC P-256 → ES256) or a JWKS document.
fn load_public_keys(path: &Path) -> Result<Vec<(String, DecodingKey, Algorithm)>, ConfigError> {
    let var = "KONTAKTPUNKT_JWT_PUBLIC_KEYS";
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::new(var, format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    if text.trim_start().starts_with('{') {
        let set: JwkSet = serde_json::from_slice(&bytes)
            .map_err(|e| ConfigError::new(var, format!("not a JWKS document: {e}")))?;
        if set.keys.is_empty() {
            return Err(ConfigError::new(var, "the JWKS document has no keys"));
        }
        let many = set.keys.len() > 1;
        let mut out = Vec::new();
        for jwk in &set.keys {
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => {
                    return Err(ConfigError::new(
                        var,
                        "only RSA (RS256) and EC P-256 (ES256) keys are accepted",
                    ));
                }
            };
            if let Some(declared) = jwk.common.key_algorithm
                && declared.to_string() != format!("{alg:?}")
            {
                return Err(ConfigError::new(
                    var,
                    format!("key declares alg {declared} but only {alg:?} fits its type"),
                ));
            }
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            if many && kid.is_empty() {
                return Err(ConfigError::new(
                    var,
                    "every key of a JWKS with several keys needs a kid",
                ));
            }
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| ConfigError::new(var, format!("unusable JWK {kid:?}: {e}")))?;
            out.push((kid, key, alg));
        }
        Ok(out)
    } else if let Ok(key) = DecodingKey::from_rsa_pem(&bytes) {
        Ok(vec![(String::new(), key, Algorithm::RS256)])
    } else if let Ok(key) = DecodingKey::from_ec_pem(&bytes) {
        Ok(vec![(String::new(), key, Algorithm::ES256)])
    } else {
        Err(ConfigError::new(
            var,
            "not a PEM RSA/EC public key nor a JWKS document",
        ))
    }
}

/// Mints an HS256 token with the configured secret (the `token` command, scripts, tests).
pub fn mint_token(
    config: &JwtConfig,
    sub: &str,
    name: Option<&str>,
    org: &str,
    roles: &[Role],
    ttl_seconds: u64,
) -> Result<String, AppError> {
    let secret = config.key.secret().ok_or_else(|| {
        AppError::Internal(
            "no HS256 secret configured: tokens for RS256/ES256 come from the identity provider"
                .into(),
        )
    })?;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: sub.to_string(),
        name: name.map(str::to_string),
        org: org.to_string(),
        roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
        iss: config.issuer.clone(),
        aud: config.audience.clone(),
        exp: now + ttl_seconds,
        iat: Some(now),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AppError::Internal(format!("signing token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn config() -> JwtConfig {
        JwtConfig {
            key: KeySource::Secret(SecretString::from("s".repeat(40))),
            issuer: "kontaktpunkt".into(),
            audience: "kontaktpunkt-api".into(),
            max_lifetime_secs: crate::config::DEFAULT_MAX_TOKEN_LIFETIME_SECS,
        }
    }

    #[test]
    fn round_trip() {
        let c = config();
        let token =
            mint_token(&c, "u1", Some("Bo"), "jc-461", &[Role::Consultant], 60).expect("mint");
        let actor = TokenVerifier::from_config(&c)
            .expect("verifier")
            .verify(&token)
            .expect("verify");
        assert_eq!(actor.sub, "u1");
        assert_eq!(actor.name.as_deref(), Some("Bo"));
        assert_eq!(actor.organisation_id, "jc-461");
        assert_eq!(actor.roles, vec![Role::Consultant]);
    }

    #[test]
    fn a_remembered_token_still_expires_and_only_its_exact_text_is_remembered() {
        let c = config();
        let verifier = TokenVerifier::from_config(&c).expect("verifier");
        let token = mint_token(&c, "u1", None, "jc-461", &[Role::Consultant], 60).expect("mint");
        let now = jsonwebtoken::get_current_timestamp();
        let exp = now + 60;
        assert!(verifier.verify_at(&token, now).is_ok());
        assert_eq!(verifier.verified.lock().expect("lock").len(), 1);
        // Remembered, until its exp (with the leeway) has passed.
        assert!(verifier.verify_at(&token, exp + LEEWAY_SECONDS).is_ok());
        assert!(
            verifier
                .verify_at(&token, exp + LEEWAY_SECONDS + 1)
                .is_err()
        );
        assert_eq!(verifier.verified.lock().expect("lock").len(), 0);
        // The same claims under another signature are verified afresh, and refused.
        assert!(verifier.verify_at(&token, now).is_ok());
        let mut forged = token.clone();
        let last = forged.pop().expect("a signature");
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(verifier.verify_at(&forged, now).is_err());
        assert_eq!(verifier.verified.lock().expect("lock").len(), 1);
    }

    #[test]
    fn other_secret_is_rejected() {
        let c = config();
        let token = mint_token(&c, "u1", None, "jc-461", &[Role::Admin], 60).expect("mint");
        let mut other = config();
        other.key = KeySource::Secret(SecretString::from("t".repeat(40)));
        let err = TokenVerifier::from_config(&other)
            .expect("verifier")
            .verify(&token);
        assert!(matches!(err, Err(AppError::Unauthenticated(m)) if m == TOKEN_REJECTED));
    }
}
