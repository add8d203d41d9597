//! A private X display and session bus for driving the real Koppla app binary in tests.
//!
//! Every test gets its own Xvfb display, D-Bus session bus and HOME, so tests can run in
//! parallel and never touch the developer's desktop, handler registrations or settings.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Child processes are killed when the guard drops, also when a test panics.
pub struct ProcessGuard(pub Child);

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        // SIGTERM first so servers such as Xvfb remove their lock files and sockets.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let exited = wait_until(Duration::from_secs(3), || {
            matches!(self.0.try_wait(), Ok(Some(_)))
        });
        if !exited {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

pub struct Desktop {
    pub display: String,
    pub dbus_address: String,
    pub home: tempfile::TempDir,
    _xvfb: ProcessGuard,
    _dbus: ProcessGuard,
}

/// Fails with a message that says which Debian package to install.
pub fn require_tool(name: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is missing: install the Debian package `{package}`"
    );
}

impl Desktop {
    pub fn start() -> Desktop {
        require_tool("Xvfb", "xvfb");
        require_tool("dbus-daemon", "dbus");
        let (display, xvfb) = start_xvfb();
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let stdout = dbus.stdout.take().expect("dbus stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the session bus address");
        let home = tempfile::tempdir().expect("temp HOME");
        Desktop {
            display,
            dbus_address: line.trim().to_string(),
            home,
            _xvfb: ProcessGuard(xvfb),
            _dbus: ProcessGuard(dbus),
        }
    }

    /// A command with this desktop's display, bus and HOME.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        let home = self.home.path();
        command
            .env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.dbus_address)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env_remove("WAYLAND_DISPLAY")
            .env("GDK_BACKEND", "x11")
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("NO_AT_BRIDGE", "1");
        command
    }
}

fn start_xvfb() -> (String, Child) {
    // Tests in one binary run as threads: pick displays one at a time so two never race for one.
    static PICKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _picking = PICKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for number in 90..200u32 {
        let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        if lock.exists() || socket.exists() {
            continue;
        }
        let display = format!(":{number}");
        let Ok(mut child) = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            continue;
        };
        let started = wait_until(Duration::from_secs(10), || socket.exists());
        // A server that lost the race for this display exits at once; the socket is then the
        // other server's.
        std::thread::sleep(Duration::from_millis(150));
        if started && matches!(child.try_wait(), Ok(None)) {
            return (display, child);
        }
        // Another test took this display at the same moment: try the next one.
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("no free X display for Xvfb");
}

pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// The app binary built with the bundled UI (`cargo build -p koppla-app --features custom-protocol`).
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KOPPLA_APP_BIN") {
        return PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let path = target.join("debug/koppla-app");
    assert!(
        path.is_file(),
        "{} is missing: build it with `npm run build && cargo build -p koppla-app --features custom-protocol`",
        path.display()
    );
    path
}

/// A running app whose log (stderr) goes to a file the test can search.
pub struct RunningApp {
    pub log: PathBuf,
    _process: ProcessGuard,
}

impl RunningApp {
    pub fn start(desktop: &Desktop, args: &[&str]) -> RunningApp {
        let log = desktop
            .home
            .path()
            .join(format!("app-{}.log", std::process::id()));
        let file = File::create(&log).expect("create app log");
        let child = desktop
            .command(app_binary())
            .args(args)
            .env("KOPPLA_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start the app");
        let app = RunningApp {
            log,
            _process: ProcessGuard(child),
        };
        assert!(
            app.wait_for_log("Koppla is ready", Duration::from_secs(60)),
            "the app did not start; its log:\n{}",
            app.log_text()
        );
        app
    }

    pub fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Waits until a log line contains every one of `needles` (one needle: plain substring).
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        self.wait_for_line(&[needle], timeout)
    }

    pub fn wait_for_line(&self, needles: &[&str], timeout: Duration) -> bool {
        wait_until(timeout, || {
            self.log_text()
                .lines()
                .any(|line| needles.iter().all(|needle| line.contains(needle)))
        })
    }
}
