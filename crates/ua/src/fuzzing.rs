//! Entry points shared by the cargo-fuzz targets (`crates/ua/fuzz`) and the stable tests below,
//! which run them over the seed corpus, its truncations and random input. They must never
//! panic; they assert the invariants callers rely on instead.
//!
//! [`agent_input`] drives a whole [`UserAgent`] sans-IO with a fake clock, the way the runtime
//! does with datagrams from its socket: parse, hand the message to the agent, drain what it
//! sends. One input is a short conversation so the fuzzer reaches calls, dialogs and
//! subscriptions, not only the first request:
//!
//! * segments separated by a NUL byte are delivered one after another, 100 ms apart;
//! * a segment starting with `!` comes from a stranger (not the registrar), one starting with `~`
//!   from the registrar over TCP, any other from the registrar over UDP;
//! * `$branch`, `$call-id` and `$from-tag` are replaced by those of the agent's latest request,
//!   `$to-tag` by the To tag of its latest response, so an input can answer the agent's INVITE
//!   or ACK the 200 it sent (they are random, so a fuzzer could never guess them).
//!
//! Before the input the agent has registered (a 200 from the registrar) and placed a call to
//! `sip:bob@127.0.0.1` whose INVITE is waiting for an answer; every incoming call is answered.
//! Invariants: everything the agent sends is SIP our parser reads; a stranger's request never
//! rings the phone unless it replaces one of our calls; after hanging up and two minutes of
//! timers no call is left.

use crate::config::{Account, Secret};
use crate::events::UaEvent;
use crate::{UaConfig, UserAgent};
use koppla_sip::message;
use koppla_sip::{SipMessage, Transport};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Where the registrar (and outbound proxy) is.
pub const REGISTRAR: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(LOOPBACK), 5060);
/// The agent's own address.
pub const LOCAL: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(LOOPBACK), 5062);
/// An address the agent has never talked to (TEST-NET-2).
pub const STRANGER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7)),
    5060,
);
const LOOPBACK: std::net::Ipv4Addr = std::net::Ipv4Addr::LOCALHOST;
const RTP: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(LOOPBACK), 40_000);

/// More segments than this in one input are ignored: a conversation needs a handful, and a
/// bound keeps every input's run time short.
const MAX_SEGMENTS: usize = 12;

/// A [`UserAgent`] with its fake clock and what the placeholders stand for.
pub struct AgentHarness {
    pub ua: UserAgent,
    now: Instant,
    branch: String,
    call_id: String,
    from_tag: String,
    to_tag: String,
    /// The agent's latest request.
    last_request: Option<SipMessage>,
}

impl AgentHarness {
    /// A registered agent with one outgoing call ringing out.
    pub fn new() -> Self {
        let account = Account::new(
            "sip:alice@127.0.0.1:5060",
            None,
            Some(Secret::new("pw")),
            Transport::Udp,
        )
        .expect("the fixed account parses");
        let mut h = AgentHarness {
            ua: UserAgent::new(UaConfig::new(account, LOCAL)),
            now: Instant::now(),
            branch: String::new(),
            call_id: String::new(),
            from_tag: String::new(),
            to_tag: String::new(),
            last_request: None,
        };
        if h.ua.register(h.now).is_ok() {
            h.drain();
            let answer = registered_answer(h.last_request.as_ref());
            h.deliver(&answer, REGISTRAR, Transport::Udp);
        }
        if h.ua.call("sip:bob@127.0.0.1", RTP, h.now).is_ok() {
            h.drain();
        }
        h
    }

    /// Parse one datagram and give it to the agent, then drain and check what it sends.
    /// Returns whether the message made the phone ring, and whether it named a call to replace.
    fn deliver(&mut self, data: &[u8], source: SocketAddr, transport: Transport) -> (bool, bool) {
        let mut replaces = false;
        if let Ok(msg) = message::parse(data) {
            replaces = message::header(&msg, "Replaces").is_some();
            self.ua.handle_incoming(msg, source, transport, self.now);
        }
        (self.drain(), replaces)
    }

    /// Checks everything the agent sends, remembers its identifiers for the placeholders and
    /// answers every incoming call (so dialogs get established and torn down too). Returns
    /// whether any call rang.
    fn drain(&mut self) -> bool {
        let mut rang = false;
        loop {
            while let Some(t) = self.ua.poll_transmit() {
                let Some(sent) = koppla_sip::fuzzing::parse_answer(&t.bytes) else {
                    panic!(
                        "the agent sent unparsable SIP: {:?}",
                        String::from_utf8_lossy(&t.bytes)
                    );
                };
                self.remember(&sent);
            }
            let mut answered = false;
            while let Some(ev) = self.ua.poll_event() {
                if let UaEvent::Incoming { call, .. } = ev {
                    rang = true;
                    answered |= self.ua.answer(call, RTP, self.now).is_ok();
                }
            }
            if !answered {
                return rang;
            }
        }
    }

    fn remember(&mut self, sent: &SipMessage) {
        match sent {
            SipMessage::Request(_) => {
                self.branch = message::branch(sent).unwrap_or_default();
                self.call_id = message::call_id(sent).unwrap_or_default();
                self.from_tag = message::from_tag(sent).unwrap_or_default();
                self.last_request = Some(sent.clone());
            }
            SipMessage::Response(_) => self.to_tag = message::to_tag(sent).unwrap_or_default(),
        }
    }

    fn fill_in(&self, segment: &[u8]) -> Vec<u8> {
        let mut out = segment.to_vec();
        for (placeholder, value) in [
            ("$branch", &self.branch),
            ("$call-id", &self.call_id),
            ("$from-tag", &self.from_tag),
            ("$to-tag", &self.to_tag),
        ] {
            out = replace(&out, placeholder.as_bytes(), value.as_bytes());
        }
        out
    }

    /// Runs the agent's timers until nothing is left to do within `span`, checking
    /// that time moves on (a timer that fires and stays due would spin the runtime's loop).
    fn run_timers(&mut self, span: Duration) {
        let end = self.now + span;
        for _ in 0..10_000 {
            match self.ua.poll_timeout() {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    self.ua.handle_timeout(self.now);
                    self.drain();
                    // The runtime sleeps until the deadline: one that never moves past `now`
                    // after firing would make it busy-loop.
                    self.now += Duration::from_millis(1);
                }
                _ => {
                    self.now = end;
                    return;
                }
            }
        }
        panic!("the agent's timers kept firing for 10 000 rounds");
    }
}

impl Default for AgentHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// Feeds one fuzz input (see the module comment) to a fresh agent, then hangs up every call
/// and lets the timers run out: every call must then be gone, whatever the input did.
pub fn agent_input(data: &[u8]) {
    let mut h = AgentHarness::new();
    for segment in data.split(|b| *b == 0).take(MAX_SEGMENTS) {
        let (source, transport, body) = match segment.first() {
            Some(b'!') => (STRANGER, Transport::Udp, &segment[1..]),
            Some(b'~') => (REGISTRAR, Transport::Tcp, &segment[1..]),
            _ => (REGISTRAR, Transport::Udp, segment),
        };
        let bytes = h.fill_in(body);
        let (rang, replaces) = h.deliver(&bytes, source, transport);
        // Once registered, only the registrar's requests ring (issue 19: no ghost calls from
        // scanners); a stranger's INVITE may only take over one of our calls (attended transfer).
        assert!(
            !rang || source != STRANGER || replaces,
            "a stranger's INVITE rang the phone"
        );
        h.now += Duration::from_millis(100);
        if h.ua.poll_timeout().is_some_and(|t| t <= h.now) {
            h.ua.handle_timeout(h.now);
            h.drain();
        }
    }
    for (call, _) in h.ua.calls() {
        let _ = h.ua.hangup(call, h.now);
    }
    h.drain();
    h.run_timers(Duration::from_secs(120));
    let left = h.ua.calls();
    assert!(
        left.is_empty(),
        "calls outlive hang-up and timeouts: {left:?}"
    );
}

/// A message-summary body (RFC 3842) as the agent reads it from a NOTIFY: never panics, and what
/// it reads renders back to a body that reads the same.
pub fn mwi_summary(data: &[u8]) {
    let Ok(summary) = crate::mwi::summary::parse(data) else {
        return;
    };
    if let Some(account) = &summary.account {
        assert!(account.len() <= crate::mwi::summary::MAX_ACCOUNT_LEN);
        assert!(!account.chars().any(|c| c.is_control() || c.is_whitespace()));
    }
    let mut body = format!(
        "Messages-Waiting: {}\r\n",
        if summary.waiting { "yes" } else { "no" }
    );
    if let Some(account) = &summary.account {
        body.push_str(&format!("Message-Account: <{account}>\r\n"));
    }
    if let Some(c) = summary.voice {
        body.push_str(&format!(
            "Voice-Message: {}/{} ({}/{})\r\n",
            c.new, c.old, c.urgent_new, c.urgent_old
        ));
    }
    assert_eq!(
        crate::mwi::summary::parse(body.as_bytes()).as_ref(),
        Ok(&summary),
        "{body:?}"
    );
}

/// The registrar's 200 to the REGISTER the agent just sent, granting an hour.
fn registered_answer(register: Option<&SipMessage>) -> Vec<u8> {
    let Some(register) = register else {
        return Vec::new();
    };
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for name in ["Via", "From", "Call-ID", "CSeq"] {
        for value in message::header_values(register, name) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    let to = message::header(register, "To").unwrap_or_default();
    let contact = message::header(register, "Contact").unwrap_or_default();
    out.push_str(&format!(
        "To: {to};tag=reg\r\nContact: {contact};expires=3600\r\nContent-Length: 0\r\n\r\n"
    ));
    out.into_bytes()
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = format!("{}/fuzz/seeds/{target}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn the_harness_registers_and_rings_out() {
        let h = AgentHarness::new();
        assert!(h.ua.is_registered());
        assert_eq!(h.ua.calls().len(), 1);
        assert!(!h.call_id.is_empty() && !h.branch.is_empty() && !h.from_tag.is_empty());
    }

    #[test]
    fn seeds_reach_answered_calls() {
        let seeds = seeds("agent_input");
        assert!(seeds.len() >= 3, "agent_input seeds missing");
        for s in &seeds {
            agent_input(s);
        }
        // The seed that answers our INVITE must really establish the call (placeholders work).
        let answer = seeds
            .iter()
            .find(|s| s.starts_with(b"SIP/2.0 200") && s.windows(10).any(|w| w == b"\nContact: "))
            .expect("a seed answering the INVITE");
        let mut h = AgentHarness::new();
        let first = answer.split(|b| *b == 0).next().unwrap_or_default();
        let bytes = h.fill_in(first);
        h.deliver(&bytes, REGISTRAR, Transport::Udp);
        assert_eq!(
            h.ua.calls().first().map(|c| c.1),
            Some(crate::CallState::Established)
        );
    }

    #[test]
    fn an_answer_without_contact_ends_the_call() {
        // Found by the fuzzer: the 2xx makes no dialog, so nothing would ever end the call.
        let seed = seeds("agent_input")
            .into_iter()
            .find(|s| s.windows(8).any(|w| w == b"Catonct:"))
            .expect("the answer_without_contact seed");
        let mut h = AgentHarness::new();
        let first = seed.split(|b| *b == 0).next().unwrap_or_default();
        let bytes = h.fill_in(first);
        h.deliver(&bytes, REGISTRAR, Transport::Udp);
        assert!(h.ua.calls().is_empty(), "{:?}", h.ua.calls());
        agent_input(&seed);
    }

    #[test]
    fn seed_truncations_and_flips_do_not_panic() {
        for s in seeds("agent_input") {
            for cut in (0..s.len()).step_by(23) {
                agent_input(&s[..cut]);
            }
            for i in (0..s.len()).step_by(29) {
                let mut m = s.clone();
                m[i] ^= 0x20;
                agent_input(&m);
            }
        }
    }

    #[test]
    fn mwi_seeds_read_back() {
        let seeds = seeds("mwi_summary");
        assert!(seeds.len() >= 2, "mwi_summary seeds missing");
        for s in &seeds {
            assert!(crate::mwi::summary::parse(s).is_ok());
            mwi_summary(s);
        }
    }

    #[test]
    fn placeholders_are_replaced_everywhere() {
        assert_eq!(replace(b"a$xb$x", b"$x", b"12"), b"a12b12".to_vec());
        assert_eq!(replace(b"none", b"$x", b"12"), b"none".to_vec());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn random_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            agent_input(&data);
            mwi_summary(&data);
        }

        #[test]
        fn random_requests_do_not_panic(
            method in "(INVITE|ACK|BYE|CANCEL|OPTIONS|NOTIFY|REFER|INFO|UPDATE|MESSAGE|FOO)",
            from_stranger: bool,
            lines in proptest::collection::vec(
                "(Via|From|To|Call-ID|CSeq|Contact|Event|Subscription-State|Content-Type|Replaces|Refer-To|Require|Max-Forwards): [ -~]{0,50}", 0..10),
        ) {
            let msg = format!(
                "{}{method} sip:alice@127.0.0.1:5062 SIP/2.0\r\n{}\r\n\r\n",
                if from_stranger { "!" } else { "" },
                lines.join("\r\n")
            );
            agent_input(msg.as_bytes());
        }
    }
}
