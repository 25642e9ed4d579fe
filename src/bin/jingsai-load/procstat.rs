//! The server's memory and CPU time, read from /proc (`--server-pid`), and this process's open-file limit.

pub struct ProcWatch {
    pid: u32,
    ticks_per_second: i64,
}

impl ProcWatch {
    pub fn new(pid: u32) -> Result<Self, String> {
        std::fs::metadata(format!("/proc/{pid}/stat")).map_err(|e| format!("--server-pid {pid}: {e}"))?;
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Ok(Self {
            pid,
            ticks_per_second: if ticks > 0 { ticks as i64 } else { 100 },
        })
    }

    /// Resident memory (VmRSS), KiB; 0 when it cannot be read.
    pub fn rss_kib(&self) -> i64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }

    /// User + system CPU time so far, µs (resolution: one clock tick, usually 10 ms).
    pub fn cpu_us(&self) -> i64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The command name (field 2) may contain spaces; the fields after its closing parenthesis start with
        // field 3 (state), so utime (14) and stime (15) are the 12th and 13th of them.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |k: usize| fields.get(k).and_then(|f| f.parse::<i64>().ok()).unwrap_or(0);
        (ticks(11) + ticks(12)) * 1_000_000 / self.ticks_per_second
    }
}

/// Raise the soft open-file limit to the hard limit (each phone holds a socket, and HTTP connections come and
/// go); returns the new soft limit.
pub fn raise_nofile_limit() -> Result<libc::rlim_t, String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the plain struct passed by pointer, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(format!("getrlimit: {}", std::io::Error::last_os_error()));
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
            }
            limit = raised;
        }
    }
    Ok(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let watch = ProcWatch::new(std::process::id()).expect("own pid");
        assert!(watch.rss_kib() > 0);
        assert!(watch.cpu_us() >= 0);
        assert!(raise_nofile_limit().expect("limit") > 0);
    }
}
