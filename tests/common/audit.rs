//! `jingsai audit verify` run as the real binary on a test's database (the server may still be running): the
//! SQLite file of a data directory, or the PostgreSQL database a server uses (`TestServer.database_url`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::TestServer;

/// The database the verifier reads.
#[derive(Debug, Clone)]
pub enum Db {
    /// `--data-dir DIR`: the SQLite file DIR/jingsai.db.
    DataDir(PathBuf),
    /// `--database-url URL`: a PostgreSQL database.
    Url(String),
}

impl Db {
    /// The database of a server run on `data_dir` with `database_url` (PostgreSQL when set).
    pub fn of(data_dir: &Path, database_url: Option<&str>) -> Self {
        match database_url {
            Some(url) => Self::Url(url.to_owned()),
            None => Self::DataDir(data_dir.to_owned()),
        }
    }

    /// The command-line arguments that name it.
    pub fn args(&self) -> Vec<OsString> {
        match self {
            Self::DataDir(dir) => vec!["--data-dir".into(), dir.into()],
            Self::Url(url) => vec!["--database-url".into(), url.into()],
        }
    }
}

impl From<&Path> for Db {
    fn from(data_dir: &Path) -> Self {
        Self::DataDir(data_dir.to_owned())
    }
}

impl From<&PathBuf> for Db {
    fn from(data_dir: &PathBuf) -> Self {
        Self::DataDir(data_dir.clone())
    }
}

impl From<&TestServer> for Db {
    fn from(server: &TestServer) -> Self {
        Self::of(server.data_dir.path(), server.database_url.as_deref())
    }
}

/// What one run of the verifier gave.
pub struct Verified {
    /// The exit code: 0 no difference, 1 differences, 2 the contest or database cannot be read.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `jingsai audit verify <contest>` on `db` (`--data-dir DIR` or `--database-url URL`) with `extra`
/// arguments.
pub fn audit_verify(db: impl Into<Db>, contest_id: i64, extra: &[&str]) -> Verified {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(["audit", "verify", &contest_id.to_string()])
        .args(db.into().args())
        .args(extra)
        .env("JINGSAI_LOG", "warn")
        // Only what the arguments name: never a database from the environment of the test run.
        .env_remove("JINGSAI_DATABASE_URL")
        .env_remove("JINGSAI_DATA_DIR")
        .output()
        .expect("run jingsai audit verify");
    Verified {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The verifier finds no difference in the contest: exit 0 and `result: OK`. Returns its report.
pub fn assert_audit_verifies(db: impl Into<Db>, contest_id: i64) -> String {
    let run = audit_verify(db, contest_id, &[]);
    assert_eq!(
        run.code, 0,
        "audit verify of contest {contest_id} found differences or failed:\n{}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("result: OK, no differences"),
        "{}",
        run.stdout
    );
    run.stdout
}
