//! The HTTP surface. Reading this file shows the whole API: each resource module contributes its routes, and
//! the OpenAPI document is generated from the same handler annotations (utoipa), so it cannot drift.

mod assets;
mod banks;
mod contests;
mod control;
pub mod extract;
pub mod limits;
mod login;
mod meta;
mod participant;
mod ws;

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
    /// Organizer login rate limits and lockout.
    pub login: Arc<login::LoginGuard>,
    /// Current participant sessions, for the session check on every participant request.
    pub sessions: Arc<extract::SessionCache>,
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
            settings: Arc::new(settings),
            shutdown,
            local_port: 0,
            login: Arc::default(),
            sessions: Arc::default(),
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
    components(schemas(crate::error::ErrorBody))
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

/// The OpenAPI document of every HTTP endpoint.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router(1, 1).split_for_parts().1
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
        .merge(login::router())
        .merge(contests::router())
        .merge(control::router())
        .merge(participant::router())
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
    let doc = Arc::new(doc);
    Router::new()
        .route(
            "/healthz",
            get(|| async {
                axum::Json(serde_json::json!({"status": "ok", "server_now": crate::store::now_ms()}))
            }),
        )
        .route("/ws", get(ws::upgrade))
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
        .layer(SetResponseHeaderLayer::overriding(
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

async fn no_such_endpoint() -> AppError {
    AppError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_endpoint",
        "no such API endpoint",
    )
}
