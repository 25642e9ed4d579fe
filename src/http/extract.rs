//! Extractors. Authentication is an extractor, so a handler's signature says who may call it; body
//! rejections are turned into the same JSON errors as everything else.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use super::AppState;
use crate::auth::{Claims, Role, TokenError};
use crate::contest::ParticipantRef;
use crate::error::{AppError, AppResult};
use crate::store::Store;
use crate::store::writer::{AnswerWriter, SessionOutcome, SessionWrite};

/// `axum::Json` with JSON error bodies for malformed, mistyped or oversized input.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    let status = rejection.status();
    let code = match &rejection {
        JsonRejection::JsonDataError(_) => "invalid_field",
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        JsonRejection::MissingJsonContentType(_) => "expected_json",
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        _ => "bad_body",
    };
    AppError::new(status, code, rejection.body_text())
}

/// The bearer token from the `Authorization` header. `?token=` is read on `/ws` only, because a browser cannot
/// set headers on a WebSocket; anywhere else a token in the URL would end up in logs, history and `Referer`.
fn token_of(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(text) = value.to_str()
        && let Some(token) = text.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_string());
    }
    if parts.uri.path() != "/ws" {
        return None;
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_string())
    })
}

/// Any valid token that is still current: an organizer token whose account version was not bumped (logout,
/// password change), a participant token of the participant's current session, a display token of a big-screen
/// link the organizer has not revoked.
pub struct Authenticated(pub Claims);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts).ok_or_else(|| {
            AppError::unauthorized("missing_token", "log in first: no bearer token in the request")
        })?;
        let claims = state.keys.verify(&token).map_err(|e| match e {
            TokenError::Expired => AppError::unauthorized("token_expired", e.to_string()),
            TokenError::Invalid => AppError::unauthorized("invalid_token", e.to_string()),
        })?;
        match claims.role {
            Role::Organizer => check_token_version(state, &claims).await?,
            Role::Participant => {
                if let (Some(participant_id), Some(session_id)) =
                    (claims.participant_id, claims.sid.as_deref())
                {
                    state
                        .sessions
                        .check(&state.store, participant_id, session_id)
                        .await?;
                }
            }
            Role::Display => check_display_version(state, &claims).await?,
        }
        Ok(Authenticated(claims))
    }
}

/// One indexed read per organizer request (organizer traffic is small), so that a logout or a password change,
/// even one made by `jingsai admin password` in another process, revokes tokens at once.
async fn check_token_version(state: &AppState, claims: &Claims) -> Result<(), AppError> {
    match state.store.token_version(&claims.sub).await? {
        None => Err(AppError::unauthorized(
            "invalid_token",
            "the token names no organizer account",
        )),
        Some(version) if version != claims.ver.unwrap_or(0) => Err(AppError::unauthorized(
            "token_revoked",
            "this login has ended (logged out or password changed); log in again",
        )),
        Some(_) => Ok(()),
    }
}

/// One indexed read per big-screen request or socket: a revoked big-screen link (the contest's display-link
/// version was bumped) is refused with `401 token_revoked`.
async fn check_display_version(state: &AppState, claims: &Claims) -> Result<(), AppError> {
    let Some(contest_id) = claims.contest_id else {
        return Ok(()); // refused by the handler: a display token must name its contest
    };
    match state.store.display_version(contest_id).await? {
        Some(version) if version != claims.ver.unwrap_or(0) => Err(AppError::unauthorized(
            "token_revoked",
            "this big-screen link was revoked; open a new link from the console",
        )),
        _ => Ok(()),
    }
}

/// The current session of each participant, for the session check on every participant request without a
/// call to the contest actor: a map lookup, filled from the store on a miss and written by `join` right after
/// the commit. Joins commit in batches (see `store::writer`); each entry keeps the commit order (`seq`) of the
/// session it holds, so a slower reply of an older join never overwrites a newer session, and misses fill only
/// empty slots, so a miss that read an old session from the store can never overwrite a newer one. Memory: one
/// entry per participant that made a request; past [`SessionCache::MAX_ENTRIES`] the map is emptied and refills
/// from the store (it is a cache).
#[derive(Default)]
pub struct SessionCache {
    current: std::sync::Mutex<std::collections::HashMap<i64, (u64, Arc<str>)>>,
}

impl SessionCache {
    pub const MAX_ENTRIES: usize = 200_000;

    /// Store a join's session (binding the seat first when `write.bind_device` is set) through the group-commit
    /// writer; once committed it is the participant's only valid session. Returns the outcome: `taken` when
    /// another device holds the seat (nothing written).
    pub async fn record(&self, writer: &AnswerWriter, write: SessionWrite) -> AppResult<SessionOutcome> {
        let participant_id = write.participant_id;
        let session_id: Arc<str> = Arc::from(write.session_id.as_str());
        let outcome = writer
            .put_session(write)
            .await
            .map_err(|e| AppError::unavailable(format!("the join could not be saved: {e}")))?;
        if !outcome.taken {
            let mut current = self.lock();
            if current.len() >= Self::MAX_ENTRIES {
                current.clear();
            }
            match current.get(&participant_id) {
                Some((seq, _)) if *seq > outcome.seq => {}
                _ => {
                    current.insert(participant_id, (outcome.seq, session_id));
                }
            }
        }
        Ok(outcome)
    }

    /// Refuse a session that another join replaced (`401 session_replaced`), or a participant that is gone.
    pub async fn check(&self, store: &Store, participant_id: i64, session_id: &str) -> AppResult<()> {
        let cached = self.lock().get(&participant_id).map(|(_, sid)| sid.clone());
        let current = match cached {
            Some(current) => Some(current),
            None => {
                let stored = store
                    .participant(participant_id)
                    .await?
                    .and_then(|p| p.session_id);
                stored.map(|sid| {
                    let mut map = self.lock();
                    if map.len() >= Self::MAX_ENTRIES {
                        map.clear();
                    }
                    map.entry(participant_id)
                        .or_insert_with(|| (0, Arc::from(sid)))
                        .1
                        .clone()
                })
            }
        };
        match current {
            Some(current) if current.as_ref() == session_id => Ok(()),
            Some(_) => Err(AppError::unauthorized(
                "session_replaced",
                "this participant logged in on another device; this session has ended",
            )),
            None => Err(AppError::unauthorized(
                "session_replaced",
                "this participant has no session any more; join again",
            )),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, (u64, Arc<str>)>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An organizer.
pub struct Organizer(pub Claims);

impl FromRequestParts<AppState> for Organizer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        if claims.role != Role::Organizer {
            return Err(AppError::forbidden("this needs an organizer login"));
        }
        Ok(Organizer(claims))
    }
}

/// A participant with their contest and session.
pub struct Participant {
    pub contest_id: i64,
    pub who: ParticipantRef,
}

impl FromRequestParts<AppState> for Participant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        match (claims.role, claims.contest_id, claims.participant_id, claims.sid) {
            (Role::Participant, Some(contest_id), Some(participant_id), Some(session_id)) => {
                Ok(Participant {
                    contest_id,
                    who: ParticipantRef {
                        participant_id,
                        session_id,
                    },
                })
            }
            _ => Err(AppError::forbidden("this needs a participant login")),
        }
    }
}
