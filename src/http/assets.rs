//! The web apps, embedded in the binary so that one file is the whole deployment (no CDN, no build step).

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;

#[derive(RustEmbed)]
#[folder = "frontend/"]
struct Assets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { asset("index.html") }))
        .route("/console", get(|| async { asset("console/index.html") }))
        .route("/screen", get(|| async { asset("screen/index.html") }))
        .route(
            "/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
}

fn asset(path: &str) -> Response {
    let path = path.trim_start_matches('/');
    let file =
        Assets::get(path).or_else(|| Assets::get(&format!("{}/index.html", path.trim_end_matches('/'))));
    match file {
        Some(content) => {
            let mime = mime_guess::from_path(path).first_or(mime_guess::mime::TEXT_HTML);
            let mut mime = mime.to_string();
            if mime.starts_with("text/") || mime == "application/javascript" {
                mime.push_str("; charset=utf-8");
            }
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                content.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
