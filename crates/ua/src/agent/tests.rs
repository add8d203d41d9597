//! Simulated multi-party tests: user agents and a tiny digest registrar wired through an
//! in-memory network with a fake clock.

use super::*;
use crate::config::{Account, Secret};
use koppla_media::{CodecPrefs, Direction};
use koppla_sip::auth::{self, Algorithm, DigestResponse, DigestServer, Verdict};
use koppla_sip::message;
use koppla_sip::message::response_for;
use std::time::Duration;

trait Node {
    fn input(&mut self, msg: SipMessage, src: SocketAddr, now: Instant);
    fn output(&mut self) -> Option<Transmit>;
    fn deadline(&self) -> Option<Instant>;
    fn tick(&mut self, now: Instant);
}

impl Node for UserAgent {
    fn input(&mut self, msg: SipMessage, src: SocketAddr, now: Instant) {
        // Everything arrives over the account's transport, as it would in the runtime.
        let transport = self.config().account.transport;
        self.handle_incoming(msg, src, transport, now)
    }
    fn output(&mut self) -> Option<Transmit> {
        self.poll_transmit()
    }
    fn deadline(&self) -> Option<Instant> {
        self.poll_timeout()
    }
    fn tick(&mut self, now: Instant) {
        self.handle_timeout(now)
    }
}

/// Registrar that challenges with `alg`, stores HA1 for alice/"secret", grants `expires`.
struct Registrar {
    tl: TransactionLayer,
    digest: DigestServer,
    alg: Algorithm,
    expires: u32,
    registers: usize,
    /// Pretend a NAT sits between: responses say the REGISTER came from here.
    observed: Option<SocketAddr>,
    /// Contact header of every REGISTER received.
    contacts: Vec<String>,
}

impl Node for Registrar {
    fn input(&mut self, msg: SipMessage, src: SocketAddr, now: Instant) {
        let _ = self.tl.handle_incoming(msg, src, Transport::Udp, now);
        while let Some(ev) = self.tl.poll_event() {
            let TransactionEvent::Request { key, request, .. } = ev else {
                continue;
            };
            if request.method == koppla_sip::Method::Options {
                // A keep-alive probe of the registration's flow.
                let _ = self
                    .tl
                    .send_response(&key, response_for(&request, 200, Some("reg")), now);
                continue;
            }
            if request.method == koppla_sip::Method::Subscribe {
                // A registrar without message-waiting (see tests/mwi.rs for one with it).
                let _ = self
                    .tl
                    .send_response(&key, response_for(&request, 489, Some("reg")), now);
                continue;
            }
            self.registers += 1;
            let m = SipMessage::Request(request.clone());
            self.contacts
                .push(message::header_values(&m, "Contact").join(", "));
            let auth_ok = message::header(&m, "Authorization")
                .and_then(|a| DigestResponse::parse(&a).ok())
                .map(|r| {
                    let ha1 = auth::ha1(r.algorithm, "alice", "test", "secret");
                    self.digest.verify(&r, "REGISTER", &ha1, 1000)
                });
            let resp = if auth_ok == Some(Verdict::Valid) {
                let mut r = response_for(&request, 200, Some("reg"));
                let contact = message::header(&m, "Contact").unwrap_or_default();
                let exp = if message::header(&m, "Expires").as_deref() == Some("0") {
                    0
                } else {
                    self.expires
                };
                let c = contact.split(";expires").next().unwrap_or("").to_string();
                message::set_header(&mut r.headers, "Contact", &format!("{c};expires={exp}"));
                r
            } else {
                let mut r = response_for(&request, 401, Some("reg"));
                message::set_header(
                    &mut r.headers,
                    "WWW-Authenticate",
                    &self.digest.challenge(self.alg, false, 1000),
                );
                r
            };
            let mut resp = resp;
            if let Some(seen) = self.observed {
                let via = message::header(&SipMessage::Response(resp.clone()), "Via")
                    .unwrap_or_default()
                    .replace(
                        ";rport",
                        &format!(";received={};rport={}", seen.ip(), seen.port()),
                    );
                message::set_header(&mut resp.headers, "Via", &via);
            }
            let _ = self.tl.send_response(&key, resp, now);
        }
    }
    fn output(&mut self) -> Option<Transmit> {
        self.tl.poll_transmit()
    }
    fn deadline(&self) -> Option<Instant> {
        self.tl.poll_timeout()
    }
    fn tick(&mut self, now: Instant) {
        self.tl.handle_timeout(now)
    }
}

enum Kind {
    Ua(Box<UserAgent>),
    Reg(Box<Registrar>),
    Mwi(Box<mwi::MwiServer>),
}

impl Kind {
    fn node(&mut self) -> &mut dyn Node {
        match self {
            Kind::Ua(u) => u.as_mut(),
            Kind::Reg(r) => r.as_mut(),
            Kind::Mwi(m) => m.as_mut(),
        }
    }
    fn deadline(&self) -> Option<Instant> {
        match self {
            Kind::Ua(u) => u.deadline(),
            Kind::Reg(r) => r.deadline(),
            Kind::Mwi(m) => m.deadline(),
        }
    }
}

struct Net {
    nodes: Vec<(SocketAddr, Kind)>,
    now: Instant,
    /// (from, to, text) of every delivered message.
    log: Vec<(SocketAddr, SocketAddr, String)>,
    /// Drop the next message whose first line starts with this.
    drop_next: Option<String>,
}

const REGISTRAR: &str = "127.0.0.1:5060";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn agent(user: &str, port: u16, password: &str) -> UserAgent {
    let acct = Account::new(
        &format!("sip:{user}@{REGISTRAR}"),
        None,
        Some(Secret::new(password)),
        Transport::Udp,
    )
    .unwrap();
    let mut cfg = UaConfig::new(acct, addr(port));
    cfg.codecs = CodecPrefs::from_list("pcma,pcmu").unwrap();
    UserAgent::new(cfg)
}

impl Net {
    fn new() -> Self {
        Self {
            nodes: Vec::new(),
            now: Instant::now(),
            log: Vec::new(),
            drop_next: None,
        }
    }

    fn add(&mut self, at: SocketAddr, node: Kind) {
        self.nodes.push((at, node));
    }

    fn ua(&mut self, at: u16) -> &mut UserAgent {
        let a = addr(at);
        match self.nodes.iter_mut().find(|(x, _)| *x == a) {
            Some((_, Kind::Ua(u))) => u,
            _ => panic!("no agent at {a}"),
        }
    }

    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            for i in 0..self.nodes.len() {
                while let Some(t) = self.nodes[i].1.node().output() {
                    let from = self.nodes[i].0;
                    let text = String::from_utf8_lossy(&t.bytes).into_owned();
                    let line = text.lines().next().unwrap_or("").to_string();
                    if let Some(p) = &self.drop_next {
                        if line.starts_with(p.as_str()) {
                            self.drop_next = None;
                            continue;
                        }
                    }
                    let msg = message::parse(&t.bytes).expect("agents send parseable SIP");
                    self.log.push((from, t.dest, text));
                    let now = self.now;
                    if let Some((_, n)) = self.nodes.iter_mut().find(|(a, _)| *a == t.dest) {
                        n.node().input(msg, from, now);
                        moved = true;
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("network never settled");
    }

    /// Advance the fake clock by `d`, firing every timer due on the way.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.pump();
            let next = self.nodes.iter().filter_map(|(_, n)| n.deadline()).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for (_, n) in &mut self.nodes {
                        n.node().tick(now);
                    }
                }
                _ => break,
            }
        }
        self.now = end;
        self.pump();
    }

    fn events(&mut self, at: u16) -> Vec<UaEvent> {
        std::iter::from_fn(|| self.ua(at).poll_event()).collect()
    }

    fn sent(&self, line_prefix: &str) -> usize {
        self.log
            .iter()
            .filter(|(_, _, l)| l.starts_with(line_prefix))
            .count()
    }
}

fn states(evs: &[UaEvent]) -> Vec<(CallId, CallState, Option<String>)> {
    evs.iter()
        .filter_map(|e| match e {
            UaEvent::CallState {
                call,
                state,
                reason,
            } => Some((*call, *state, reason.clone())),
            _ => None,
        })
        .collect()
}

fn last_state(evs: &[UaEvent]) -> Option<(CallState, Option<String>)> {
    states(evs).last().map(|(_, s, r)| (*s, r.clone()))
}

fn registrar(alg: Algorithm, expires: u32) -> Kind {
    Kind::Reg(Box::new(Registrar {
        tl: TransactionLayer::new(),
        digest: DigestServer::new("test", 1_000_000),
        alg,
        expires,
        registers: 0,
        observed: None,
        contacts: Vec::new(),
    }))
}

#[test]
fn registers_with_md5_and_sha256_refreshes_and_unregisters() {
    for alg in [Algorithm::Md5, Algorithm::Sha256] {
        let mut net = Net::new();
        net.add(REGISTRAR.parse().unwrap(), registrar(alg, 120));
        net.add(
            addr(5070),
            Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
        );
        let now = net.now;
        net.ua(5070).register(now).unwrap();
        net.pump();
        let evs = net.events(5070);
        assert!(
            matches!(evs.as_slice(), [UaEvent::Registered { expires: 120 }]),
            "{evs:?}"
        );
        assert_eq!(net.sent("REGISTER"), 2, "initial + authenticated");
        assert!(net.ua(5070).is_registered());
        // Refresh at max(expires/2, expires-30) = 90 s.
        net.advance(Duration::from_secs(89));
        assert_eq!(net.sent("REGISTER"), 2);
        net.advance(Duration::from_secs(2));
        assert_eq!(net.sent("REGISTER"), 4);
        assert!(matches!(
            net.events(5070).as_slice(),
            [UaEvent::Registered { .. }]
        ));
        let now = net.now;
        net.ua(5070).unregister(now).unwrap();
        net.pump();
        assert!(matches!(
            net.events(5070).as_slice(),
            [UaEvent::Unregistered]
        ));
        assert!(!net.ua(5070).is_registered());
    }
}

#[test]
fn wrong_password_fails_clearly_and_backs_off() {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "wrong"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    let evs = net.events(5070);
    assert!(
        matches!(evs.as_slice(), [UaEvent::RegistrationFailed { reason }] if reason == "wrong password (401)"),
        "{evs:?}"
    );
    assert_eq!(
        net.sent("REGISTER"),
        2,
        "one authenticated attempt, no loop"
    );
    // Retries after 1 s, then 2 s.
    net.advance(Duration::from_millis(1001));
    assert_eq!(net.sent("REGISTER"), 4);
    net.advance(Duration::from_millis(1500));
    assert_eq!(net.sent("REGISTER"), 4);
    net.advance(Duration::from_millis(600));
    assert_eq!(net.sent("REGISTER"), 6);
}

#[test]
fn registrar_timeout_is_reported() {
    let mut net = Net::new();
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.advance(Duration::from_secs(33));
    let evs = net.events(5070);
    assert!(
        evs.iter().any(
            |e| matches!(e, UaEvent::RegistrationFailed { reason } if reason.contains("timeout"))
        ),
        "{evs:?}"
    );
}

fn two_party() -> Net {
    let mut net = Net::new();
    net.add(addr(5070), Kind::Ua(Box::new(agent("alice", 5070, "x"))));
    net.add(addr(5080), Kind::Ua(Box::new(agent("bob", 5080, "x"))));
    net
}

/// Alice (5070) calls Bob (5080) directly and Bob answers. Returns (alice call, bob call).
fn establish(net: &mut Net, from: u16, to: u16, to_user: &str) -> (CallId, CallId) {
    let now = net.now;
    let a = net
        .ua(from)
        .call(
            &format!("sip:{to_user}@127.0.0.1:{to}"),
            addr(from + 1000),
            now,
        )
        .unwrap();
    net.pump();
    let bev = net.events(to);
    let b = bev
        .iter()
        .find_map(|e| match e {
            UaEvent::Incoming { call, .. } => Some(*call),
            _ => None,
        })
        .expect("incoming");
    assert_eq!(
        last_state(&net.events(from)),
        Some((CallState::Ringing, None))
    );
    net.ua(to).answer(b, addr(to + 1000), now).unwrap();
    net.pump();
    let aev = net.events(from);
    assert_eq!(last_state(&aev), Some((CallState::Established, None)));
    let media = aev.iter().find_map(|e| match e {
        UaEvent::Media { negotiated, .. } => Some(negotiated.clone()),
        _ => None,
    });
    assert_eq!(media.expect("media event").remote_rtp, addr(to + 1000));
    let bev = net.events(to);
    assert_eq!(last_state(&bev), Some((CallState::Established, None)));
    (a, b)
}

#[test]
fn call_answer_hold_resume_and_remote_bye() {
    let mut net = two_party();
    let (a, b) = establish(&mut net, 5070, 5080, "bob");
    assert!(net.sent("ACK") >= 1);
    let now = net.now;
    net.ua(5070).hold(a, now).unwrap();
    net.pump();
    assert_eq!(last_state(&net.events(5070)), Some((CallState::Held, None)));
    let bev = net.events(5080);
    assert_eq!(last_state(&bev), Some((CallState::RemoteHeld, None)));
    let dir = bev.iter().find_map(|e| match e {
        UaEvent::Media { negotiated, .. } => Some(negotiated.direction),
        _ => None,
    });
    assert_eq!(
        dir,
        Some(Direction::RecvOnly),
        "bob answers a hold with recvonly"
    );
    let now = net.now;
    net.ua(5070).resume(a, now).unwrap();
    net.pump();
    assert_eq!(
        last_state(&net.events(5070)),
        Some((CallState::Established, None))
    );
    assert_eq!(
        last_state(&net.events(5080)),
        Some((CallState::Established, None))
    );
    net.ua(5080).hangup(b, now).unwrap();
    net.pump();
    let aev = net.events(5070);
    assert!(aev
        .iter()
        .any(|e| matches!(e, UaEvent::MediaStop { call } if *call == a)));
    assert_eq!(
        last_state(&aev),
        Some((CallState::Ended, Some("bye".into())))
    );
    assert_eq!(
        last_state(&net.events(5080)),
        Some((CallState::Ended, Some("hangup".into())))
    );
    assert!(net.ua(5070).calls().is_empty() && net.ua(5080).calls().is_empty());
}

#[test]
fn cancel_before_answer() {
    let mut net = two_party();
    let now = net.now;
    let a = net
        .ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    net.pump();
    net.events(5080);
    net.ua(5070).hangup(a, now).unwrap();
    net.pump();
    assert_eq!(net.sent("CANCEL"), 1);
    assert_eq!(net.sent("SIP/2.0 487"), 1);
    assert_eq!(
        last_state(&net.events(5070)),
        Some((CallState::Ended, Some("cancelled".into())))
    );
    assert_eq!(
        last_state(&net.events(5080)),
        Some((CallState::Ended, Some("cancelled".into())))
    );
}

/// A switch that stops the ring because another device answered says so in the CANCEL
/// (RFC 3326); the call then ends as answered elsewhere, which the app does not count as missed.
#[test]
fn cancel_with_reason_completed_elsewhere_is_not_a_plain_cancel() {
    for (reason, expected) in [
        (
            Some(koppla_sip::reason::COMPLETED_ELSEWHERE),
            "answered_elsewhere",
        ),
        (Some("Q.850;cause=26"), "answered_elsewhere"),
        (
            Some("SIP;cause=487;text=\"Request terminated\""),
            "cancelled",
        ),
        (None, "cancelled"),
    ] {
        let mut net = two_party();
        let now = net.now;
        net.ua(5070)
            .call("sip:bob@127.0.0.1:5080", addr(6070), now)
            .unwrap();
        net.pump();
        net.events(5080);
        // The CANCEL a forking switch would send in place of alice's: same transaction.
        let invite = net
            .ua(5080)
            .calls
            .values()
            .next()
            .expect("bob rings")
            .invite
            .clone();
        let mut cancel = invite;
        cancel.method = koppla_sip::Method::Cancel;
        cancel.body = Vec::new();
        message::remove_header(&mut cancel.headers, "Content-Type");
        message::remove_header(&mut cancel.headers, "Contact");
        let cseq =
            message::header_values_in(&cancel.headers, "CSeq")[0].replace("INVITE", "CANCEL");
        message::set_header(&mut cancel.headers, "CSeq", &cseq);
        if let Some(r) = reason {
            cancel.headers.push(message::make_header("Reason", r));
        }
        net.ua(5080)
            .input(SipMessage::Request(cancel), addr(5070), now);
        net.pump();
        assert_eq!(
            last_state(&net.events(5080)),
            Some((CallState::Ended, Some(expected.into()))),
            "{reason:?}"
        );
        assert_eq!(net.sent("SIP/2.0 487"), 1, "the INVITE still gets its 487");
    }
}

#[test]
fn busy_and_decline_and_not_found_map_to_reasons() {
    let mut net = two_party();
    net.ua(5080).cfg.busy = true;
    let now = net.now;
    net.ua(5070)
        .call("bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    net.pump();
    assert_eq!(
        last_state(&net.events(5070)),
        Some((CallState::Ended, Some("busy".into())))
    );
    assert!(net.events(5080).is_empty(), "busy callee is not bothered");
    net.ua(5080).cfg.busy = false;
    net.ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    net.pump();
    let b = net.ua(5080).calls()[0].0;
    net.ua(5080).reject(b, now).unwrap();
    net.pump();
    assert_eq!(
        last_state(&net.events(5070)),
        Some((CallState::Ended, Some("declined".into())))
    );
    // Nobody at 5090: INVITE retransmits then times out.
    net.ua(5070)
        .call("sip:carol@127.0.0.1:5090", addr(6070), now)
        .unwrap();
    net.advance(Duration::from_secs(33));
    assert_eq!(
        last_state(&net.events(5070)),
        Some((CallState::Ended, Some("timeout".into())))
    );
}

#[test]
fn call_waiting_second_incoming_call_while_in_call() {
    let mut net = two_party();
    net.add(addr(5090), Kind::Ua(Box::new(agent("carol", 5090, "x"))));
    let (_a, b) = establish(&mut net, 5070, 5080, "bob");
    let now = net.now;
    net.ua(5090)
        .call("sip:bob@127.0.0.1:5080", addr(6090), now)
        .unwrap();
    net.pump();
    let bev = net.events(5080);
    assert!(bev
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { call, .. } if *call == b + 1)));
    assert_eq!(net.ua(5080).calls().len(), 2);
    // Bob holds the first call and takes the second.
    net.ua(5080).hold(b, now).unwrap();
    net.ua(5080).answer(b + 1, addr(7080), now).unwrap();
    net.pump();
    assert_eq!(net.ua(5080).call_state(b), Some(CallState::Held));
    assert_eq!(net.ua(5080).call_state(b + 1), Some(CallState::Established));
}

#[test]
fn lost_invite_is_retransmitted() {
    let mut net = two_party();
    net.drop_next = Some("INVITE".into());
    let now = net.now;
    net.ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    net.pump();
    assert!(net.events(5080).is_empty());
    net.advance(Duration::from_millis(500));
    assert!(net
        .events(5080)
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
}

#[test]
fn blind_transfer_via_refer_and_notify() {
    let mut net = two_party();
    net.add(addr(5090), Kind::Ua(Box::new(agent("carol", 5090, "x"))));
    let (a, b) = establish(&mut net, 5070, 5080, "bob");
    let now = net.now;
    net.ua(5070)
        .transfer(a, "sip:carol@127.0.0.1:5090", now)
        .unwrap();
    net.pump();
    let bev = net.events(5080);
    let (call, target) = bev
        .iter()
        .find_map(|e| match e {
            UaEvent::TransferRequested {
                call,
                target,
                replaces: None,
            } => Some((*call, target.clone())),
            _ => None,
        })
        .expect("transfer requested");
    assert_eq!((call, target.as_str()), (b, "sip:carol@127.0.0.1:5090"));
    let nb = net
        .ua(5080)
        .call_referred(b, &target, None, addr(7080), now)
        .unwrap();
    net.pump();
    // RFC 3892: the transferee says who sent it, so a switch can supervise the transfer.
    let invite = net
        .log
        .iter()
        .find(|(_, to, text)| *to == addr(5090) && text.starts_with("INVITE "))
        .map(|(_, _, text)| text.clone())
        .expect("carol got an INVITE");
    assert!(
        invite.contains("Referred-By: <sip:alice@"),
        "no Referred-By: {invite}"
    );
    let c = net.ua(5090).calls()[0].0;
    net.ua(5090).answer(c, addr(6090), now).unwrap();
    net.pump();
    let aev = net.events(5070);
    assert!(
        aev.iter()
            .any(|e| matches!(e, UaEvent::Transferred { call } if *call == a)),
        "{aev:?}"
    );
    assert_eq!(
        last_state(&aev),
        Some((CallState::Ended, Some("transferred".into())))
    );
    assert_eq!(net.ua(5080).call_state(nb), Some(CallState::Established));
    assert_eq!(
        net.ua(5080).call_state(b),
        None,
        "transferor hung up the old call"
    );
    assert!(net.sent("NOTIFY") >= 2);
}

#[test]
fn attended_transfer_with_replaces() {
    let mut net = two_party();
    net.add(addr(5090), Kind::Ua(Box::new(agent("carol", 5090, "x"))));
    let (a1, b) = establish(&mut net, 5070, 5080, "bob");
    let (a2, c) = establish(&mut net, 5070, 5090, "carol");
    let now = net.now;
    net.ua(5070).attended(a1, a2, now).unwrap();
    net.pump();
    let bev = net.events(5080);
    let (target, replaces) = bev
        .iter()
        .find_map(|e| match e {
            UaEvent::TransferRequested {
                target, replaces, ..
            } => Some((target.clone(), replaces.clone())),
            _ => None,
        })
        .expect("transfer requested");
    let replaces = replaces.expect("Replaces in Refer-To");
    assert!(
        replaces.contains(";to-tag=") && replaces.contains(";from-tag="),
        "{replaces}"
    );
    net.ua(5080)
        .call_referred(b, &target, Some(&replaces), addr(7080), now)
        .unwrap();
    net.pump();
    let cev = net.events(5090);
    let newc = cev
        .iter()
        .find_map(|e| match e {
            UaEvent::Incoming { call, .. } => Some(*call),
            _ => None,
        })
        .expect("carol gets the replacing call");
    assert_eq!(net.ua(5090).replaces(newc), Some(c));
    net.ua(5090).answer(newc, addr(7090), now).unwrap();
    net.pump();
    assert_eq!(net.ua(5090).call_state(c), None, "replaced call is gone");
    assert_eq!(net.ua(5090).call_state(newc), Some(CallState::Established));
    let aev = net.events(5070);
    assert!(aev
        .iter()
        .any(|e| matches!(e, UaEvent::Transferred { call } if *call == a1)));
    assert!(states(&aev)
        .iter()
        .any(|(id, s, _)| *id == a2 && *s == CallState::Ended));
}

#[test]
fn stray_in_dialog_requests_get_481_and_errors_are_typed() {
    let mut net = two_party();
    let now = net.now;
    assert!(matches!(
        net.ua(5070).hangup(9, now),
        Err(UaError::NoSuchCall(9))
    ));
    let a = net
        .ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    assert!(matches!(
        net.ua(5070).hold(a, now),
        Err(UaError::InvalidState { .. })
    ));
    assert!(matches!(
        net.ua(5070).transfer(a, "carol", now),
        Err(UaError::InvalidState { .. })
    ));
    assert!(matches!(
        net.ua(5070).answer(a, addr(1), now),
        Err(UaError::InvalidState { .. })
    ));
    let bye = "BYE sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKs\r\n\
               From: <sip:bob@x>;tag=1\r\nTo: <sip:alice@x>;tag=2\r\nCall-ID: nope\r\nCSeq: 5 BYE\r\n\r\n";
    let msg = message::parse(bye.as_bytes()).unwrap();
    net.ua(5070)
        .handle_incoming(msg, addr(5080), Transport::Udp, now);
    let t = net.ua(5070).poll_transmit().expect("answer");
    // The INVITE went first; then the 481.
    let t2 = net.ua(5070).poll_transmit().unwrap_or(t);
    assert!(String::from_utf8_lossy(&t2.bytes).starts_with("SIP/2.0 481"));
}

mod conformance;
mod dead_calls;
mod failover;
mod flow_recovery;
mod mwi;
mod names;
mod nat;
mod offerless;
mod strangers;
