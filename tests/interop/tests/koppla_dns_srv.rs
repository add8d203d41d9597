//! RFC 3263 in the koppla CLI: `sip:alice@koppla.test` (no port) registers at Kamailio found
//! through SRV (and NAPTR) records served by a private dnsmasq on 127.0.0.1, and fails over to
//! the next SRV target when the first one is dead.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Command;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{env, password, Env, WAIT};
use koppla_interop::koppla::koppla_binary;
use koppla_interop::koppla_event::{parse_line, AgentLine};
use koppla_interop::ports::{free_port, is_free};
use koppla_interop::process::{require_binary, ProcessGuard, Stdout};
use koppla_interop::AgentEvent;

const DOMAIN: &str = "koppla.test";

/// A dnsmasq answering only for `koppla.test` from its command line (no upstream, no hosts
/// file), on a free port of 127.0.0.1. Missing dnsmasq is a failure, not a skip.
struct Dnsmasq {
    _guard: ProcessGuard,
    port: u16,
}

impl Dnsmasq {
    fn start(env: &Env, records: &[String]) -> Self {
        let bin = require_binary("dnsmasq", "dnsmasq-base")
            .unwrap_or_else(|e| panic!("dnsmasq is needed for this test: {e}"));
        let port = free_port().expect("free port");
        let dir = env.dir.sub("dnsmasq").expect("dnsmasq dir");
        let mut cmd = Command::new(bin);
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--log-queries",
            "--log-facility=-",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--pid-file={}", dir.join("dnsmasq.pid").display()))
        // Authoritative for the test domain: unknown names there are answered, not forwarded.
        .arg(format!("--local=/{DOMAIN}/"))
        .args(records);
        let mut guard =
            ProcessGuard::spawn("dnsmasq", cmd, &dir, Stdout::ToFile).expect("dnsmasq spawns");
        let deadline = Instant::now() + Duration::from_secs(10);
        while is_free(port) {
            if let Err(e) = guard.check_running() {
                panic!("dnsmasq exited: {e}\n{}", guard.log_tail(20));
            }
            assert!(Instant::now() < deadline, "dnsmasq did not bind {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Dnsmasq {
            _guard: guard,
            port,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// `koppla agent` for alice@koppla.test with `--dns` pointing at our dnsmasq, registering at
/// start; its JSON events arrive on a channel.
struct Agent {
    guard: ProcessGuard,
    events: Receiver<AgentEvent>,
    seen: Vec<AgentEvent>,
}

impl Agent {
    fn start(env: &Env, dns: &Dnsmasq, account: &str, transport: &str) -> Self {
        let bin = koppla_binary().unwrap_or_else(|e| panic!("koppla binary: {e}"));
        let mut cmd = Command::new(bin);
        cmd.args(["agent", "--account", account, "--transport", transport])
            .args(["--bind", "127.0.0.1:0", "--dns", &dns.addr(), "--register"])
            .env("KOPPLA_PASSWORD", password("alice"))
            .env("RUST_LOG", "koppla_ua=debug,info");
        let dir = env.dir.sub("koppla-alice").expect("agent dir");
        let mut guard =
            ProcessGuard::spawn("koppla-alice", cmd, &dir, Stdout::Piped).expect("koppla spawns");
        let stdout = guard.take_stdout().expect("stdout pipe");
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
        Agent {
            guard,
            events,
            seen: Vec::new(),
        }
    }

    /// Events up to and including the first `registered`, or a panic with the log after
    /// `timeout`.
    fn until_registered(&mut self, timeout: Duration) -> &[AgentEvent] {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(ev) => {
                    let done = matches!(ev, AgentEvent::Registered { .. });
                    self.seen.push(ev);
                    if done {
                        return &self.seen;
                    }
                }
                Err(_) => panic!(
                    "alice did not register within {timeout:?}; events {:?}\n{}",
                    self.seen,
                    self.guard.log_tail(40)
                ),
            }
        }
    }

    fn quit(mut self) {
        if let Some(mut stdin) = self.guard.take_stdin() {
            let _ = writeln!(stdin, "quit");
        }
        let status = self.guard.wait_timeout(WAIT).expect("wait for koppla");
        assert!(
            status.is_some_and(|s| s.success()),
            "koppla exits 0 on quit: {status:?}"
        );
    }
}

fn host(name: &str) -> String {
    format!("--host-record={name}.{DOMAIN},127.0.0.1")
}

fn srv(service: &str, target: &str, port: u16, priority: u16) -> String {
    format!("--srv-host={service}.{DOMAIN},{target}.{DOMAIN},{port},{priority},10")
}

fn account() -> String {
    format!("sip:alice@{DOMAIN}")
}

#[test]
fn registers_at_the_srv_target_of_a_bare_domain() {
    let env = env("k-dns-srv");
    let port = env.kamailio.port();
    let dns = Dnsmasq::start(&env, &[host("sip1"), srv("_sip._udp", "sip1", port, 10)]);
    let mut alice = Agent::start(&env, &dns, &account(), "udp");
    let events = alice.until_registered(WAIT);
    assert_eq!(events.len(), 1, "registered at the first try: {events:?}");
    alice.quit();
}

#[test]
fn naptr_names_the_srv_record_to_use() {
    let env = env("k-dns-naptr");
    let port = env.kamailio.port();
    // The SRV name is only known through NAPTR: the default _sip._udp.koppla.test is absent.
    let naptr = format!("--naptr-record={DOMAIN},10,50,s,SIP+D2U,,_sip._udp.pbx.{DOMAIN}");
    let dns = Dnsmasq::start(
        &env,
        &[
            host("sip1"),
            naptr,
            format!("--srv-host=_sip._udp.pbx.{DOMAIN},sip1.{DOMAIN},{port},10,10"),
        ],
    );
    let mut alice = Agent::start(&env, &dns, &account(), "udp");
    let events = alice.until_registered(WAIT);
    assert_eq!(events.len(), 1, "registered at the first try: {events:?}");
    alice.quit();
}

/// Nothing listens on the preferred target's port; the next priority is Kamailio.
fn dead_first(env: &Env, service: &str) -> Dnsmasq {
    let dead_port = free_port().expect("free port");
    Dnsmasq::start(
        env,
        &[
            host("dead"),
            host("sip1"),
            srv(service, "dead", dead_port, 10),
            srv(service, "sip1", env.kamailio.port(), 20),
        ],
    )
}

fn assert_failed_then_registered(events: &[AgentEvent]) {
    assert!(
        matches!(
            events,
            [
                ..,
                AgentEvent::RegistrationFailed { .. },
                AgentEvent::Registered { .. }
            ]
        ),
        "the dead target was tried first, then the next one: {events:?}"
    );
}

#[test]
fn a_refused_tcp_connection_fails_over_to_the_next_srv_target() {
    let env = env("k-dns-failover-tcp");
    let dns = dead_first(&env, "_sip._tcp");
    let mut alice = Agent::start(&env, &dns, &account(), "tcp");
    assert_failed_then_registered(alice.until_registered(WAIT));
    alice.quit();
}

#[test]
fn an_unanswered_udp_register_fails_over_to_the_next_srv_target() {
    let env = env("k-dns-failover-udp");
    let dns = dead_first(&env, "_sip._udp");
    let mut alice = Agent::start(&env, &dns, &account(), "udp");
    // Over UDP only Timer F (32 s) tells that the first target is dead.
    assert_failed_then_registered(alice.until_registered(Duration::from_secs(32) + WAIT));
    alice.quit();
}
