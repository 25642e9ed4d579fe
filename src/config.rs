//! Server settings, from flags and environment (see `main.rs` for the flag names).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Holds `jingsai.db`, its WAL files and `jwt.secret`.
    pub data_dir: PathBuf,
    /// Banks imported on first start (when the database has none). `None` imports nothing.
    pub banks_dir: Option<PathBuf>,
    /// Set the `admin` password to this on every start; otherwise one is generated on first start.
    pub admin_password: Option<String>,
    pub organizer_token_ttl: Duration,
    pub participant_token_ttl: Duration,
    pub display_token_ttl: Duration,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest bank or roster upload.
    pub max_upload_bytes: usize,
    /// Most answers committed together by the group-commit writer (1 = a commit per answer).
    pub answer_batch: usize,
}

impl Settings {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            banks_dir: None,
            admin_password: None,
            organizer_token_ttl: Duration::from_secs(12 * 3600),
            participant_token_ttl: Duration::from_secs(24 * 3600),
            display_token_ttl: Duration::from_secs(7 * 24 * 3600),
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 16 * 1024 * 1024,
            answer_batch: crate::store::writer::DEFAULT_MAX_BATCH,
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("jingsai.db")
    }
}
