//! Driver for the `koppla agent` headless CLI: stdin commands, JSON-lines events on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::baresip::Codec;
use crate::error::{HarnessError, Result};
use crate::koppla_event::{parse_line, AgentEvent, AgentLine};
use crate::process::{ProcessGuard, Stdout};

/// Workspace root (tests/interop/../..).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Build profile of the `koppla` binary the harness runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `target/debug/koppla` (tests: fast to build).
    Debug,
    /// `target/release/koppla` (benchmark: fair CPU figures).
    Release,
}

/// Path of the `koppla` binary: `$KOPPLA_BIN`, else the debug build, built once per test process
/// with `cargo build -p koppla-cli` so tests never run a stale binary.
pub fn koppla_binary() -> Result<PathBuf> {
    koppla_binary_for(Profile::Debug)
}

/// Like [`koppla_binary`] for a given build profile.
pub fn koppla_binary_for(profile: Profile) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("KOPPLA_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(HarnessError::MissingBinary {
                name: bin.display().to_string(),
                hint: "KOPPLA_BIN points to a missing file".into(),
            })
        };
    }
    type Built = Mutex<Option<std::result::Result<PathBuf, String>>>;
    static DEBUG: OnceLock<Built> = OnceLock::new();
    static RELEASE: OnceLock<Built> = OnceLock::new();
    let cell = match profile {
        Profile::Debug => &DEBUG,
        Profile::Release => &RELEASE,
    }
    .get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|p| p.into_inner());
    if guard.is_none() {
        *guard = Some(build_koppla(profile));
    }
    match guard.as_ref() {
        Some(Ok(p)) => Ok(p.clone()),
        Some(Err(detail)) => Err(HarnessError::Build {
            package: "koppla-cli".into(),
            detail: detail.clone(),
        }),
        None => Err(HarnessError::Build {
            package: "koppla-cli".into(),
            detail: "build state lost".into(),
        }),
    }
}

fn build_koppla(profile: Profile) -> std::result::Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "koppla-cli", "--bin", "koppla"]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    let output = cmd
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = err.lines().rev().take(30).collect();
        return Err(tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
    }
    let dir = match profile {
        Profile::Debug => "debug",
        Profile::Release => "release",
    };
    let bin = target_dir().join(dir).join("koppla");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "build succeeded but {} does not exist",
            bin.display()
        ))
    }
}

#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `sip:alice@127.0.0.1:5060`
    pub account: String,
    pub auth_user: Option<String>,
    pub password: String,
    pub transport: Option<String>,
    pub codecs: Vec<Codec>,
    pub srtp: Option<String>,
    pub play: Option<PathBuf>,
    pub record: Option<PathBuf>,
    pub auto_answer: bool,
    pub busy: bool,
    /// `--accept-direct-requests`: take new calls from any address, not only the registrar
    /// (for a peer that calls the agent's port directly rather than through its server).
    pub accept_direct_requests: bool,
    /// SIP port to bind on 127.0.0.1, for a peer that must know where to reach the agent;
    /// a free one when `None`.
    pub port: Option<u16>,
    /// Further command-line arguments, e.g. `["--media-timeout", "3"]`.
    pub extra_args: Vec<String>,
}

impl AgentOptions {
    pub fn new(account: &str, password: &str) -> Self {
        AgentOptions {
            account: account.into(),
            auth_user: None,
            password: password.into(),
            transport: None,
            codecs: Vec::new(),
            srtp: None,
            play: None,
            record: None,
            auto_answer: false,
            busy: false,
            accept_direct_requests: false,
            port: None,
            extra_args: Vec::new(),
        }
    }

    /// Command-line arguments (the password goes through the environment, never argv).
    pub fn args(&self) -> Vec<String> {
        let mut a = vec![
            "agent".to_string(),
            "--account".into(),
            self.account.clone(),
            "--bind".into(),
            format!("127.0.0.1:{}", self.port.unwrap_or(0)),
        ];
        if let Some(u) = &self.auth_user {
            a.extend(["--auth-user".into(), u.clone()]);
        }
        if let Some(t) = &self.transport {
            a.extend(["--transport".into(), t.clone()]);
        }
        if !self.codecs.is_empty() {
            let names: Vec<&str> = self.codecs.iter().map(|c| c.koppla_name()).collect();
            a.extend(["--codecs".into(), names.join(",")]);
        }
        if let Some(s) = &self.srtp {
            a.extend(["--srtp".into(), s.clone()]);
        }
        if let Some(p) = &self.play {
            a.extend(["--play".into(), p.display().to_string()]);
        }
        if let Some(r) = &self.record {
            a.extend(["--record".into(), r.display().to_string()]);
        }
        if self.auto_answer {
            a.push("--auto-answer".into());
        }
        if self.busy {
            a.push("--busy".into());
        }
        if self.accept_direct_requests {
            a.push("--accept-direct-requests".into());
        }
        a.extend(self.extra_args.iter().cloned());
        a
    }
}

pub struct KopplaAgent {
    name: String,
    guard: ProcessGuard,
    stdin: Option<ChildStdin>,
    rx: Receiver<AgentLine>,
    history: Vec<AgentLine>,
    /// Parallel to `history`: already returned by a wait.
    consumed: Vec<bool>,
}

pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

impl KopplaAgent {
    pub fn start(name: &str, opts: &AgentOptions, dir: &Path) -> Result<Self> {
        Self::start_with_binary(&koppla_binary()?, name, opts, dir)
    }

    /// Start a specific binary (the benchmark uses the release build).
    pub fn start_with_binary(
        bin: &Path,
        name: &str,
        opts: &AgentOptions,
        dir: &Path,
    ) -> Result<Self> {
        let mut cmd = Command::new(bin);
        cmd.args(opts.args())
            .env("KOPPLA_PASSWORD", &opts.password)
            .env(
                "RUST_LOG",
                std::env::var("KOPPLA_LOG").unwrap_or_else(|_| "debug".into()),
            )
            .env_remove("RUST_BACKTRACE");
        let log_dir = dir.join(format!("koppla-{name}"));
        let mut guard =
            ProcessGuard::spawn(&format!("koppla-{name}"), cmd, &log_dir, Stdout::Piped)?;
        let stdin = guard.take_stdin();
        let stdout = guard.take_stdout().ok_or_else(|| HarnessError::Protocol {
            peer: name.into(),
            detail: "no stdout pipe".into(),
        })?;
        let transcript = log_dir.join(format!("koppla-{name}.events.log"));
        guard.add_log(transcript.clone());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = std::fs::File::create(&transcript).ok();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(f) = log.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                if line.trim().is_empty() {
                    continue;
                }
                if tx.send(parse_line(line.trim())).is_err() {
                    return;
                }
            }
        });
        Ok(KopplaAgent {
            name: name.into(),
            guard,
            stdin,
            rx,
            history: Vec::new(),
            consumed: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.guard.pid()
    }

    /// Write one command line to the agent's stdin.
    pub fn send(&mut self, command: &str) -> Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| HarnessError::Protocol {
            peer: self.name.clone(),
            detail: "stdin already closed".into(),
        })?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| {
                HarnessError::io(format!("writing `{command}` to koppla {}", self.name), e)
            })
    }

    /// The earliest not-yet-consumed event matching `pred`, wherever it is in the history: events
    /// of concurrent calls may arrive in any order, and each event is matched at most once.
    /// Fails early if the agent exits.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&AgentEvent) -> bool,
    ) -> Result<AgentEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self
                .history
                .iter()
                .zip(self.consumed.iter())
                .position(|(l, used)| !used && matches!(l, AgentLine::Event(ev) if pred(ev)));
            if let Some(idx) = found {
                if let Some(flag) = self.consumed.get_mut(idx) {
                    *flag = true;
                }
                if let Some(AgentLine::Event(ev)) = self.history.get(idx) {
                    return Ok(ev.clone());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left.min(Duration::from_millis(250))) {
                Ok(line) => {
                    self.history.push(line);
                    self.consumed.push(false);
                }
                Err(RecvTimeoutError::Timeout) if !left.is_zero() => {}
                Err(RecvTimeoutError::Timeout) => {
                    return Err(HarnessError::Timeout {
                        what: format!("koppla {} {what}", self.name),
                        waited: timeout,
                        seen: self.seen(),
                    })
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.guard.check_running()?;
                    return Err(HarnessError::Protocol {
                        peer: self.name.clone(),
                        detail: format!(
                            "stdout closed while waiting for {what}; seen {}",
                            self.seen()
                        ),
                    });
                }
            }
        }
    }

    /// `register` then wait for `registered` (a `registration_failed` is returned as an error).
    pub fn register(&mut self) -> Result<()> {
        self.send("register")?;
        let ev = self.wait_for("registered", DEFAULT_WAIT, |e| {
            matches!(
                e,
                AgentEvent::Registered { .. } | AgentEvent::RegistrationFailed { .. }
            )
        })?;
        match ev {
            AgentEvent::RegistrationFailed { reason } => Err(HarnessError::CommandFailed {
                peer: self.name.clone(),
                command: "register".into(),
                detail: reason,
            }),
            _ => Ok(()),
        }
    }

    /// Wait for `call_state` == `state` on any call; returns the call id.
    pub fn wait_state(&mut self, state: &str, timeout: Duration) -> Result<u64> {
        let ev = self.wait_for(&format!("call_state {state}"), timeout, |e| {
            e.is_state(state)
        })?;
        ev.call_id().ok_or_else(|| HarnessError::Protocol {
            peer: self.name.clone(),
            detail: "call_state without call id".into(),
        })
    }

    /// Wait for `call_state` == `state` on call `call`; returns the reason if any.
    pub fn wait_call_state(
        &mut self,
        call: u64,
        state: &str,
        timeout: Duration,
    ) -> Result<Option<String>> {
        let ev = self.wait_for(&format!("call {call} state {state}"), timeout, |e| {
            e.is_state(state) && e.call_id() == Some(call)
        })?;
        match ev {
            AgentEvent::CallState { reason, .. } => Ok(reason),
            _ => Ok(None),
        }
    }

    /// Wait for an incoming call; returns (call id, from).
    pub fn wait_incoming(&mut self, timeout: Duration) -> Result<(u64, String)> {
        match self.wait_for("incoming", timeout, |e| {
            matches!(e, AgentEvent::Incoming { .. })
        })? {
            AgentEvent::Incoming { call, from } => Ok((call, from)),
            _ => Err(HarnessError::Protocol {
                peer: self.name.clone(),
                detail: "unexpected event".into(),
            }),
        }
    }

    /// Collect `n` DTMF digits (in order) received on any call.
    pub fn wait_dtmf(&mut self, n: usize, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut digits = String::new();
        while digits.chars().count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.wait_for("dtmf", left, |e| matches!(e, AgentEvent::Dtmf { .. }))? {
                AgentEvent::Dtmf { digit, .. } => digits.push_str(&digit),
                _ => continue,
            }
        }
        Ok(digits)
    }

    /// Every event line seen so far, in order (for assertions and messages).
    pub fn events(&mut self) -> Vec<AgentEvent> {
        while let Ok(line) = self.rx.try_recv() {
            self.history.push(line);
            self.consumed.push(false);
        }
        self.history
            .iter()
            .filter_map(|l| match l {
                AgentLine::Event(e) => Some(e.clone()),
                AgentLine::Other(_) => None,
            })
            .collect()
    }

    fn seen(&self) -> String {
        let items: Vec<String> = self
            .history
            .iter()
            .map(|l| match l {
                AgentLine::Event(e) => format!("{e:?}"),
                AgentLine::Other(s) => format!("raw:{s}"),
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    /// `quit` and wait for a clean exit (the contract says exit 0); kills after `grace`.
    pub fn quit(&mut self, grace: Duration) -> Result<()> {
        let _ = self.send("quit");
        self.stdin = None;
        match self.guard.wait_timeout(grace)? {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(HarnessError::ExitedEarly {
                name: self.name.clone(),
                status: status.to_string(),
                logs: self.guard.log_dir().to_path_buf(),
                tail: self.guard.log_tail(15),
            }),
            None => {
                self.guard.stop(Duration::from_secs(1));
                Err(HarnessError::Timeout {
                    what: format!("koppla {} to exit after quit", self.name),
                    waited: grace,
                    seen: self.seen(),
                })
            }
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.guard.log_tail(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_never_on_the_command_line() {
        let mut o = AgentOptions::new("sip:alice@127.0.0.1:5060", "s3cret-pw");
        o.codecs = vec![Codec::Opus, Codec::Pcma];
        o.auto_answer = true;
        let args = o.args();
        assert!(!args.iter().any(|a| a.contains("s3cret-pw")));
        let joined = args.join(" ");
        assert!(joined.starts_with("agent --account sip:alice@127.0.0.1:5060 --bind 127.0.0.1:0"));
        assert!(joined.contains("--codecs opus,pcma"));
        assert!(joined.ends_with("--auto-answer"));
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("tests/interop").is_dir());
    }
}
