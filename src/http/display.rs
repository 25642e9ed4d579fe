//! Big-screen links (organizer only): a read-only display token for one contest, and revoking every link of a
//! contest at once. Each contest has a display-link version, written into every display token; revoking
//! increments it, so older tokens are refused (`401 token_revoked`) and their open sockets are closed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::contests::{contest_row, sign};
use super::extract::Organizer;
use super::login::TokenResponse;
use crate::auth::{Claims, Role};
use crate::error::{AppError, AppResult};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(display_token, revoke_display_tokens))
}

/// A read-only token for the big screen of one contest (`/screen?token=…`). Valid until it expires or the
/// organizer revokes the contest's big-screen links.
#[utoipa::path(post, path = "/api/contests/{id}/display-token", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = TokenResponse)))]
async fn display_token(
    State(state): State<AppState>,
    Organizer(organizer): Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<TokenResponse>> {
    contest_row(&state, id).await?;
    let version = state
        .store
        .display_version(id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    let claims = Claims {
        contest_id: Some(id),
        ver: Some(version),
        ..Claims::new(Role::Display, "display", state.settings.display_token_ttl)
    };
    let token = sign(&state, &claims)?;
    // The link's lifetime and version, never the token itself.
    let detail = serde_json::json!({"display_version": version, "expires_at": claims.exp});
    state
        .store
        .record_action(id, &organizer.sub, "display_link", &detail)
        .await;
    Ok(axum::Json(TokenResponse {
        token,
        expires_at: claims.exp,
    }))
}

/// Revoke every big-screen link of this contest made so far: their tokens are refused from now on and open
/// big screens are disconnected (`token_revoked`). A link made afterwards works.
#[utoipa::path(delete, path = "/api/contests/{id}/display-token", tag = "contests", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204, description = "revoked")))]
async fn revoke_display_tokens(
    State(state): State<AppState>,
    Organizer(organizer): Organizer,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    contest_row(&state, id).await?;
    let version = state
        .store
        .bump_display_version(id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    let closed = super::revoke::close_display_sockets(&state.engine, id, version).await;
    tracing::info!(contest_id = id, closed, "big-screen links revoked");
    let detail = serde_json::json!({"display_version": version, "screens_closed": closed});
    state
        .store
        .record_action(id, &organizer.sub, "revoke_display_links", &detail)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
