//! Why the server closes a socket: the last message it sends and the close frame after it. Clients tell a
//! final close (do not reconnect with this token) from a passing one by the close code (docs/protocol.md,
//! "Close codes").

use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;

use super::encode;

/// A newer connection of the same login closed this one (the client may reconnect).
pub const CLOSE_TOO_MANY_CONNECTIONS: u16 = 4000;
/// A newer join of the same participant replaced this session (final: the token is refused from now on).
pub const CLOSE_SESSION_REPLACED: u16 = 4001;
/// The token was revoked: organizer logout or password change, or a revoked big-screen link (final).
pub const CLOSE_TOKEN_REVOKED: u16 = 4002;

/// What a connection authenticated with, so that the server can find and close the sockets of a credential
/// that stopped being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A participant session (a newer join replaces it).
    Participant { session_id: String },
    /// An organizer token: the account and the token version it was signed with.
    Organizer { account: Arc<str>, version: i64 },
    /// A big-screen token of the contest, signed with this display-link version.
    Display { version: i64 },
}

/// The notice (a JSON frame) sent before the close frame, and the close frame's code and reason.
#[derive(Debug, Clone)]
pub struct Closing {
    pub notice: Bytes,
    pub code: u16,
    /// The close frame's reason: the same word as the notice's `code` (or `type`), at most 123 bytes.
    pub reason: &'static str,
}

impl Closing {
    pub fn too_many_connections() -> Self {
        Self {
            notice: encode(&json!({
                "type": "error",
                "code": "too_many_connections",
                "message": "this login opened a newer connection; this one is closed",
            })),
            code: CLOSE_TOO_MANY_CONNECTIONS,
            reason: "too_many_connections",
        }
    }

    /// A newer join of the same participant (the phone holding the seat, in another page).
    pub fn session_replaced() -> Self {
        Self::replaced("rejoined", "this participant logged in on another device")
    }

    /// The organizer approved another phone for this seat.
    pub fn seat_moved() -> Self {
        Self::replaced("seat_moved", "the organizer moved this seat to another phone")
    }

    fn replaced(why: &str, message: &str) -> Self {
        Self {
            notice: encode(&json!({"type": "session_replaced", "reason": why, "message": message})),
            code: CLOSE_SESSION_REPLACED,
            reason: "session_replaced",
        }
    }

    /// An organizer login that ended (logout, password change).
    pub fn organizer_revoked() -> Self {
        Self::token_revoked("this login has ended (logged out or password changed); log in again")
    }

    /// A big-screen link that the organizer revoked.
    pub fn display_revoked() -> Self {
        Self::token_revoked("this big-screen link was revoked; open a new link from the console")
    }

    fn token_revoked(message: &str) -> Self {
        Self {
            notice: encode(&json!({"type": "error", "code": "token_revoked", "message": message})),
            code: CLOSE_TOKEN_REVOKED,
            reason: "token_revoked",
        }
    }
}
