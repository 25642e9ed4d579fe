//! The messages instances exchange over NOTIFY: JSON, after a `from|contest|` header the listener reads
//! without parsing the body. Frames (already JSON) are embedded as they are.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::http::StatusCode;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::contest::Request;
use crate::error::AppError;
use crate::realtime::RelayEvent;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Envelope {
    /// To a contest's owner. `id` 0: no reply wanted.
    Request { id: u64, request: Request },
    /// To the instance that sent request `id`.
    Reply {
        id: u64,
        result: Result<Value, WireError>,
    },
    /// To every instance (or, personal frames, to one).
    Event(WireEvent),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum WireEvent {
    Public(Box<RawValue>),
    Participants(Box<RawValue>),
    Screen(Box<RawValue>),
    Organizer(Box<RawValue>),
    ReplaceSessions {
        participant_id: i64,
        session_id: String,
        seat_moved: bool,
    },
    /// Frames for participants connected to the receiving instance.
    Personal {
        shared: Vec<Box<RawValue>>,
        messages: Vec<(i64, Box<RawValue>)>,
    },
    /// The sending instance owns the contest from now on.
    Owner,
}

impl WireEvent {
    pub(super) fn from_relay(event: RelayEvent) -> Self {
        let frame = |bytes: Bytes| raw(bytes).unwrap_or_else(|| RawValue::NULL.to_owned());
        match event {
            RelayEvent::Public(bytes) => Self::Public(frame(bytes)),
            RelayEvent::Participants(bytes) => Self::Participants(frame(bytes)),
            RelayEvent::Screen(bytes) => Self::Screen(frame(bytes)),
            RelayEvent::Organizer(bytes) => Self::Organizer(frame(bytes)),
            RelayEvent::ReplaceSessions {
                participant_id,
                session_id,
                seat_moved,
            } => Self::ReplaceSessions {
                participant_id,
                session_id,
                seat_moved,
            },
        }
    }

    /// The event for a hub's local sockets (`None` for the events the cluster handles itself).
    pub(super) fn into_relay(self) -> Option<RelayEvent> {
        Some(match self {
            Self::Public(frame) => RelayEvent::Public(bytes(frame)),
            Self::Participants(frame) => RelayEvent::Participants(bytes(frame)),
            Self::Screen(frame) => RelayEvent::Screen(bytes(frame)),
            Self::Organizer(frame) => RelayEvent::Organizer(bytes(frame)),
            Self::ReplaceSessions {
                participant_id,
                session_id,
                seat_moved,
            } => RelayEvent::ReplaceSessions {
                participant_id,
                session_id,
                seat_moved,
            },
            Self::Personal { .. } | Self::Owner => return None,
        })
    }
}

/// A frame as embedded JSON (`None` if it is not JSON, which no frame of ours is).
pub(super) fn raw(bytes: Bytes) -> Option<Box<RawValue>> {
    let text = String::from_utf8(bytes.to_vec()).ok()?;
    RawValue::from_string(text).ok()
}

pub(super) fn bytes(frame: Box<RawValue>) -> Bytes {
    Bytes::from(String::from(Box::<str>::from(frame)))
}

/// An [`AppError`] as it crosses instances.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireError {
    status: u16,
    code: String,
    message: String,
    details: Option<Value>,
}

impl WireError {
    pub(super) fn from_app(e: AppError) -> Self {
        Self {
            status: e.status.as_u16(),
            code: e.code.to_owned(),
            message: e.message,
            details: e.details,
        }
    }

    pub(super) fn into_app(self) -> AppError {
        AppError {
            status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: intern(self.code),
            message: self.message,
            details: self.details,
        }
    }
}

/// Error codes are a fixed set of words in the binary every instance runs; each distinct code is kept once.
fn intern(code: String) -> &'static str {
    static CODES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut codes = CODES.lock().unwrap_or_else(|e| e.into_inner());
    let codes = codes.get_or_insert_with(HashSet::new);
    if let Some(known) = codes.get(code.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(code.into_boxed_str());
    codes.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_errors_cross_unchanged() {
        let frame = Bytes::from_static(br#"{"type":"question_open","index":2}"#);
        let event = WireEvent::from_relay(RelayEvent::Public(frame.clone()));
        let text = serde_json::to_string(&Envelope::Event(event)).expect("encode");
        let Envelope::Event(back) = serde_json::from_str(&text).expect("decode") else {
            panic!("not an event");
        };
        match back.into_relay() {
            Some(RelayEvent::Public(bytes)) => assert_eq!(bytes, frame),
            other => panic!("{other:?}"),
        }
        let error = AppError::conflict("answer_late", "too late");
        let back = WireError::from_app(error).into_app();
        assert_eq!(back.status, StatusCode::CONFLICT);
        assert_eq!(back.code, "answer_late");
        assert!(std::ptr::eq(
            intern("answer_late".into()),
            intern("answer_late".into())
        ));
    }
}
