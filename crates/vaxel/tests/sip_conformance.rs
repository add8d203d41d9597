//! The SIP conformance suite (issue 19 item 5) against the real processes: every RFC 4475 /
//! RFC 5118 torture message in tests/conformance goes to the `vaxel` switch and to a `koppla`
//! CLI UA, over UDP and over a fresh TCP connection, and each answer is compared with
//! expected.toml. Ringing calls are declined and non-2xx answers to INVITEs acknowledged, so
//! nothing is left over between messages. All mismatches are collected and printed as one
//! table (message, transport, target, expected, got) before the test fails; afterwards both
//! processes must still run, answer OPTIONS over UDP and TCP, and have logged no panic. One
//! switch and one UA serve the whole suite. `--nocapture` shows the full table.

mod conformance;
#[path = "../../../tests/conformance/suite.rs"]
mod suite;

use conformance::elements::{Switch, Ua};
use conformance::wire::{ack_for, options, Conn, Msg, Transport};
use koppla_interop::koppla_event::AgentEvent;
use koppla_interop::process::TestDir;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use suite::{Case, Outcome};

/// How long an element has to answer (past any 100 Trying). Answers take milliseconds; the
/// margin is for debug builds on a loaded CI machine, and costs time only when one is missing.
const ANSWER_WAIT: Duration = Duration::from_secs(3);
/// How long the runner listens before calling an element silent.
const SILENT_WAIT: Duration = Duration::from_secs(1);
/// After the answer, how long to watch for answers that must not come (dblreq's tail).
const EXTRA_WAIT: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Switch,
    Ua,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Switch => "switch",
            Target::Ua => "ua",
        })
    }
}

/// One message sent once to one element.
struct Row {
    name: String,
    rfc: String,
    transport: Transport,
    target: Target,
    expected: Outcome,
    got: String,
    /// Empty when the answer is as expected.
    problems: Vec<String>,
}

/// The elements and the sockets the runner talks to them from.
struct Lab {
    switch: Switch,
    ua: Ua,
    /// A handle on the UA's registrar socket: UDP messages to the UA come from its registrar.
    registrar: UdpSocket,
}

impl Lab {
    fn addr(&self, target: Target) -> SocketAddr {
        match target {
            Target::Switch => self.switch.addr,
            Target::Ua => self.ua.addr,
        }
    }

    /// Why `target` can no longer be tested (its process has exited), if so.
    fn exited(&mut self, target: Target) -> Option<String> {
        let guard = match target {
            Target::Switch => &mut self.switch.guard,
            Target::Ua => &mut self.ua.guard,
        };
        guard
            .check_running()
            .err()
            .map(|e| format!("the {target} process has exited: {e}"))
    }

    /// Sends `case` once and judges what comes back.
    fn run(&mut self, case: &Case, target: Target, transport: Transport, run: &str) -> Row {
        let expected = match target {
            Target::Switch => case.switch,
            Target::Ua => case.ua,
        };
        let must_have = match target {
            Target::Switch => &case.switch_has,
            Target::Ua => &case.ua_has,
        };
        let mut row = Row {
            name: case.name.clone(),
            rfc: case.rfc.clone(),
            transport,
            target,
            expected,
            got: String::new(),
            problems: Vec::new(),
        };
        let own = UdpSocket::bind("127.0.0.1:0").expect("runner socket");
        // Its own handle, so the connection does not hold on to `self` while the UA is driven.
        let registrar = self.registrar.try_clone().expect("registrar socket handle");
        let peer = self.addr(target);
        let mut conn = match (transport, target) {
            (Transport::Udp, Target::Switch) => Conn::udp(&own, peer),
            (Transport::Udp, Target::Ua) => Conn::udp(&registrar, peer),
            (Transport::Tcp, _) => match Conn::tcp(peer) {
                Ok(c) => c,
                Err(e) => {
                    row.got = "(no connection)".into();
                    row.problems.push(format!("TCP connect to {peer}: {e}"));
                    return row;
                }
            },
        };
        if target == Target::Ua {
            self.ua.drain_events();
        }
        let bytes = case.bytes(run);
        if let Err(e) = conn.send(&bytes) {
            row.problems.push(format!("send: {e}"));
        }
        let wait = if expected == Outcome::Silent {
            SILENT_WAIT
        } else {
            ANSWER_WAIT
        };
        let first = next_answer(&mut conn, run, Instant::now() + wait);
        row.got = match &first {
            Some(m) => m.status_line(),
            None if conn.closed() => "(no answer, connection closed)".into(),
            None => "(no answer)".into(),
        };
        let code = first.as_ref().and_then(Msg::status);
        if !expected.fits(code) {
            row.problems.push(format!("expected {expected}"));
        }
        if let (Outcome::Status(want), Some(m)) = (expected, &first) {
            if code == Some(want) {
                for h in must_have.iter().filter(|h| !m.has_header(h)) {
                    row.problems.push(format!("answer lacks {h}"));
                }
            }
        }
        if let (Some(400), Some(m)) = (code, &first) {
            // Issue 19 item 1: a 400 says what was wrong, in a Warning or its reason phrase.
            if !m.has_header("Warning") && m.status_line().trim() == "400 Bad Request" {
                row.problems
                    .push("400 without a Warning or reason saying what was wrong".into());
            }
        }
        if let (Some(want), Some(m)) = (&case.cseq_method, &first) {
            if m.cseq_method().as_deref() != Some(want.as_str()) {
                row.problems.push(format!("answer is not to the {want}"));
            }
            let until = Instant::now() + EXTRA_WAIT;
            while let Some(extra) = next_answer(&mut conn, run, until) {
                if extra.cseq_method().as_deref() != Some(want.as_str()) {
                    row.problems.push(format!(
                        "also answered the trailing octets: {}",
                        extra.status_line()
                    ));
                }
            }
        }
        if bytes.starts_with(b"INVITE ") {
            self.finish_invite(&mut conn, &bytes, first, target, run, &mut row);
        }
        if target == Target::Ua {
            // A refused or silent message must never reach the user as a call.
            for ev in self.ua.drain_events() {
                if let AgentEvent::Incoming { call, .. } = ev {
                    row.problems
                        .push(format!("the UA showed incoming call {call}"));
                    self.ua.reject(call);
                }
            }
        }
        if expected == Outcome::Silent && !self.answers_options(target, transport, run) {
            row.problems
                .push("no longer answers OPTIONS after the message".into());
        }
        row
    }

    /// Ends what an INVITE started: a ringing UA is declined (after checking it showed the
    /// call), and the final non-2xx answer is acknowledged so no transaction keeps resending.
    fn finish_invite(
        &mut self,
        conn: &mut Conn<'_>,
        invite: &[u8],
        first: Option<Msg>,
        target: Target,
        run: &str,
        row: &mut Row,
    ) {
        let Some(first) = first else { return };
        let code = first.status().unwrap_or(0);
        let last = if (101..200).contains(&code) {
            if target == Target::Ua {
                match self.ua.incoming(ANSWER_WAIT) {
                    Some(call) => self.ua.reject(call),
                    None => row
                        .problems
                        .push(format!("{code} but the UA showed no incoming call")),
                }
            }
            let deadline = Instant::now() + ANSWER_WAIT * 2;
            let mut last = None;
            while let Some(m) = next_answer(conn, run, deadline) {
                if m.status().is_some_and(|c| c >= 200) {
                    last = Some(m);
                    break;
                }
            }
            match last {
                Some(m) => m,
                None => {
                    row.problems
                        .push("the ringing INVITE never got a final answer".into());
                    return;
                }
            }
        } else {
            first
        };
        match last.status() {
            Some(c) if c >= 300 => match ack_for(invite, &last) {
                Some(ack) => {
                    let _ = conn.send(ack.as_bytes());
                }
                // An INVITE without From, To or Call-ID (insuf) cannot be acknowledged: its
                // answer has nothing to copy them from.
                None if lacks_dialog_headers(invite) => {}
                None => row
                    .problems
                    .push("final answer lacks what an ACK needs".into()),
            },
            Some(c) if c >= 200 => row
                .problems
                .push(format!("INVITE answered {c}: nobody was to answer it")),
            _ => {}
        }
    }

    /// Whether `target` answers a plain OPTIONS over `transport` with 200.
    fn answers_options(&self, target: Target, transport: Transport, run: &str) -> bool {
        let own = UdpSocket::bind("127.0.0.1:0").expect("probe socket");
        let peer = self.addr(target);
        let (mut conn, local) = match (transport, target) {
            (Transport::Udp, Target::Switch) => (Conn::udp(&own, peer), own.local_addr()),
            (Transport::Udp, Target::Ua) => (
                Conn::udp(&self.registrar, peer),
                self.registrar.local_addr(),
            ),
            (Transport::Tcp, _) => match Conn::tcp(peer) {
                Ok(c) => (c, own.local_addr()),
                Err(_) => return false,
            },
        };
        let Ok(local) = local else { return false };
        let tag = format!("{run}alive");
        if conn
            .send(options(peer, local, transport, &tag).as_bytes())
            .is_err()
        {
            return false;
        }
        next_answer(&mut conn, &tag, Instant::now() + ANSWER_WAIT).and_then(|m| m.status())
            == Some(200)
    }
}

fn lacks_dialog_headers(request: &[u8]) -> bool {
    let m = Msg {
        text: String::from_utf8_lossy(request).into_owned(),
    };
    ["From", "To", "Call-ID"].iter().any(|h| !m.has_header(h))
}

/// The next answer to the message tagged `run` other than 100 Trying. An answer whose Call-ID
/// lacks the tag is late, to an earlier message on the same socket, and is skipped.
fn next_answer(conn: &mut Conn<'_>, run: &str, deadline: Instant) -> Option<Msg> {
    loop {
        let m = conn.recv(deadline)?;
        let stale = m.header("Call-ID").is_some_and(|c| !c.contains(run));
        if !stale && m.status() != Some(100) {
            return Some(m);
        }
    }
}

fn table(rows: &[&Row]) -> String {
    let mut out = format!(
        "{:<30} {:<4} {:<6} {:<8} {:<40} {}\n",
        "message", "tr", "target", "expected", "got", "verdict"
    );
    for r in rows {
        let verdict = if r.problems.is_empty() {
            "ok".to_string()
        } else {
            format!("FAIL ({}; {})", r.problems.join("; "), r.rfc)
        };
        out.push_str(&format!(
            "{:<30} {:<4} {:<6} {:<8} {:<40} {verdict}\n",
            r.name,
            r.transport.to_string(),
            r.target.to_string(),
            r.expected.to_string(),
            r.got
        ));
    }
    out
}

#[test]
fn torture_messages_get_the_rfc_answers_from_the_switch_and_the_ua() {
    let dir = TestDir::new("sip-conformance").expect("temp dir");
    let cases = suite::load(&suite::dir(env!("CARGO_MANIFEST_DIR")));
    let switch = Switch::start(dir.path());
    let ua = Ua::start(dir.path());
    let registrar = ua.registrar.try_clone().expect("registrar socket handle");
    let accepts_direct = ua.accepts_direct;
    let mut lab = Lab {
        switch,
        ua,
        registrar,
    };
    let mut rows = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        for target in [Target::Switch, Target::Ua] {
            for transport in [Transport::Udp, Transport::Tcp] {
                if case.udp_only && transport == Transport::Tcp {
                    continue;
                }
                // Letters and digits only: it goes into Call-IDs and branches.
                let run = format!("k{i}{}{}x", &target.to_string()[..1], transport);
                let row = match lab.exited(target) {
                    // A dead element would make every later message wait out its timeout.
                    Some(why) => Row {
                        name: case.name.clone(),
                        rfc: case.rfc.clone(),
                        transport,
                        target,
                        expected: match target {
                            Target::Switch => case.switch,
                            Target::Ua => case.ua,
                        },
                        got: "(not sent)".into(),
                        problems: vec![why],
                    },
                    None => lab.run(case, target, transport, &run),
                };
                rows.push(row);
            }
        }
    }

    let mut after = Vec::new();
    for target in [Target::Switch, Target::Ua] {
        let panics = match target {
            Target::Switch => lab.switch.panics(),
            Target::Ua => lab.ua.panics(),
        };
        let guard = match target {
            Target::Switch => &mut lab.switch.guard,
            Target::Ua => &mut lab.ua.guard,
        };
        if let Err(e) = guard.check_running() {
            after.push(format!("{target} is no longer running: {e}"));
        }
        after.extend(
            panics
                .into_iter()
                .map(|p| format!("{target} panicked: {p}")),
        );
        for transport in [Transport::Udp, Transport::Tcp] {
            // A tag of its own per probe: an OPTIONS reusing another's branch would be taken
            // for a retransmission of it.
            let tag = format!("kfinal{target}{transport}");
            if !lab.answers_options(target, transport, &tag) {
                after.push(format!(
                    "{target} does not answer OPTIONS over {transport} after the suite"
                ));
            }
        }
    }

    let all: Vec<&Row> = rows.iter().collect();
    println!("{}", table(&all));
    for target in [Target::Switch, Target::Ua] {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.target == target).collect();
        let ok = mine.iter().filter(|r| r.problems.is_empty()).count();
        println!("{target}: {ok} of {} as expected", mine.len());
    }
    println!(
        "UA started with --accept-direct-requests: {accepts_direct} (UDP messages come from its registrar's socket either way)"
    );
    let wrong: Vec<&Row> = rows.iter().filter(|r| !r.problems.is_empty()).collect();
    assert!(
        wrong.is_empty() && after.is_empty(),
        "{} of {} exchanges differ from tests/conformance/expected.toml:\n{}\n{}",
        wrong.len(),
        rows.len(),
        table(&wrong),
        after.join("\n")
    );
}
