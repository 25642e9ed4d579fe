//! Server secrets shared by every instance of one database (PostgreSQL): the token signing secret, so a token
//! signed by one instance is accepted by all. On SQLite the secret is a file beside the database instead.

use super::Store;
use super::db::on_pool;

impl Store {
    /// The secret named `name`, created with `make` by whichever instance asks first (the others read it).
    pub async fn shared_secret(&self, name: &str, make: impl FnOnce() -> String) -> sqlx::Result<Vec<u8>> {
        let candidate = make();
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
        )
        .bind(name)
        .bind(&candidate)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        let value: String = on_pool!(self.writer_pool(), |exe| sqlx::query_scalar(
            "SELECT value FROM shared_secrets WHERE name = $1"
        )
        .bind(name)
        .fetch_one(exe)
        .await)?;
        Ok(value.into_bytes())
    }
}
