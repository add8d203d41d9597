//! sipp runner: built-in scenarios (`uac`, `uas`) or the XML scenarios shipped in `src/scenarios`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::ports;
use crate::process::{require_binary, ProcessGuard, Stdout};

/// UAS answering one INVITE with 486 Busy Here.
pub const UAS_BUSY_486: &str = include_str!("scenarios/uas_busy.xml");
/// UAC sending INVITE, waiting for 180, then CANCEL; expects 200 (CANCEL) and 487 (INVITE).
pub const UAC_CANCEL: &str = include_str!("scenarios/uac_cancel.xml");

#[derive(Debug, Clone)]
pub enum Scenario {
    /// `-sn <name>`, e.g. "uac" or "uas".
    BuiltIn(String),
    /// XML text, written to a file in the test dir.
    Xml { name: String, xml: String },
}

#[derive(Debug, Clone)]
pub struct SippOptions {
    pub scenario: Scenario,
    /// Where to send (`None` for a pure UAS).
    pub remote: Option<String>,
    /// Request-URI user part (`-s`).
    pub service: Option<String>,
    /// Number of calls (`-m`).
    pub calls: u32,
    /// Global timeout after which sipp fails.
    pub timeout: Duration,
    pub extra_args: Vec<String>,
}

impl SippOptions {
    pub fn new(scenario: Scenario) -> Self {
        SippOptions {
            scenario,
            remote: None,
            service: None,
            calls: 1,
            timeout: Duration::from_secs(20),
            extra_args: Vec::new(),
        }
    }
}

pub struct Sipp {
    guard: ProcessGuard,
    port: u16,
    timeout: Duration,
    dir: PathBuf,
}

/// The sipp command line for `opts` (without the program).
pub fn sipp_args(
    opts: &SippOptions,
    sip_port: u16,
    media_port: u16,
    ctrl_port: u16,
    scenario_file: Option<&Path>,
) -> Vec<String> {
    let mut args = Vec::new();
    match (&opts.scenario, scenario_file) {
        (Scenario::Xml { .. }, Some(file)) => {
            args.push("-sf".into());
            args.push(file.display().to_string());
        }
        (Scenario::BuiltIn(name), _) | (Scenario::Xml { name, .. }, None) => {
            args.push("-sn".into());
            args.push(name.clone());
        }
    }
    if let Some(remote) = &opts.remote {
        args.push(remote.clone());
    }
    if let Some(service) = &opts.service {
        args.extend(["-s".into(), service.clone()]);
    }
    args.extend([
        "-i".into(),
        "127.0.0.1".into(),
        "-p".into(),
        sip_port.to_string(),
        "-mp".into(),
        media_port.to_string(),
        "-cp".into(),
        ctrl_port.to_string(),
        "-m".into(),
        opts.calls.to_string(),
        "-timeout".into(),
        format!("{}s", opts.timeout.as_secs().max(1)),
        "-timeout_error".into(),
        "-nostdin".into(),
        "-trace_err".into(),
        "-trace_msg".into(),
    ]);
    args.extend(opts.extra_args.iter().cloned());
    args
}

impl Sipp {
    /// Start sipp in the background (for a UAS, or a UAC whose result is collected later).
    pub fn start(opts: SippOptions, dir: &Path) -> Result<Self> {
        Self::start_on(opts, dir, ports::free_port()?)
    }

    /// Like [`Sipp::start`] with a chosen SIP port (e.g. one a proxy route already points at).
    pub fn start_on(opts: SippOptions, dir: &Path, port: u16) -> Result<Self> {
        let bin = require_binary("sipp", "sip-tester")?;
        let media = ports::port_block(4)?;
        let ctrl = ports::free_port()?;
        let label = match &opts.scenario {
            Scenario::BuiltIn(n) => n.clone(),
            Scenario::Xml { name, .. } => name.clone(),
        };
        let root = dir.join(format!("sipp-{label}-{port}"));
        std::fs::create_dir_all(&root)
            .map_err(|e| HarnessError::io(format!("creating {}", root.display()), e))?;
        let scenario_file = match &opts.scenario {
            Scenario::Xml { name, xml } => {
                let path = root.join(format!("{name}.xml"));
                std::fs::write(&path, xml)
                    .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
                Some(path)
            }
            Scenario::BuiltIn(_) => None,
        };
        let mut cmd = Command::new(bin);
        cmd.args(sipp_args(
            &opts,
            port,
            media,
            ctrl,
            scenario_file.as_deref(),
        ))
        .current_dir(&root);
        let mut guard = ProcessGuard::spawn(&format!("sipp-{label}"), cmd, &root, Stdout::ToFile)?;
        if let Some(file) = &scenario_file {
            if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
                // sipp names its traces <scenario>_<pid>_{messages,errors}.log.
                if let Some(pid) = guard.pid() {
                    guard.add_log(root.join(format!("{stem}_{pid}_messages.log")));
                    guard.add_log(root.join(format!("{stem}_{pid}_errors.log")));
                }
            }
        }
        Ok(Sipp {
            guard,
            port,
            timeout: opts.timeout,
            dir: root,
        })
    }

    /// Run to completion; `Ok` only when sipp exits 0 (all calls succeeded per scenario).
    pub fn run(opts: SippOptions, dir: &Path) -> Result<()> {
        let mut sipp = Sipp::start(opts, dir)?;
        sipp.finish()
    }

    /// SIP address sipp listens on.
    pub fn sip_port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Wait for sipp to exit and check its status.
    pub fn finish(&mut self) -> Result<()> {
        let waited = self.timeout + Duration::from_secs(5);
        match self.guard.wait_timeout(waited)? {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(HarnessError::CommandFailed {
                peer: self.guard.name().to_string(),
                command: "scenario".into(),
                detail: format!("{status}; {}", self.guard.log_tail(40)),
            }),
            None => Err(HarnessError::Timeout {
                what: format!("{} to finish", self.guard.name()),
                waited,
                seen: self.guard.log_tail(40),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_uac_args() {
        let mut o = SippOptions::new(Scenario::BuiltIn("uac".into()));
        o.remote = Some("127.0.0.1:5060".into());
        o.service = Some("bob".into());
        let a = sipp_args(&o, 4000, 4002, 4010, None);
        let s = a.join(" ");
        assert!(
            s.starts_with("-sn uac 127.0.0.1:5060 -s bob -i 127.0.0.1 -p 4000 -mp 4002"),
            "{s}"
        );
        assert!(s.contains("-m 1"));
    }

    #[test]
    fn shipped_scenarios_are_well_formed_enough() {
        for xml in [UAS_BUSY_486, UAC_CANCEL] {
            assert!(xml.contains("<scenario") && xml.trim_end().ends_with("</scenario>"));
            assert_eq!(xml.matches("<![CDATA[").count(), xml.matches("]]>").count());
        }
        assert!(UAS_BUSY_486.contains("SIP/2.0 486 Busy Here"));
        assert!(UAC_CANCEL.contains("CANCEL sip:"));
    }
}
