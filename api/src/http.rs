//! The axum router: POST /graphql (GraphQL over HTTP, JSON only), GET /graphql (GraphiQL),
//! /healthz, /readyz, /metrics; request ids, tracing, timeouts, body limits, metrics.

use crate::db::Db;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Instrument, Level};

use crate::auth::{Actor, TokenVerifier};
use crate::config::Limits;
use crate::error::{self, AppError, ErrorCode};
use crate::graphql;
use crate::graphql::RequestMeta;
use crate::graphql::loaders::Loaders;
use crate::graphql::shield::Validation;
use crate::metrics::Metrics;
use crate::service::read::Reader;
use crate::service::reference::Catalogue;

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Inside the service: the caller's own request id, when it sent a usable one.
pub const CLIENT_REQUEST_ID_HEADER: &str = "x-client-request-id";
pub const SERVER_REQUEST_ID_HEADER: &str = "x-server-request-id";
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON: &str = "application/json; charset=utf-8";

#[derive(Clone)]
pub struct AppState {
    pub schemas: graphql::Schemas,
    pub db: Db,
    pub catalogue: Arc<Catalogue>,
    pub limits: Limits,
    pub verifier: Arc<TokenVerifier>,
    pub metrics: Arc<Metrics>,
    pub graphiql: bool,
    pub documents: Arc<graphql::shield::DocumentCache>,
}

pub fn router(state: AppState, limits: &crate::config::Limits) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphiql/assets/{file}", get(graphiql_asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/calendar/{file}", get(calendar_feed))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(request_ids))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let header = |name: &str| {
                                req.headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("-")
                            };
                            tracing::info_span!(
                                "request",
                                request_id = %header(REQUEST_ID_HEADER),
                                client_request_id = %header(CLIENT_REQUEST_ID_HEADER),
                                method = %req.method(),
                                path = %loggable_path(req.uri().path()),
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    limits.request_timeout,
                )),
        )
        .with_state(state)
}

/// The path as the log shows it. A calendar feed's address is its credential (the file name
/// holds the secret; only its hash is stored), and calendar apps fetch it every few minutes:
/// the log keeps the feed's id and never the secret.
fn loggable_path(path: &str) -> Cow<'_, str> {
    match path.strip_prefix("/calendar/") {
        Some(file) => {
            // `<id>.<secret>.ics`; without a dot the whole name is taken as the secret.
            let id = file.split_once('.').map_or("", |(id, _)| id);
            let id: String = id.chars().take(64).collect();
            Cow::Owned(format!("/calendar/{id}.<secret>.ics"))
        }
        None => Cow::Borrowed(path),
    }
}

/// Every request gets the server's own id (UUID v7): the span, the logs and the audit trail
/// carry it. A caller's `x-request-id` is kept for correlation when it is short and plain
/// (logged and audited as the client's id, and echoed back as `x-request-id`); anything else
/// is dropped, so logs never carry arbitrary client text. The server's id is always returned
/// as `x-server-request-id`.
async fn request_ids(mut req: Request, next: Next) -> Response {
    let client = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .filter(|v| {
            let b = v.as_bytes();
            !b.is_empty()
                && b.len() <= 128
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
        })
        .cloned();
    let server = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("-"));
    let headers = req.headers_mut();
    headers.remove(CLIENT_REQUEST_ID_HEADER);
    if let Some(client) = &client {
        headers.insert(CLIENT_REQUEST_ID_HEADER, client.clone());
    }
    headers.insert(REQUEST_ID_HEADER, server.clone());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID_HEADER, client.unwrap_or_else(|| server.clone()));
    headers.insert(SERVER_REQUEST_ID_HEADER, server);
    response
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        APPLICATION_JSON,
        ErrorCode::Internal,
        "internal error",
    )
}

async fn track_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .http_requests
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .inc();
    state
        .metrics
        .http_duration
        .with_label_values(&[route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// A consultant's meetings as an iCalendar feed (`/calendar/<id>.<secret>.ics`): calendar
/// apps cannot send a bearer token, so the secret in the path is the credential. Unknown,
/// revoked and wrong feeds answer the same 404.
async fn calendar_feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let feed = match crate::service::calendar::open(&state.db, &file).await {
        Ok(Some(feed)) => feed,
        Ok(None) => return not_found().await,
        Err(e) => {
            e.log_if_internal();
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
        }
    };
    match crate::service::calendar::render(&state.db, &feed, chrono::Utc::now()).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            e.log_if_internal();
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn graphiql(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().query().is_some_and(|q| q.contains("query=")) {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "GraphQL requests are sent with POST (application/json)\n",
        )
            .into_response();
    }
    if !state.graphiql {
        return not_found().await;
    }
    Html(GRAPHIQL_PAGE).into_response()
}

/// GraphiQL is served from the binary, not a CDN: jobcentre networks often block public CDNs.
const GRAPHIQL_PAGE: &str = include_str!("../assets/graphiql/index.html");

/// (name, content type, gzip-compressed bytes) of the page's assets.
const GRAPHIQL_ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js.gz"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css.gz"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js.gz"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js.gz"),
    ),
];

async fn graphiql_asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let found = GRAPHIQL_ASSETS.iter().find(|(name, _, _)| *name == file);
    match found {
        Some((_, content_type, bytes)) if state.graphiql => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CONTENT_ENCODING, "gzip"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        _ => not_found().await,
    }
}

/// Which JSON media type the response uses (GraphQL over HTTP, "Accept").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMedia {
    /// `application/graphql-response+json`: request errors answer with 4xx.
    GraphqlResponseJson,
    /// `application/json`: every well-formed request answers 200.
    Json,
}

impl ResponseMedia {
    fn content_type(self) -> &'static str {
        match self {
            ResponseMedia::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            ResponseMedia::Json => APPLICATION_JSON,
        }
    }
}

/// Picks the response type from `Accept`, honouring q-values. No header means
/// `application/json` (legacy clients); `None` means nothing we can send is acceptable.
pub fn negotiate(accept: Option<&str>) -> Option<ResponseMedia> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(ResponseMedia::Json);
    };
    // (quality, specificity) for each of our two types.
    let mut gql: Option<(f32, u8)> = None;
    let mut json: Option<(f32, u8)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (g, j) = match media.as_str() {
            "application/graphql-response+json" => (Some(2), None),
            "application/json" => (None, Some(2)),
            "application/*" | "*/*" => (Some(1), Some(1)),
            _ => (None, None),
        };
        for (slot, spec) in [(&mut gql, g), (&mut json, j)] {
            if let Some(spec) = spec
                && slot.is_none_or(|(_, s)| spec > s)
            {
                *slot = Some((q, spec));
            }
        }
    }
    let gq = gql.map(|(q, _)| q).unwrap_or(0.0);
    let jq = json.map(|(q, _)| q).unwrap_or(0.0);
    let gql_explicit = gql.is_some_and(|(_, s)| s == 2);
    if gq > 0.0 && gql_explicit && gq >= jq {
        Some(ResponseMedia::GraphqlResponseJson)
    } else if jq > 0.0 {
        Some(ResponseMedia::Json)
    } else if gq > 0.0 {
        Some(ResponseMedia::GraphqlResponseJson)
    } else {
        None
    }
}

fn error_body(code: ErrorCode, message: &str) -> Value {
    json!({ "errors": [ { "message": message, "extensions": { "code": code.as_str() } } ] })
}

fn error_response(
    status: StatusCode,
    content_type: &str,
    code: ErrorCode,
    message: &str,
) -> Response {
    let mut response = (status, error_body(code, message).to_string()).into_response();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Verifies the token and that its organisation exists (in the reference data: no SQL), and
/// makes the request's reader (what this caller may see, as of now).
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<(Actor, Reader), AppError> {
    let token = bearer_token(headers).ok_or_else(|| {
        AppError::Unauthenticated("a bearer token is required (Authorization: Bearer …)".into())
    })?;
    let actor = state.verifier.verify(token)?;
    if state
        .catalogue
        .organisation(&actor.organisation_id)
        .is_none()
    {
        return Err(crate::auth::jwt::reject(
            "token names an unknown organisation",
        ));
    }
    let reader = Reader::new(actor.clone(), chrono::Utc::now())?;
    Ok((actor, reader))
}

/// A refusal before execution, as a JSON GraphQL error with its code.
fn refuse(state: &AppState, status: StatusCode, ct: &str, e: &AppError) -> Response {
    let code = e.code();
    state
        .metrics
        .graphql_errors
        .with_label_values(&[code.as_str()])
        .inc();
    e.log_if_internal();
    let mut response = error_response(status, ct, code, &e.to_string());
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Reads the body within the size and time limits: a declared length over the limit is
/// refused before a byte is read (413), a body that trickles is cut off (408).
async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, (StatusCode, AppError)> {
    let max = state.limits.max_body_bytes;
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            AppError::LimitExceeded(format!("the request body may be at most {max} bytes")),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(
        state.limits.body_read_timeout,
        axum::body::to_bytes(body, max),
    )
    .await
    {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(_)) => Err((
            StatusCode::BAD_REQUEST,
            AppError::validation("body", "the request body could not be read"),
        )),
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            AppError::LimitExceeded(format!(
                "the request body was not received within {} seconds",
                state.limits.body_read_timeout.as_secs()
            )),
        )),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let Some(media) = negotiate(accept) else {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            APPLICATION_JSON,
            ErrorCode::Validation,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let ct = media.content_type();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ct,
            ErrorCode::Validation,
            "Content-Type must be application/json",
        );
    }
    // Who is asking is known before a byte of the body is read.
    let (actor, reader) = match authenticate(&state, &headers) {
        Ok(ok) => ok,
        Err(e) => {
            let status = match e.code() {
                ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return refuse(&state, status, ct, &e);
        }
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(body) => body,
        Err((status, e)) => return refuse(&state, status, ct, &e),
    };
    let parsed = serde_json::from_slice::<async_graphql::Request>(&body)
        .ok()
        .filter(|r| !r.query.trim().is_empty());
    let Some(mut request) = parsed else {
        let e = AppError::validation(
            "body",
            "the body must be a JSON object with a \"query\" string (and optional \"variables\", \"operationName\"); batches are not accepted",
        );
        return refuse(&state, StatusCode::BAD_REQUEST, ct, &e);
    };
    // The document's cost is known before async-graphql validates it (see graphql::shield).
    let entry = match state.documents.prepare(&mut request, &state.limits) {
        Ok((outcome, entry)) => {
            state
                .metrics
                .document_cache
                .with_label_values(&[outcome.as_str()])
                .inc();
            entry
        }
        Err(e) => {
            let mut error =
                async_graphql::Error::from(e).into_server_error(async_graphql::Pos::default());
            // Refused before parsing or for the whole document: there is no location to name.
            error.locations.clear();
            let response = async_graphql::Response::from_errors(vec![error]);
            return respond(&state, media, response);
        }
    };
    let validation = entry.as_ref().map_or(Validation::Strict, |e| {
        e.validation(&request, &state.schemas.inputs)
    });
    let operation_name = request.operation_name.clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header(REQUEST_ID_HEADER).unwrap_or_default();
    let client_request_id = header(CLIENT_REQUEST_ID_HEADER);
    let loaders = Loaders::new(state.db.clone(), reader.clone());
    let batches = loaders.batches();
    let request = request
        .data(actor)
        .data(reader)
        .data(loaders)
        .data(RequestMeta {
            request_id,
            client_request_id,
        });
    // The execution runs as its own task: a client that hangs up drops this handler, not the
    // statements in flight, so every pooled connection is finished and returned cleanly
    // instead of being torn down mid-statement (and reopened later at other clients' cost).
    // The request timeout applies inside the task as well.
    let schema = if validation == Validation::Revalidate {
        state.schemas.revalidating.clone()
    } else {
        state.schemas.strict.clone()
    };
    state
        .metrics
        .validations
        .with_label_values(&[if validation == Validation::Revalidate {
            "revalidated"
        } else {
            "strict"
        }])
        .inc();
    let timeout = state.limits.request_timeout;
    let metrics = state.metrics.clone();
    let execution = tokio::spawn(
        async move {
            let result = tokio::time::timeout(timeout, batches.run(schema.execute(request))).await;
            metrics.graphql_executions.inc();
            result
        }
        .in_current_span(),
    );
    match execution.await {
        Ok(Ok(response)) => {
            // Validation failed (or the request was refused as a whole) exactly when the
            // answer is a request error; anything else passed every rule.
            if validation == Validation::StrictThenMark
                && !is_request_error(&response)
                && let Some(entry) = &entry
            {
                entry.mark_validated(operation_name.as_deref());
            }
            respond(&state, media, response)
        }
        Ok(Err(_)) => error_response(
            StatusCode::REQUEST_TIMEOUT,
            media.content_type(),
            ErrorCode::LimitExceeded,
            "the request took too long",
        ),
        Err(e) => {
            tracing::error!(error = %e, "GraphQL execution task failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                media.content_type(),
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}

/// Whether the response is a request error: errors, none of them a field's, and no `data`.
fn is_request_error(response: &async_graphql::Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Serialises a GraphQL response: every error gets a code; a request error (the document did
/// not parse or validate, nothing executed) has no `data` and, under
/// `application/graphql-response+json`, a 400 status.
fn respond(
    state: &AppState,
    media: ResponseMedia,
    mut response: async_graphql::Response,
) -> Response {
    for error in &mut response.errors {
        let code = error::annotate(error);
        state
            .metrics
            .graphql_errors
            .with_label_values(&[code.as_str()])
            .inc();
    }
    let request_error = is_request_error(&response);
    // A request error drops `data` (the spec's "not present"); anything else is written
    // straight to text, without an intermediate JSON tree.
    let text = if request_error {
        serde_json::to_value(&response).map(|mut body| {
            if let Some(obj) = body.as_object_mut() {
                obj.remove("data");
            }
            body.to_string()
        })
    } else {
        crate::json::response_text(&response)
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "serialising GraphQL response");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                media.content_type(),
                ErrorCode::Internal,
                "internal error",
            );
        }
    };
    let status = if request_error && media == ResponseMedia::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    if text.len() > state.limits.max_response_bytes {
        let e = AppError::LimitExceeded(format!(
            "the answer would exceed {} bytes; ask for fewer fields or a smaller page",
            state.limits.max_response_bytes
        ));
        return refuse(state, status, media.content_type(), &e);
    }
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(match media {
            ResponseMedia::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            ResponseMedia::Json => APPLICATION_JSON,
        }),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_secrets_stay_out_of_the_log() {
        let id = "01a25170-0000-7000-8000-000000000000";
        assert_eq!(
            loggable_path(&format!("/calendar/{id}.s3cr3t-x.ics")),
            format!("/calendar/{id}.<secret>.ics")
        );
        assert_eq!(loggable_path("/calendar/s3cr3t"), "/calendar/.<secret>.ics");
        assert_eq!(loggable_path("/calendar/"), "/calendar/.<secret>.ics");
        assert_eq!(loggable_path("/graphql"), "/graphql");
    }

    #[test]
    fn accept_negotiation() {
        use ResponseMedia::*;
        assert_eq!(negotiate(None), Some(Json));
        assert_eq!(negotiate(Some("application/json")), Some(Json));
        assert_eq!(negotiate(Some("*/*")), Some(Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
