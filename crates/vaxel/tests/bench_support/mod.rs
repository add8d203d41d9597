//! Call benchmark of vaxel against Kamailio + rtpengine, shared by the `switch_calls` bench
//! (full load) and the `bench_calls` test (a small run that keeps the path working).
//! Method and reasoning: docs/decisions/0503-switch-call-benchmark.md.
#![allow(dead_code)] // the bench and the test each use a different subset

pub mod kamailio_rtpengine;
pub mod proctree;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod servers;
pub mod sipp_results;

use koppla_interop::{HarnessError, TestDir};
use report::StepResult;
use run::{run_step, Plan, CALLEE_USER, CALLER_USER};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("I/O error while {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{server} did not start: {detail}")]
    Startup { server: String, detail: String },
    #[error("sipp failed {what}: {detail}")]
    Sipp { what: String, detail: String },
    #[error("could not read {file}")]
    Parse { file: String },
}

/// Throwaway credentials, generated into the run's temp dir only.
const CALLER_PW: &str = "bench-caller-pw";
const CALLEE_PW: &str = "bench-callee-pw";

/// The results, and notes on how they were obtained (for the printout and the JSON).
pub struct Outcome {
    pub results: Vec<StepResult>,
    pub notes: Vec<String>,
}

/// Starts both servers, then runs every plan against vaxel and then Kamailio (interleaved per
/// rate, so a change in background load hits both sides of a ratio alike).
pub fn run_benchmark(vaxel_bin: &Path, plans: &[Plan]) -> Result<Outcome, BenchError> {
    let dir = TestDir::new("switch-calls")?;
    let users = [(CALLER_USER, CALLER_PW), (CALLEE_USER, CALLEE_PW)];
    let mut vaxel = servers::start_vaxel(vaxel_bin, dir.path(), &users)?;
    let mut kamailio = servers::start_kamailio_rtpengine(dir.path(), &users)?;
    let mut results = Vec::new();
    for plan in plans {
        for server in [&mut vaxel, &mut kamailio] {
            let r = run_step(server, dir.path(), *plan, (CALLER_PW, CALLEE_PW))
                .inspect_err(|_| eprintln!("{}", server.log_tail(30)))?;
            eprintln!(
                "switch_calls: {} at {} calls/s: {}/{} calls ok, step took {:.1} s",
                r.server, r.plan.rate, r.succeeded, r.attempted, r.wall_s
            );
            results.push(r);
        }
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let notes = vec![
        format!(
            "one sipp UAC (INVITE, 407 digest, INVITE, 200, ACK, A-law RTP for the hold, BYE) to a \
             registered sipp UAS with -rtp_echo, through each server on 127.0.0.1; {cores} cores \
             shared by the servers and both sipps"
        ),
        format!("vaxel: {}; kamailio: {}", vaxel.relay, kamailio.relay),
        "CPU: user+system seconds of the server's process trees (kamailio includes rtpengine) \
         per successful call; PSS: peak of the trees' summed proportional set size"
            .into(),
        "setup: first INVITE to 200 OK including the 407 round trip, from microsecond \
         wall-clock stamps in the caller sipp"
            .into(),
        "rtp %: packets the callee echoed / (successful calls x hold x 50 pps)".into(),
    ];
    Ok(Outcome { results, notes })
}
