//! Deterministic tests of the sans-IO core with raw SIP text and a fake clock and media.

use super::directory::{Directory, Numbering, SipUser};
use super::{CoreConfig, CoreEvent, MediaControl, SipCore};
use crate::activity::Activities;
use crate::config::default_activities;
use crate::credentials::md5_hex;
use crate::model::ActivityChoice;
use koppla_sip::auth::{compute_response, Algorithm};
use koppla_sip::message as m;
use koppla_sip::rsip::SipMessage;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod auth_limits;
mod calls;
mod conformance;
mod dead_local;
mod dead_media;
mod on_call;
mod park;
mod pickup;
mod presence;
mod queue_transfer;
mod queue_waiting;
mod queues;
mod restart;
mod ring_timeout;
mod routing;
mod transfer;
mod voicemail_menu;
mod voicemail_reason;

#[derive(Default, Clone)]
struct FakeMedia(Arc<Mutex<Vec<String>>>);

impl MediaControl for FakeMedia {
    fn relay(
        &mut self,
        call_id: &str,
        from_caller: bool,
        remote: Option<SocketAddr>,
    ) -> Option<SocketAddr> {
        self.0
            .lock()
            .unwrap()
            .push(format!("relay {call_id} {from_caller} {remote:?}"));
        Some(
            if from_caller {
                "127.0.0.1:40002"
            } else {
                "127.0.0.1:40000"
            }
            .parse()
            .unwrap(),
        )
    }
    fn echo(&mut self, call_id: &str, _remote: Option<SocketAddr>) -> Option<SocketAddr> {
        self.0.lock().unwrap().push(format!("echo {call_id}"));
        Some("127.0.0.1:41000".parse().unwrap())
    }
    fn announce(
        &mut self,
        call_id: &str,
        _remote: Option<SocketAddr>,
        text: &str,
        pt: u8,
    ) -> Option<SocketAddr> {
        self.0
            .lock()
            .unwrap()
            .push(format!("announce {call_id} {pt} {text}"));
        Some("127.0.0.1:42000".parse().unwrap())
    }
    fn voicemail(
        &mut self,
        call_id: &str,
        _remote: Option<SocketAddr>,
        pt: u8,
        mailbox: &str,
        caller: &str,
        reason: super::VoicemailReason,
    ) -> Option<SocketAddr> {
        // No-answer calls log as before; a busy one says so at the end.
        let busy = match reason {
            super::VoicemailReason::Busy => " busy",
            super::VoicemailReason::NoAnswer => "",
        };
        self.0
            .lock()
            .unwrap()
            .push(format!("voicemail {call_id} {pt} {mailbox} {caller}{busy}"));
        Some("127.0.0.1:43000".parse().unwrap())
    }
    fn queue_hold(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        pt: u8,
        queue: &str,
    ) -> Option<SocketAddr> {
        self.0
            .lock()
            .unwrap()
            .push(format!("queue_hold {call_id} {remote:?} {pt} {queue}"));
        Some("127.0.0.1:44000".parse().unwrap())
    }
    fn queue_agent_side(&mut self, _call_id: &str) -> Option<SocketAddr> {
        Some("127.0.0.1:44002".parse().unwrap())
    }
    fn queue_bridge(&mut self, call_id: &str, agent: Option<SocketAddr>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("queue_bridge {call_id} {agent:?}"));
    }
    fn queue_unbridge(&mut self, call_id: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("queue_unbridge {call_id}"));
    }
    fn queue_voicemail(&mut self, call_id: &str, pt: u8, mailbox: &str, caller: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("queue_voicemail {call_id} {pt} {mailbox} {caller}"));
    }
    fn voicemail_menu(
        &mut self,
        call_id: &str,
        _remote: Option<SocketAddr>,
        pt: u8,
        events: Option<u8>,
        login: &super::voicemail_menu::Login,
    ) -> Option<SocketAddr> {
        self.0.lock().unwrap().push(format!(
            "voicemail_menu {call_id} {pt} {events:?} {login:?}"
        ));
        Some("127.0.0.1:45000".parse().unwrap())
    }
    fn release(&mut self, call_id: &str) {
        self.0.lock().unwrap().push(format!("release {call_id}"));
    }
}

const SWITCH: &str = "127.0.0.1:5060";
const PW: &str = "pw-secret";

fn user(name: &str, short: &str) -> SipUser {
    SipUser {
        username: name.into(),
        name: format!("{name} N"),
        short_number: Some(short.into()),
        ha1_md5: Some(md5_hex(&format!("{name}:koppla:{PW}"))),
        ha1_sha256: Some(crate::credentials::sha256_hex(&format!(
            "{name}:koppla:{PW}"
        ))),
        ..Default::default()
    }
}

struct World {
    core: SipCore,
    media: FakeMedia,
    now: Instant,
}

fn world() -> World {
    let media = FakeMedia::default();
    let now = Instant::now();
    let cfg = CoreConfig {
        local: SWITCH.parse().unwrap(),
        local_tcp: None,
        local_tls: None,
        realm: "koppla".into(),
        algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        numbering: Numbering {
            echo: "9999".into(),
            whoami: "9998".into(),
            has_trunk: false,
        },
        max_expires: 3600,
        trunk: None,
        calls: Default::default(),
    };
    let dir = Directory::new(vec![
        user("alice", "1001"),
        user("bob", "1002"),
        user("carol", "1003"),
    ]);
    let core = SipCore::new(
        cfg,
        dir,
        Activities::new(default_activities()),
        Box::new(media.clone()),
        now,
        1_800_000_000,
    );
    World { core, media, now }
}

/// A phone on 127.0.0.1:<port> that speaks raw SIP text.
struct Phone {
    user: &'static str,
    addr: SocketAddr,
    cseq: u32,
}

/// A switch where bob (1002) and carol (1003) have a registered phone each, and alice's phone
/// (1001, not registered) to call from.
fn world_bob_carol() -> (World, Phone, Phone, Phone) {
    let mut w = world();
    let (a, mut b, mut c) = (
        phone("alice", 5071),
        phone("bob", 5081),
        phone("carol", 5091),
    );
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    (w, a, b, c)
}

fn phone(user: &'static str, port: u16) -> Phone {
    Phone {
        user,
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        cseq: 0,
    }
}

fn nonce_of(challenge: &str) -> String {
    challenge
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

impl Phone {
    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        method: &str,
        uri: &str,
        to: &str,
        call_id: &str,
        extra: &str,
        body: &str,
        branch: &str,
    ) -> Vec<u8> {
        self.cseq += 1;
        let ct = if body.is_empty() {
            String::new()
        } else if method == "PUBLISH" {
            "Content-Type: application/pidf+xml\r\n".into()
        } else {
            "Content-Type: application/sdp\r\n".into()
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch={branch};rport\r\nMax-Forwards: 70\r\n\
From: <sip:{u}@koppla>;tag=t-{u}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {c} {method}\r\n\
Contact: <sip:{u}@{a}>\r\n{extra}{ct}Content-Length: {len}\r\n\r\n{body}",
            a = self.addr,
            u = self.user,
            c = self.cseq,
            len = body.len()
        )
        .into_bytes()
    }

    fn auth_header(
        &self,
        hdr: &str,
        method: &str,
        uri: &str,
        challenge: &str,
        password: &str,
    ) -> String {
        let nonce = nonce_of(challenge);
        let ha1 = md5_hex(&format!("{}:koppla:{password}", self.user));
        let resp = compute_response(Algorithm::Md5, &ha1, &nonce, method, uri, Some((1, "cn")));
        format!("{hdr}: Digest username=\"{}\", realm=\"koppla\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"cn\"\r\n", self.user)
    }
}

impl World {
    /// The next event other than on-call changes, which most tests do not look at.
    fn next_event(&mut self) -> Option<CoreEvent> {
        std::iter::from_fn(|| self.core.poll_event())
            .find(|e| !matches!(e, CoreEvent::OnCallChanged { .. }))
    }

    fn feed(&mut self, data: &[u8], from: SocketAddr) -> Vec<(SocketAddr, SipMessage)> {
        self.core.handle(data, from, self.now);
        self.drain()
    }

    fn drain(&mut self) -> Vec<(SocketAddr, SipMessage)> {
        let mut out = Vec::new();
        while let Some(o) = self.core.poll_transmit() {
            assert_eq!(o.to.transport, koppla_sip::Transport::Udp);
            out.push((
                o.to.addr,
                m::parse(&o.data).unwrap_or_else(|e| {
                    panic!(
                        "switch sent unparsable SIP ({e}): {}",
                        String::from_utf8_lossy(&o.data)
                    )
                }),
            ));
        }
        out
    }

    fn register(&mut self, p: &mut Phone, password: &str) -> u16 {
        m::status(&self.register_reply(p, password))
    }

    /// REGISTER, answer the challenge with `password`, and return the switch's final answer.
    fn register_reply(&mut self, p: &mut Phone, password: &str) -> koppla_sip::rsip::Response {
        let uri = "sip:koppla";
        let to = format!("<sip:{}@koppla>", p.user);
        let call_id = format!("reg-{}-{}", p.user, p.addr.port());
        let first = p.request(
            "REGISTER",
            uri,
            &to,
            &call_id,
            "Expires: 600\r\n",
            "",
            &format!("z9hG4bKr{}", p.cseq),
        );
        let out = self.feed(&first, p.addr);
        let SipMessage::Response(r) = &out[0].1 else {
            panic!("expected response")
        };
        assert_eq!(m::status(r), 401);
        let challenges = m::header_values_in(&r.headers, "WWW-Authenticate");
        assert_eq!(challenges.len(), 2, "SHA-256 and MD5 offered");
        assert!(challenges[0].contains("SHA-256"));
        let md5 = challenges
            .iter()
            .find(|c| c.contains("algorithm=MD5"))
            .unwrap()
            .clone();
        let auth = p.auth_header("Authorization", "REGISTER", uri, &md5, password);
        let second = p.request(
            "REGISTER",
            uri,
            &to,
            &call_id,
            &format!("Expires: 600\r\n{auth}"),
            "",
            &format!("z9hG4bKr{}", p.cseq),
        );
        let out = self.feed(&second, p.addr);
        let SipMessage::Response(r) = &out[0].1 else {
            panic!("expected response")
        };
        r.clone()
    }
}

fn response(
    out: &[(SocketAddr, SipMessage)],
    i: usize,
) -> (SocketAddr, u16, &koppla_sip::rsip::Response) {
    match &out[i].1 {
        SipMessage::Response(r) => (out[i].0, m::status(r), r),
        SipMessage::Request(r) => panic!("expected a response, got {}", r.method),
    }
}

#[test]
fn register_challenge_auth_and_bad_password() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    assert_eq!(w.register(&mut a, PW), 200);
    assert_eq!(w.core.devices("alice", w.now), 1);
    assert!(
        matches!(w.core.poll_event(), Some(CoreEvent::Registration { ref username, devices: 1 }) if username == "alice")
    );
    let mut a2 = phone("alice", 5072);
    assert_eq!(w.register(&mut a2, PW), 200);
    assert_eq!(
        w.core.devices("alice", w.now),
        2,
        "several devices per user"
    );
    let mut b = phone("bob", 5073);
    assert_eq!(w.register(&mut b, "wrong"), 403);
    assert_eq!(w.core.devices("bob", w.now), 0);
    // registrations expire
    w.now += Duration::from_secs(601);
    w.core.tick(w.now);
    assert_eq!(w.core.devices("alice", w.now), 0);
}

#[test]
fn malformed_gets_400_and_switch_keeps_serving() {
    let mut w = world();
    let src: SocketAddr = "127.0.0.1:6000".parse().unwrap();
    let bad = b"OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: banana\r\n\r\n";
    let out = w.feed(bad, src);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, src);
    let (_, code, r) = response(&out, 0);
    assert_eq!(code, 400);
    assert_eq!(
        m::header(&SipMessage::Response(r.clone()), "Call-ID").as_deref(),
        Some("x")
    );
    assert!(w.feed(b"\x00\x01garbage", src).is_empty());
    assert!(w.feed(b"SIP/2.0 200 OK\r\n\r\n", src).is_empty());
    let ok = b"OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6000;branch=z9hG4bKy\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: y\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    let out = w.feed(ok, src);
    assert_eq!(response(&out, 0).1, 200);
}

const SDP_A: &str = "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
const SDP_B: &str = "v=0\r\no=- 2 2 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";

/// Sends an INVITE through the 407 challenge; returns what the switch sent after the
/// authenticated INVITE.
fn invite(
    w: &mut World,
    p: &mut Phone,
    target: &str,
    call_id: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    invite_on(w, p, target, call_id, "", SDP_A, "")
}

/// An authenticated INVITE with extra header lines (each ending in CRLF) and an SDP offer, on
/// branches of its own (several calls from one phone are separate transactions).
fn invite_with(
    w: &mut World,
    p: &mut Phone,
    target: &str,
    call_id: &str,
    extra: &str,
    sdp: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    invite_on(w, p, target, call_id, extra, sdp, call_id)
}

fn invite_on(
    w: &mut World,
    p: &mut Phone,
    target: &str,
    call_id: &str,
    extra: &str,
    sdp: &str,
    branch: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    let uri = format!("sip:{target}@koppla");
    let to = format!("<{uri}>");
    let first = p.request(
        "INVITE",
        &uri,
        &to,
        call_id,
        extra,
        sdp,
        &format!("z9hG4bKinv1{branch}"),
    );
    let out = w.feed(&first, p.addr);
    let (_, code, r) = response(&out, 0);
    assert_eq!(code, 407);
    let ch = m::header_values_in(&r.headers, "Proxy-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let ack = format!(
        "ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKinv1{branch}\r\nFrom: <sip:{u}@koppla>;tag=t-{u}\r\nTo: {to};tag=x\r\nCall-ID: {call_id}\r\nCSeq: {c} ACK\r\nContent-Length: 0\r\n\r\n",
        a = p.addr, u = p.user, c = p.cseq
    );
    let _ = w.feed(ack.as_bytes(), p.addr);
    let auth = p.auth_header("Proxy-Authorization", "INVITE", &uri, &ch, PW);
    let second = p.request(
        "INVITE",
        &uri,
        &to,
        call_id,
        &format!("{extra}{auth}"),
        sdp,
        &format!("z9hG4bKinv2{branch}"),
    );
    w.feed(&second, p.addr)
}
