//! SIP over TCP and TLS through the switch, with raw phones on real sockets: a UDP user calls
//! a TCP user and a TLS user (double Record-Route, connection reuse both ways), keep-alive
//! pings, malformed stream input, and a closed connection taking its registration with it.

mod support;

use koppla_vaxel::config::{Config, TlsFiles, UserConfig};
use koppla_vaxel::events::Event;
use koppla_vaxel::{Vaxel, VaxelHandle};
use std::net::SocketAddr;
use std::time::Duration;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PW_VAR: &str = "VAXEL_TEST_STREAM_PASSWORD";
const PW: &str = "stream-secret";

struct Switch {
    h: VaxelHandle,
    ca_pem: String,
    _dir: tempfile::TempDir,
}

impl Switch {
    fn tcp(&self) -> SocketAddr {
        self.h.sip_tcp_addr.expect("TCP enabled")
    }
    fn tls(&self) -> SocketAddr {
        self.h.sip_tls_addr.expect("TLS enabled")
    }
}

async fn start() -> Switch {
    start_with(|_| {}).await
}

/// A switch with TCP and TLS, and `adjust` applied to its configuration.
async fn start_with(adjust: impl FnOnce(&mut Config)) -> Switch {
    std::env::set_var(PW_VAR, PW);
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write key");
    let mut cfg = Config::ephemeral();
    cfg.server.sip_tcp_bind = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.server.sip_tls_bind = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.server.sip_tls = Some(TlsFiles {
        cert: cert_path,
        key: key_path,
    });
    for (u, n) in [("alice", "1001"), ("bob", "1002"), ("carol", "1003")] {
        cfg.users.push(UserConfig {
            username: u.into(),
            name: u.into(),
            short_number: Some(n.into()),
            password_env: Some(PW_VAR.into()),
            ..Default::default()
        });
    }
    adjust(&mut cfg);
    let h = Vaxel::start(cfg).await.expect("switch starts");
    Switch {
        h,
        ca_pem: cert.cert.pem(),
        _dir: dir,
    }
}

/// Waits for a request with this method, skipping anything else (e.g. retransmissions).
async fn expect_request(p: &mut Phone, m: &str) -> String {
    for _ in 0..10 {
        let msg = p.recv().await;
        if method(&msg) == m {
            return msg;
        }
    }
    panic!("{} never got {m}", p.user);
}

async fn expect_status(p: &mut Phone, code: u16) -> String {
    for _ in 0..10 {
        let msg = p.recv().await;
        if status(&msg) == code {
            return msg;
        }
    }
    panic!("{} never got {code}", p.user);
}

/// A whole call from `caller` to `callee` (dialled as `number`): INVITE, 180, 200, ACK, BYE
/// from the callee, 200. Checks Via and Record-Route for the transports on each side.
async fn call(caller: &mut Phone, callee: &mut Phone, number: &str) {
    let rtp: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
    let call_id = caller.invite(number, PW, rtp).await;

    let invite = expect_request(callee, "INVITE").await;
    // rsip upper-cases the transport parameter's value; URI parameters compare
    // case-insensitively.
    let request_line = invite.lines().next().unwrap_or("").to_ascii_lowercase();
    assert_eq!(
        request_line,
        format!("invite {} sip/2.0", callee.contact().to_ascii_lowercase()),
        "request goes to the registered contact"
    );
    let top_via = header(&invite, "Via").expect("Via");
    assert!(
        top_via.starts_with(&format!("SIP/2.0/{} ", callee.proto)),
        "the switch's Via names the transport it used: {top_via}"
    );
    let rr = record_route(&invite);
    // Each entry must say how its side reaches the switch: no parameter for UDP.
    let faces = |entry: &str, proto: &str| match proto {
        "UDP" => !entry.contains("transport="),
        p => entry.contains(&format!("transport={}", p.to_ascii_lowercase())),
    };
    if caller.proto == callee.proto {
        assert_eq!(rr.len(), 1, "{rr:?}");
    } else {
        assert_eq!(rr.len(), 2, "double Record-Route across transports: {rr:?}");
        assert!(
            faces(&rr[0], callee.proto),
            "top entry faces the callee: {rr:?}"
        );
        assert!(
            faces(&rr[1], caller.proto),
            "second faces the caller: {rr:?}"
        );
    }
    assert!(
        !body(&invite).contains("m=audio 40000 "),
        "SDP goes through the relay: {invite}"
    );

    callee.respond(&invite, 180, "tcallee", None).await;
    let answer = sdp_offer("127.0.0.1:40002".parse().expect("addr"));
    callee.respond(&invite, 200, "tcallee", Some(&answer)).await;
    expect_status(caller, 180).await;
    let ok = expect_status(caller, 200).await;
    assert_eq!(record_route(&ok), rr, "200 carries the same route set");

    let callee_contact = uri_of(&header(&ok, "Contact").expect("Contact"));
    let ids = DialogIds::from_response(&ok);
    assert_eq!(ids.call_id, call_id);
    let caller_route: Vec<String> = rr.iter().rev().cloned().collect();
    let ack = caller.in_dialog("ACK", &callee_contact, &caller_route, &ids, 2);
    caller.send(&ack).await;
    expect_request(callee, "ACK").await;

    let caller_contact = caller.contact();
    let bye = callee.in_dialog("BYE", &caller_contact, &rr, &ids.reversed(), 1);
    callee.send(&bye).await;
    let got = expect_request(caller, "BYE").await;
    caller.respond(&got, 200, "unused", None).await;
    let done = expect_status(callee, 200).await;
    assert!(done.contains("CSeq: 1 BYE"), "{done}");
}

#[tokio::test]
async fn udp_user_calls_tcp_and_tls_users() {
    let sw = start().await;
    let mut alice = Phone::udp("alice", sw.h.sip_addr).await;
    let mut bob = Phone::tcp("bob", sw.tcp()).await;
    let mut carol = Phone::tls("carol", sw.tls(), &sw.ca_pem).await;
    for p in [&mut alice, &mut bob, &mut carol] {
        let (code, r) = p.register(PW).await;
        assert_eq!(code, 200, "{r}");
        assert!(r.contains(&p.contact()), "binding listed: {r}");
    }
    call(&mut alice, &mut bob, "1002").await;
    call(&mut alice, &mut carol, "1003").await;
    // And the other way: a stream user calls the UDP user, and TCP calls TLS.
    call(&mut carol, &mut alice, "1001").await;
    call(&mut bob, &mut carol, "carol").await;
    sw.h.shutdown().await;
}

#[tokio::test]
async fn malformed_stream_input_closes_only_that_connection() {
    let sw = start().await;
    let mut bob = Phone::tcp("bob", sw.tcp()).await;
    assert_eq!(bob.register(PW).await.0, 200);

    // Framed but unparseable (broken CSeq): 400 on the same connection, which stays open.
    let mut x = Phone::tcp("x", sw.tcp()).await;
    x.send("OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbad\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:y@z>\r\nCall-ID: broken-tcp\r\nCSeq: what\r\nContent-Length: 0\r\n\r\n").await;
    let r = x.recv().await;
    assert_eq!(status(&r), 400, "{r}");
    assert!(r.contains("broken-tcp"));
    let opt = x.request("OPTIONS", "sip:koppla", "<sip:koppla>", "opt-x", "", "");
    x.send(&opt).await;
    assert_eq!(status(&x.recv().await), 200);

    // Unframeable (no Content-Length on a stream): the switch closes that connection, at most
    // telling the sender why first.
    let mut y = TcpStream::connect(sw.tcp()).await.expect("connect");
    y.write_all(b"OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKnolen\r\nCall-ID: nolen\r\n\r\n")
        .await
        .expect("write");
    let mut said = Vec::new();
    tokio::time::timeout(WAIT, y.read_to_end(&mut said))
        .await
        .expect("connection closed")
        .ok();
    let said = String::from_utf8_lossy(&said);
    assert!(said.is_empty() || said.starts_with("SIP/2.0 400"), "{said}");

    // Garbage on TLS before a handshake does not hurt either.
    let mut raw = TcpStream::connect(sw.tls()).await.expect("connect");
    raw.write_all(b"NOT TLS AT ALL\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 64];
    let _ = tokio::time::timeout(WAIT, raw.read(&mut buf)).await;

    // Everyone else is still served: bob still gets calls on his connection.
    let mut alice = Phone::udp("alice", sw.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    call(&mut alice, &mut bob, "1002").await;
    sw.h.shutdown().await;
}

#[tokio::test]
async fn keepalive_ping_gets_pong_and_closing_drops_registration() {
    let sw = start().await;
    let mut raw = TcpStream::connect(sw.tcp()).await.expect("connect");
    raw.write_all(b"\r\n\r\n").await.expect("ping");
    let mut pong = [0u8; 2];
    tokio::time::timeout(WAIT, raw.read_exact(&mut pong))
        .await
        .expect("pong in time")
        .expect("pong");
    assert_eq!(&pong, b"\r\n");

    let mut events = sw.h.state.events.subscribe();
    let mut bob = Phone::tcp("bob", sw.tcp()).await;
    assert_eq!(bob.register(PW).await.0, 200);
    drop(bob);
    let gone = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(Event::Registration { username, devices }) = events.recv().await {
                if username == "bob" && devices == 0 {
                    return;
                }
            }
        }
    })
    .await;
    assert!(gone.is_ok(), "closing the connection unregisters bob");

    let mut alice = Phone::udp("alice", sw.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    alice
        .invite("1002", PW, "127.0.0.1:40000".parse().expect("addr"))
        .await;
    let r = alice.recv_final().await;
    assert_eq!(status(&r), 480, "bob is unreachable now: {r}");
    let _ = tokio::time::sleep(Duration::from_millis(10)).await;
    sw.h.shutdown().await;
}

/// Reads until the switch closes the connection (whatever it answered before) and returns
/// how long that took, or `None` if it was still open after `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = tokio::time::Instant::now();
    let mut buf = [0u8; 2048];
    tokio::time::timeout(limit, async {
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await
    .ok()
    .map(|()| t0.elapsed())
}

#[tokio::test]
async fn a_half_sent_message_has_its_connection_closed_after_the_partial_limit() {
    let sw = start_with(|cfg| cfg.server.stream_partial_message_secs = 1).await;
    let head = "OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKhalf\r\n\
                From: <sip:x@y>;tag=1\r\nTo: <sip:koppla>\r\nCall-ID: half\r\nCSeq: 1 OPTIONS\r\n";

    // Headers begun and never finished.
    let mut half = TcpStream::connect(sw.tcp()).await.expect("connect");
    half.write_all(head.as_bytes()).await.expect("write");
    let took = closed_within(&mut half, Duration::from_secs(5))
        .await
        .expect("the half message's connection is closed");
    assert!(took < Duration::from_secs(3), "closed after {took:?}");

    // Trickling a byte every 200 ms buys no extra time (slow loris).
    let mut slow = TcpStream::connect(sw.tcp()).await.expect("connect");
    let t0 = tokio::time::Instant::now();
    let trickle = async {
        for b in head.as_bytes() {
            if slow.write_all(std::slice::from_ref(b)).await.is_err() {
                return t0.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        t0.elapsed()
    };
    let stopped = tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .expect("the switch stops taking the trickle");
    assert!(stopped < Duration::from_secs(4), "closed after {stopped:?}");
    eprintln!("limit 1 s: half message closed after {took:?}, trickle stopped after {stopped:?}");

    // A message sent in two parts within the limit is answered, and the connection lives on
    // past the limit.
    let mut ok = Phone::tcp("x", sw.tcp()).await;
    let opt = ok.request("OPTIONS", "sip:koppla", "<sip:koppla>", "in-time", "", "");
    let (first, rest) = opt.split_at(opt.len() / 2);
    ok.send(first).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ok.send(rest).await;
    assert_eq!(status(&ok.recv().await), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = ok.request("OPTIONS", "sip:koppla", "<sip:koppla>", "later", "", "");
    ok.send(&again).await;
    assert_eq!(status(&ok.recv().await), 200, "still open");
    sw.h.shutdown().await;
}

#[tokio::test]
async fn bad_sip_tls_files_fail_start_with_clear_error() {
    let mut cfg = Config::ephemeral();
    cfg.server.sip_tls_bind = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.server.sip_tls = Some(TlsFiles {
        cert: "/nonexistent/sip-cert.pem".into(),
        key: "/nonexistent/sip-key.pem".into(),
    });
    let err = Vaxel::start(cfg).await.err().expect("must fail");
    assert!(err.to_string().contains("SIP TLS"), "{err}");
    assert!(err.to_string().contains("sip-cert.pem"), "{err}");
}
