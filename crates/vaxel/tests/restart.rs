//! Registrations survive a switch restart (issue 18, decision 0507): `kill -9` the `vaxel`
//! process, start it again on the same ports and database, and time how long after it accepts
//! SIP again a `koppla` CLI registered over TCP and one over UDP are registered and ring when
//! called. Run with `--nocapture` to see the figures.

use koppla_interop::koppla_event::AgentEvent;
use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout, TestDir};
use koppla_interop::sip_probe::{options_request, response_status};
use koppla_interop::{AgentOptions, KopplaAgent};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Issue 18's goal: registered and reachable within 2 s of the switch accepting again.
const GOAL: Duration = Duration::from_secs(2);
const WAIT: Duration = Duration::from_secs(15);
const USERS: [&str; 3] = ["alice", "bob", "carol"];
const PASSWORD: &str = "restart-secret";

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    let db = dir.join("vaxel.db");
    let mut toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{port}\"\nsip_tcp_bind = \"127.0.0.1:{port}\"\n\
         api_bind = \"127.0.0.1:0\"\npublic_ip = \"127.0.0.1\"\n\
         database = \"sqlite://{}?mode=rwc\"\n",
        db.display()
    );
    for (i, user) in USERS.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[users]]\nusername = \"{user}\"\nname = \"{user}\"\nshort_number = \"10{i:02}\"\n\
             password_env = \"RESTART_PW\"\n"
        ));
    }
    let path = dir.join("vaxel.toml");
    std::fs::write(&path, toml).expect("write vaxel.toml");
    path
}

fn start_switch(dir: &Path, config: &Path, run: u32) -> ProcessGuard {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
    cmd.arg("--config")
        .arg(config)
        .env("RESTART_PW", PASSWORD)
        .env("RUST_LOG", "info");
    let name = format!("vaxel-{run}");
    ProcessGuard::spawn(&name, cmd, &dir.join(&name), Stdout::ToFile).expect("start vaxel")
}

/// Probes with OPTIONS every 10 ms until the switch answers; returns when it did.
fn accepting(switch: SocketAddr) -> Instant {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("probe socket");
    let local = sock.local_addr().expect("probe address");
    sock.set_read_timeout(Some(Duration::from_millis(10)))
        .expect("probe timeout");
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    for attempt in 0u32.. {
        assert!(started.elapsed() < WAIT, "the switch never answered");
        let req = options_request(switch, local, &format!("restart{attempt}"));
        // Refused while nothing listens yet.
        let _ = sock.send_to(req.as_bytes(), switch);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if buf.get(..n).and_then(response_status).is_some() {
                return Instant::now();
            }
        }
    }
    unreachable!("the probe loop only ends by returning or by the assert")
}

fn agent(dir: &TestDir, user: &str, port: u16, transport: Option<&str>) -> KopplaAgent {
    let mut opts = AgentOptions::new(&format!("sip:{user}@127.0.0.1:{port}"), PASSWORD);
    opts.transport = transport.map(str::to_string);
    let mut a = KopplaAgent::start(user, &opts, dir.path()).expect("start koppla");
    a.register().expect("register");
    a
}

/// `caller` calls `callee`; returns when it rings there, and ends the call.
fn ring(caller: &mut KopplaAgent, callee: &mut KopplaAgent, uri: &str) -> Instant {
    caller.send(&format!("call {uri}")).expect("call");
    callee.wait_incoming(WAIT).expect("the call rings");
    let rang = Instant::now();
    caller.send("hangup").expect("hangup");
    callee
        .wait_state("ended", WAIT)
        .expect("the call ends at the callee");
    rang
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[test]
fn tcp_and_udp_clients_are_registered_and_reachable_right_after_a_kill_9_restart() {
    let dir = TestDir::new("vaxel-restart").expect("test dir");
    let port = free_port().expect("free port");
    let switch: SocketAddr = SocketAddr::from(([127, 0, 0, 1], port));
    let cfg = config(dir.path(), port);
    let mut first = start_switch(dir.path(), &cfg, 1);
    accepting(switch);

    let mut alice = agent(&dir, "alice", port, None);
    let mut bob_tcp = agent(&dir, "bob", port, Some("tcp"));
    let mut carol_udp = agent(&dir, "carol", port, None);

    let pid = first.pid().expect("vaxel pid");
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    assert!(
        first
            .wait_timeout(Duration::from_secs(5))
            .expect("reap vaxel")
            .is_some(),
        "vaxel died"
    );
    let killed_at = Instant::now();

    let _second = start_switch(dir.path(), &cfg, 2);
    let back = accepting(switch);

    // UDP: the binding came back from the database; nothing has to happen at the client.
    let carol_rings = ring(
        &mut alice,
        &mut carol_udp,
        &format!("sip:carol@127.0.0.1:{port}"),
    );
    // TCP: the connection died with the switch; the client noticed and registers again.
    bob_tcp
        .wait_for("registered again", WAIT, |e| {
            matches!(e, AgentEvent::Registered { .. })
        })
        .expect("bob registers again");
    let bob_registered = Instant::now();
    let bob_rings = ring(
        &mut alice,
        &mut bob_tcp,
        &format!("sip:bob@127.0.0.1:{port}"),
    );

    let since = |t: Instant| t.saturating_duration_since(back);
    eprintln!("vaxel restart: down for {}", secs(back - killed_at));
    eprintln!(
        "  UDP client: registered {} (kept), rings after {}",
        secs(Duration::ZERO),
        secs(since(carol_rings))
    );
    eprintln!(
        "  TCP client: registered after {}, rings after {}",
        secs(since(bob_registered)),
        secs(since(bob_rings))
    );
    eprintln!("  goal: {} for both", secs(GOAL));

    // The TCP client's user saw the truth meanwhile: not registered, then registered.
    assert!(
        bob_tcp.events().iter().any(|e| matches!(
            e,
            AgentEvent::RegistrationFailed { reason } if reason.contains("lost the connection")
        )),
        "the TCP client reported the lost registration: {:?}",
        bob_tcp.events()
    );
    // The UDP client was never told to register again: its binding outlived the process.
    assert!(
        !carol_udp
            .events()
            .iter()
            .any(|e| matches!(e, AgentEvent::RegistrationFailed { .. })),
        "the UDP client kept its registration: {:?}",
        carol_udp.events()
    );
    assert!(since(carol_rings) <= GOAL, "UDP client reachable too late");
    assert!(
        since(bob_registered) <= GOAL,
        "TCP client registered too late"
    );
    assert!(since(bob_rings) <= GOAL, "TCP client reachable too late");
}
