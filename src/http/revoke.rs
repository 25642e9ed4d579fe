//! Sockets of revoked credentials. A token is checked when a socket opens; afterwards the socket lives on its
//! own, so every revocation also closes the sockets opened with the revoked token:
//! - organizer logout (in this process): the account's sockets close at once;
//! - a password change by `jingsai admin password` (another process, same database) and any socket that opened
//!   while a revocation was under way: a sweep every [`SWEEP_EVERY`] compares every open organizer and
//!   big-screen socket with the stored token versions (two reads of small tables) and closes the stale ones;
//! - revoked big-screen links (`DELETE /api/contests/{id}/display-token`): that contest's screens close at once.
//!
//! A closed socket receives `{"type":"error","code":"token_revoked",…}`, then a close frame with code 4002 and
//! reason `token_revoked`; reconnecting with the same token is refused with `401 token_revoked`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::auth::{Claims, Role};
use crate::contest::Engine;
use crate::realtime::Credential;
use crate::store::Store;

/// How often open organizer and big-screen sockets are compared with the stored token versions.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// The credential a socket opened with `claims` is registered under.
pub fn credential_of(claims: &Claims) -> Credential {
    match claims.role {
        Role::Organizer => Credential::Organizer {
            account: Arc::from(claims.sub.as_str()),
            version: claims.ver.unwrap_or(0),
        },
        Role::Display => Credential::Display {
            version: claims.ver.unwrap_or(0),
        },
        Role::Participant => Credential::Participant {
            session_id: claims.sid.clone().unwrap_or_default(),
        },
    }
}

/// Close the organizer sockets of `account` in every loaded contest that were not opened with token version
/// `current` (`None`: the account is gone). Returns how many were closed.
pub async fn close_organizer_sockets(engine: &Engine, account: &str, current: Option<i64>) -> usize {
    let mut closed = 0;
    for (_, hub) in engine.hubs().await {
        closed += hub.revoke_organizer(account, current);
    }
    closed
}

/// Close the big-screen sockets of one contest that were not opened with display-link version `current`.
pub async fn close_display_sockets(engine: &Engine, contest_id: i64, current: i64) -> usize {
    let mut closed = 0;
    for (id, hub) in engine.hubs().await {
        if id == contest_id {
            closed += hub.revoke_displays(current);
        }
    }
    closed
}

/// One pass of the sweep: close every open organizer or big-screen socket whose token version is no longer the
/// stored one. Returns how many were closed.
pub async fn sweep(store: &Store, engine: &Engine) -> sqlx::Result<usize> {
    let hubs = engine.hubs().await;
    if hubs.is_empty() {
        return Ok(0);
    }
    let accounts: HashMap<String, i64> = store.token_versions().await?.into_iter().collect();
    let displays: HashMap<i64, i64> = store.display_versions().await?.into_iter().collect();
    let mut closed = 0;
    for (contest_id, hub) in hubs {
        for account in hub.organizer_accounts() {
            closed += hub.revoke_organizer(&account, accounts.get(account.as_ref()).copied());
        }
        if let Some(current) = displays.get(&contest_id) {
            closed += hub.revoke_displays(*current);
        }
    }
    Ok(closed)
}

/// Run [`sweep`] every [`SWEEP_EVERY`] until shutdown.
pub fn spawn_sweeper(store: Store, engine: Engine, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => match sweep(&store, &engine).await {
                    Ok(0) => {}
                    Ok(closed) => tracing::info!(closed, "closed sockets of revoked tokens"),
                    Err(e) => tracing::warn!(error = %e, "checking token versions failed"),
                },
                _ = shutdown.changed() => break,
            }
        }
    });
}
