//! Bearer tokens: every way a token can be wrong answers UNAUTHENTICATED (401), on both
//! databases; RS256 (PEM) and ES256 (JWKS, selected by kid) verify.

use api::auth::Role;
use api::config::KeySource;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db_tests;
use crate::helpers::{Backend, TEST_SECRET, TempPath, TestApp, first_error_code, spawn_app_with};

const ME: &str = "{ me { sub name roles organisation { id name } } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(app: &TestApp) -> Value {
    json!({
        "sub": "u1", "name": "Bo", "org": "jc-461", "roles": ["consultant"],
        "iss": app.config.jwt.issuer, "aud": app.config.jwt.audience, "exp": now() + 600,
    })
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

async fn expect_unauthenticated(app: &TestApp, token: Option<&str>, why: &str) {
    let (status, body) = app.gql(token, ME, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {body}");
    assert_eq!(
        first_error_code(&body).as_deref(),
        Some("UNAUTHENTICATED"),
        "{why}: {body}"
    );
    assert!(
        body.get("data").is_none(),
        "{why}: no data for a rejected token: {body}"
    );
}

async fn me_answers_with_a_valid_token(app: TestApp) {
    let token = app.token("u1", "jc-101", &[Role::Consultant, Role::Coordinator]);
    let data = app.gql_ok(&token, ME, json!({})).await;
    assert_eq!(data["me"]["sub"], "u1");
    assert_eq!(data["me"]["name"], "Test Person");
    assert_eq!(data["me"]["roles"], json!(["consultant", "coordinator"]));
    assert_eq!(data["me"]["organisation"]["id"], "jc-101");
    assert_eq!(data["me"]["organisation"]["name"], "Jobcenter København");

    let national = app.token("n1", "national", &[Role::National]);
    let data = app.gql_ok(&national, ME, json!({})).await;
    assert_eq!(data["me"]["organisation"]["name"], "Jobservice Danmark");
}

async fn every_bad_token_is_unauthenticated(app: TestApp) {
    expect_unauthenticated(&app, None, "no token").await;
    expect_unauthenticated(&app, Some("not-a-jwt"), "garbage").await;

    let mut c = claims(&app);
    c["exp"] = json!(now() - 120);
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "expired").await;

    let mut c = claims(&app);
    c["iss"] = json!("someone-else");
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "wrong iss").await;

    let mut c = claims(&app);
    c["aud"] = json!("another-api");
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "wrong aud").await;

    let c = claims(&app);
    let other = "another-secret-of-sufficient-length-0123456789";
    expect_unauthenticated(&app, Some(&hs256(&c, other)), "wrong signature").await;

    // alg: none, no signature.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64.encode(claims(&app).to_string());
    expect_unauthenticated(&app, Some(&format!("{header}.{payload}.")), "alg none").await;

    // Claims of the wrong JSON type.
    for (claim, value) in [
        ("roles", json!("consultant")),
        ("exp", json!("tomorrow")),
        ("org", json!(461)),
        ("sub", json!({"id": 1})),
    ] {
        let mut c = claims(&app);
        c[claim] = value;
        expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), claim).await;
    }

    // Required claims missing.
    for claim in ["exp", "iss", "aud", "sub", "org", "roles"] {
        let mut c = claims(&app);
        c.as_object_mut().expect("object").remove(claim);
        expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), claim).await;
    }

    // Unknown role and unknown organisation.
    let mut c = claims(&app);
    c["roles"] = json!(["superuser"]);
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "unknown role").await;
    let mut c = claims(&app);
    c["org"] = json!("jc-999");
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "unknown org").await;

    // Not a bearer scheme.
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("Authorization", format!("Basic {}", b64.encode("a:b")))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
}

async fn leeway_is_thirty_seconds(app: TestApp) {
    let mut c = claims(&app);
    c["exp"] = json!(now() - 10);
    let data = app.gql_ok(&hs256(&c, TEST_SECRET), ME, json!({})).await;
    assert_eq!(
        data["me"]["sub"], "u1",
        "10 s past exp is within the leeway"
    );
    c["exp"] = json!(now() - 45);
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "45 s past exp").await;
}

/// HS256 with a header jsonwebtoken's `Header` cannot carry (`crit`).
fn hs256_with_header(header: Value, claims: &Value) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signing_input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        Algorithm::HS256,
    )
    .expect("sign");
    format!("{signing_input}.{signature}")
}

/// Lifetime, issue time, critical header extensions and claim contents; every refusal
/// answers the same message.
async fn loose_tokens_are_refused_alike(app: TestApp) {
    let mut messages = std::collections::BTreeSet::new();
    let mut refuse = async |token: String, why: &str| {
        let (status, body) = app.gql(Some(&token), ME, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {body}");
        assert_eq!(
            first_error_code(&body).as_deref(),
            Some("UNAUTHENTICATED"),
            "{why}"
        );
        messages.insert(body["errors"][0]["message"].as_str().expect("m").to_owned());
    };
    let hour = 3600;
    // A 13-hour token (default maximum 12 h), with and without iat.
    let mut c = claims(&app);
    c["iat"] = json!(now());
    c["exp"] = json!(now() + 13 * hour);
    refuse(hs256(&c, TEST_SECRET), "13 h lifetime").await;
    let mut c = claims(&app);
    c["exp"] = json!(now() + 13 * hour);
    refuse(hs256(&c, TEST_SECRET), "13 h to go, no iat").await;
    // Issued in the future beyond the leeway.
    let mut c = claims(&app);
    c["iat"] = json!(now() + 120);
    refuse(hs256(&c, TEST_SECRET), "iat in the future").await;
    // A critical header extension we do not understand.
    let c = claims(&app);
    refuse(
        hs256_with_header(json!({ "alg": "HS256", "typ": "JWT", "crit": ["exp"] }), &c),
        "crit",
    )
    .await;
    // Claims that cannot be stored or compared.
    for (claim, value) in [
        ("sub", "u1\u{0}x".to_owned()),
        ("org", "jc-461\u{0}".to_owned()),
        ("sub", "x".repeat(201)),
        ("name", "Bo\u{7}".to_owned()),
    ] {
        let mut c = claims(&app);
        c[claim] = json!(value);
        refuse(hs256(&c, TEST_SECRET), claim).await;
    }
    // Wrong signature and unknown organisation answer the same words.
    refuse(
        hs256(
            &claims(&app),
            "another-secret-of-sufficient-length-0123456789",
        ),
        "sig",
    )
    .await;
    let mut c = claims(&app);
    c["org"] = json!("jc-999");
    refuse(hs256(&c, TEST_SECRET), "unknown org").await;
    assert_eq!(
        messages.len(),
        1,
        "one message for every refusal: {messages:?}"
    );

    // The limits themselves pass: 12 h exactly, iat within the leeway.
    let mut c = claims(&app);
    c["iat"] = json!(now() + 10);
    c["exp"] = json!(now() + 10 + 12 * hour);
    assert_eq!(
        app.gql_ok(&hs256(&c, TEST_SECRET), ME, json!({})).await["me"]["sub"],
        "u1"
    );
}

db_tests!(
    me_answers_with_a_valid_token,
    every_bad_token_is_unauthenticated,
    leeway_is_thirty_seconds,
    loose_tokens_are_refused_alike
);

fn sign(claims: &Value, alg: Algorithm, pem: &str, kid: Option<&str>) -> String {
    let pem = std::fs::read(fixture(pem)).expect("fixture");
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ec_pem(&pem),
    }
    .expect("private key");
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

async fn rs256_from_pem(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| {
        c.jwt.key = KeySource::PublicKeys(fixture("rsa-public.pem"));
    })
    .await
    else {
        return;
    };
    let c = claims(&app);
    let data = app
        .gql_ok(
            &sign(&c, Algorithm::RS256, "rsa-private.pem", None),
            ME,
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["organisation"]["id"], "jc-461");

    // An HS256 token, even one "signed" with the public key's bytes, is refused.
    let public = std::fs::read_to_string(fixture("rsa-public.pem")).expect("pem");
    expect_unauthenticated(&app, Some(&hs256(&c, &public)), "HS256 against RS256").await;
    expect_unauthenticated(&app, Some(&hs256(&c, TEST_SECRET)), "HS256 with a secret").await;
    // Signed by another key.
    expect_unauthenticated(
        &app,
        Some(&sign(&c, Algorithm::ES256, "ec-private.pem", None)),
        "ES256 against an RS256 key",
    )
    .await;
}

async fn es256_and_rs256_from_jwks_by_kid(backend: Backend) {
    let ec = DecodingKey::from_ec_pem(&std::fs::read(fixture("ec-public.pem")).expect("pem"))
        .expect("ec key");
    let rsa = DecodingKey::from_rsa_pem(&std::fs::read(fixture("rsa-public.pem")).expect("pem"))
        .expect("rsa key");
    let mut ec_jwk = Jwk::from_decoding_key(&ec, Some(Algorithm::ES256)).expect("jwk");
    ec_jwk.common.key_id = Some("ec-1".into());
    let mut rsa_jwk = Jwk::from_decoding_key(&rsa, Some(Algorithm::RS256)).expect("jwk");
    rsa_jwk.common.key_id = Some("rsa-1".into());
    let set = JwkSet {
        keys: vec![ec_jwk, rsa_jwk],
    };
    let tmp = TempPath::new("jwks.json");
    std::fs::write(&tmp.0, serde_json::to_vec(&set).expect("json")).expect("write jwks");

    let jwks = tmp.0.clone();
    let Some(app) = spawn_app_with(backend, move |c| {
        c.jwt.key = KeySource::PublicKeys(jwks);
    })
    .await
    else {
        return;
    };
    let c = claims(&app);
    let es = sign(&c, Algorithm::ES256, "ec-private.pem", Some("ec-1"));
    assert_eq!(app.gql_ok(&es, ME, json!({})).await["me"]["sub"], "u1");
    let rs = sign(&c, Algorithm::RS256, "rsa-private.pem", Some("rsa-1"));
    assert_eq!(app.gql_ok(&rs, ME, json!({})).await["me"]["sub"], "u1");

    // The kid selects the key, and the key pins the algorithm.
    let wrong_kid = sign(&c, Algorithm::RS256, "rsa-private.pem", Some("ec-1"));
    expect_unauthenticated(&app, Some(&wrong_kid), "RS256 token naming the EC key").await;
    let unknown_kid = sign(&c, Algorithm::ES256, "ec-private.pem", Some("nope"));
    expect_unauthenticated(&app, Some(&unknown_kid), "unknown kid").await;
    let no_kid = sign(&c, Algorithm::ES256, "ec-private.pem", None);
    expect_unauthenticated(&app, Some(&no_kid), "no kid with several keys").await;
}

mod public_keys {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rs256_pem_sqlite() {
        rs256_from_pem(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rs256_pem_postgres() {
        rs256_from_pem(Backend::Postgres).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jwks_sqlite() {
        es256_and_rs256_from_jwks_by_kid(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jwks_postgres() {
        es256_and_rs256_from_jwks_by_kid(Backend::Postgres).await;
    }
}
