//! The two elements under test as real processes: the `vaxel` switch on a temp config and
//! database, and the `koppla` CLI agent registered at a registrar the runner plays itself (so
//! the runner's registrar socket is the address the UA trusts for requests).

use super::wire::{ok_for, Msg};
use koppla_interop::koppla::koppla_binary;
use koppla_interop::koppla_event::{parse_line, AgentEvent, AgentLine};
use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout};
use koppla_interop::sip_probe::wait_for_options;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const START_WAIT: Duration = Duration::from_secs(20);
const PASSWORD_VAR: &str = "CONFORMANCE_PW";
const PASSWORD: &str = "conformance-secret-1";
/// The user the torture messages address (sip:user@...), on the switch and as the UA's AOR.
pub const USER: &str = "user";

pub struct Switch {
    pub guard: ProcessGuard,
    /// UDP and TCP on the same port.
    pub addr: SocketAddr,
    stderr: PathBuf,
}

impl Switch {
    pub fn start(dir: &Path) -> Switch {
        let port = free_port().expect("a free port for the switch");
        let db = dir.join("vaxel.db");
        let config = format!(
            "[server]\nsip_bind = \"127.0.0.1:{port}\"\nsip_tcp_bind = \"127.0.0.1:{port}\"\n\
             api_bind = \"127.0.0.1:0\"\npublic_ip = \"127.0.0.1\"\n\
             database = \"sqlite://{}?mode=rwc\"\n\n\
             [[users]]\nusername = \"{USER}\"\nname = \"Torture Test\"\nshort_number = \"1000\"\n\
             password_env = \"{PASSWORD_VAR}\"\n",
            db.display()
        );
        let path = dir.join("vaxel.toml");
        std::fs::write(&path, config).expect("write vaxel.toml");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
        cmd.arg("--config")
            .arg(&path)
            .env(PASSWORD_VAR, PASSWORD)
            .env("RUST_LOG", "debug");
        let log_dir = dir.join("vaxel");
        let guard =
            ProcessGuard::spawn("vaxel", cmd, &log_dir, Stdout::ToFile).expect("start vaxel");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for_options(addr, START_WAIT).expect("the switch answers OPTIONS");
        Switch {
            guard,
            addr,
            stderr: log_dir.join("vaxel.stderr.log"),
        }
    }

    /// Panic messages in the switch's log (a panicking task does not end the process).
    pub fn panics(&self) -> Vec<String> {
        panics_in(&self.stderr)
    }
}

/// The `koppla` CLI agent, registered at `registrar` (a socket of the runner).
pub struct Ua {
    pub guard: ProcessGuard,
    /// Where the agent listens: UDP, and TCP on the same port.
    pub addr: SocketAddr,
    pub registrar: UdpSocket,
    stdin: ChildStdin,
    events: Receiver<AgentEvent>,
    stderr: PathBuf,
    /// Whether the binary has `--accept-direct-requests` (issue 19 item 3) and it was given.
    pub accepts_direct: bool,
}

impl Ua {
    pub fn start(dir: &Path) -> Ua {
        let registrar = UdpSocket::bind("127.0.0.1:0").expect("registrar socket");
        let reg_addr = registrar.local_addr().expect("registrar address");
        let bin = koppla_binary().expect("the koppla CLI builds");
        // The UA takes requests outside a dialog only from its registrar's address by default;
        // over UDP the runner sends from that very socket, but every TCP message comes on a new
        // connection from another port, so the suite lets the agent take direct requests when
        // it has the switch for that (older builds take them from anyone anyway).
        let accepts_direct = supports(&bin, "--accept-direct-requests");
        let mut cmd = Command::new(&bin);
        cmd.args([
            "agent",
            "--account",
            &format!("sip:{USER}@{reg_addr}"),
            "--bind",
            "127.0.0.1:0",
            "--no-mwi",
            "--register",
        ]);
        if accepts_direct {
            cmd.arg("--accept-direct-requests");
        }
        cmd.env("KOPPLA_PASSWORD", PASSWORD)
            .env("RUST_LOG", "debug")
            .env_remove("RUST_BACKTRACE");
        let log_dir = dir.join("koppla-ua");
        let mut guard =
            ProcessGuard::spawn("koppla-ua", cmd, &log_dir, Stdout::Piped).expect("start koppla");
        let stdin = guard.take_stdin().expect("koppla stdin");
        let stdout = guard.take_stdout().expect("koppla stdout");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let AgentLine::Event(ev) = parse_line(line.trim()) {
                    if tx.send(ev).is_err() {
                        return;
                    }
                }
            }
        });
        let addr = answer_register(&registrar);
        let ua = Ua {
            guard,
            addr,
            registrar,
            stdin,
            events,
            stderr: log_dir.join("koppla-ua.stderr.log"),
            accepts_direct,
        };
        let deadline = Instant::now() + START_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ua.events.recv_timeout(left) {
                Ok(AgentEvent::Registered { .. }) => break,
                Ok(AgentEvent::RegistrationFailed { reason }) => {
                    panic!("the UA did not take the registrar's 200: {reason}")
                }
                Ok(_) => {}
                Err(_) => panic!("the UA never printed `registered`"),
            }
        }
        ua
    }

    /// Forgets events so far (each message's events are judged on their own).
    pub fn drain_events(&mut self) -> Vec<AgentEvent> {
        self.events.try_iter().collect()
    }

    /// The id of the next incoming call within `wait`.
    pub fn incoming(&mut self, wait: Duration) -> Option<u64> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.events.recv_timeout(left).ok()? {
                AgentEvent::Incoming { call, .. } => return Some(call),
                _ => continue,
            }
        }
    }

    /// Declines a ringing call (the agent answers the INVITE 486/603).
    pub fn reject(&mut self, call: u64) {
        writeln!(self.stdin, "reject {call}")
            .and_then(|()| self.stdin.flush())
            .expect("write to koppla's stdin");
    }

    pub fn panics(&self) -> Vec<String> {
        panics_in(&self.stderr)
    }
}

/// Waits for the agent's REGISTER on the registrar socket and answers 200; returns the
/// agent's address (where the REGISTER came from).
fn answer_register(registrar: &UdpSocket) -> SocketAddr {
    registrar
        .set_read_timeout(Some(START_WAIT))
        .expect("registrar timeout");
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = registrar
            .recv_from(&mut buf)
            .expect("the UA sends REGISTER to its registrar");
        let msg = Msg {
            text: String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned(),
        };
        if msg.method() == "REGISTER" {
            registrar
                .send_to(ok_for(&msg).as_bytes(), from)
                .expect("answer REGISTER");
            return from;
        }
    }
}

/// Whether `koppla agent --help` lists `flag`.
fn supports(bin: &Path, flag: &str) -> bool {
    Command::new(bin)
        .args(["agent", "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(flag))
        .unwrap_or(false)
}

fn panics_in(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("panicked"))
        .map(str::to_string)
        .collect()
}
