//! Reading what sipp wrote: the caller's setup log (`-trace_logs`), the cumulative counters
//! (`-trace_stat`) and the final screens (`-trace_screen`).

/// One completed setup: when it completed (ms since the epoch) and how long first INVITE → 200
/// took (ms, from microsecond stamps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setup {
    pub at_ms: f64,
    pub took_ms: f64,
}

/// Lines `setup <t0 s> <t0 µs> <t1 s> <t1 µs>` of the caller's `<scenario>_<pid>_logs.log`
/// (sipp prints the numbers as decimals, e.g. `1795599489.000000`).
pub fn parse_setup_log(text: &str) -> Vec<Setup> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            if f.next()? != "setup" {
                return None;
            }
            let mut num = || f.next()?.parse::<f64>().ok();
            let (s0, us0, s1, us1) = (num()?, num()?, num()?, num()?);
            let took_ms = (s1 - s0) * 1000.0 + (us1 - us0) / 1000.0;
            Some(Setup {
                at_ms: s1 * 1000.0 + us1 / 1000.0,
                took_ms,
            })
        })
        .collect()
}

/// Final cumulative counters from `<scenario>_<pid>_.csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    pub created: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Highest `CurrentCall` seen in the periodic rows.
    pub max_current: u64,
}

/// The stat file is `;`-separated with a header row; the last row holds the final totals.
pub fn parse_stat(text: &str) -> Option<Counters> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let (created, current, ok, failed) = (
        col("TotalCallCreated")?,
        col("CurrentCall")?,
        col("SuccessfulCall(C)")?,
        col("FailedCall(C)")?,
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
    let num = |row: &Vec<&str>, i: usize| row.get(i).and_then(|v| v.trim().parse::<u64>().ok());
    let last = rows.last()?;
    Some(Counters {
        created: num(last, created)?,
        succeeded: num(last, ok)?,
        failed: num(last, failed)?,
        max_current: rows.iter().filter_map(|r| num(r, current)).max()?,
    })
}

/// "Peak was N calls" from a screen dump: the exact concurrent-call maximum (the periodic stat
/// rows only sample it once a second).
pub fn parse_peak_calls(screen: &str) -> Option<u64> {
    screen.lines().find_map(|l| {
        let rest = l.split("Peak was ").nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// "N Total echo RTP pckts 1st stream" from the `-rtp_echo` side's screen dump.
pub fn parse_rtp_echoed(screen: &str) -> Option<u64> {
    screen.lines().find_map(|l| {
        let (n, rest) = l.trim().split_once(' ')?;
        rest.starts_with("Total echo RTP pckts 1st stream")
            .then(|| n.parse().ok())
            .flatten()
    })
}

/// The `q`-quantile (0..=1) of `values` by nearest rank; `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1)).copied()
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Completed setups per second between the first and the last completion.
pub fn achieved_rate(setups: &[Setup]) -> Option<f64> {
    let first = setups.iter().map(|s| s.at_ms).min_by(f64::total_cmp)?;
    let last = setups.iter().map(|s| s.at_ms).max_by(f64::total_cmp)?;
    let span_s = (last - first) / 1000.0;
    (setups.len() > 1 && span_s > 0.0).then(|| (setups.len() - 1) as f64 / span_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "setup 1795599489.000000 408680.000000 1795599489.000000 413666.000000\n\
                       setup 1795599489.000000 999500.000000 1795599490.000000 1500.000000\n\
                       setup 1795599490.000000 408680.000000 1795599490.000000 409680.000000\n\
                       other 1 2 3 4\nsetup 1 2 x 4\n";

    #[test]
    fn setup_log_lines_in_microseconds() {
        let s = parse_setup_log(LOG);
        assert_eq!(s.len(), 3);
        assert!((s[0].took_ms - 4.986).abs() < 1e-9, "{:?}", s[0]);
        // Across a second boundary.
        assert!((s[1].took_ms - 2.0).abs() < 1e-9, "{:?}", s[1]);
        assert!((s[2].at_ms - 1_795_599_490_409.68).abs() < 1e-3);
        // Three completions over 0.996 s.
        let rate = achieved_rate(&s).unwrap();
        assert!((rate - 2.0 / 0.996014).abs() < 1e-3, "{rate}");
        assert_eq!(achieved_rate(&s[..1]), None);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).rev().collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
    }

    #[test]
    fn stat_file_totals_and_peak() {
        let text = "StartTime;TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C);\n\
                    x;0;0;0;0;\nx;9;9;0;0;\nx;20;14;6;0;\nx;20;0;19;1;\n";
        assert_eq!(
            parse_stat(text),
            Some(Counters {
                created: 20,
                succeeded: 19,
                failed: 1,
                max_current: 14
            })
        );
        assert_eq!(parse_stat("only;a;header\n"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn screen_lines() {
        let screen = "  0 calls                                 Peak was 731 calls, after 6 s\n\
                      \x20 0 Total RTP pckts sent                  0.000 last period RTP rate (kB/s)\n\
                      \x20 1986 Total echo RTP pckts 1st stream    970.152 last period RTP rate (kB/s)\n\
                      \x20 0 Total echo RTP pckts 2nd stream       0.000 last period RTP rate (kB/s)\n";
        assert_eq!(parse_peak_calls(screen), Some(731));
        assert_eq!(parse_rtp_echoed(screen), Some(1986));
        assert_eq!(parse_peak_calls("nothing"), None);
        assert_eq!(parse_rtp_echoed("nothing"), None);
    }
}
