//! Organizer login and logout, with rate limits and an account lockout.
//!
//! Limits (token buckets, [`super::limits`]); every attempt takes a token from both buckets before the
//! password is checked, and a correct password gives them back:
//! - per client address: [`ADDRESS_RATE`], 10 attempts at once, then one every 6 s (10 a minute);
//! - per existing account: [`ACCOUNT_RATE`], 30 attempts at once, then one every 3 s (20 a minute). When the
//!   account's bucket is empty the account is locked: even the right password gets `429 account_locked` until a
//!   token is back.
//!
//! Trade-off: a lockout that an attacker can trigger is also a way to keep the organizer out. Because one
//! address may try only 10 a minute and the account refills 20 a minute, a single address can never keep the
//! account locked: it must spread its guesses over three or more addresses, and the account opens again within
//! 3 s of the guessing slowing below 20 a minute. The price is that a distributed guesser gets 20 guesses a
//! minute against the account (about 29,000 a day; the generated password has 12 characters from 55). Unknown
//! user names have no account bucket (nothing to protect, and spraying them must not evict the admin's bucket);
//! they only spend the address's tokens.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer};
use super::limits::{KeyedLimiter, Rate};
use crate::auth::{Claims, Role, verify_password_async};
use crate::error::{AppError, ErrorBody};

pub const ADDRESS_RATE: Rate = Rate::new(10, Duration::from_secs(6));
pub const ACCOUNT_RATE: Rate = Rate::new(30, Duration::from_secs(3));
/// Longest user name or password accepted (argon2 time grows with the password; nobody types more).
pub const MAX_CREDENTIAL_LEN: usize = 256;

/// The login limiters of one server.
pub struct LoginGuard {
    by_address: KeyedLimiter<IpAddr>,
    by_account: KeyedLimiter<String>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        Self {
            by_address: KeyedLimiter::new(ADDRESS_RATE, 10_000),
            by_account: KeyedLimiter::new(ACCOUNT_RATE, 1_000),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(max_length = 256)]
    pub username: String,
    #[schema(max_length = 256)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
}

/// Organizer login. Limited per client address and per account (see docs/api.md): `429` with `Retry-After`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
              (status = 400, description = "malformed JSON", body = ErrorBody),
              (status = 401, description = "`bad_credentials`", body = ErrorBody),
              (status = 413, description = "body over the limit", body = ErrorBody),
              (status = 415, description = "not JSON", body = ErrorBody),
              (status = 422, description = "missing or mistyped field, or over 256 characters", body = ErrorBody),
              (status = 429, description = "`too_many_requests` (this address) or `account_locked`; see the `Retry-After` header",
               body = ErrorBody, headers(("Retry-After" = u64, description = "seconds to wait"))),
              (status = 503, description = "`login_busy`: too many logins being checked at once", body = ErrorBody,
               headers(("Retry-After" = u64, description = "seconds to wait")))))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<LoginRequest>,
) -> Result<axum::Json<TokenResponse>, Response> {
    let username = request.username.trim();
    if username.chars().count() > MAX_CREDENTIAL_LEN || request.password.chars().count() > MAX_CREDENTIAL_LEN
    {
        return Err(AppError::unprocessable(
            "too_long",
            format!("user name and password are at most {MAX_CREDENTIAL_LEN} characters"),
        )
        .into_response());
    }
    let guard = &state.login;
    let address = peer.ip();
    guard.by_address.check(&address).map_err(|limited| {
        limited.into_response_with(
            "too_many_requests",
            format!(
                "too many login attempts from this address; try again in {} s",
                limited.retry_after_secs()
            ),
        )
    })?;
    let user = state
        .store
        .user_by_name(username)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let Some(user) = user else {
        return Err(bad_credentials());
    };
    let account = user.username.clone();
    guard.by_account.check(&account).map_err(|limited| {
        limited.into_response_with(
            "account_locked",
            format!(
                "too many wrong passwords for this account; it is locked for {} s",
                limited.retry_after_secs()
            ),
        )
    })?;
    let ok = verify_password_async(request.password, user.password_hash)
        .await
        .map_err(|busy| {
            let mut response = AppError::new(StatusCode::SERVICE_UNAVAILABLE, "login_busy", busy.to_string())
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        })?;
    if !ok {
        tracing::warn!(%address, account, "organizer login refused: wrong password");
        return Err(bad_credentials());
    }
    guard.by_address.refund(&address);
    guard.by_account.refund(&account);
    let version = state
        .store
        .token_version(&account)
        .await
        .map_err(|e| AppError::from(e).into_response())?
        .unwrap_or(0);
    let claims = Claims {
        ver: Some(version),
        ..Claims::new(Role::Organizer, account, state.settings.organizer_token_ttl)
    };
    let token = super::contests::sign(&state, &claims).map_err(IntoResponse::into_response)?;
    Ok(axum::Json(TokenResponse {
        token,
        expires_at: claims.exp,
    }))
}

fn bad_credentials() -> Response {
    AppError::unauthorized("bad_credentials", "wrong user name or password").into_response()
}

/// Log out: every token of this organizer account stops working (all devices), including this one, and the
/// account's open console sockets are closed with `token_revoked`.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "logged out"),
              (status = 401, description = "`missing_token`, `invalid_token`, `token_expired`, `token_revoked`", body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn logout(State(state): State<AppState>, Organizer(claims): Organizer) -> Result<StatusCode, AppError> {
    let version = state.store.bump_token_version(&claims.sub).await?;
    // The account's open console sockets end too (`token_revoked`), in every contest.
    let closed = super::revoke::close_organizer_sockets(&state.engine, &claims.sub, version).await;
    tracing::info!(account = claims.sub, closed, "organizer logged out");
    Ok(StatusCode::NO_CONTENT)
}
