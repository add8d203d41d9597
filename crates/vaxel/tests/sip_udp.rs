//! End-to-end over real sockets: the switch started as a library, raw SIP over UDP, the client
//! API over HTTP.

use koppla_sip::auth::{compute_response, Algorithm};
use koppla_vaxel::config::{Config, UserConfig};
use koppla_vaxel::credentials::md5_hex;
use koppla_vaxel::{Vaxel, VaxelHandle};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;

const PW_VAR: &str = "VAXEL_TEST_UDP_PASSWORD";
const PW: &str = "udp-secret";

async fn start() -> VaxelHandle {
    std::env::set_var(PW_VAR, PW);
    let mut cfg = Config::ephemeral();
    for (u, n) in [("alice", "1001"), ("bob", "1002")] {
        cfg.users.push(UserConfig {
            username: u.into(),
            name: u.into(),
            short_number: Some(n.into()),
            password_env: Some(PW_VAR.into()),
            ..Default::default()
        });
    }
    Vaxel::start(cfg).await.expect("switch starts")
}

async fn recv(sock: &UdpSocket) -> String {
    let mut buf = vec![0u8; 8192];
    let (n, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
        .await
        .expect("reply within 5 s")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).to_string()
}

fn status(msg: &str) -> u16 {
    msg.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn nonce(msg: &str) -> String {
    let ch = msg
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("www-authenticate") && l.contains("MD5"))
        .expect("MD5 challenge");
    ch.split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

fn request(
    method: &str,
    user: &str,
    local: SocketAddr,
    cseq: u32,
    call_id: &str,
    target: &str,
    extra: &str,
) -> String {
    format!(
        "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{call_id}{cseq};rport\r\nMax-Forwards: 70\r\n\
From: <sip:{user}@koppla>;tag=f{user}\r\nTo: <{to}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n\
Contact: <sip:{user}@{local}>\r\n{extra}Content-Length: 0\r\n\r\n",
        to = if method == "REGISTER" { format!("sip:{user}@koppla") } else { target.to_string() }
    )
}

fn authz(user: &str, password: &str, method: &str, uri: &str, nonce: &str) -> String {
    let ha1 = md5_hex(&format!("{user}:koppla:{password}"));
    let resp = compute_response(Algorithm::Md5, &ha1, nonce, method, uri, Some((1, "abc")));
    format!("Authorization: Digest username=\"{user}\", realm=\"koppla\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\"\r\n")
}

/// Runs the REGISTER challenge/response; returns the final status.
async fn register(sock: &UdpSocket, sw: SocketAddr, user: &str, password: &str) -> (u16, String) {
    let local = sock.local_addr().unwrap();
    let call_id = format!("reg{}", local.port());
    sock.send_to(
        request(
            "REGISTER",
            user,
            local,
            1,
            &call_id,
            "sip:koppla",
            "Expires: 300\r\n",
        )
        .as_bytes(),
        sw,
    )
    .await
    .unwrap();
    let r = recv(sock).await;
    assert_eq!(status(&r), 401, "{r}");
    let a = authz(user, password, "REGISTER", "sip:koppla", &nonce(&r));
    sock.send_to(
        request(
            "REGISTER",
            user,
            local,
            2,
            &call_id,
            "sip:koppla",
            &format!("Expires: 300\r\n{a}"),
        )
        .as_bytes(),
        sw,
    )
    .await
    .unwrap();
    let r = recv(sock).await;
    (status(&r), r)
}

#[tokio::test]
async fn register_auth_bad_password_and_malformed() {
    let h = start().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (code, r) = register(&sock, h.sip_addr, "alice", PW).await;
    assert_eq!(code, 200, "{r}");
    assert!(
        r.contains(&format!("sip:alice@{}", sock.local_addr().unwrap())),
        "binding listed: {r}"
    );

    let other = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (code, _) = register(&other, h.sip_addr, "bob", "not-the-password").await;
    assert_eq!(code, 403);

    // Malformed: broken CSeq -> 400 echoing Call-ID; total garbage -> ignored; still serving.
    let bad = "OPTIONS sip:koppla SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:y@z>\r\nCall-ID: broken-1\r\nCSeq: what\r\n\r\n";
    sock.send_to(bad.as_bytes(), h.sip_addr).await.unwrap();
    let r = recv(&sock).await;
    assert_eq!(status(&r), 400, "{r}");
    assert!(r.contains("broken-1"));
    sock.send_to(&[0xff, 0x00, 0x13, 0x37], h.sip_addr)
        .await
        .unwrap();
    let local = sock.local_addr().unwrap();
    sock.send_to(
        request("OPTIONS", "alice", local, 3, "opt1", "sip:koppla", "").as_bytes(),
        h.sip_addr,
    )
    .await
    .unwrap();
    let r = recv(&sock).await;
    assert_eq!(status(&r), 200, "still serving: {r}");
    h.shutdown().await;
}

#[tokio::test]
async fn api_activity_change_notifies_sip_watcher() {
    let h = start().await;
    let alice = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = alice.local_addr().unwrap();
    let target = "sip:bob@koppla";
    alice
        .send_to(
            request(
                "SUBSCRIBE",
                "alice",
                local,
                1,
                "sub1",
                target,
                "Event: presence\r\nExpires: 600\r\n",
            )
            .as_bytes(),
            h.sip_addr,
        )
        .await
        .unwrap();
    let r = recv(&alice).await;
    assert_eq!(status(&r), 401);
    let a = authz("alice", PW, "SUBSCRIBE", target, &nonce(&r));
    alice
        .send_to(
            request(
                "SUBSCRIBE",
                "alice",
                local,
                2,
                "sub1",
                target,
                &format!("Event: presence\r\nExpires: 600\r\n{a}"),
            )
            .as_bytes(),
            h.sip_addr,
        )
        .await
        .unwrap();
    let r = recv(&alice).await;
    assert_eq!(status(&r), 200, "{r}");
    let first = recv(&alice).await;
    assert!(first.starts_with("NOTIFY "), "{first}");
    assert!(first.contains("<basic>"), "{first}");

    // bob changes activity through the client API
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/v1", h.api_addr);
    let login: serde_json::Value = http
        .post(format!("{base}/login"))
        .json(&serde_json::json!({"username": "bob", "password": PW}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let r = http
        .put(format!("{base}/me/activity"))
        .bearer_auth(token)
        .json(&serde_json::json!({"id": "meeting", "note": "Board"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let n = recv(&alice).await;
    assert!(n.starts_with("NOTIFY "), "{n}");
    assert!(n.contains("<rpid:meeting/>") && n.contains("Board"), "{n}");
    h.shutdown().await;
}

#[tokio::test]
async fn users_added_at_runtime_can_register_and_log_in() {
    let h = Vaxel::start(Config::ephemeral()).await.unwrap();
    let carol = koppla_vaxel::model::UserRecord {
        username: "carol".into(),
        name: "Carol".into(),
        short_number: Some("1003".into()),
        ..Default::default()
    };
    // Names as typed are stored normalised (tests/usernames.rs); one with no plain spelling
    // is refused.
    assert!(h
        .upsert_user(
            &koppla_vaxel::model::UserRecord {
                username: "bad@name".into(),
                ..Default::default()
            },
            None
        )
        .await
        .is_err());
    h.upsert_user(&carol, Some(PW.into())).await.unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // The SIP side learns about the user through the event bus; allow it a moment.
    let mut code = 0;
    for _ in 0..20 {
        code = register(&sock, h.sip_addr, "carol", PW).await.0;
        if code == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(code, 200);
    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://{}/api/v1/login", h.api_addr))
        .json(&serde_json::json!({"username": "carol", "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    h.shutdown().await;
}
