//! Child-process guard: logs go to files in the test's temp dir, the child is stopped on drop
//! (SIGTERM first so baresip/libsndfile can finalise WAV headers, then SIGKILL), and when the
//! dropping thread is panicking (a failed assertion) the log tails are printed to stderr.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};

/// Lines of each log printed when a test fails.
const TAIL_LINES: usize = 80;

/// Locate `name` on PATH (or as given if it contains a slash).
pub fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Like [`which`] but a missing binary is an error naming the Debian package to install.
pub fn require_binary(name: &str, debian_package: &str) -> Result<PathBuf> {
    which(name).ok_or_else(|| HarnessError::MissingBinary {
        name: name.to_string(),
        hint: format!("apt-get install {debian_package}"),
    })
}

/// How the child's stdout is handled.
pub enum Stdout {
    /// Written to `<name>.stdout.log`.
    ToFile,
    /// Piped back to the caller (taken with [`ProcessGuard::take_stdout`]); stdin is piped too.
    Piped,
}

pub struct ProcessGuard {
    name: String,
    child: Option<Child>,
    log_dir: PathBuf,
    stdout_file: Option<PathBuf>,
    stderr_file: PathBuf,
    extra_logs: Vec<PathBuf>,
}

impl ProcessGuard {
    /// Spawn `cmd`, sending stderr (and stdout unless piped) to log files named after `name`.
    pub fn spawn(name: &str, mut cmd: Command, log_dir: &Path, stdout: Stdout) -> Result<Self> {
        std::fs::create_dir_all(log_dir)
            .map_err(|e| HarnessError::io(format!("creating {}", log_dir.display()), e))?;
        let stderr_file = log_dir.join(format!("{name}.stderr.log"));
        let err = File::create(&stderr_file)
            .map_err(|e| HarnessError::io(format!("creating {}", stderr_file.display()), e))?;
        cmd.stderr(Stdio::from(err));
        let stdout_file = match stdout {
            Stdout::ToFile => {
                let path = log_dir.join(format!("{name}.stdout.log"));
                let out = File::create(&path)
                    .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))?;
                cmd.stdout(Stdio::from(out)).stdin(Stdio::null());
                Some(path)
            }
            Stdout::Piped => {
                cmd.stdout(Stdio::piped()).stdin(Stdio::piped());
                None
            }
        };
        // If the test process dies without running destructors (SIGKILL, abort), take the peer
        // down with it instead of leaving it bound to its ports.
        // (Linux only: prctl has no equivalent elsewhere; the harness runs its peers on Linux, but
        // the crate still compiles for the Windows/macOS check of the whole workspace.)
        // SAFETY: the closure only calls prctl(2), which is async-signal-safe, between fork and exec.
        #[cfg(target_os = "linux")]
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .map_err(|source| HarnessError::Spawn { program, source })?;
        Ok(ProcessGuard {
            name: name.to_string(),
            child: Some(child),
            log_dir: log_dir.to_path_buf(),
            stdout_file,
            stderr_file,
            extra_logs: Vec::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// Another file (e.g. a peer's own log) to print on failure.
    pub fn add_log(&mut self, path: PathBuf) {
        self.extra_logs.push(path);
    }

    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.as_mut().and_then(|c| c.stdout.take())
    }

    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.as_mut().and_then(|c| c.stdin.take())
    }

    /// `Err(ExitedEarly)` if the child has already exited.
    pub fn check_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Err(self.exited("already stopped".into()));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self.exited(status.to_string())),
            Err(e) => Err(HarnessError::io(format!("polling {}", self.name), e)),
        }
    }

    fn exited(&self, status: String) -> HarnessError {
        HarnessError::ExitedEarly {
            name: self.name.clone(),
            status,
            logs: self.log_dir.clone(),
            tail: self.log_tail(15),
        }
    }

    /// Wait for the child to exit on its own, up to `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        let Some(child) = self.child.as_mut() else {
            return Ok(None);
        };
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) if Instant::now() >= deadline => return Ok(None),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(HarnessError::io(format!("waiting for {}", self.name), e)),
            }
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL. Idempotent.
    pub fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        terminate(&child);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    /// The last `lines` lines of every log of this process, for failure reports.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        let files = self
            .stdout_file
            .iter()
            .chain(std::iter::once(&self.stderr_file))
            .chain(self.extra_logs.iter());
        for file in files {
            out.push_str(&format!("----- {} ({}) -----\n", self.name, file.display()));
            out.push_str(&tail_of_file(file, lines));
        }
        out
    }
}

fn tail_of_file(path: &Path, lines: usize) -> String {
    let Ok(file) = File::open(path) else {
        return "(no log)\n".into();
    };
    let all: Vec<String> = BufReader::new(file).lines().map_while(|l| l.ok()).collect();
    let start = all.len().saturating_sub(lines);
    all.get(start..)
        .unwrap_or_default()
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail(TAIL_LINES));
        }
    }
}

/// The temp dir of one test: kept (and its path printed) when the test fails or
/// `KOPPLA_INTEROP_KEEP=1`, so the logs and recordings can be inspected.
pub struct TestDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TestDir {
    pub fn new(label: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("koppla-interop-{label}-"))
            .tempdir()
            .map_err(|e| HarnessError::io("creating temp dir", e))?;
        let path = dir.path().to_path_buf();
        Ok(TestDir {
            dir: Some(dir),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A subdirectory, created on demand.
    pub fn sub(&self, name: &str) -> Result<PathBuf> {
        let p = self.path.join(name);
        std::fs::create_dir_all(&p)
            .map_err(|e| HarnessError::io(format!("creating {}", p.display()), e))?;
        Ok(p)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let keep = std::thread::panicking()
            || std::env::var("KOPPLA_INTEROP_KEEP").is_ok_and(|v| v == "1");
        if keep {
            if let Some(dir) = self.dir.take() {
                let path = dir.keep();
                eprintln!("interop: test files kept in {}", path.display());
            }
        }
    }
}

/// Asks a child to exit (SIGTERM) so it can flush its logs; elsewhere there is no polite signal,
/// and the caller's grace period simply runs out before the hard kill.
#[cfg(unix)]
fn terminate(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: plain kill(2) on the pid of a child we spawned and have not yet reaped, so the
        // pid cannot have been recycled for another process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_child: &Child) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_captures_stderr_and_stops_child() {
        let dir = TestDir::new("guard").unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo hello-from-child >&2; exec sleep 30"]);
        let mut guard = ProcessGuard::spawn("sleeper", cmd, dir.path(), Stdout::ToFile).unwrap();
        guard.check_running().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(guard.log_tail(10).contains("hello-from-child"));
        let started = Instant::now();
        let status = guard.stop(Duration::from_secs(2)).unwrap();
        assert!(!status.success(), "sleep was terminated, not finished");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(matches!(
            guard.check_running(),
            Err(HarnessError::ExitedEarly { .. })
        ));
    }

    #[test]
    fn missing_binary_is_a_clear_error() {
        let err = require_binary("definitely-not-a-koppla-peer", "nothing").unwrap_err();
        assert!(err.to_string().contains("definitely-not-a-koppla-peer"));
    }
}
