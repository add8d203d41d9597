//! One load step against one server: register the callee, start the answering sipp (RTP echo),
//! run the calling sipp at a fixed rate while sampling the server's memory, then read CPU and
//! sipp's result files.

use super::proctree::{self, Memory};
use super::report::StepResult;
use super::scenarios::{
    alaw_tone_wav, CALLEE, CALLER, REGISTER, RTP_PACKETS_PER_SECOND, TONE_FILE,
};
use super::servers::Server;
use super::sipp_results::{
    achieved_rate, mean, parse_peak_calls, parse_rtp_echoed, parse_setup_log, parse_stat, quantile,
};
use super::BenchError;
use koppla_interop::ports;
use koppla_interop::process::{require_binary, ProcessGuard, Stdout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Caller and callee accounts, the same on both servers.
pub const CALLER_USER: &str = "alice";
pub const CALLEE_USER: &str = "bob";

const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// Socket buffers for every sipp, so neither server's packets are dropped by the load generator.
const SIPP_BUFFER: &str = "4194304";

/// Offered load of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub rate: u32,
    pub seconds: u32,
    pub hold_ms: u32,
}

impl Plan {
    pub fn calls(&self) -> u32 {
        self.rate.saturating_mul(self.seconds)
    }
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> BenchError {
    move |source| BenchError::Io { context, source }
}

fn read(path: &Path) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(io_err(format!("reading {}", path.display())))
}

fn sipp() -> Result<PathBuf, BenchError> {
    Ok(require_binary("sipp", "sip-tester")?)
}

/// sipp options every instance gets.
fn common(cmd: &mut Command, port: u16) -> Result<(), BenchError> {
    cmd.args(["-i", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .arg("-cp")
        .arg(ports::free_port()?.to_string())
        .args(["-nostdin", "-trace_err", "-buff_size", SIPP_BUFFER]);
    Ok(())
}

fn register(server: &Server, dir: &Path, password: &str) -> Result<(), BenchError> {
    let mut cmd = Command::new(sipp()?);
    cmd.current_dir(dir)
        .args(["-sf", "register.xml"])
        .arg(server.sip.to_string())
        .args(["-s", CALLEE_USER, "-au", CALLEE_USER, "-ap", password]);
    common(&mut cmd, server.callee_port)?;
    cmd.args(["-m", "1", "-timeout", "15s", "-timeout_error"]);
    let mut guard = ProcessGuard::spawn("sipp-register", cmd, dir, Stdout::ToFile)?;
    match guard.wait_timeout(Duration::from_secs(20))? {
        Some(status) if status.success() => Ok(()),
        other => Err(BenchError::Sipp {
            what: format!("registering {CALLEE_USER} at {}", server.name),
            detail: format!("{other:?}\n{}", guard.log_tail(20)),
        }),
    }
}

fn start_callee(server: &Server, dir: &Path) -> Result<ProcessGuard, BenchError> {
    let mut cmd = Command::new(sipp()?);
    cmd.current_dir(dir).args(["-sf", "callee.xml"]);
    common(&mut cmd, server.callee_port)?;
    cmd.arg("-mp").arg(ports::port_block(4)?.to_string()).args([
        "-rtp_echo",
        "-rtp_buffsize",
        SIPP_BUFFER,
        "-trace_screen",
    ]);
    let mut guard = ProcessGuard::spawn("sipp-callee", cmd, dir, Stdout::ToFile)?;
    // sipp binds before it reads the scenario further; a short pause lets it fail visibly.
    std::thread::sleep(Duration::from_millis(300));
    guard.check_running()?;
    Ok(guard)
}

fn start_caller(
    server: &Server,
    dir: &Path,
    plan: Plan,
    password: &str,
    timeout: Duration,
) -> Result<ProcessGuard, BenchError> {
    let mut cmd = Command::new(sipp()?);
    cmd.current_dir(dir)
        .args(["-sf", "caller.xml"])
        .arg(server.sip.to_string())
        .args(["-s", CALLEE_USER, "-au", CALLER_USER, "-ap", password]);
    common(&mut cmd, ports::free_port()?)?;
    cmd.arg("-mp")
        .arg(ports::port_block(4)?.to_string())
        .arg("-r")
        .arg(plan.rate.to_string())
        .arg("-m")
        .arg(plan.calls().to_string())
        // No concurrency cap: the calls in flight are what the step measures.
        .arg("-l")
        .arg(plan.calls().max(1).to_string())
        .arg("-d")
        .arg(plan.hold_ms.to_string())
        .args(["-rtp_buffsize", SIPP_BUFFER])
        // A lost response fails its call after this long instead of after the 32 s of SIP
        // retransmissions, which keeps an overloaded step bounded.
        .args(["-recv_timeout", "8000"])
        .args(["-trace_stat", "-fd", "1", "-trace_logs"])
        .args(["-trace_screen", "-timeout"])
        .arg(format!("{}s", timeout.as_secs().max(1)))
        .arg("-timeout_error");
    Ok(ProcessGuard::spawn(
        "sipp-caller",
        cmd,
        dir,
        Stdout::ToFile,
    )?)
}

/// sipp names its files `<scenario>_<pid>_<suffix>`.
fn sipp_file(dir: &Path, scenario: &str, guard_pid: Option<u32>, suffix: &str) -> PathBuf {
    let pid = guard_pid.map(|p| p.to_string()).unwrap_or_default();
    dir.join(format!("{scenario}_{pid}_{suffix}"))
}

/// A server-mode sipp never ends on its own. SIGUSR2 makes it print its screens (with the RTP
/// echo counter) to the screen file, which reaches the disk when the stop that follows ends the
/// process. If that fails the RTP column reads n/a.
fn request_screen_dump(pid: Option<u32>) {
    let Some(pid) = pid else { return };
    let signalled = Command::new("kill")
        .args(["-USR2", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if signalled {
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn cpu_by_component(server: &Server) -> Vec<f64> {
    server
        .components
        .iter()
        .map(|c| proctree::cpu_seconds(c.pid))
        .collect()
}

fn memory_now(server: &Server) -> Memory {
    server
        .components
        .iter()
        .map(|c| proctree::memory(c.pid))
        .fold(Memory::default(), |a, m| Memory {
            rss_kb: a.rss_kb + m.rss_kb,
            pss_kb: a.pss_kb + m.pss_kb,
        })
}

/// Runs `plan` against `server`; files go to `dir/<server>-<rate>cps`.
pub fn run_step(
    server: &mut Server,
    dir: &Path,
    plan: Plan,
    passwords: (&str, &str),
) -> Result<StepResult, BenchError> {
    let (caller_pw, callee_pw) = passwords;
    let dir = dir.join(format!("{}-{}cps", server.name, plan.rate));
    std::fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    for (name, text) in [
        ("register.xml", REGISTER.as_bytes().to_vec()),
        ("callee.xml", CALLEE.as_bytes().to_vec()),
        ("caller.xml", CALLER.as_bytes().to_vec()),
        (TONE_FILE, alaw_tone_wav()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io_err(format!("writing {}", path.display())))?;
    }

    register(server, &dir, callee_pw)?;
    let mut callee = start_callee(server, &dir)?;
    let timeout =
        Duration::from_secs(u64::from(plan.seconds) + u64::from(plan.hold_ms / 1000) + 60);

    let cpu_before = cpu_by_component(server);
    let started = Instant::now();
    let mut caller = start_caller(server, &dir, plan, caller_pw, timeout)?;
    let mut peak = memory_now(server);
    let status = loop {
        if let Some(status) = caller.wait_timeout(SAMPLE_EVERY)? {
            break status;
        }
        let m = memory_now(server);
        peak = Memory {
            rss_kb: peak.rss_kb.max(m.rss_kb),
            pss_kb: peak.pss_kb.max(m.pss_kb),
        };
        if started.elapsed() > timeout + Duration::from_secs(10) {
            return Err(BenchError::Sipp {
                what: format!("caller against {} did not finish", server.name),
                detail: caller.log_tail(20),
            });
        }
    };
    let wall = started.elapsed();
    // Let the server finish the last BYEs (and rtpengine its deletes) before reading CPU.
    std::thread::sleep(Duration::from_millis(500));
    let cpu_after = cpu_by_component(server);
    server.check_running()?;
    let callee_pid = callee.pid();
    let callee_screen = sipp_file(&dir, "callee", callee_pid, "screen.log");
    request_screen_dump(callee_pid);
    callee.stop(Duration::from_secs(3));

    // sipp exits 0 when every call passed, 1 when some failed; anything else is a broken run.
    if !matches!(status.code(), Some(0 | 1)) {
        return Err(BenchError::Sipp {
            what: format!("caller against {} ({status})", server.name),
            detail: caller.log_tail(30),
        });
    }
    let caller_pid = caller.pid();
    let counters =
        parse_stat(&read(&sipp_file(&dir, "caller", caller_pid, ".csv"))?).ok_or_else(|| {
            BenchError::Parse {
                file: "caller stat csv".into(),
            }
        })?;
    let setups = parse_setup_log(&read(&sipp_file(&dir, "caller", caller_pid, "logs.log"))?);
    let peak_calls = read(&sipp_file(&dir, "caller", caller_pid, "screen.log"))
        .ok()
        .and_then(|s| parse_peak_calls(&s))
        .unwrap_or(counters.max_current);
    let rtp_echoed = read(&callee_screen).ok().and_then(|s| parse_rtp_echoed(&s));
    let took: Vec<f64> = setups.iter().map(|s| s.took_ms).collect();
    let cpu: Vec<(String, f64)> = server
        .components
        .iter()
        .zip(cpu_after.iter().zip(&cpu_before))
        .map(|(c, (after, before))| (c.name.to_string(), (after - before).max(0.0)))
        .collect();
    Ok(StepResult {
        server: server.name.to_string(),
        relay: server.relay.to_string(),
        plan,
        attempted: counters.created,
        succeeded: counters.succeeded,
        failed: counters.failed,
        achieved_cps: achieved_rate(&setups),
        peak_calls,
        wall_s: wall.as_secs_f64(),
        cpu,
        peak_rss_mib: peak.rss_kb as f64 / 1024.0,
        peak_pss_mib: peak.pss_kb as f64 / 1024.0,
        setup_p50_ms: quantile(&took, 0.5),
        setup_p99_ms: quantile(&took, 0.99),
        setup_mean_ms: mean(&took),
        rtp_echoed,
        rtp_expected: counters.succeeded as f64 * f64::from(plan.hold_ms) / 1000.0
            * RTP_PACKETS_PER_SECOND,
    })
}
