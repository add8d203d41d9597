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

mod ring_timeout;

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
    ) -> Option<SocketAddr> {
        self.0
            .lock()
            .unwrap()
            .push(format!("voicemail {call_id} {pt} {mailbox} {caller}"));
        Some("127.0.0.1:43000".parse().unwrap())
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
        m::status(r)
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
    let uri = format!("sip:{target}@koppla");
    let to = format!("<{uri}>");
    let first = p.request("INVITE", &uri, &to, call_id, "", SDP_A, "z9hG4bKinv1");
    let out = w.feed(&first, p.addr);
    let (_, code, r) = response(&out, 0);
    assert_eq!(code, 407);
    let ch = m::header_values_in(&r.headers, "Proxy-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let ack = format!(
        "ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKinv1\r\nFrom: <sip:{u}@koppla>;tag=t-{u}\r\nTo: {to};tag=x\r\nCall-ID: {call_id}\r\nCSeq: {c} ACK\r\nContent-Length: 0\r\n\r\n",
        a = p.addr, u = p.user, c = p.cseq
    );
    let _ = w.feed(ack.as_bytes(), p.addr);
    let auth = p.auth_header("Proxy-Authorization", "INVITE", &uri, &ch, PW);
    let second = p.request("INVITE", &uri, &to, call_id, &auth, SDP_A, "z9hG4bKinv2");
    w.feed(&second, p.addr)
}

#[test]
fn call_forks_to_all_devices_relays_media_and_cancels_the_rest() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b1 = phone("bob", 5081);
    let mut b2 = phone("bob", 5082);
    assert_eq!(w.register(&mut b1, PW), 200);
    assert_eq!(w.register(&mut b2, PW), 200);
    let out = invite(&mut w, &mut a, "1002", "call-1");
    assert_eq!(response(&out, 0).1, 100);
    let forks: Vec<_> = out[1..]
        .iter()
        .filter_map(|(to, msg)| match msg {
            SipMessage::Request(r) => Some((*to, r.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(forks.len(), 2, "INVITE forked to both of bob's devices");
    let dests: Vec<SocketAddr> = forks.iter().map(|(d, _)| *d).collect();
    assert!(dests.contains(&b1.addr) && dests.contains(&b2.addr));
    let (_, inv) = &forks[0];
    let body = String::from_utf8(inv.body.clone()).unwrap();
    assert!(
        body.contains("c=IN IP4 127.0.0.1") && body.contains("m=audio 40002 "),
        "offer points at the relay: {body}"
    );
    assert!(m::header_values_in(&inv.headers, "Record-Route")[0].contains("127.0.0.1:5060;lr"));
    assert_eq!(m::header_values_in(&inv.headers, "Via").len(), 2);
    assert!(m::header_values_in(&inv.headers, "Proxy-Authorization").is_empty());

    // Device 1 rings, device 2 answers.
    let resp_text = |r: &koppla_sip::rsip::Request,
                     code: u16,
                     reason: &str,
                     tag: &str,
                     body: &str,
                     contact_port: u16| {
        let mut s = format!("SIP/2.0 {code} {reason}\r\n");
        for v in m::header_values_in(&r.headers, "Via") {
            s.push_str(&format!("Via: {v}\r\n"));
        }
        for rr in m::header_values_in(&r.headers, "Record-Route") {
            s.push_str(&format!("Record-Route: {rr}\r\n"));
        }
        s.push_str(&format!(
            "From: {}\r\nTo: {};tag={tag}\r\nCall-ID: call-1\r\nCSeq: {}\r\nContact: <sip:bob@127.0.0.1:{contact_port}>\r\n",
            m::header_values_in(&r.headers, "From")[0],
            m::header_values_in(&r.headers, "To")[0],
            m::header_values_in(&r.headers, "CSeq")[0]
        ));
        if !body.is_empty() {
            s.push_str("Content-Type: application/sdp\r\n");
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s.into_bytes()
    };
    let (d1, inv1) = forks.iter().find(|(d, _)| *d == b1.addr).unwrap().clone();
    let (d2, inv2) = forks.iter().find(|(d, _)| *d == b2.addr).unwrap().clone();
    let out = w.feed(&resp_text(&inv1, 180, "Ringing", "b1", "", 5081), d1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, a.addr);
    assert_eq!(response(&out, 0).1, 180);
    assert_eq!(
        m::header_values_in(&response(&out, 0).2.headers, "Via").len(),
        1,
        "our Via removed"
    );

    let out = w.feed(&resp_text(&inv2, 200, "OK", "b2", SDP_B, 5082), d2);
    let ok = out
        .iter()
        .find(|(to, _)| *to == a.addr)
        .expect("200 goes to alice");
    let SipMessage::Response(okr) = &ok.1 else {
        panic!()
    };
    assert_eq!(m::status(okr), 200);
    let body = String::from_utf8(okr.body.clone()).unwrap();
    assert!(
        body.contains("m=audio 40000 ") && !body.contains("192.168"),
        "answer points at the relay: {body}"
    );
    let cancel = out.iter().find(|(to, msg)| {
        *to == b1.addr && matches!(msg, SipMessage::Request(r) if r.method.to_string() == "CANCEL")
    });
    assert!(cancel.is_some(), "ringing device gets CANCEL");
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("relay call-1 true Some(192.168.1.10:4000)")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("relay call-1 false Some(192.168.1.20:5000)")),
        "{log:?}"
    );

    // BYE from alice is routed to bob's second device via the Record-Route.
    let bye = format!(
        "BYE sip:bob@127.0.0.1:5082 SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKbye\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 70\r\n\
From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:1002@koppla>;tag=b2\r\nCall-ID: call-1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n",
        a = a.addr
    );
    let out = w.feed(bye.as_bytes(), a.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, b2.addr);
    let SipMessage::Request(fwd) = &out[0].1 else {
        panic!()
    };
    assert!(
        m::header_values_in(&fwd.headers, "Route").is_empty(),
        "our Route entry is consumed"
    );
    // bob answers the BYE; the 200 returns to alice.
    let mut ok = "SIP/2.0 200 OK\r\n".to_string();
    for v in m::header_values_in(&fwd.headers, "Via") {
        ok.push_str(&format!("Via: {v}\r\n"));
    }
    ok.push_str("From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:1002@koppla>;tag=b2\r\nCall-ID: call-1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n");
    let out = w.feed(ok.as_bytes(), b2.addr);
    assert_eq!(out[0].0, a.addr);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "release call-1"));
}

#[test]
fn unregistered_user_gives_480_and_missed_call() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "carol", "c2");
    let codes: Vec<u16> = (0..out.len()).map(|i| response(&out, i).1).collect();
    assert_eq!(codes, vec![100, 480]);
    assert!(
        matches!(w.core.poll_event(), Some(CoreEvent::MissedCall { ref username, .. }) if username == "carol")
    );
    let out = invite(&mut w, &mut a, "nobody", "c3");
    assert_eq!(response(&out, 1).1, 404);
}

#[test]
fn wrong_password_on_invite_is_forbidden() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let uri = "sip:bob@koppla";
    let first = a.request(
        "INVITE",
        uri,
        "<sip:bob@koppla>",
        "c9",
        "",
        SDP_A,
        "z9hG4bKw1",
    );
    let out = w.feed(&first, a.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "Proxy-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = a.auth_header("Proxy-Authorization", "INVITE", uri, &ch, "bad");
    let second = a.request(
        "INVITE",
        uri,
        "<sip:bob@koppla>",
        "c9",
        &auth,
        SDP_A,
        "z9hG4bKw2",
    );
    let out = w.feed(&second, a.addr);
    assert_eq!(response(&out, 0).1, 403);
}

#[test]
fn echo_and_whoami_are_answered_locally() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "9999", "echo-1");
    let (_, code, r) = response(&out, 1);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("m=audio 41000 RTP/AVP 0"));
    let out = invite(&mut w, &mut a, "9998", "who-1");
    assert_eq!(response(&out, 1).1, 200);
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter().any(|l| l
            .starts_with("announce who-1 0 You are user alice, alice N. Your number is 1 0 0 1.")),
        "{log:?}"
    );
    // the announcement ends: the switch hangs up with BYE to alice
    w.core.announcement_done("who-1", w.now);
    let out = w.drain();
    let SipMessage::Request(bye) = &out[0].1 else {
        panic!()
    };
    assert_eq!(bye.method.to_string(), "BYE");
    assert_eq!(out[0].0, a.addr);
}

#[test]
fn unreachable_activity_diverts_or_announces() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    w.core.activity_changed(
        "bob",
        ActivityChoice {
            activity_id: "lunch".into(),
            until: None,
            note: Some("Back at one".into()),
        },
        w.now,
    );
    let out = invite(&mut w, &mut a, "bob", "un-1");
    assert_eq!(response(&out, 1).1, 200, "announcement answers");
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("bob N is not available: Lunch. Back at one")));
}

#[test]
fn presence_subscribe_notify_and_publish() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let uri = "sip:bob@koppla";
    let first = a.request(
        "SUBSCRIBE",
        uri,
        "<sip:bob@koppla>",
        "sub-1",
        "Event: presence\r\nExpires: 600\r\n",
        "",
        "z9hG4bKs1",
    );
    let out = w.feed(&first, a.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "WWW-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = a.auth_header("Authorization", "SUBSCRIBE", uri, &ch, PW);
    let second = a.request(
        "SUBSCRIBE",
        uri,
        "<sip:bob@koppla>",
        "sub-1",
        &format!("Event: presence\r\nExpires: 600\r\n{auth}"),
        "",
        "z9hG4bKs2",
    );
    let out = w.feed(&second, a.addr);
    assert_eq!(response(&out, 0).1, 200);
    let SipMessage::Request(n) = &out[1].1 else {
        panic!("expected NOTIFY")
    };
    assert_eq!(n.method.to_string(), "NOTIFY");
    assert_eq!(out[1].0, a.addr);
    let body = String::from_utf8_lossy(&n.body).to_string();
    assert!(body.contains("<basic>open</basic>"), "{body}");
    assert_eq!(w.core.watchers_of("bob"), 1);

    w.core.activity_changed(
        "bob",
        ActivityChoice {
            activity_id: "meeting".into(),
            until: None,
            note: Some("Budget".into()),
        },
        w.now,
    );
    let out = w.drain();
    let SipMessage::Request(n) = &out[0].1 else {
        panic!("expected NOTIFY")
    };
    let body = String::from_utf8_lossy(&n.body).to_string();
    assert!(
        body.contains("<rpid:meeting/>")
            && body.contains("Meeting - Budget")
            && body.contains("<basic>closed</basic>"),
        "{body}"
    );

    // bob publishes lunch himself
    let pidf = "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:bob@koppla\"><tuple id=\"a\"><status><basic>open</basic></status></tuple><person><rpid:activities><rpid:meal/></rpid:activities><note>Pasta</note></person></presence>";
    let p1 = b.request(
        "PUBLISH",
        uri,
        "<sip:bob@koppla>",
        "pub-1",
        "Event: presence\r\nExpires: 600\r\n",
        pidf,
        "z9hG4bKp1",
    );
    let out = w.feed(&p1, b.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "WWW-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = b.auth_header("Authorization", "PUBLISH", uri, &ch, PW);
    let p2 = b.request(
        "PUBLISH",
        uri,
        "<sip:bob@koppla>",
        "pub-1",
        &format!("Event: presence\r\nExpires: 600\r\n{auth}"),
        pidf,
        "z9hG4bKp2",
    );
    let out = w.feed(&p2, b.addr);
    assert_eq!(response(&out, 0).1, 200);
    let mut published = None;
    while let Some(e) = w.core.poll_event() {
        if let CoreEvent::ActivityPublished { username, choice } = e {
            published = Some((username, choice));
        }
    }
    let (who, choice) = published.expect("publish reported");
    assert_eq!(who, "bob");
    assert_eq!(choice.activity_id, "lunch");
    assert_eq!(choice.note.as_deref(), Some("Pasta"));

    // subscriptions expire with a final NOTIFY
    w.now += Duration::from_secs(601);
    w.core.tick(w.now);
    let out = w.drain();
    assert!(out.iter().any(|(_, msg)| matches!(msg, SipMessage::Request(r) if m::header_values_in(&r.headers, "Subscription-State").iter().any(|s| s.starts_with("terminated")))));
    assert_eq!(w.core.watchers_of("bob"), 0);
}

#[test]
fn invite_without_answer_times_out_with_408() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let out = invite(&mut w, &mut a, "bob", "to-1");
    assert_eq!(out.len(), 2);
    // retransmissions follow timer A
    w.now += Duration::from_millis(600);
    w.core.tick(w.now);
    let out = w.drain();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, b.addr);
    for _ in 0..40 {
        w.now += Duration::from_secs(1);
        w.core.tick(w.now);
    }
    let out = w.drain();
    let last = out
        .iter()
        .rev()
        .find(|(to, _)| *to == a.addr)
        .expect("final response to alice");
    let SipMessage::Response(r) = &last.1 else {
        panic!()
    };
    assert_eq!(m::status(r), 408);
}

fn world_with_trunk() -> World {
    let mut w = world();
    let media = w.media.clone();
    let cfg = CoreConfig {
        local: SWITCH.parse().unwrap(),
        local_tcp: None,
        local_tls: None,
        realm: "koppla".into(),
        algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        numbering: Numbering {
            echo: "9999".into(),
            whoami: "9998".into(),
            has_trunk: true,
        },
        max_expires: 3600,
        trunk: Some((
            "sip:trunk.example.net:5090".into(),
            "127.0.0.1:5090".parse().unwrap(),
        )),
        calls: Default::default(),
    };
    let dir = Directory::new(vec![user("alice", "1001"), user("bob", "1002")]);
    w.core = SipCore::new(
        cfg,
        dir,
        Activities::new(default_activities()),
        Box::new(media),
        w.now,
        1_800_000_000,
    );
    w
}

#[test]
fn unknown_numbers_go_out_through_the_trunk_and_trunk_calls_come_in() {
    let mut w = world_with_trunk();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "0046701234567", "trunk-1");
    let fwd = out
        .iter()
        .find_map(|(to, msg)| match msg {
            SipMessage::Request(r) => Some((*to, r.clone())),
            _ => None,
        })
        .expect("forwarded");
    assert_eq!(fwd.0, "127.0.0.1:5090".parse::<SocketAddr>().unwrap());
    assert_eq!(
        fwd.1.uri.to_string(),
        "sip:+46701234567@trunk.example.net:5090"
    );

    // A call from the trunk's address to bob's short number needs no credentials.
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let trunk_addr: SocketAddr = "127.0.0.1:5090".parse().unwrap();
    let inbound = format!(
        "INVITE sip:1002@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {trunk_addr};branch=z9hG4bKtr1\r\nMax-Forwards: 70\r\n\
From: <sip:+4631000000@trunk.example.net>;tag=tr\r\nTo: <sip:1002@127.0.0.1>\r\nCall-ID: in-1\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:+4631000000@{trunk_addr}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP_A}",
        SDP_A.len()
    );
    let out = w.feed(inbound.as_bytes(), trunk_addr);
    assert_eq!(response(&out, 0).1, 100);
    assert!(
        out.iter()
            .any(|(to, msg)| *to == b.addr && matches!(msg, SipMessage::Request(_))),
        "bob's phone rings"
    );
}

#[test]
fn in_dialog_reinvite_is_relayed_with_rewritten_sdp() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    let _ = invite(&mut w, &mut a, "bob", "hold-1");
    w.media.0.lock().unwrap().clear();
    // bob puts alice on hold: a re-INVITE from the callee side, routed via the switch.
    let hold_sdp = SDP_B.replace(
        "m=audio 5000 RTP/AVP 0\r\n",
        "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n",
    );
    let reinvite = format!(
        "INVITE sip:alice@{a} SIP/2.0\r\nVia: SIP/2.0/UDP {b};branch=z9hG4bKre1\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 70\r\n\
From: <sip:bob@koppla>;tag=bt\r\nTo: <sip:alice@koppla>;tag=t-alice\r\nCall-ID: hold-1\r\nCSeq: 5 INVITE\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold_sdp}",
        hold_sdp.len(),
        a = a.addr,
        b = b.addr
    );
    let out = w.feed(reinvite.as_bytes(), b.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, a.addr, "routed to alice's device");
    let SipMessage::Request(r) = &out[0].1 else {
        panic!()
    };
    let body = String::from_utf8_lossy(&r.body).to_string();
    assert!(
        body.contains("a=sendonly") && body.contains("m=audio 40000 "),
        "{body}"
    );
    let log = w.media.0.lock().unwrap().clone();
    assert_eq!(
        log,
        vec!["relay hold-1 false Some(192.168.1.20:5000)".to_string()],
        "callee leg updated"
    );
}

#[test]
fn abandoned_calls_release_their_relay() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "bob", "lost-1");
    let fwd = out
        .iter()
        .find_map(|(_, msg)| match msg {
            SipMessage::Request(r) => Some(r.clone()),
            _ => None,
        })
        .expect("forwarded INVITE");
    let mut ok = "SIP/2.0 200 OK\r\n".to_string();
    for v in m::header_values_in(&fwd.headers, "Via") {
        ok.push_str(&format!("Via: {v}\r\n"));
    }
    ok.push_str(&format!(
        "From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:bob@koppla>;tag=bb\r\nCall-ID: lost-1\r\nCSeq: {}\r\n\
Contact: <sip:bob@{}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP_B}",
        m::header_values_in(&fwd.headers, "CSeq")[0],
        b.addr,
        SDP_B.len()
    ));
    let out = w.feed(ok.as_bytes(), b.addr);
    assert!(
        out.iter().any(|(to, _)| *to == a.addr),
        "200 relayed to alice"
    );
    w.now += Duration::from_secs(11 * 3600);
    w.core.tick(w.now);
    assert!(
        !w.media
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "release lost-1"),
        "answered call keeps its relay"
    );
    w.now += Duration::from_secs(3600);
    w.core.tick(w.now);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "release lost-1"));
}

#[test]
fn ack_for_a_stateless_challenge_is_not_looped_back_to_the_switch() {
    let mut w = world();
    let mut alice = phone("alice", 6001);
    assert_eq!(w.register(&mut alice, PW), 200);
    // The ACK for a 407 carries the dialled number at the switch's own address.
    let ack = alice.request(
        "ACK",
        &format!("sip:1002@{SWITCH}"),
        "<sip:1002@koppla>;tag=challenge",
        "loop-1",
        "",
        "",
        "z9hG4bKloop1",
    );
    assert!(
        w.feed(&ack, alice.addr).is_empty(),
        "absorbed, not forwarded"
    );
    // An in-dialog request aimed at the switch itself gets 482 instead of a forwarding loop.
    let bye = alice.request(
        "BYE",
        &format!("sip:bob@{SWITCH}"),
        "<sip:bob@koppla>;tag=x",
        "loop-2",
        "",
        "",
        "z9hG4bKloop2",
    );
    let out = w.feed(&bye, alice.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(response(&out, 0).1, 482);
    // A request arriving from the switch's own address never rebinds a contact to it.
    let from_self = alice.request(
        "OPTIONS",
        "sip:koppla",
        "<sip:koppla>",
        "self-1",
        "",
        "",
        "z9hG4bKself",
    );
    w.feed(&from_self, SWITCH.parse().unwrap());
    assert_eq!(
        w.core.resolve_dest(&format!("sip:alice@{}", alice.addr)),
        Some(crate::sip::flow::Flow::udp(alice.addr))
    );
}

#[test]
fn a_caller_may_send_its_own_numbers_as_from_but_not_someone_elses() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    for (from, expected) in [("1001", 100), ("alice", 100), ("1003", 403), ("carol", 403)] {
        let call_id = format!("own-number-{from}");
        let uri = "sip:1002@koppla";
        let to = format!("<{uri}>");
        let from_header = format!("From: <sip:{from}@koppla>");
        let swap = |req: Vec<u8>| {
            String::from_utf8(req)
                .expect("utf-8")
                .replace("From: <sip:alice@koppla>", &from_header)
                .into_bytes()
        };
        let first = swap(a.request(
            "INVITE",
            uri,
            &to,
            &call_id,
            "",
            SDP_A,
            &format!("z9hG4bKo1{from}"),
        ));
        let out = w.feed(&first, a.addr);
        let (_, code, r) = response(&out, 0);
        assert_eq!(code, 407);
        let challenge = m::header_values_in(&r.headers, "Proxy-Authenticate")
            .into_iter()
            .find(|c| c.contains("MD5"))
            .expect("MD5 challenge");
        let auth = a.auth_header("Proxy-Authorization", "INVITE", uri, &challenge, PW);
        let second = swap(a.request(
            "INVITE",
            uri,
            &to,
            &call_id,
            &auth,
            SDP_A,
            &format!("z9hG4bKo2{from}"),
        ));
        let out = w.feed(&second, a.addr);
        assert_eq!(response(&out, 0).1, expected, "From {from}");
    }
}
