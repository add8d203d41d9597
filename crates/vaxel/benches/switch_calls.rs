//! Calls per second and concurrent calls with media relay: vaxel vs Kamailio + rtpengine, in one
//! run (issue #3 item 7). Prints a table with vaxel/kamailio ratios and writes
//! target/bench/switch_calls.json. Method: docs/decisions/0503-switch-call-benchmark.md.
//!
//! `cargo bench -p koppla-vaxel --bench switch_calls` (about 1.5 minutes after the build). Knobs, bounded:
//! SWITCH_BENCH_RATES (calls/s, default "50,100,200", each ≤ 500), SWITCH_BENCH_SECONDS (offered
//! load per step, default 8, ≤ 30), SWITCH_BENCH_HOLD_MS (call length, default 5000, ≤ 20000).

// cargo builds benches with cfg(test) but without libtest, so the support modules' unit-test
// imports are unused here; the `bench_calls` test target runs those tests.
#[allow(unused_imports)]
#[path = "../tests/bench_support/mod.rs"]
mod bench_support;

use bench_support::run::Plan;
use bench_support::{report, run_benchmark};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn env_u32(name: &str, default: u32, max: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

fn rates() -> Vec<u32> {
    let parsed: Vec<u32> = std::env::var("SWITCH_BENCH_RATES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .filter(|r| (1..=500).contains(r))
        .collect();
    if parsed.is_empty() {
        vec![50, 100, 200]
    } else {
        parsed
    }
}

/// target/ of this build: the bench runs from target/<profile>/deps/.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn main() -> ExitCode {
    let seconds = env_u32("SWITCH_BENCH_SECONDS", 8, 30);
    let hold_ms = env_u32("SWITCH_BENCH_HOLD_MS", 5000, 20_000);
    let plans: Vec<Plan> = rates()
        .into_iter()
        .map(|rate| Plan {
            rate,
            seconds,
            hold_ms,
        })
        .collect();
    println!(
        "switch_calls: {} steps of {seconds} s at {:?} calls/s, {hold_ms} ms calls, vaxel then \
         kamailio+rtpengine per step",
        plans.len(),
        plans.iter().map(|p| p.rate).collect::<Vec<_>>()
    );
    let outcome = match run_benchmark(Path::new(env!("CARGO_BIN_EXE_vaxel")), &plans) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("switch_calls: FAILED: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("\n{}", report::table(&outcome.results));
    for n in &outcome.notes {
        println!("note: {n}");
    }
    let out = target_dir().join("bench").join("switch_calls.json");
    let json = report::to_json(&outcome.results, &outcome.notes);
    let written = out
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&out, format!("{json:#}\n")));
    if let Err(e) = written {
        eprintln!("switch_calls: cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!("written: {}", out.display());
    // A server that completed no call at all is a broken setup, not a slow server.
    if let Some(r) = outcome.results.iter().find(|r| r.succeeded == 0) {
        eprintln!(
            "switch_calls: FAILED: {} completed no call at {} calls/s",
            r.server, r.plan.rate
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
