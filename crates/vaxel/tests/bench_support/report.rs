//! Results of the call benchmark: one row per (server, offered rate), the vaxel/kamailio ratios,
//! a plain-text table and the JSON written to target/bench/switch_calls.json.

use super::run::Plan;
use serde_json::{json, Value};
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub server: String,
    pub relay: String,
    pub plan: Plan,
    pub attempted: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Completed setups per second (first to last completion).
    pub achieved_cps: Option<f64>,
    /// Most calls in progress at once, as the caller saw it.
    pub peak_calls: u64,
    pub wall_s: f64,
    /// CPU seconds per measured process tree (e.g. kamailio, rtpengine) during the step.
    pub cpu: Vec<(String, f64)>,
    pub peak_rss_mib: f64,
    pub peak_pss_mib: f64,
    pub setup_p50_ms: Option<f64>,
    pub setup_p99_ms: Option<f64>,
    pub setup_mean_ms: Option<f64>,
    /// RTP packets the callee echoed (all arrived through the relay); `None` if sipp did not say.
    pub rtp_echoed: Option<u64>,
    /// Packets one direction would carry if every successful call streamed for its whole hold.
    pub rtp_expected: f64,
}

impl StepResult {
    pub fn cpu_total_s(&self) -> f64 {
        self.cpu.iter().map(|(_, s)| s).sum()
    }

    /// CPU milliseconds per successful call (signalling and the call's relayed media).
    pub fn cpu_ms_per_call(&self) -> Option<f64> {
        (self.succeeded > 0).then(|| self.cpu_total_s() * 1000.0 / self.succeeded as f64)
    }

    /// Average load over the step, percent of one core.
    pub fn cpu_percent(&self) -> Option<f64> {
        (self.wall_s > 0.0).then(|| self.cpu_total_s() * 100.0 / self.wall_s)
    }

    pub fn success_ratio(&self) -> Option<f64> {
        (self.attempted > 0).then(|| self.succeeded as f64 / self.attempted as f64)
    }

    /// Share of the expected RTP packets that made it through the relay and were echoed.
    pub fn rtp_delivered(&self) -> Option<f64> {
        let echoed = self.rtp_echoed? as f64;
        (self.rtp_expected > 0.0).then(|| echoed / self.rtp_expected)
    }
}

/// `a / b`, when both exist and `b` is not zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b.abs() > f64::EPSILON => Some(a / b),
        _ => None,
    }
}

/// Metrics compared as ratios.
type Metric = (&'static str, fn(&StepResult) -> Option<f64>);

const RATIO_METRICS: [Metric; 7] = [
    ("cpu_ms_per_call", StepResult::cpu_ms_per_call),
    ("setup_p50_ms", |r| r.setup_p50_ms),
    ("setup_p99_ms", |r| r.setup_p99_ms),
    ("setup_mean_ms", |r| r.setup_mean_ms),
    ("peak_pss_mib", |r| Some(r.peak_pss_mib)),
    ("achieved_cps", |r| r.achieved_cps),
    ("success_ratio", StepResult::success_ratio),
];

/// One offered rate's ratios, by metric name.
pub type RateRatios = (u32, Vec<(&'static str, Option<f64>)>);

/// vaxel/kamailio for each offered rate both servers ran.
pub fn ratios(results: &[StepResult]) -> Vec<RateRatios> {
    let find = |server: &str, rate: u32| {
        results
            .iter()
            .find(|r| r.server == server && r.plan.rate == rate)
    };
    let mut rates: Vec<u32> = results.iter().map(|r| r.plan.rate).collect();
    rates.sort_unstable();
    rates.dedup();
    rates
        .into_iter()
        .filter_map(|rate| {
            let (v, k) = (find("vaxel", rate)?, find("kamailio", rate)?);
            Some((
                rate,
                RATIO_METRICS
                    .iter()
                    .map(|(name, f)| (*name, ratio(f(v), f(k))))
                    .collect(),
            ))
        })
        .collect()
}

fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map(|v| format!("{v:.decimals$}"))
        .unwrap_or_else(|| "n/a".into())
}

pub fn table(results: &[StepResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:>5} {:>6} {:>6} {:>5} {:>7} {:>6} {:>8} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "server",
        "cps",
        "calls",
        "ok",
        "fail",
        "got/s",
        "peak",
        "cpu ms/c",
        "cpu %",
        "PSS MB",
        "p50 ms",
        "p99 ms",
        "avg ms",
        "rtp %"
    );
    for r in results {
        let _ = writeln!(
            out,
            "{:<9} {:>5} {:>6} {:>6} {:>5} {:>7} {:>6} {:>8} {:>7} {:>6.1} {:>6} {:>6} {:>6} {:>6}",
            r.server,
            r.plan.rate,
            r.attempted,
            r.succeeded,
            r.failed,
            cell(r.achieved_cps, 1),
            r.peak_calls,
            cell(r.cpu_ms_per_call(), 3),
            cell(r.cpu_percent(), 1),
            r.peak_pss_mib,
            cell(r.setup_p50_ms, 0),
            cell(r.setup_p99_ms, 0),
            cell(r.setup_mean_ms, 2),
            cell(r.rtp_delivered().map(|d| d * 100.0), 1),
        );
    }
    for r in results.iter().filter(|r| r.cpu.len() > 1) {
        let parts: Vec<String> = r
            .cpu
            .iter()
            .map(|(name, s)| format!("{name} {s:.2} s"))
            .collect();
        let _ = writeln!(
            out,
            "  {} at {} cps: CPU {}",
            r.server,
            r.plan.rate,
            parts.join(" + ")
        );
    }
    let _ = writeln!(
        out,
        "\nratios vaxel/kamailio (lower is better except got/s and ok):"
    );
    for (rate, metrics) in ratios(results) {
        let parts: Vec<String> = metrics
            .iter()
            .map(|(name, v)| format!("{name} {}", cell(*v, 2)))
            .collect();
        let _ = writeln!(out, "  {rate:>4} cps: {}", parts.join(", "));
    }
    out
}

fn step_json(r: &StepResult) -> Value {
    let cpu: serde_json::Map<String, Value> =
        r.cpu.iter().map(|(n, s)| (n.clone(), json!(s))).collect();
    json!({
        "server": r.server,
        "relay": r.relay,
        "offered_cps": r.plan.rate,
        "offered_seconds": r.plan.seconds,
        "hold_ms": r.plan.hold_ms,
        "calls_attempted": r.attempted,
        "calls_succeeded": r.succeeded,
        "calls_failed": r.failed,
        "achieved_cps": r.achieved_cps,
        "peak_concurrent_calls": r.peak_calls,
        "wall_s": r.wall_s,
        "cpu_s": cpu,
        "cpu_s_total": r.cpu_total_s(),
        "cpu_ms_per_call": r.cpu_ms_per_call(),
        "cpu_percent_of_core": r.cpu_percent(),
        "peak_rss_mib": r.peak_rss_mib,
        "peak_pss_mib": r.peak_pss_mib,
        "setup_p50_ms": r.setup_p50_ms,
        "setup_p99_ms": r.setup_p99_ms,
        "setup_mean_ms": r.setup_mean_ms,
        "rtp_echoed_packets": r.rtp_echoed,
        "rtp_expected_packets": r.rtp_expected,
        "rtp_delivered_ratio": r.rtp_delivered(),
    })
}

/// The whole run as JSON; `notes` says how it was measured (printed with the table too).
pub fn to_json(results: &[StepResult], notes: &[String]) -> Value {
    json!({
        "benchmark": "switch_calls",
        "notes": notes,
        "steps": results.iter().map(step_json).collect::<Vec<_>>(),
        "ratios_vaxel_over_kamailio": ratios(results)
            .into_iter()
            .map(|(rate, m)| {
                let mut o = serde_json::Map::new();
                o.insert("offered_cps".into(), json!(rate));
                for (name, v) in m {
                    o.insert(name.into(), json!(v));
                }
                Value::Object(o)
            })
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(server: &str, rate: u32, cpu: Vec<(&str, f64)>, p50: f64) -> StepResult {
        StepResult {
            server: server.into(),
            relay: "r".into(),
            plan: Plan {
                rate,
                seconds: 10,
                hold_ms: 2000,
            },
            attempted: 100,
            succeeded: 80,
            failed: 20,
            achieved_cps: Some(9.5),
            peak_calls: 30,
            wall_s: 20.0,
            cpu: cpu.into_iter().map(|(n, s)| (n.to_string(), s)).collect(),
            peak_rss_mib: 12.0,
            peak_pss_mib: 10.0,
            setup_p50_ms: Some(p50),
            setup_p99_ms: Some(0.0),
            setup_mean_ms: None,
            rtp_echoed: Some(7200),
            rtp_expected: 8000.0,
        }
    }

    #[test]
    fn derived_metrics() {
        let k = step(
            "kamailio",
            10,
            vec![("kamailio", 1.0), ("rtpengine", 3.0)],
            4.0,
        );
        assert_eq!(k.cpu_total_s(), 4.0);
        assert_eq!(k.cpu_ms_per_call(), Some(50.0));
        assert_eq!(k.cpu_percent(), Some(20.0));
        assert_eq!(k.success_ratio(), Some(0.8));
        assert_eq!(k.rtp_delivered(), Some(0.9));
        let mut none = k.clone();
        none.succeeded = 0;
        none.attempted = 0;
        none.rtp_echoed = None;
        assert_eq!(none.cpu_ms_per_call(), None);
        assert_eq!(none.success_ratio(), None);
        assert_eq!(none.rtp_delivered(), None);
    }

    #[test]
    fn ratios_pair_servers_by_rate_and_skip_division_by_zero() {
        let results = vec![
            step("vaxel", 10, vec![("vaxel", 2.0)], 2.0),
            step(
                "kamailio",
                10,
                vec![("kamailio", 1.0), ("rtpengine", 3.0)],
                4.0,
            ),
            step("vaxel", 20, vec![("vaxel", 2.0)], 2.0),
        ];
        let r = ratios(&results);
        assert_eq!(r.len(), 1, "20 cps has no kamailio row");
        let (rate, m) = &r[0];
        assert_eq!(*rate, 10);
        let get = |n: &str| m.iter().find(|(k, _)| *k == n).and_then(|(_, v)| *v);
        assert_eq!(get("cpu_ms_per_call"), Some(0.5));
        assert_eq!(get("setup_p50_ms"), Some(0.5));
        assert_eq!(get("setup_p99_ms"), None, "0 ms on both sides has no ratio");
        assert_eq!(get("setup_mean_ms"), None);

        let text = table(&results);
        assert!(text.contains("kamailio at 10 cps: CPU kamailio 1.00 s + rtpengine 3.00 s"));
        assert!(text.contains("cpu_ms_per_call 0.50"), "{text}");

        let j = to_json(&results, &["note".into()]);
        assert_eq!(j["steps"].as_array().map(Vec::len), Some(3));
        assert_eq!(j["steps"][1]["cpu_s"]["rtpengine"], json!(3.0));
        assert_eq!(
            j["ratios_vaxel_over_kamailio"][0]["cpu_ms_per_call"],
            json!(0.5)
        );
        assert_eq!(j["notes"][0], json!("note"));
    }
}
