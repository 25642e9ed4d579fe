//! Server facts the web apps need: addresses a phone can reach (for the join link and QR code), the join address
//! the organizer chose for a contest, and QR codes rendered here as SVG, because the apps must work on an offline
//! LAN without any CDN.

use std::net::IpAddr;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Authenticated, Json, Organizer};
use crate::auth::Role;
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(server_info))
        .routes(routes!(set_join_base))
        .routes(routes!(qr_code))
}

/// `http://ip:port` (IPv6 in brackets).
fn base_of(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(ip) => format!("http://{ip}:{port}"),
        IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
    }
}

/// The base URLs phones may use, best first: the configured public URL; then the addresses the server listens
/// on. Listening on a specific address offers only that one; listening on every interface (0.0.0.0 or ::) offers
/// each non-loopback IPv4 interface, and loopback last (it reaches only this computer). `interfaces` is the
/// list of this computer's addresses.
pub fn offered_bases(
    public_url: Option<&str>,
    listen_ip: IpAddr,
    port: u16,
    interfaces: &[IpAddr],
) -> Vec<String> {
    let mut bases: Vec<String> = public_url.map(str::to_owned).into_iter().collect();
    if listen_ip.is_unspecified() {
        for ip in interfaces.iter().filter(|ip| ip.is_ipv4() && !ip.is_loopback()) {
            bases.push(base_of(*ip, port));
        }
        bases.push(base_of(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port));
    } else {
        bases.push(base_of(listen_ip, port));
    }
    let mut seen = std::collections::HashSet::new();
    bases.retain(|b| seen.insert(b.clone()));
    bases
}

#[derive(Deserialize, IntoParams)]
pub struct ServerInfoParams {
    /// Organizer only: also report this contest's chosen join address (`join_base_url`). Participant and
    /// big-screen tokens always get their own contest's.
    contest: Option<i64>,
}

/// Base URLs at which phones can reach this server, for join links and QR codes, best first (`lan_urls`): the
/// `--public-url` if set, then the addresses the server listens on (on 0.0.0.0: every non-loopback IPv4
/// interface, loopback last). `join_base_url` is the address the organizer chose for the contest (null: not
/// chosen; use the first of `lan_urls`, or the page's own address when it is not loopback). Any logged-in role
/// may ask (the big screen shows the join QR code).
#[utoipa::path(get, path = "/api/server-info", tag = "meta", security(("bearer" = [])), params(ServerInfoParams),
    responses((status = 200, description = "`{lan_urls, public_url, join_base_url, contest_id, port, server_now}`", body = Object)))]
async fn server_info(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Query(params): Query<ServerInfoParams>,
) -> AppResult<axum::Json<Value>> {
    let port = state.local_port;
    let interfaces: Vec<IpAddr> = if state.local_ip.is_unspecified() {
        if_addrs::get_if_addrs()
            .map(|list| list.into_iter().map(|iface| iface.ip()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let urls = offered_bases(
        state.settings.public_url.as_deref(),
        state.local_ip,
        port,
        &interfaces,
    );
    let contest_id = match claims.role {
        Role::Organizer => params.contest,
        _ => claims.contest_id,
    };
    let join_base_url = match contest_id {
        Some(id) => state.store.join_base_url(id).await?.flatten(),
        None => None,
    };
    Ok(axum::Json(json!({
        "lan_urls": urls,
        "public_url": state.settings.public_url,
        "join_base_url": join_base_url,
        "contest_id": contest_id,
        "port": port,
        "server_now": crate::store::now_ms(),
    })))
}

#[derive(Deserialize, ToSchema)]
pub struct JoinBaseRequest {
    /// `http(s)://host[:port]`, or null to go back to the default.
    join_base_url: Option<String>,
}

/// Choose the address phones use to join this contest: the big screen's join link and QR code (updated at once
/// on open screens) and the printed join slips use it. `http` or `https`, host and optional port only; null
/// clears the choice.
#[utoipa::path(put, path = "/api/contests/{id}/join-base", tag = "meta", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = JoinBaseRequest,
    responses((status = 200, description = "`{join_base_url}`", body = Object),
              (status = 404, body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_url`", body = crate::error::ErrorBody)))]
async fn set_join_base(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(request): Json<JoinBaseRequest>,
) -> AppResult<axum::Json<Value>> {
    let url = match request.join_base_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            Some(crate::config::parse_base_url(text).map_err(|e| AppError::unprocessable("invalid_url", e))?)
        }
    };
    if !state.store.set_join_base_url(id, url.as_deref()).await? {
        return Err(AppError::not_found("contest"));
    }
    let detail = json!({"join_base_url": url});
    state
        .store
        .record_action(id, &claims.sub, "set_join_base", &detail)
        .await;
    // Open big screens of the contest switch their join link and QR code now (only a loaded contest has any).
    if let Some((_, hub)) = state.engine.hubs().await.into_iter().find(|(cid, _)| *cid == id) {
        hub.publish_screen(crate::realtime::encode(&json!({
            "type": "join_base",
            "join_base_url": url,
        })));
    }
    Ok(axum::Json(json!({ "join_base_url": url })))
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

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::offered_bases;

    #[test]
    fn only_listened_addresses_are_offered() {
        let interfaces: Vec<IpAddr> = vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "fe80::1".parse().expect("ip"),
            IpAddr::V4(Ipv4Addr::new(10, 8, 0, 3)),
        ];
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        // Every interface: the non-loopback IPv4 ones, loopback as the last resort.
        assert_eq!(
            offered_bases(None, any, 8080, &interfaces),
            [
                "http://192.168.1.20:8080",
                "http://10.8.0.3:8080",
                "http://127.0.0.1:8080"
            ]
        );
        assert_eq!(
            offered_bases(None, IpAddr::V6(Ipv6Addr::UNSPECIFIED), 8080, &interfaces)[0],
            "http://192.168.1.20:8080"
        );
        assert_eq!(offered_bases(None, any, 8080, &[]), ["http://127.0.0.1:8080"]);
        // One address: only that one, whatever the interfaces are.
        assert_eq!(
            offered_bases(None, IpAddr::V4(Ipv4Addr::LOCALHOST), 8080, &interfaces),
            ["http://127.0.0.1:8080"]
        );
        assert_eq!(
            offered_bases(None, IpAddr::V4(Ipv4Addr::new(10, 8, 0, 3)), 9000, &interfaces),
            ["http://10.8.0.3:9000"]
        );
        assert_eq!(
            offered_bases(None, "fd00::5".parse().expect("ip"), 9000, &[]),
            ["http://[fd00::5]:9000"]
        );
        // The public URL first, never twice.
        assert_eq!(
            offered_bases(Some("https://quiz.example.org"), any, 8080, &interfaces),
            [
                "https://quiz.example.org",
                "http://192.168.1.20:8080",
                "http://10.8.0.3:8080",
                "http://127.0.0.1:8080"
            ]
        );
        assert_eq!(
            offered_bases(
                Some("http://10.8.0.3:9000"),
                IpAddr::V4(Ipv4Addr::new(10, 8, 0, 3)),
                9000,
                &[]
            ),
            ["http://10.8.0.3:9000"]
        );
    }
}
