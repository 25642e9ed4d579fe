//! `jingsai backup FILE`: a consistent copy of the database, taken while the server runs.
//!
//! SQLite's `VACUUM INTO` reads one snapshot inside a read transaction (WAL lets the running server keep
//! writing meanwhile) and writes a compact, self-contained database file: no `-wal` or `-shm` beside it. It is
//! written under a temporary name in the target's directory and renamed into place only when complete, so a
//! crash or a full disk never leaves a half-written file under the requested name. The token secret
//! (`jwt.secret`) is a separate file in the data dir and never part of the copy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// What a backup contains, for the operator to check at a glance.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    pub contests: i64,
    pub participants: i64,
    pub answers: i64,
}

/// Copy the database at `database` to `target` (which must not exist yet). The source is opened read-only;
/// the server may be running on it.
pub async fn backup_database(database: &Path, target: &Path) -> anyhow::Result<BackupSummary> {
    if !database.exists() {
        bail!("no database at {}", database.display());
    }
    if target.exists() {
        bail!(
            "{} already exists; choose a new file name (a backup never overwrites a file)",
            target.display()
        );
    }
    let file_name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", target.display()))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(file_name);
    partial_name.push(format!(".partial-{}", std::process::id()));
    let partial = target.with_file_name(partial_name);
    let _ = std::fs::remove_file(&partial);

    let mut conn = SqliteConnectOptions::new()
        .filename(database)
        // Never change the journal mode here: a read-only connection cannot, and a restored backup is not in WAL
        // mode until a server opens it.
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .with_context(|| format!("cannot open {}", database.display()))?;
    let path_text = partial
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", partial.display()))?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(path_text)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e).with_context(|| format!("cannot write the backup to {}", partial.display()));
    }
    let summary = check_copy(&partial).await;
    let summary = match summary {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // VACUUM INTO does not sync its output: make the copy durable before it gets its final name.
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", partial.display()))?;
    std::fs::rename(&partial, target)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), target.display()))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(BackupSummary {
        path: target.to_path_buf(),
        ..summary
    })
}

/// Open the fresh copy, run SQLite's integrity check and count what it holds.
async fn check_copy(path: &Path) -> anyhow::Result<BackupSummary> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("cannot open the copy {}", path.display()))?;
    let integrity: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await?;
    if integrity != "ok" {
        bail!("the copy failed SQLite's integrity check: {integrity}");
    }
    let count = |table: &'static str| sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    let contests: i64 = sqlx::query_scalar(count("contests")).fetch_one(&mut conn).await?;
    let participants: i64 = sqlx::query_scalar(count("participants"))
        .fetch_one(&mut conn)
        .await?;
    let answers: i64 = sqlx::query_scalar(count("answers")).fetch_one(&mut conn).await?;
    conn.close().await.ok();
    let bytes = std::fs::metadata(path)?.len();
    Ok(BackupSummary {
        path: path.to_path_buf(),
        bytes,
        contests,
        participants,
        answers,
    })
}
