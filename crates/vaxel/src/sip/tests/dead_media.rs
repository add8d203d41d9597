//! A proxied call one side of which went silent is hung up at both ends (decision 0407), with
//! the relay's last-packet times set by hand on a fake clock.

use super::*;
use koppla_sip::rsip::{Method, Request};

/// The test media, whose relay (and legs the switch answers itself) report what the test
/// says it heard.
pub(super) struct Heard {
    pub(super) inner: FakeMedia,
    pub(super) heard: Arc<Mutex<[Option<Instant>; 2]>>,
    /// When the caller of a leg the switch answered last sent audio.
    pub(super) caller: Arc<Mutex<Option<Instant>>>,
    /// When the agent connected to a queued or parked caller last sent audio.
    pub(super) agent: Arc<Mutex<Option<Instant>>>,
}

impl MediaControl for Heard {
    fn relay(&mut self, id: &str, from_caller: bool, r: Option<SocketAddr>) -> Option<SocketAddr> {
        self.inner.relay(id, from_caller, r)
    }
    fn echo(&mut self, id: &str, r: Option<SocketAddr>) -> Option<SocketAddr> {
        self.inner.echo(id, r)
    }
    fn announce(&mut self, id: &str, r: Option<SocketAddr>, t: &str, pt: u8) -> Option<SocketAddr> {
        self.inner.announce(id, r, t, pt)
    }
    fn voicemail(
        &mut self,
        id: &str,
        r: Option<SocketAddr>,
        pt: u8,
        mailbox: &str,
        caller: &str,
        reason: super::super::VoicemailReason,
    ) -> Option<SocketAddr> {
        self.inner.voicemail(id, r, pt, mailbox, caller, reason)
    }
    fn queue_hold(
        &mut self,
        id: &str,
        r: Option<SocketAddr>,
        pt: u8,
        q: &str,
    ) -> Option<SocketAddr> {
        self.inner.queue_hold(id, r, pt, q)
    }
    fn queue_agent_side(&mut self, id: &str) -> Option<SocketAddr> {
        self.inner.queue_agent_side(id)
    }
    fn queue_bridge(&mut self, id: &str, agent: Option<SocketAddr>) {
        self.inner.queue_bridge(id, agent)
    }
    fn queue_unbridge(&mut self, id: &str) {
        self.inner.queue_unbridge(id)
    }
    fn queue_voicemail(&mut self, id: &str, pt: u8, mailbox: &str, caller: &str) {
        self.inner.queue_voicemail(id, pt, mailbox, caller)
    }
    fn voicemail_menu(
        &mut self,
        id: &str,
        r: Option<SocketAddr>,
        pt: u8,
        events: Option<u8>,
        login: &super::super::voicemail_menu::Login,
    ) -> Option<SocketAddr> {
        self.inner.voicemail_menu(id, r, pt, events, login)
    }
    fn relay_heard(&self, _id: &str) -> Option<[Option<Instant>; 2]> {
        Some(*self.heard.lock().unwrap())
    }
    fn caller_heard(&self, _id: &str) -> Option<Option<Instant>> {
        Some(*self.caller.lock().unwrap())
    }
    fn agent_heard(&self, _id: &str) -> Option<Option<Instant>> {
        Some(*self.agent.lock().unwrap())
    }
    fn release(&mut self, id: &str) {
        self.inner.release(id)
    }
}

fn reply_to(r: &Request, code: u16, tag: &str, body: &str) -> Vec<u8> {
    let mut s = format!("SIP/2.0 {code} X\r\n");
    for v in m::header_values_in(&r.headers, "Via") {
        s.push_str(&format!("Via: {v}\r\n"));
    }
    for v in m::header_values_in(&r.headers, "Record-Route") {
        s.push_str(&format!("Record-Route: {v}\r\n"));
    }
    s.push_str(&format!(
        "From: {}\r\nTo: {};tag={tag}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:bob@127.0.0.1:5081>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        m::header_values_in(&r.headers, "From")[0],
        m::header_values_in(&r.headers, "To")[0],
        m::header_values_in(&r.headers, "Call-ID")[0],
        m::header_values_in(&r.headers, "CSeq")[0],
        body.len()
    ));
    s.into_bytes()
}

pub(super) fn byes(out: &[(SocketAddr, SipMessage)]) -> Vec<(SocketAddr, Request)> {
    out.iter()
        .filter_map(|(to, msg)| match msg {
            SipMessage::Request(r) if r.method == Method::Bye => Some((*to, r.clone())),
            _ => None,
        })
        .collect()
}

/// Alice (caller, 5071) calls bob (5081), who answers; returns the world and the heard times.
fn answered_call() -> (World, Phone, Arc<Mutex<[Option<Instant>; 2]>>) {
    let mut w = world();
    let heard = Arc::new(Mutex::new([None, None]));
    w.core.media = Box::new(Heard {
        inner: w.media.clone(),
        heard: heard.clone(),
        caller: Arc::default(),
        agent: Arc::default(),
    });
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let out = invite(&mut w, &mut a, "1002", "call-dead");
    let (_, inv) = out
        .iter()
        .find_map(|(to, msg)| match msg {
            SipMessage::Request(r) if r.method == Method::Invite => Some((*to, r.clone())),
            _ => None,
        })
        .expect("INVITE forwarded to bob");
    let out = w.feed(&reply_to(&inv, 200, "b1", SDP_B), b.addr);
    assert_eq!(response(&out, 0).1, 200);
    (w, a, heard)
}

pub(super) fn tick_at(w: &mut World, at: Instant) -> Vec<(SocketAddr, SipMessage)> {
    w.now = at;
    w.core.tick(at);
    w.drain()
}

#[test]
fn a_call_whose_callee_went_silent_is_hung_up_at_both_ends() {
    let (mut w, a, heard) = answered_call();
    let answered = w.now;
    let s = |n: u64| answered + Duration::from_secs(n);
    assert!(byes(&tick_at(&mut w, s(1))).is_empty());
    // Both talk until 10 s; then bob's phone dies and only alice is heard.
    *heard.lock().unwrap() = [Some(s(10)), Some(s(10))];
    assert!(
        byes(&tick_at(&mut w, s(39))).is_empty(),
        "30 s not yet over"
    );
    *heard.lock().unwrap() = [Some(s(39)), Some(s(10))];
    let out = tick_at(&mut w, s(41));
    let sent = byes(&out);
    assert_eq!(sent.len(), 2, "{out:?}");
    let to_alice = sent
        .iter()
        .find(|(to, _)| *to == a.addr)
        .expect("BYE to alice");
    let to_bob = sent
        .iter()
        .find(|(to, _)| *to == "127.0.0.1:5081".parse().unwrap())
        .expect("BYE to bob");
    let h = |r: &Request, n: &str| m::header_values_in(&r.headers, n)[0].clone();
    // Into alice's dialog as if from bob, and into bob's as if from alice.
    assert_eq!(to_alice.1.uri.to_string(), "sip:alice@127.0.0.1:5071");
    assert!(h(&to_alice.1, "To").contains("tag=t-alice"));
    assert!(h(&to_alice.1, "From").contains("tag=b1"));
    assert_eq!(h(&to_alice.1, "CSeq"), "1 BYE", "bob never sent a request");
    assert_eq!(to_bob.1.uri.to_string(), "sip:bob@127.0.0.1:5081");
    assert!(h(&to_bob.1, "From").contains("tag=t-alice"));
    assert!(h(&to_bob.1, "To").contains("tag=b1"));
    assert_eq!(
        h(&to_bob.1, "CSeq"),
        "3 BYE",
        "above alice's INVITE (CSeq 2)"
    );
    for (_, bye) in &sent {
        assert_eq!(h(bye, "Call-ID"), "call-dead");
        assert!(h(bye, "Reason").starts_with("SIP;cause=408"));
    }
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .contains(&"release call-dead".to_string()));
    assert!(byes(&tick_at(&mut w, s(100))).is_empty(), "once");
}

#[test]
fn a_held_call_is_left_alone_and_watched_again_from_its_resumption() {
    let (mut w, mut a, heard) = answered_call();
    let answered = w.now;
    let s = |n: u64| answered + Duration::from_secs(n);
    *heard.lock().unwrap() = [Some(s(5)), Some(s(5))];
    let held = SDP_A.replace("m=audio", "a=sendonly\r\nm=audio");
    let reinvite = |a: &mut Phone, sdp: &str, branch: &str| {
        a.request(
            "INVITE",
            "sip:bob@127.0.0.1:5081",
            "<sip:1002@koppla>;tag=b1",
            "call-dead",
            "Route: <sip:127.0.0.1:5060;lr>\r\n",
            sdp,
            branch,
        )
    };
    let hold = reinvite(&mut a, &held, "z9hG4bKhold");
    w.now = s(6);
    let out = w.feed(&hold, a.addr);
    assert!(
        out.iter()
            .any(|(_, msg)| matches!(msg, SipMessage::Request(r) if r.method == Method::Invite)),
        "the hold went on to bob"
    );
    assert!(
        byes(&tick_at(&mut w, s(300))).is_empty(),
        "nobody talks on hold"
    );
    let resume = reinvite(&mut a, SDP_A, "z9hG4bKresume");
    w.now = s(400);
    w.feed(&resume, a.addr);
    assert!(byes(&tick_at(&mut w, s(400))).is_empty());
    assert!(
        byes(&tick_at(&mut w, s(429))).is_empty(),
        "a full timeout after resuming"
    );
    assert_eq!(byes(&tick_at(&mut w, s(431))).len(), 2);
}
