//! Interop through the switch with linphonec (Debian `linphone-cli`) and baresip: linphonec
//! registers to `vaxel` over TCP, calls a baresip user on UDP and is called by it; the calls are
//! answered and hung up from both ends with states checked on both peers, and the second call's
//! audio is verified both ways through the media relay (linphonec plays and records WAV files).
//! A second test registers linphonec over TLS and calls the echo number.
//! A missing linphonec or baresip fails the test: CI installs both (scripts/setup.sh).

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav, Wav};
use koppla_interop::process::{require_binary, ProcessGuard, Stdout};
use koppla_interop::{ports, Baresip, BaresipOptions, Codec, TestDir};
use koppla_vaxel::config::{Config, TlsFiles, UserConfig};
use koppla_vaxel::events::Event;
use koppla_vaxel::{Vaxel, VaxelHandle};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PW_VAR: &str = "VAXEL_LINPHONE_PASSWORD";
const PW: &str = "linphone-pw-3";
const WAIT: Duration = Duration::from_secs(15);
const TALK: Duration = Duration::from_secs(5);
/// Seconds of test signal each side plays (longer than the call, so it never runs out).
const SIGNAL_S: f64 = 12.0;

/// linphonec driven through its stdin; stdout lines are collected by a reader thread.
struct Linphonec {
    guard: ProcessGuard,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Linphonec {
    /// Starts linphonec with its own rc file and HOME under `dir`, SIP on UDP+TCP `sip_port`
    /// and TLS on the port after it. It accepts the test's self-signed switch certificate.
    fn start(dir: &Path, sip_port: u16) -> Linphonec {
        let bin = require_binary("linphonec", "linphone-cli").unwrap_or_else(|e| panic!("{e}"));
        let home = dir.join("linphone-home");
        // liblinphone does not start its SIP transports when it cannot open its database.
        std::fs::create_dir_all(home.join(".local/share/linphone")).expect("linphone home");
        let rtp = ports::port_block(10).expect("RTP ports");
        let rc = dir.join("linphonerc");
        std::fs::write(
            &rc,
            format!(
                "[sip]\nsip_port={sip_port}\nsip_tcp_port={sip_port}\nsip_tls_port={}\nuse_ipv6=0\n\
                 verify_server_certs=0\nverify_server_cn=0\n\
                 register_only_when_network_is_up=0\nregister_only_when_upnp_is_ok=0\n\
                 [rtp]\naudio_rtp_port={rtp}-{}\n[sound]\nechocancellation=0\n[net]\nfirewall_policy=0\n\
                 [video]\ndisplay=0\ncapture=0\n",
                sip_port + 1,
                rtp + 9
            ),
        )
        .expect("write linphonerc");
        let log = dir.join("linphonec.log");
        let mut cmd = Command::new(bin);
        cmd.arg("-c")
            .arg(&rc)
            .args(["-d", "5", "-l"])
            .arg(&log)
            .env("HOME", &home);
        let mut guard =
            ProcessGuard::spawn("linphonec", cmd, dir, Stdout::Piped).expect("spawn linphonec");
        guard.add_log(log);
        let stdin = guard.take_stdin().expect("linphonec stdin");
        let stdout = guard.take_stdout().expect("linphonec stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Linphonec {
            guard,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("linphonec stdin ({command}): {e}"));
    }

    /// Waits for an output line containing `needle`; panics with the output so far when it
    /// does not come.
    fn expect(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line.clone());
                    if hit {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.guard.check_running();
                    panic!(
                        "linphonec never printed {needle:?}; output:\n{}\n{}",
                        self.seen.join("\n"),
                        self.guard.log_tail(60)
                    );
                }
            }
        }
    }
}

impl Drop for Linphonec {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        let _ = self.guard.wait_timeout(Duration::from_secs(3));
    }
}

struct Env {
    rt: tokio::runtime::Runtime,
    handle: Option<VaxelHandle>,
    dir: TestDir,
}

/// A throwaway certificate for the switch's SIP over TLS.
fn tls_files(dir: &Path) -> TlsFiles {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert");
    let files = TlsFiles {
        cert: dir.join("sip-cert.pem"),
        key: dir.join("sip-key.pem"),
    };
    std::fs::write(&files.cert, cert.cert.pem()).expect("write cert");
    std::fs::write(&files.key, cert.key_pair.serialize_pem()).expect("write key");
    files
}

impl Env {
    fn new() -> Env {
        std::env::set_var(PW_VAR, PW);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = TestDir::new("vaxel-linphonec").expect("temp dir");
        let mut cfg = Config::ephemeral();
        cfg.server.sip_tcp_bind = Some("127.0.0.1:0".parse().expect("addr"));
        cfg.server.sip_tls_bind = Some("127.0.0.1:0".parse().expect("addr"));
        cfg.server.sip_tls = Some(tls_files(dir.path()));
        for (u, n) in [("alice", "1001"), ("bob", "1002")] {
            cfg.users.push(UserConfig {
                username: u.into(),
                name: u.into(),
                short_number: Some(n.into()),
                password_env: Some(PW_VAR.into()),
                ..Default::default()
            });
        }
        let handle = rt.block_on(Vaxel::start(cfg)).expect("vaxel starts");
        Env {
            rt,
            handle: Some(handle),
            dir,
        }
    }

    fn h(&self) -> &VaxelHandle {
        self.handle.as_ref().expect("running")
    }

    fn signal(&self, name: &str, seconds: f64) -> PathBuf {
        let path = self.dir.path().join(name);
        write_wav(&path, 8000, 1, &sweep(8000, seconds, 0.5)).expect("write wav");
        path
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}

/// linphonec's file recorder counts the 44-byte header into the data chunk's length, which
/// strict readers refuse; copy the file with the sizes recomputed from its real length.
fn repaired_wav(path: &Path) -> PathBuf {
    let mut bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .unwrap_or_else(|| panic!("{}: no data chunk", path.display()));
    let len = |n: usize| u32::try_from(n).expect("WAV under 4 GiB").to_le_bytes();
    let data_len = len(bytes.len() - (data + 8));
    let riff_len = len(bytes.len() - 8);
    bytes[data + 4..data + 8].copy_from_slice(&data_len);
    bytes[4..8].copy_from_slice(&riff_len);
    let out = path.with_extension("repaired.wav");
    std::fs::write(&out, bytes).expect("write repaired WAV");
    out
}

fn assert_received(path: &Path, seconds: f64, what: &str) {
    let reference = Wav {
        rate: 8000,
        samples: sweep(8000, seconds, 0.5),
    };
    let rec = read_wav(path).unwrap_or_else(|e| panic!("{what}: cannot read recording: {e}"));
    let report = verify_transmission(&reference, &rec);
    assert!(
        report.passes(0.6, 3),
        "{what}: test signal not found in {}: {report}",
        path.display()
    );
    eprintln!("{what}: ok, best ncc {:.3}", report.best_ncc());
}

/// The device count of the next registration change for `user` (linphonec prints nothing
/// when it registers; the switch's event is the proof).
fn wait_registration(
    env: &Env,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    user: &str,
) -> Result<u32, tokio::time::error::Elapsed> {
    env.rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            loop {
                match events.recv().await {
                    Ok(Event::Registration { username, devices }) if username == user => {
                        return devices
                    }
                    Ok(_) => {}
                    Err(e) => panic!("event bus: {e}"),
                }
            }
        })
        .await
    })
}

#[test]
fn linphonec_and_baresip_call_each_other_through_vaxel() {
    // RUST_LOG=koppla_vaxel=debug shows the switch's side when this fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let env = Env::new();
    let udp = env.h().sip_addr;
    let tcp = env.h().sip_tcp_addr.expect("TCP enabled");
    let mut events = env.h().state.events.subscribe();

    let lp_dir = env.dir.sub("linphonec").expect("dir");
    let mut lp = Linphonec::start(&lp_dir, ports::port_block(1).expect("SIP port"));
    let lp_in = env.signal("linphonec-in.wav", SIGNAL_S + 1.0);
    let lp_rec = lp_dir.join("linphonec-received.wav");
    lp.send("soundcard use files");
    lp.expect("Using wav files", WAIT);
    lp.send(&format!("play {}", lp_in.display()));
    lp.send(&format!("record {}", lp_rec.display()));
    lp.send(&format!(
        "register sip:bob@{udp} sip:{tcp};transport=tcp {PW}"
    ));
    assert_eq!(
        wait_registration(&env, &mut events, "bob"),
        Ok(1),
        "linphonec registered over TCP"
    );
    let mut o = BaresipOptions::new("alice", PW, &udp.to_string());
    o.codecs = vec![Codec::Pcma];
    o.audio_in = Some(env.signal("alice-in.wav", SIGNAL_S));
    o.record_dir = Some(env.dir.sub("rec-alice").expect("rec dir"));
    let mut alice = Baresip::start(o, env.dir.path()).unwrap_or_else(|e| panic!("baresip: {e}"));
    alice.wait_registered().expect("alice registers");

    // Call 1: linphonec (TCP) calls alice (UDP); alice answers, then hangs up.
    lp.send(&format!("call sip:1001@{udp}"));
    alice
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("alice rings: {e}\n{}", alice.log_tail(40)));
    alice.accept().expect("accept");
    lp.expect("connected", WAIT);
    alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice established");
    std::thread::sleep(Duration::from_secs(1));
    alice.hangup().expect("hangup");
    alice.wait("CALL_CLOSED", WAIT).expect("alice closed");
    lp.expect("ended", WAIT);

    // Call 2: alice calls bob's short number; linphonec answers, talks, hangs up.
    alice.dial(&format!("sip:1002@{udp}")).expect("dial");
    lp.expect("Receiving new incoming call", WAIT);
    lp.send("answer");
    lp.expect("connected", WAIT);
    alice
        .wait("CALL_ESTABLISHED", WAIT)
        .unwrap_or_else(|e| panic!("alice established: {e}\n{}", alice.log_tail(40)));
    std::thread::sleep(TALK);
    lp.send("terminate");
    lp.expect("ended", WAIT);
    alice
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("alice closed: {e}\n{}", alice.log_tail(40)));

    alice.stop();
    drop(lp);
    let ra = alice.recordings().expect("alice recordings");
    assert_received(&ra.received, SIGNAL_S + 1.0, "linphonec -> alice via relay");
    assert_received(
        &repaired_wav(&lp_rec),
        SIGNAL_S,
        "alice -> linphonec via relay",
    );
}

#[test]
fn linphonec_registers_over_tls_and_calls_the_echo_number() {
    let env = Env::new();
    let udp = env.h().sip_addr;
    let tls = env.h().sip_tls_addr.expect("TLS enabled");
    let mut events = env.h().state.events.subscribe();
    let lp_dir = env.dir.sub("linphonec-tls").expect("dir");
    let mut lp = Linphonec::start(&lp_dir, ports::port_block(2).expect("SIP ports"));
    lp.send("soundcard use files");
    lp.expect("Using wav files", WAIT);
    lp.send(&format!(
        "register sip:bob@{udp} sip:{tls};transport=tls {PW}"
    ));
    assert_eq!(
        wait_registration(&env, &mut events, "bob"),
        Ok(1),
        "linphonec registered over TLS"
    );
    lp.send(&format!("call sip:9999@{udp}"));
    lp.expect("connected", WAIT);
    std::thread::sleep(Duration::from_secs(1));
    lp.send("terminate");
    lp.expect("ended", WAIT);
}
