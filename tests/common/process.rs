//! The real `jingsai` binary as a child process on 127.0.0.1:0, for tests that kill it, restart it on the same
//! data directory, limit its open files or run the load generator against it.
//!
//! With `JINGSAI_TEST_POSTGRES_URL` set, the processes of one data directory share one PostgreSQL database
//! (`--database-url`), named in a file inside that directory: a restarted process finds what the killed one
//! committed there. [`DataDir`] drops that database with the directory.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{ADMIN_PASSWORD, pg, repo_path};

/// A temporary data directory for [`Process`]es; dropping it also drops its PostgreSQL database, if any.
pub struct DataDir {
    dir: tempfile::TempDir,
}

impl DataDir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL database of the processes on this directory (created if needed), `None` on SQLite.
    pub fn database_url(&self) -> Option<String> {
        pg::database_for_dir(self.path())
    }
}

/// `jingsai audit verify` on the database of the processes of this directory.
impl From<&DataDir> for super::audit::Db {
    fn from(dir: &DataDir) -> Self {
        Self::of(dir.path(), pg::database_url_of_dir(dir.path()).as_deref())
    }
}

impl Default for DataDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        pg::drop_database_of_dir(self.path());
    }
}

/// A running server process. Dropping it kills it (SIGKILL) and reaps it.
pub struct Process {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, from the line the server prints when it listens.
    pub base: String,
}

impl Process {
    /// Start the server on `data_dir` with the shipped banks and the test organizer password (on the data dir's
    /// PostgreSQL database when `JINGSAI_TEST_POSTGRES_URL` is set).
    pub fn spawn(data_dir: &Path) -> Self {
        Self::spawn_with(data_dir, None, &[])
    }

    /// As [`Process::spawn`], with extra arguments; `file_limit` lowers the open-file limit (soft and hard).
    pub fn spawn_with(data_dir: &Path, file_limit: Option<u64>, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jingsai"));
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0", "--banks-dir"])
            .arg(repo_path("question_banks"))
            .args(extra)
            .env("JINGSAI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("JINGSAI_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if extra.iter().any(|arg| arg.starts_with("--database-url")) {
            // The test names the database (instances sharing one); it looks after it.
        } else if let Some(url) = pg::database_for_dir(data_dir) {
            command.arg("--database-url").arg(url);
        } else {
            command.env_remove("JINGSAI_DATABASE_URL");
        }
        if let Some(limit) = file_limit {
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let wanted = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command.spawn().expect("spawn jingsai");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        reader.read_line(&mut first).expect("first line");
        // Keep draining stdout so the server never writes into a closed pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        let addr = first
            .trim()
            .strip_prefix("jingsai listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        Self {
            child,
            base: format!("http://{addr}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no graceful shutdown, no flush.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An organizer's client of a [`Process`]: HTTP calls with a token, control actions, phone sockets.
pub struct Remote {
    pub client: reqwest::Client,
    pub base: String,
    pub org: String,
}

impl Remote {
    /// Log in as the organizer on `process`.
    pub async fn login(process: &Process) -> Self {
        let client = reqwest::Client::new();
        let org = super::login(&client, &process.base).await;
        Remote {
            client,
            base: process.base.clone(),
            org,
        }
    }

    /// The same organizer token on another (restarted) process.
    pub fn on(&self, process: &Process) -> Self {
        Remote {
            client: self.client.clone(),
            base: process.base.clone(),
            org: self.org.clone(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        super::send(
            &self.client,
            method,
            &format!("{}{path}", self.base),
            Some(token),
            body,
        )
        .await
    }

    pub async fn control(&self, id: i64, action: serde_json::Value) -> serde_json::Value {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/api/contests/{id}/control"),
                &self.org,
                Some(action),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn phone(&self, token: &str) -> super::Capture {
        let ws_base = self.base.replacen("http://", "ws://", 1);
        super::Capture::connect(&format!("{ws_base}/ws?token={token}")).await
    }
}
