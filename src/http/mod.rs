//! The HTTP surface. Reading this file shows the whole API: each resource module contributes its routes, and
//! the OpenAPI document is generated from the same handler annotations (utoipa), so it cannot drift.

mod analysis;
mod assets;
mod banks;
mod contests;
mod control;
mod display;
pub mod extract;
pub mod join_guard;
pub mod limits;
mod lint;
mod login;
mod meta;
mod participant;
mod results;
pub mod revoke;
mod seats;
pub mod serve;
mod ws;
mod ws_out;

/// The roster CSV parser behind `POST /api/contests/{id}/roster`, public for the fuzz targets (fuzz/).
pub use contests::roster::{RosterError, parse_roster};

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tokio::sync::watch;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Keys;
use crate::config::Settings;
use crate::contest::Engine;
use crate::error::AppError;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub engine: Engine,
    pub keys: Keys,
    pub settings: Arc<Settings>,
    pub shutdown: watch::Receiver<bool>,
    /// The port we listen on, for join links.
    pub local_port: u16,
    /// The address we listen on (unspecified: every interface), for join links.
    pub local_ip: std::net::IpAddr,
    /// Organizer login rate limits and lockout.
    pub login: Arc<login::LoginGuard>,
    /// Failed-join limits per client address and per contest.
    pub joins: Arc<join_guard::JoinGuard>,
    /// Current participant sessions, for the session check on every participant request.
    pub sessions: Arc<extract::SessionCache>,
    /// Print tickets and answer sheet switches of the results endpoints.
    pub results: Arc<crate::results::Memory>,
}

impl AppState {
    pub fn new(
        store: Store,
        engine: Engine,
        keys: Keys,
        settings: Settings,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            store,
            engine,
            keys,
            joins: Arc::new(join_guard::JoinGuard::new(&settings)),
            settings: Arc::new(settings),
            shutdown,
            local_port: 0,
            local_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            login: Arc::default(),
            sessions: Arc::default(),
            results: Arc::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jingsai API",
        description = "Contest server: banks, contests, rounds, answers. Live events go over WebSocket (/ws), \
                       documented in docs/protocol.md."
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody, crate::bank::BankError, contests::roster::RosterError))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of every HTTP endpoint, as served at `/api/openapi.json`.
pub fn openapi() -> serde_json::Value {
    finish_document(api_router(1, 1).split_for_parts().1)
}

/// The generated document with the shared error responses and the real ranges of unsigned fields.
fn finish_document(mut doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    declare_common_errors(&mut doc);
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    unsigned_ranges(&mut value);
    value
}

/// Declare, on every operation, the error statuses that come from the shared machinery rather than from the
/// handler, so the document lists every status a client can see: 400 (a path or query parameter that does not
/// parse), 401/403 (the token extractors), 404 (a path naming nothing), 413/415/422 (the JSON body extractor
/// and the body limits) and 503 (storage or engine unavailable). Statuses a handler declares itself keep their
/// own description. Every error body is [`crate::error::ErrorBody`].
fn declare_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = operation.request_body.is_some();
            let has_query = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |status: &str, description: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description));
            };
            if has_path_params || has_query {
                add("400", "a path or query parameter is malformed");
            }
            if secured {
                add(
                    "401",
                    "`missing_token`, `invalid_token`, `token_expired`, `token_revoked` or `session_replaced`",
                );
                add("403", "`forbidden`: the token's role may not do this");
            }
            if has_path_params {
                add("404", "nothing has this id");
            }
            if has_body {
                add("400", "`malformed_json`");
                add("413", "`body_too_large`: the body is over the limit");
                add("415", "`expected_json`: the body must be JSON");
                add("422", "`invalid_field`: a field is missing or has the wrong type");
            }
            add(
                "503",
                "`storage_unavailable` or `unavailable`: storage or the contest engine cannot take it now; send it again",
            );
        }
    }
}

/// utoipa describes `u32` (and `u8`, `u16`) as `format: int32, minimum: 0`, which tells clients the largest
/// value is 2^31-1 while the server takes up to 2^32-1. State the real range: no `int32` format, `maximum`
/// 4294967295 unless a field declares its own (fields with tighter rules do, e.g. `difficulty`).
fn unsigned_ranges(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()) == Some("int32")
                && map.get("minimum").and_then(serde_json::Value::as_f64) == Some(0.0)
            {
                map.remove("format");
                map.entry("maximum")
                    .or_insert_with(|| serde_json::Value::from(u32::MAX));
            }
            map.values_mut().for_each(unsigned_ranges);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(unsigned_ranges),
        _ => {}
    }
}

/// Ordinary JSON endpoints get a small body limit; bank and roster uploads a larger one. Oversized bodies are
/// refused with 413 and a JSON error before any handler runs.
fn api_router(body_limit: usize, upload_limit: usize) -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .merge(banks::upload_router())
        .merge(contests::upload_router())
        .layer(DefaultBodyLimit::max(upload_limit));
    let api = OpenApiRouter::new()
        .merge(banks::router())
        .merge(lint::router())
        .merge(analysis::router())
        .merge(login::router())
        .merge(contests::router())
        .merge(display::router())
        .merge(control::router())
        .merge(participant::router())
        .merge(results::router())
        .merge(seats::router())
        .merge(meta::router())
        .layer(DefaultBodyLimit::max(body_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .merge(api)
}

/// Sent with every response. The apps load only their own module scripts and stylesheets (no inline script,
/// no inline event handler, no `style` attribute in markup; styles set through the DOM are allowed by CSP), and
/// talk only to this origin: `connect-src 'self'` also covers the same-origin `ws:` socket in current Chromium
/// and Firefox (CSP level 3). `data:` images are the empty favicon. Nothing may frame the apps.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let (api, doc) =
        api_router(state.settings.max_body_bytes, state.settings.max_upload_bytes).split_for_parts();
    let doc = Arc::new(finish_document(doc));
    Router::new()
        .route(
            "/healthz",
            get(|| async {
                axum::Json(serde_json::json!({"status": "ok", "server_now": crate::store::now_ms()}))
            }),
        )
        .route("/ws", get(ws::upgrade))
        .route("/metrics", get(metrics))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(api)
        .route("/api/{*rest}", axum::routing::any(no_such_endpoint))
        .layer(axum::middleware::map_response(json_errors))
        .merge(assets::router())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // The printable results pages (src/http/results.rs) send a policy of their own that allows exactly
        // their inline stylesheet; every other response gets this one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

/// Make every error response JSON, including axum's own rejections (bad path or query parameters, wrong
/// method, oversized raw bodies), so clients can rely on `{"error": {code, message}}` everywhere.
async fn json_errors(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    if response.headers().contains_key(header::UPGRADE) {
        return response;
    }
    let code = match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "body_too_large",
        415 => "unsupported_media_type",
        422 => "invalid_input",
        _ if status.is_server_error() => "internal",
        _ => "bad_request",
    };
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    AppError::new(status, code, message).into_response()
}

/// `GET /metrics`: the Prometheus text format, for organizers only (a scraper sends an organizer bearer token;
/// docs/operations.md).
async fn metrics(_organizer: extract::Organizer) -> impl axum::response::IntoResponse {
    metrics_text()
}

pub fn metrics_text() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::metrics::METRICS.render(),
    )
}

async fn no_such_endpoint() -> AppError {
    AppError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_endpoint",
        "no such API endpoint",
    )
}
