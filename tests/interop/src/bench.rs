//! Pure parts of the call benchmark: the latency estimate and the result table.
//!
//! One-way latency without a shared clock: each side plays one burst and records the other side.
//! With `p` = burst position in a side's source timeline, `r` = position where the other side's
//! burst shows up in this side's recording, and `off` = (recording origin − source origin) of
//! that side, the unknown start offsets between the two processes cancel:
//! `L_ab + L_ba = (r_a + off_a − p_b) + (r_b + off_b − p_a)`, so with symmetric paths
//! `L = ((r_a + off_a − p_b) + (r_b + off_b − p_a)) / 2`. See docs/decisions/0601.

use std::fmt::Write as _;

/// Timeline facts of one endpoint, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Side {
    /// Where this side's own burst is in its source timeline.
    pub burst_sent_at: f64,
    /// Where the other side's burst was found in this side's recording.
    pub burst_heard_at: f64,
    /// Recording origin minus source origin.
    pub record_offset: f64,
}

/// Symmetric one-way latency estimate (seconds).
pub fn one_way_latency(a: Side, b: Side) -> f64 {
    let ab = b.burst_heard_at + b.record_offset - a.burst_sent_at;
    let ba = a.burst_heard_at + a.record_offset - b.burst_sent_at;
    (ab + ba) / 2.0
}

/// For a recorder and a source that both run in real time until the same moment (call end), the
/// recording started `source_len − recording_len` after the source.
pub fn offset_from_lengths(source_len_s: f64, recording_len_s: f64) -> f64 {
    source_len_s - recording_len_s
}

/// Measurements of one implementation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchResult {
    pub name: String,
    pub calls: usize,
    /// CPU of both endpoints per active call, percent of one core.
    pub cpu_percent_per_call: Option<f64>,
    /// Mean resident set size of one endpoint process, MiB.
    pub rss_mib_per_endpoint: Option<f64>,
    /// One-way mouth-to-ear-style added latency through the call, ms.
    pub latency_ms: Option<f64>,
    pub notes: Vec<String>,
}

fn cell(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into())
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.abs() > f64::EPSILON => format!("{:.2}x", a / b),
        _ => "n/a".into(),
    }
}

/// Plain-text table with a koppla/baresip ratio column.
pub fn table(koppla: &BenchResult, baresip: &BenchResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<34} {:>12} {:>12} {:>16}",
        "metric", koppla.name, baresip.name, "ratio k/b"
    );
    let rows = [
        (
            "CPU per active call (% of a core)",
            koppla.cpu_percent_per_call,
            baresip.cpu_percent_per_call,
        ),
        (
            "RSS per endpoint (MiB)",
            koppla.rss_mib_per_endpoint,
            baresip.rss_mib_per_endpoint,
        ),
        (
            "one-way added latency (ms)",
            koppla.latency_ms,
            baresip.latency_ms,
        ),
    ];
    for (label, k, b) in rows {
        let _ = writeln!(
            out,
            "{label:<34} {:>12} {:>12} {:>16}",
            cell(k),
            cell(b),
            ratio(k, b)
        );
    }
    for r in [koppla, baresip] {
        for n in &r.notes {
            let _ = writeln!(out, "note ({}): {n}", r.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_offsets_cancel_out() {
        // Truth: 40 ms each way. B's source started 1.234 s after A's (unknown to the estimate);
        // each recording origin is 0.1 s after its own source origin.
        let (l, b_start, rec) = (0.040, 1.234, 0.1);
        let pa = 2.0;
        let pb = 3.0;
        // A's burst reaches B at wall pa + l; in B's recording (origin b_start + rec):
        let rb = pa + l - (b_start + rec);
        // B's burst reaches A at wall b_start + pb + l; A's recording origin is rec:
        let ra = b_start + pb + l - rec;
        let a = Side {
            burst_sent_at: pa,
            burst_heard_at: ra,
            record_offset: rec,
        };
        let b = Side {
            burst_sent_at: pb,
            burst_heard_at: rb,
            record_offset: rec,
        };
        assert!((one_way_latency(a, b) - l).abs() < 1e-9);
    }

    #[test]
    fn offset_from_lengths_is_the_start_gap() {
        assert!((offset_from_lengths(10.0, 9.75) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn table_shows_ratio_and_missing_values() {
        let k = BenchResult {
            name: "koppla".into(),
            cpu_percent_per_call: Some(2.0),
            latency_ms: None,
            ..Default::default()
        };
        let b = BenchResult {
            name: "baresip".into(),
            cpu_percent_per_call: Some(4.0),
            latency_ms: Some(60.0),
            notes: vec!["x".into()],
            ..Default::default()
        };
        let t = table(&k, &b);
        assert!(t.contains("0.50x"), "{t}");
        assert!(t.contains("n/a"));
        assert!(t.contains("note (baresip): x"));
    }
}
