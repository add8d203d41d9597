//! baresip 1.0 as a scripted peer: generated config dir, WAV playback via `aufile`, recording of
//! both directions via the `sndfile` filter, control via `ctrl_tcp`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::ctrl_tcp::{BaresipEvent, CtrlClient};
use crate::error::{HarnessError, Result};
use crate::ports;
use crate::process::{require_binary, ProcessGuard, Stdout};

pub const DEFAULT_MODULE_DIR: &str = "/usr/lib/baresip/modules";
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Codecs the harness knows how to feed: baresip's `aufile` source demands that the WAV file has
/// exactly the stream's sample rate and channel count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcma,
    Pcmu,
    Opus,
    G722,
}

impl Codec {
    /// Name in baresip's `audio_codecs=` account parameter.
    pub fn baresip_name(self) -> &'static str {
        match self {
            Codec::Pcma => "PCMA",
            Codec::Pcmu => "PCMU",
            Codec::Opus => "opus",
            Codec::G722 => "G722",
        }
    }

    /// Name in the koppla CLI `--codecs` list.
    pub fn koppla_name(self) -> &'static str {
        match self {
            Codec::Pcma => "pcma",
            Codec::Pcmu => "pcmu",
            Codec::Opus => "opus",
            Codec::G722 => "g722",
        }
    }

    /// (sample rate, channels) of baresip's audio pipeline for this codec.
    pub fn baresip_pipeline_format(self) -> (u32, u16) {
        match self {
            Codec::Pcma | Codec::Pcmu => (8000, 1),
            Codec::G722 => (16000, 1),
            Codec::Opus => (48000, 2),
        }
    }

    fn module(self) -> &'static str {
        match self {
            Codec::Pcma | Codec::Pcmu => "g711",
            Codec::Opus => "opus",
            Codec::G722 => "g722",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BaresipOptions {
    pub user: String,
    pub password: String,
    /// `127.0.0.1:<port>` of the registrar/proxy.
    pub domain: String,
    pub codecs: Vec<Codec>,
    /// WAV to play as microphone; `None` plays silence from baresip's `ausine`-less setup.
    pub audio_in: Option<PathBuf>,
    /// Directory receiving `dump-*-enc.wav` (sent) and `dump-*-dec.wav` (received).
    pub record_dir: Option<PathBuf>,
    /// Answer incoming calls automatically.
    pub auto_answer: bool,
    /// Extra lines appended to the config file.
    pub extra_config: Vec<String>,
}

impl BaresipOptions {
    pub fn new(user: &str, password: &str, domain: &str) -> Self {
        BaresipOptions {
            user: user.into(),
            password: password.into(),
            domain: domain.into(),
            codecs: vec![Codec::Pcma],
            audio_in: None,
            record_dir: None,
            auto_answer: false,
            extra_config: Vec::new(),
        }
    }
}

pub struct Baresip {
    guard: ProcessGuard,
    ctrl: CtrlClient,
    aor: String,
    sip_port: u16,
    record_dir: Option<PathBuf>,
    stdout_log: PathBuf,
}

/// The generated `config` file.
pub fn config_text(
    opts: &BaresipOptions,
    sip_port: u16,
    ctrl_port: u16,
    rtp_first: u16,
    module_dir: &str,
) -> String {
    let mut modules: Vec<&str> = Vec::new();
    for c in &opts.codecs {
        if !modules.contains(&c.module()) {
            modules.push(c.module());
        }
    }
    let source = match &opts.audio_in {
        Some(p) => format!("aufile,{}", p.display()),
        None => "aubridge,silence".into(),
    };
    let mut lines = vec![
        "poll_method epoll".to_string(),
        "net_interface 127.0.0.1".to_string(),
        format!("sip_listen 127.0.0.1:{sip_port}"),
        format!("audio_source {source}"),
        // Nobody reads this bridge, so playback is decoded (and recorded) but never rendered and
        // costs no real-time thread.
        "audio_player aubridge,nowhere".into(),
        "audio_alert aubridge,nowhere".into(),
        format!("rtp_ports {}-{}", rtp_first, rtp_first + 9),
        "rtp_stats no".into(),
        format!("module_path {module_dir}"),
    ];
    for m in modules {
        lines.push(format!("module {m}.so"));
    }
    lines.push("module aufile.so".into());
    lines.push("module aubridge.so".into());
    // sndfile writes into the working directory unless told otherwise, so only load it on demand.
    if opts.record_dir.is_some() {
        lines.push("module sndfile.so".into());
    }
    lines.extend(
        ["account", "menu", "ctrl_tcp"]
            .iter()
            .map(|m| format!("module_app {m}.so")),
    );
    lines.push(format!("ctrl_tcp_listen 127.0.0.1:{ctrl_port}"));
    if let Some(dir) = &opts.record_dir {
        lines.push(format!("snd_path {}", dir.display()));
    }
    lines.extend(opts.extra_config.iter().cloned());
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The generated `accounts` line (baresip has no other way to take a password).
pub fn account_line(opts: &BaresipOptions) -> String {
    let codecs: Vec<&str> = opts.codecs.iter().map(|c| c.baresip_name()).collect();
    let answer = if opts.auto_answer { "auto" } else { "manual" };
    format!(
        "<sip:{}@{}>;auth_pass={};audio_codecs={};regint=600;answermode={answer}\n",
        opts.user,
        opts.domain,
        opts.password,
        codecs.join(",")
    )
}

impl Baresip {
    /// Start baresip with a fresh config dir under `dir/<user>`; returns once ctrl_tcp answers.
    /// Registration is NOT awaited: call [`Baresip::wait_registered`].
    pub fn start(opts: BaresipOptions, dir: &Path) -> Result<Self> {
        let bin = require_binary("baresip", "baresip-core")?;
        let module_dir =
            std::env::var("BARESIP_MODULES").unwrap_or_else(|_| DEFAULT_MODULE_DIR.into());
        // SIP (UDP+TCP) on p, SIP/TLS on p+1 (baresip always opens it), ctrl_tcp on p+2.
        let base = ports::port_block(3)?;
        let rtp_first = ports::port_block(10)?;
        let root = dir.join(format!("baresip-{}", opts.user));
        std::fs::create_dir_all(&root)
            .map_err(|e| HarnessError::io(format!("creating {}", root.display()), e))?;
        if let Some(rec) = &opts.record_dir {
            std::fs::create_dir_all(rec)
                .map_err(|e| HarnessError::io(format!("creating {}", rec.display()), e))?;
        }
        let write = |name: &str, text: String| {
            let path = root.join(name);
            std::fs::write(&path, text)
                .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
        };
        write(
            "config",
            config_text(&opts, base, base + 2, rtp_first, &module_dir),
        )?;
        write("accounts", account_line(&opts))?;
        write("contacts", String::new())?;
        let mut cmd = Command::new(bin);
        cmd.arg("-f").arg(&root);
        let name = format!("baresip-{}", opts.user);
        let mut guard = ProcessGuard::spawn(&name, cmd, &root, Stdout::ToFile)?;
        let ctrl_addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, base + 2));
        let ctrl = match CtrlClient::connect(&name, ctrl_addr, START_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                guard.check_running()?;
                return Err(e);
            }
        };
        Ok(Baresip {
            guard,
            ctrl,
            aor: format!("sip:{}@{}", opts.user, opts.domain),
            sip_port: base,
            record_dir: opts.record_dir,
            stdout_log: root.join(format!("{name}.stdout.log")),
        })
    }

    pub fn aor(&self) -> &str {
        &self.aor
    }

    pub fn sip_port(&self) -> u16 {
        self.sip_port
    }

    pub fn pid(&self) -> Option<u32> {
        self.guard.pid()
    }

    pub fn ctrl(&mut self) -> &mut CtrlClient {
        &mut self.ctrl
    }

    /// Registration outcome. The REGISTER_OK/FAIL event can fire before ctrl_tcp is connected, so
    /// this falls back to polling `reginfo` (which prints "OK"/"ERR" per user agent).
    pub fn registration(&mut self, timeout: Duration) -> Result<std::result::Result<(), String>> {
        let deadline = Instant::now() + timeout;
        loop {
            for ev in self.ctrl.events() {
                match ev.kind.as_str() {
                    "REGISTER_OK" => return Ok(Ok(())),
                    "REGISTER_FAIL" => return Ok(Err(ev.param.clone())),
                    _ => {}
                }
            }
            let info = self.ctrl.command("reginfo", None)?;
            let plain = strip_ansi(&info);
            if plain.contains(" OK") {
                return Ok(Ok(()));
            }
            if plain.contains("ERR") {
                // The REGISTER_FAIL event may have fired before ctrl_tcp was connected; baresip
                // also logs the final response ("reg: <aor>: 401 Unauthorized") to stdout.
                if let Ok(ev) = self
                    .ctrl
                    .wait_type("REGISTER_FAIL", Duration::from_millis(300))
                {
                    return Ok(Err(ev.param));
                }
                return Ok(Err(self.logged_registration_failure().unwrap_or(plain)));
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{} registration", self.aor),
                    waited: timeout,
                    seen: plain,
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Wait for a successful registration, error otherwise.
    pub fn wait_registered(&mut self) -> Result<()> {
        match self.registration(Duration::from_secs(10))? {
            Ok(()) => Ok(()),
            Err(reason) => Err(HarnessError::CommandFailed {
                peer: self.aor.clone(),
                command: "register".into(),
                detail: reason,
            }),
        }
    }

    pub fn dial(&mut self, uri: &str) -> Result<()> {
        self.ctrl.command("dial", Some(uri)).map(drop)
    }

    pub fn accept(&mut self) -> Result<()> {
        self.ctrl.command("accept", None).map(drop)
    }

    pub fn hangup(&mut self) -> Result<()> {
        self.ctrl.command("hangup", None).map(drop)
    }

    pub fn hold(&mut self) -> Result<()> {
        self.ctrl.command("hold", None).map(drop)
    }

    pub fn resume(&mut self) -> Result<()> {
        self.ctrl.command("resume", None).map(drop)
    }

    /// RFC 4733 telephone-events for each digit.
    pub fn send_dtmf(&mut self, digits: &str) -> Result<()> {
        self.ctrl.command("sndcode", Some(digits)).map(drop)
    }

    /// Blind transfer (REFER) of the current call.
    pub fn transfer(&mut self, uri: &str) -> Result<()> {
        self.ctrl.command("transfer", Some(uri)).map(drop)
    }

    pub fn wait(&mut self, kind: &str, timeout: Duration) -> Result<BaresipEvent> {
        self.ctrl.wait_type(kind, timeout)
    }

    /// DTMF digits received so far (CALL_DTMF_START events).
    pub fn received_dtmf(&mut self) -> String {
        self.ctrl
            .events()
            .iter()
            .filter(|e| e.kind == "CALL_DTMF_START")
            .filter_map(|e| e.param.chars().next())
            .collect()
    }

    /// The recorded (sent, received) WAV files of the most recent call, newest first by name.
    pub fn recordings(&self) -> Result<Recordings> {
        let dir = self.record_dir.as_ref().ok_or_else(|| {
            HarnessError::Audio(format!("{} was started without a record_dir", self.aor))
        })?;
        let mut enc = Vec::new();
        let mut dec = Vec::new();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| HarnessError::io(format!("listing {}", dir.display()), e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with("-enc.wav") {
                enc.push(path);
            } else if name.ends_with("-dec.wav") {
                dec.push(path);
            }
        }
        enc.sort();
        dec.sort();
        match (enc.pop(), dec.pop()) {
            (Some(sent), Some(received)) => Ok(Recordings { sent, received }),
            _ => Err(HarnessError::Audio(format!(
                "no sndfile recordings in {} (was audio flowing?)",
                dir.display()
            ))),
        }
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.guard.log_tail(lines)
    }

    /// The last "reg: ..." failure line of baresip's stdout log, ANSI codes removed.
    fn logged_registration_failure(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.stdout_log).ok()?;
        text.lines()
            .rev()
            .map(strip_ansi)
            .find(|l| l.starts_with("reg: ") && !l.contains("200 OK"))
    }

    /// Stop the process (SIGTERM, so sndfile closes its WAV files properly).
    pub fn stop(&mut self) {
        self.guard.stop(Duration::from_secs(3));
    }
}

#[derive(Debug, Clone)]
pub struct Recordings {
    /// What baresip encoded and sent (after the source, before the encoder).
    pub sent: PathBuf,
    /// What baresip decoded from the network.
    pub received: PathBuf,
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip "[...m".
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_loopback_only_and_loads_codec_modules_once() {
        let mut opts = BaresipOptions::new("bob", "pw", "127.0.0.1:5060");
        opts.codecs = vec![Codec::Pcma, Codec::Pcmu, Codec::Opus];
        opts.audio_in = Some(PathBuf::from("/tmp/in.wav"));
        let cfg = config_text(&opts, 30000, 30002, 31000, DEFAULT_MODULE_DIR);
        assert!(cfg.contains("sip_listen 127.0.0.1:30000"));
        assert!(cfg.contains("ctrl_tcp_listen 127.0.0.1:30002"));
        assert!(cfg.contains("rtp_ports 31000-31009"));
        assert!(cfg.contains("audio_source aufile,/tmp/in.wav"));
        assert_eq!(cfg.matches("module g711.so").count(), 1);
        assert!(cfg.contains("module opus.so"));
    }

    #[test]
    fn account_line_lists_codecs() {
        let mut opts = BaresipOptions::new("bob", "pw", "127.0.0.1:5060");
        opts.codecs = vec![Codec::Opus, Codec::Pcma];
        assert_eq!(
            account_line(&opts),
            "<sip:bob@127.0.0.1:5060>;auth_pass=pw;audio_codecs=opus,PCMA;regint=600;answermode=manual\n"
        );
    }

    #[test]
    fn ansi_colour_codes_are_removed() {
        assert_eq!(strip_ansi("a \u{1b}[32mOK \u{1b}[;m"), "a OK ");
    }
}
