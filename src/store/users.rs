//! Organizer accounts: token versions (revocation) and password changes.

use super::db::on_pool;
use super::{Store, now_ms};

impl Store {
    /// The account's current token version, or `None` for an unknown user. One indexed read (`username` is
    /// UNIQUE), done on every organizer request so that a logout or a password change made by another process
    /// (`jingsai admin password`) takes effect at once.
    pub async fn token_version(&self, username: &str) -> sqlx::Result<Option<i64>> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT token_version FROM users WHERE username = $1"
        )
        .bind(username)
        .fetch_optional(exe)
        .await)
    }

    /// Revoke every token of the account (logout). Returns the new version, `None` for an unknown user.
    pub async fn bump_token_version(&self, username: &str) -> sqlx::Result<Option<i64>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_scalar(
            "UPDATE users SET token_version = token_version + 1 WHERE username = $1 RETURNING token_version",
        )
        .bind(username)
        .fetch_optional(exe)
        .await)
    }

    /// Set a new password (creating the account if needed) and revoke every token signed before.
    pub async fn change_password(&self, username: &str, password_hash: &str) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash,
                                                 token_version = users.token_version + 1",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now_ms())
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
