//! `jingsai audit verify` run as the real binary on a test's data directory (the server may still be running).

use std::path::Path;
use std::process::Command;

/// What one run of the verifier gave.
pub struct Verified {
    /// The exit code: 0 no difference, 1 differences, 2 the contest or database cannot be read.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `jingsai audit verify <contest> --data-dir <data_dir>` with `extra` arguments.
pub fn audit_verify(data_dir: &Path, contest_id: i64, extra: &[&str]) -> Verified {
    let output = Command::new(env!("CARGO_BIN_EXE_jingsai"))
        .args(["audit", "verify", &contest_id.to_string(), "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("JINGSAI_LOG", "warn")
        .output()
        .expect("run jingsai audit verify");
    Verified {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The verifier finds no difference in the contest: exit 0 and `result: OK`. Returns its report.
pub fn assert_audit_verifies(data_dir: &Path, contest_id: i64) -> String {
    let run = audit_verify(data_dir, contest_id, &[]);
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
