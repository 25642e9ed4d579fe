//! Print tickets: how a printable page opened in a new browser tab proves its reader is the organizer.
//!
//! A page opened by a link cannot send the `Authorization` header, and an organizer token must never go into a
//! URL (docs/api.md, Authentication). So the console first asks for a ticket (`POST
//! /api/contests/{id}/print-tickets`, with the header) and opens the page with `?ticket=…`. A ticket is a random
//! 32-character string, good for [`TICKET_TTL_MS`], for the printable pages of one contest only (the report, the
//! certificates, answer sheets), read-only, and it ends with the organizer's login: it carries the account's token
//! version, which a logout or a password change bumps. Tickets live in the server's memory only
//! ([`super::Memory`]); a restart ends them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// How long a ticket opens pages: ten minutes (a reload or the browser's print preview within that time works).
pub const TICKET_TTL_MS: i64 = 10 * 60 * 1000;
/// At most this many live tickets; past it a new one is refused until old ones expire.
pub const MAX_TICKETS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub contest_id: i64,
    /// The organizer it was issued to, and their token version then.
    pub user: String,
    pub version: i64,
    pub expires_at: i64,
}

#[derive(Default)]
pub struct Tickets {
    live: Mutex<HashMap<String, Ticket>>,
}

impl Tickets {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Ticket>> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keep `ticket` (its random text) until it expires. False when too many tickets are live.
    pub fn issue(&self, text: String, ticket: Ticket, now: i64) -> bool {
        let mut live = self.lock();
        live.retain(|_, t| t.expires_at > now);
        if live.len() >= MAX_TICKETS {
            return false;
        }
        live.insert(text, ticket);
        true
    }

    /// The ticket `text` if it is live and for `contest_id`.
    pub fn check(&self, text: &str, contest_id: i64, now: i64) -> Option<Ticket> {
        self.lock()
            .get(text)
            .filter(|t| t.contest_id == contest_id && t.expires_at > now)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(contest_id: i64, expires_at: i64) -> Ticket {
        Ticket {
            contest_id,
            user: "admin".into(),
            version: 0,
            expires_at,
        }
    }

    #[test]
    fn a_ticket_opens_its_contest_until_it_expires() {
        let tickets = Tickets::default();
        assert!(tickets.issue("abc".into(), ticket(7, 1000), 0));
        assert_eq!(tickets.check("abc", 7, 999).map(|t| t.contest_id), Some(7));
        assert_eq!(tickets.check("abc", 8, 10), None, "another contest");
        assert_eq!(tickets.check("abc", 7, 1000), None, "expired");
        assert_eq!(tickets.check("abd", 7, 10), None, "unknown");
    }

    #[test]
    fn expired_tickets_make_room() {
        let tickets = Tickets::default();
        for i in 0..MAX_TICKETS {
            assert!(tickets.issue(format!("t{i}"), ticket(1, 100), 0));
        }
        assert!(!tickets.issue("one more".into(), ticket(1, 200), 50));
        assert!(tickets.issue("one more".into(), ticket(1, 200), 100));
        assert_eq!(tickets.lock().len(), 1);
    }
}
