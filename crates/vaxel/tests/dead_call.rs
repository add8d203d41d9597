//! Dead calls end (issue 18 item 2, decision 0407), with real processes: one `vaxel` switch
//! (media timeout 3 s) and `koppla` CLIs calling each other through its relay.
//!
//! (b) A phone killed with `kill -9` mid-call: the switch hears nothing from it for its media
//!     timeout and hangs up the other phone, which reports `connection_lost` (the switch's BYE
//!     says why). The CLIs' own media checks are off, so only the switch can end the call.
//! (a) The switch killed with `kill -9` mid-call: no audio reaches either phone any more, and
//!     both end the call as `connection_lost` within their media timeout (3 s) + 2 s.
//!
//! Before each kill the call is kept for longer than every timeout involved: it stays up only
//! because audio flows both ways through the relay. Run with `--nocapture` to see the figures.

use koppla_interop::koppla_event::AgentEvent;
use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout, TestDir};
use koppla_interop::sip_probe::{options_request, response_status};
use koppla_interop::{AgentOptions, KopplaAgent};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PASSWORD: &str = "dead-call-secret";
const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
/// The switch's and (in part a) the phones' media timeout.
const MEDIA_TIMEOUT: Duration = Duration::from_secs(3);
/// Issue 18: a dead call ends within the configured timeout; 2 s for the checks' granularity
/// (reports once a second, the switch's 100 ms tick) and process scheduling.
const SLACK: Duration = Duration::from_secs(2);
const WAIT: Duration = Duration::from_secs(15);

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    let mut toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{port}\"\napi_bind = \"127.0.0.1:0\"\n\
         public_ip = \"127.0.0.1\"\nmedia_timeout_secs = {}\n",
        MEDIA_TIMEOUT.as_secs()
    );
    for (i, user) in USERS.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[users]]\nusername = \"{user}\"\nname = \"{user}\"\nshort_number = \"10{i:02}\"\n\
             password_env = \"DEAD_CALL_PW\"\n"
        ));
    }
    let path = dir.join("vaxel.toml");
    std::fs::write(&path, toml).expect("write vaxel.toml");
    path
}

/// Probes with OPTIONS until the switch answers.
fn wait_accepting(switch: SocketAddr) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("probe socket");
    let local = sock.local_addr().expect("probe address");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("probe timeout");
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    for attempt in 0u32.. {
        assert!(started.elapsed() < WAIT, "the switch never answered");
        let req = options_request(switch, local, &format!("dead{attempt}"));
        let _ = sock.send_to(req.as_bytes(), switch);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if buf.get(..n).and_then(response_status).is_some() {
                return;
            }
        }
    }
}

fn agent(dir: &TestDir, user: &str, port: u16, media_timeout: Duration) -> KopplaAgent {
    let mut opts = AgentOptions::new(&format!("sip:{user}@127.0.0.1:{port}"), PASSWORD);
    opts.extra_args = vec![
        "--media-timeout".into(),
        media_timeout.as_secs().to_string(),
    ];
    let mut a = KopplaAgent::start(user, &opts, dir.path()).expect("start koppla");
    a.register().expect("register");
    a
}

fn kill_9(pid: u32) {
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -9 {pid}");
}

/// `caller` calls `callee`, who answers; returns (caller's call id, callee's call id) once both
/// are established, and checks the call then outlives every media timeout (audio flows).
fn talk(caller: &mut KopplaAgent, callee: &mut KopplaAgent, uri: &str) -> (u64, u64) {
    caller.send(&format!("call {uri}")).expect("call");
    let (b, _) = callee.wait_incoming(WAIT).expect("the call rings");
    callee.send(&format!("answer {b}")).expect("answer");
    let a = caller
        .wait_state("established", WAIT)
        .expect("the caller is connected");
    callee
        .wait_call_state(b, "established", WAIT)
        .expect("the callee is connected");
    let kept = MEDIA_TIMEOUT + SLACK;
    for (who, call) in [(&mut *caller, a), (&mut *callee, b)] {
        let ended = who.wait_for("no end while audio flows", kept, |e| {
            e.is_state("ended") && e.call_id() == Some(call)
        });
        if ended.is_ok() {
            let name = who.name().to_string();
            panic!("{name} lost a live call: {:?}", who.events());
        }
    }
    (a, b)
}

/// Waits for `call` to end on `who`; returns its reason and the time since `since`.
fn ended(who: &mut KopplaAgent, call: u64, since: Instant) -> (Option<String>, Duration) {
    let ev = who
        .wait_for("the call ends", WAIT, |e| {
            e.is_state("ended") && e.call_id() == Some(call)
        })
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", who.name(), who.log_tail(40)));
    let took = since.elapsed();
    let AgentEvent::CallState { reason, .. } = ev else {
        panic!("not a call state: {ev:?}")
    };
    (reason, took)
}

#[test]
fn a_killed_phone_or_a_killed_switch_ends_the_call_as_connection_lost() {
    let dir = TestDir::new("vaxel-dead-call").expect("test dir");
    let port = free_port().expect("free port");
    let cfg = config(dir.path(), port);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
    cmd.arg("--config")
        .arg(&cfg)
        .env("DEAD_CALL_PW", PASSWORD)
        .env("RUST_LOG", "info");
    let mut switch = ProcessGuard::spawn("vaxel", cmd, &dir.path().join("vaxel"), Stdout::ToFile)
        .expect("start vaxel");
    wait_accepting(SocketAddr::from(([127, 0, 0, 1], port)));

    // (b) Bob's phone dies mid-call; the switch releases Alice. The phones' own checks are
    // off, so the end can only come from the switch.
    let mut alice = agent(&dir, "alice", port, Duration::ZERO);
    let mut bob = agent(&dir, "bob", port, Duration::ZERO);
    let (a, _) = talk(&mut alice, &mut bob, &format!("sip:bob@127.0.0.1:{port}"));
    kill_9(bob.pid().expect("bob's pid"));
    let killed = Instant::now();
    let (reason, took) = ended(&mut alice, a, killed);
    eprintln!(
        "phone killed: the switch released the other phone after {:.2} s (media timeout {} s), \
         reason {reason:?}",
        took.as_secs_f64(),
        MEDIA_TIMEOUT.as_secs()
    );
    assert_eq!(reason.as_deref(), Some("connection_lost"));
    assert!(took <= MEDIA_TIMEOUT + SLACK, "released too late");
    assert!(
        took + Duration::from_millis(500) >= MEDIA_TIMEOUT,
        "released before the timeout: {took:?}"
    );

    // (a) The switch dies mid-call; both phones notice the silence themselves.
    let mut carol = agent(&dir, "carol", port, MEDIA_TIMEOUT);
    let mut dave = agent(&dir, "dave", port, MEDIA_TIMEOUT);
    let (c, d) = talk(&mut carol, &mut dave, &format!("sip:dave@127.0.0.1:{port}"));
    kill_9(switch.pid().expect("vaxel pid"));
    let killed = Instant::now();
    for (who, call) in [(&mut carol, c), (&mut dave, d)] {
        let (reason, took) = ended(who, call, killed);
        eprintln!(
            "switch killed: {} ended the call after {:.2} s (media timeout {} s), reason {reason:?}",
            who.name(),
            took.as_secs_f64(),
            MEDIA_TIMEOUT.as_secs()
        );
        assert_eq!(reason.as_deref(), Some("connection_lost"), "{}", who.name());
        assert!(
            took <= MEDIA_TIMEOUT + SLACK,
            "{} ended too late",
            who.name()
        );
        assert!(
            took + Duration::from_millis(500) >= MEDIA_TIMEOUT,
            "{} ended before the timeout: {took:?}",
            who.name()
        );
    }
    assert!(
        switch
            .wait_timeout(Duration::from_secs(5))
            .expect("reap vaxel")
            .is_some(),
        "vaxel died"
    );
}
