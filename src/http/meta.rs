//! Server facts the web apps need: addresses a phone can reach (for the join link and QR code), and QR codes
//! rendered here as SVG, because the apps must work on an offline LAN without any CDN.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::Authenticated;
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(server_info))
        .routes(routes!(qr_code))
}

/// Base URLs at which phones on the LAN can reach this server (non-loopback IPv4), for join links and QR
/// codes. Any logged-in role may ask (the big screen shows the join QR code).
#[utoipa::path(get, path = "/api/server-info", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "`{lan_urls, port, server_now}`", body = Object)))]
async fn server_info(State(state): State<AppState>, _: Authenticated) -> AppResult<axum::Json<Value>> {
    let port = state.local_port;
    let mut urls = Vec::new();
    if let Ok(interfaces) = if_addrs::get_if_addrs() {
        for iface in interfaces {
            let ip = iface.ip();
            if ip.is_ipv4() && !ip.is_loopback() {
                urls.push(format!("http://{ip}:{port}"));
            }
        }
    }
    Ok(axum::Json(
        json!({"lan_urls": urls, "port": port, "server_now": crate::store::now_ms()}),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct QrParams {
    /// The text to encode, e.g. the join URL: 1 to 256 characters (at most 1024 bytes, which any 256
    /// characters fit in, so every text the schema allows also fits in a QR code).
    #[param(min_length = 1, max_length = 256)]
    text: String,
}

/// A QR code as SVG.
#[utoipa::path(get, path = "/api/qr.svg", tag = "meta", params(QrParams),
    responses((status = 200, content_type = "image/svg+xml", body = String)))]
async fn qr_code(Query(params): Query<QrParams>) -> AppResult<impl IntoResponse> {
    if params.text.is_empty() || params.text.chars().count() > 256 {
        return Err(AppError::bad_request(
            "invalid_text",
            "text must be 1-256 characters",
        ));
    }
    let code = qrcode::QrCode::with_error_correction_level(params.text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::bad_request("invalid_text", e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        svg,
    ))
}
