//! CPU time and resident memory of a process from /proc (Linux only), for the benchmark.

use crate::error::{HarnessError, Result};

/// Clock ticks per second for /proc/<pid>/stat times.
#[cfg(unix)]
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(v).ok().filter(|v| *v > 0).unwrap_or(100)
}

/// Without /proc there are no ticks to convert; Linux's usual value keeps the type total.
#[cfg(not(unix))]
pub fn clock_ticks() -> u64 {
    100
}

/// utime + stime in ticks, parsed from the text of /proc/<pid>/stat.
///
/// The command name (field 2) may contain spaces and parentheses, so fields are counted from the
/// last ')'.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the comm: state(3) ... utime is field 14, stime 15 (1-based) => index 11, 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS in kB from the text of /proc/<pid>/status.
pub fn parse_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn read_proc(pid: u32, file: &str) -> Result<String> {
    let path = format!("/proc/{pid}/{file}");
    std::fs::read_to_string(&path).map_err(|e| HarnessError::io(format!("reading {path}"), e))
}

/// CPU seconds (user + system) used so far by `pid`.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let text = read_proc(pid, "stat")?;
    let ticks = parse_cpu_ticks(&text).ok_or_else(|| HarnessError::Protocol {
        peer: format!("/proc/{pid}/stat"),
        detail: "unparseable".into(),
    })?;
    Ok(ticks as f64 / clock_ticks() as f64)
}

/// Resident set size of `pid` in kB.
pub fn rss_kb(pid: u32) -> Result<u64> {
    let text = read_proc(pid, "status")?;
    parse_rss_kb(&text).ok_or_else(|| HarnessError::Protocol {
        peer: format!("/proc/{pid}/status"),
        detail: "no VmRSS".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_in_comm() {
        let stat = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 5 1000 50";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        assert_eq!(parse_cpu_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn parses_rss() {
        assert_eq!(parse_rss_kb("Name:\tx\nVmRSS:\t  20480 kB\n"), Some(20480));
        assert_eq!(parse_rss_kb("Name:\tx\n"), None);
    }

    #[test]
    fn own_process_is_measurable() {
        let me = std::process::id();
        assert!(rss_kb(me).unwrap() > 0);
        assert!(cpu_seconds(me).unwrap() >= 0.0);
    }
}
