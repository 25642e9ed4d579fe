//! Token versions for revocation: the organizer accounts' (see `users.rs`) as a whole, for the sweep that closes
//! sockets of revoked logins, and each contest's big-screen link version.

use super::Store;
use super::db::on_pool;

impl Store {
    /// Every organizer account's current token version (a handful of rows).
    pub async fn token_versions(&self) -> sqlx::Result<Vec<(String, i64)>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT username, token_version FROM users"
        )
        .fetch_all(exe)
        .await)
    }

    /// The contest's big-screen link version, `None` for an unknown contest. One indexed read, done on every
    /// display request and socket.
    pub async fn display_version(&self, contest_id: i64) -> sqlx::Result<Option<i64>> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT display_version FROM contests WHERE id = $1"
        )
        .bind(contest_id)
        .fetch_optional(exe)
        .await)
    }

    /// Revoke every big-screen link of the contest. Returns the new version, `None` for an unknown contest.
    pub async fn bump_display_version(&self, contest_id: i64) -> sqlx::Result<Option<i64>> {
        on_pool!(self.writer_pool(), |exe| {
            sqlx::query_scalar(
            "UPDATE contests SET display_version = display_version + 1 WHERE id = $1 RETURNING display_version",
        )
        .bind(contest_id)
        .fetch_optional(exe)
        .await
        })
    }

    /// The big-screen link version of every contest (one row per contest, a few dozen at most).
    pub async fn display_versions(&self) -> sqlx::Result<Vec<(i64, i64)>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT id, display_version FROM contests"
        )
        .fetch_all(exe)
        .await)
    }
}
