//! The call benchmark's path, kept working: a few calls with relayed RTP through vaxel and
//! through Kamailio + rtpengine, every call must succeed and the media must arrive. The full
//! load is `cargo bench -p koppla-vaxel --bench switch_calls`.

#[path = "bench_support/mod.rs"]
mod bench_support;

use bench_support::run::Plan;
use bench_support::{report, run_benchmark};
use std::path::Path;

#[test]
fn a_few_relayed_calls_through_both_servers() {
    let plan = Plan {
        rate: 5,
        seconds: 2,
        hold_ms: 2000,
    };
    let outcome = run_benchmark(Path::new(env!("CARGO_BIN_EXE_vaxel")), &[plan])
        .unwrap_or_else(|e| panic!("benchmark harness failed: {e}"));
    eprintln!("{}", report::table(&outcome.results));
    assert_eq!(outcome.results.len(), 2);
    for r in &outcome.results {
        assert_eq!(r.attempted, 10, "{}", r.server);
        assert_eq!(r.succeeded, 10, "{}: {r:?}", r.server);
        assert!(r.peak_calls >= 2, "calls overlapped: {r:?}");
        let cpu = r.cpu_ms_per_call();
        assert!(
            cpu.is_some_and(|c| c > 0.0),
            "{}: server used CPU: {r:?}",
            r.server
        );
        assert!(
            r.setup_p50_ms.is_some() && r.setup_p99_ms >= r.setup_p50_ms,
            "{r:?}"
        );
        // Echo stops at BYE and streams start after ACK, so a little under 100 %.
        let delivered = r.rtp_delivered().unwrap_or(0.0);
        assert!(
            (0.8..=1.1).contains(&delivered),
            "{}: RTP through the relay {delivered:.2} of expected: {r:?}",
            r.server
        );
    }
    assert_eq!(report::ratios(&outcome.results).len(), 1);
}
