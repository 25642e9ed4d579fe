//! Extractors. Authentication is an extractor, so a handler's signature says who may call it; body
//! rejections are turned into the same JSON errors as everything else.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::auth::{Claims, Role, TokenError};
use crate::contest::ParticipantRef;
use crate::error::AppError;

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

/// The bearer token from the `Authorization` header, or from `?token=` (WebSockets cannot set headers).
fn token_of(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(text) = value.to_str()
        && let Some(token) = text.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_string());
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_string())
    })
}

/// Any valid token.
pub struct Authenticated(pub Claims);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts).ok_or_else(|| {
            AppError::unauthorized("missing_token", "log in first: no bearer token in the request")
        })?;
        state.keys.verify(&token).map(Authenticated).map_err(|e| match e {
            TokenError::Expired => AppError::unauthorized("token_expired", e.to_string()),
            TokenError::Invalid => AppError::unauthorized("invalid_token", e.to_string()),
        })
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
