//! The two call paths under test, each started as its own processes on 127.0.0.1 so /proc can
//! charge every CPU second to the right server: the `vaxel` binary with its built-in relay, and
//! Kamailio with rtpengine (userspace forwarding, `--table=-1`).

use super::kamailio_rtpengine::{kamailio_rtpengine_cfg, KamailioRtpengineConfig};
use super::BenchError;
use koppla_interop::kamailio_cfg::{subscriber_table, version_table};
use koppla_interop::process::{require_binary, ProcessGuard, Stdout};
use koppla_interop::sip_probe::wait_for_options;
use koppla_interop::{ports, KamailioOptions};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(20);
/// rtpengine takes two ports (RTP + RTCP) per side of a call; room for a few thousand calls.
const RTPENGINE_PORTS: u16 = 8000;

/// One process tree measured on its own (a server may have several, e.g. Kamailio + rtpengine).
#[derive(Debug, Clone)]
pub struct Component {
    pub name: &'static str,
    pub pid: u32,
}

pub struct Server {
    pub name: &'static str,
    /// How media is relayed, printed with the results.
    pub relay: &'static str,
    pub sip: SocketAddr,
    /// Fixed per server: the callee re-registers from it before each step, so the location
    /// table never holds a stale second contact that would fork calls.
    pub callee_port: u16,
    pub components: Vec<Component>,
    /// Dropped in order: Kamailio stops before rtpengine, so it never talks to a dead relay.
    guards: Vec<ProcessGuard>,
}

impl Server {
    pub fn check_running(&mut self) -> Result<(), BenchError> {
        for g in &mut self.guards {
            g.check_running()?;
        }
        Ok(())
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.guards.iter().map(|g| g.log_tail(lines)).collect()
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

fn write(path: &Path, text: &str) -> Result<(), BenchError> {
    std::fs::write(path, text).map_err(|source| BenchError::Io {
        context: format!("writing {}", path.display()),
        source,
    })
}

fn create_dir(path: &Path) -> Result<(), BenchError> {
    std::fs::create_dir_all(path).map_err(|source| BenchError::Io {
        context: format!("creating {}", path.display()),
        source,
    })
}

/// Runs `program` through `sh` with the soft open-files limit raised to the hard one: hundreds of
/// relayed calls need thousands of sockets, more than a default 1024. `exec` keeps the pid.
fn with_raised_fd_limit(program: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@""#)
        .arg(program);
    cmd
}

fn pid_of(guard: &ProcessGuard) -> Result<u32, BenchError> {
    guard.pid().ok_or_else(|| BenchError::Startup {
        server: guard.name().to_string(),
        detail: "no pid after spawn".into(),
    })
}

fn wait_sip(guard: &mut ProcessGuard, addr: SocketAddr) -> Result<(), BenchError> {
    if let Err(e) = wait_for_options(addr, STARTUP) {
        guard.check_running()?;
        return Err(e.into());
    }
    guard.check_running()?;
    Ok(())
}

/// `vaxel` from `bin` with `users` (passwords passed through the environment, as the config
/// format requires), logging warnings only.
pub fn start_vaxel(bin: &Path, dir: &Path, users: &[(&str, &str)]) -> Result<Server, BenchError> {
    if !bin.is_file() {
        return Err(BenchError::Startup {
            server: "vaxel".into(),
            detail: format!("binary {} not built", bin.display()),
        });
    }
    let root = dir.join("vaxel");
    create_dir(&root)?;
    let port = ports::free_port()?;
    let mut toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{port}\"\napi_bind = \"127.0.0.1:0\"\n\
         public_ip = \"127.0.0.1\"\ndatabase = \"sqlite::memory:\"\n"
    );
    let mut cmd = with_raised_fd_limit(bin);
    for (i, (user, password)) in users.iter().enumerate() {
        let var = format!("VAXEL_BENCH_PW_{i}");
        toml.push_str(&format!(
            "\n[[users]]\nusername = \"{user}\"\nname = \"{user}\"\npassword_env = \"{var}\"\n"
        ));
        cmd.env(var, password);
    }
    let cfg = root.join("vaxel.toml");
    write(&cfg, &toml)?;
    cmd.arg("--config").arg(&cfg).env("RUST_LOG", "warn");
    let mut guard = ProcessGuard::spawn("vaxel", cmd, &root, Stdout::ToFile)?;
    wait_sip(&mut guard, loopback(port))?;
    let pid = pid_of(&guard)?;
    Ok(Server {
        name: "vaxel",
        relay: "vaxel's built-in relay",
        sip: loopback(port),
        callee_port: ports::free_port()?,
        components: vec![Component { name: "vaxel", pid }],
        guards: vec![guard],
    })
}

/// Sends an ng `ping` until rtpengine answers `pong`.
fn wait_for_ng(ng: SocketAddr, timeout: Duration) -> Result<(), BenchError> {
    let io = |context: &str, source| BenchError::Io {
        context: context.to_string(),
        source,
    };
    let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| io("binding ng probe", e))?;
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| io("ng probe timeout", e))?;
    let started = Instant::now();
    let mut buf = [0u8; 512];
    while started.elapsed() < timeout {
        // A refused send (nothing bound yet) is expected while rtpengine starts.
        let _ = sock.send_to(b"probe d7:command4:pinge", ng);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if buf
                .get(..n)
                .is_some_and(|b| b.ends_with(b"d6:result4:ponge"))
            {
                return Ok(());
            }
        }
    }
    Err(BenchError::Startup {
        server: "rtpengine".into(),
        detail: format!("no ng pong from {ng} within {timeout:?}"),
    })
}

/// rtpengine (userspace) on 127.0.0.1, then Kamailio using it for every call.
pub fn start_kamailio_rtpengine(dir: &Path, users: &[(&str, &str)]) -> Result<Server, BenchError> {
    let rtpengine_bin = require_binary("rtpengine", "rtpengine-daemon")?;
    let kamailio_bin = require_binary("kamailio", "kamailio")?;
    let root = dir.join("kamailio-rtpengine");
    let db_dir = root.join("db");
    let run_dir = root.join("run");
    for d in [&db_dir, &run_dir] {
        create_dir(d)?;
    }

    let ng = loopback(ports::free_port()?);
    let media = ports::port_block(RTPENGINE_PORTS)?;
    let mut cmd = with_raised_fd_limit(&rtpengine_bin);
    cmd.args([
        "--config-file=none",
        "--foreground",
        "--log-stderr",
        "--log-level=4",
        "--table=-1",
        "--interface=127.0.0.1",
    ])
    .arg(format!("--listen-ng={ng}"))
    .arg(format!("--port-min={media}"))
    .arg(format!("--port-max={}", media + RTPENGINE_PORTS - 1));
    let mut rtpengine = ProcessGuard::spawn("rtpengine", cmd, &root, Stdout::ToFile)?;
    if let Err(e) = wait_for_ng(ng, STARTUP) {
        rtpengine.check_running()?;
        return Err(e);
    }
    let rtpengine_pid = pid_of(&rtpengine)?;

    let port = ports::free_port()?;
    write(&db_dir.join("version"), &version_table())?;
    write(
        &db_dir.join("subscriber"),
        &subscriber_table(users, "127.0.0.1"),
    )?;
    let cfg_path = root.join("kamailio.cfg");
    let module_dir = KamailioOptions::default().module_dir;
    write(
        &cfg_path,
        &kamailio_rtpengine_cfg(&KamailioRtpengineConfig {
            port,
            db_dir: &db_dir.display().to_string(),
            module_dir: &module_dir,
            ng,
        }),
    )?;
    let mut cmd = Command::new(kamailio_bin);
    // Shared memory sized for a few thousand transactions in flight.
    cmd.arg("-f")
        .arg(&cfg_path)
        .args(["-DD", "-E", "-m", "256", "-M", "16", "-Y"])
        .arg(&run_dir)
        .arg("-w")
        .arg(&run_dir)
        .arg("-P")
        .arg(run_dir.join("kamailio.pid"));
    let mut kamailio = ProcessGuard::spawn("kamailio", cmd, &root, Stdout::ToFile)?;
    wait_sip(&mut kamailio, loopback(port))?;
    let kamailio_pid = pid_of(&kamailio)?;
    Ok(Server {
        name: "kamailio",
        relay: "rtpengine (userspace, --table=-1)",
        sip: loopback(port),
        callee_port: ports::free_port()?,
        components: vec![
            Component {
                name: "kamailio",
                pid: kamailio_pid,
            },
            Component {
                name: "rtpengine",
                pid: rtpengine_pid,
            },
        ],
        guards: vec![kamailio, rtpengine],
    })
}
