//! Kamailio as registrar + proxy with digest auth from db_text, started per test.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::kamailio_cfg::{kamailio_cfg, subscriber_table, version_table, KamailioConfig};
use crate::ports;
use crate::process::{require_binary, ProcessGuard, Stdout};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct KamailioOptions {
    pub auth_calls: bool,
    pub module_dir: String,
    pub static_routes: Vec<(String, SocketAddr)>,
}

impl Default for KamailioOptions {
    fn default() -> Self {
        KamailioOptions {
            auth_calls: true,
            module_dir: std::env::var("KAMAILIO_MODULES")
                .unwrap_or_else(|_| crate::kamailio_cfg::DEFAULT_MODULE_DIR.into()),
            static_routes: Vec::new(),
        }
    }
}

pub struct Kamailio {
    guard: ProcessGuard,
    port: u16,
}

impl Kamailio {
    /// Start with default options (calls from local users are challenged too).
    pub fn start(users: &[(&str, &str)], dir: &std::path::Path) -> Result<Self> {
        Self::start_with(users, dir, KamailioOptions::default())
    }

    /// Write config + db_text tables under `dir`, start kamailio in the foreground and wait until
    /// it answers OPTIONS.
    pub fn start_with(
        users: &[(&str, &str)],
        dir: &std::path::Path,
        opts: KamailioOptions,
    ) -> Result<Self> {
        let bin = require_binary("kamailio", "kamailio")?;
        let port = ports::free_port()?;
        let root = dir.join("kamailio");
        let db_dir = root.join("db");
        let run_dir = root.join("run");
        for d in [&db_dir, &run_dir] {
            std::fs::create_dir_all(d)
                .map_err(|e| HarnessError::io(format!("creating {}", d.display()), e))?;
        }
        let write = |path: std::path::PathBuf, text: String| {
            std::fs::write(&path, text)
                .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
        };
        write(db_dir.join("version"), version_table())?;
        write(
            db_dir.join("subscriber"),
            subscriber_table(users, "127.0.0.1"),
        )?;
        let cfg_path = root.join("kamailio.cfg");
        write(
            cfg_path.clone(),
            kamailio_cfg(&KamailioConfig {
                port,
                db_dir: db_dir.display().to_string(),
                module_dir: opts.module_dir.clone(),
                auth_calls: opts.auth_calls,
                static_routes: opts.static_routes.clone(),
            }),
        )?;
        let mut cmd = Command::new(bin);
        cmd.arg("-f")
            .arg(&cfg_path)
            .args(["-DD", "-E", "-m", "32", "-M", "4"])
            .arg("-Y")
            .arg(&run_dir)
            .arg("-w")
            .arg(&run_dir)
            .arg("-P")
            .arg(run_dir.join("kamailio.pid"));
        let mut guard = ProcessGuard::spawn("kamailio", cmd, &root, Stdout::ToFile)?;
        let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        match crate::sip_probe::wait_for_options(addr, STARTUP_TIMEOUT) {
            Ok(_) => {}
            Err(e) => {
                guard.check_running()?;
                return Err(e);
            }
        }
        guard.check_running()?;
        Ok(Kamailio { guard, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port))
    }

    /// `127.0.0.1:<port>`, the SIP domain of every account.
    pub fn domain(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Address-of-record of `user` on this server.
    pub fn aor(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.port)
    }

    pub fn guard(&mut self) -> &mut ProcessGuard {
        &mut self.guard
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.guard.log_tail(lines)
    }
}
