//! The real runtime on UDP sockets (decision 0303): registered at a bare-bones registrar, it
//! answers a stranger's INVITE with 403 and the Warning, takes the same INVITE from the
//! registrar, and takes the stranger's once the user turns direct requests on
//! (`Command::AcceptDirectRequests`, the app's setting applied to a running session).

use std::net::SocketAddr;
use std::time::Duration;

use koppla_sip::{Transport, TransportConfig};
use koppla_ua::runtime::{self, Command, NullAudio, RuntimeConfig};
use koppla_ua::{Account, UaConfig, UaEvent};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(5);

/// Next datagram on `s` as text, failing after [`WAIT`].
async fn recv(s: &UdpSocket) -> (String, SocketAddr) {
    let mut buf = vec![0u8; 65_536];
    let (n, from) = tokio::time::timeout(WAIT, s.recv_from(&mut buf))
        .await
        .expect("a message in time")
        .expect("recv");
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

fn header<'a>(msg: &'a str, name: &str) -> &'a str {
    msg.lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
        .unwrap_or_default()
}

/// Answers the agent's requests like a registrar without authentication: 200 to REGISTER
/// (granting 300 s), 489 to SUBSCRIBE, 200 to OPTIONS. Returns the agent's address once it
/// registered.
async fn registrar_until_registered(reg: &UdpSocket) -> SocketAddr {
    loop {
        let (req, from) = recv(reg).await;
        let method = req.split(' ').next().unwrap_or_default().to_string();
        let code = match method.as_str() {
            "REGISTER" | "OPTIONS" => "200 OK",
            "SUBSCRIBE" => "489 Bad Event",
            _ => continue,
        };
        let mut resp = format!(
            "SIP/2.0 {code}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=reg\r\nCall-ID: {}\r\nCSeq: {}\r\n",
            header(&req, "Via"),
            header(&req, "From"),
            header(&req, "To"),
            header(&req, "Call-ID"),
            header(&req, "CSeq"),
        );
        if method == "REGISTER" {
            resp.push_str(&format!(
                "Contact: {};expires=300\r\n",
                header(&req, "Contact")
            ));
        }
        resp.push_str("Content-Length: 0\r\n\r\n");
        reg.send_to(resp.as_bytes(), from).await.expect("send");
        if method == "REGISTER" {
            return from;
        }
    }
}

fn invite(from: SocketAddr, to: SocketAddr, call_id: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
    format!(
        "INVITE sip:alice@{to} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK-{call_id}\r\n\
Max-Forwards: 70\r\nFrom: <sip:caller@{from}>;tag=c-{call_id}\r\nTo: <sip:alice@{to}>\r\n\
Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{from}>\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// Sends an INVITE from `s` to `agent` and returns the first answer that is not 100 Trying.
async fn call_from(s: &UdpSocket, agent: SocketAddr, call_id: &str) -> String {
    let from = s.local_addr().expect("addr");
    s.send_to(invite(from, agent, call_id).as_bytes(), agent)
        .await
        .expect("send");
    loop {
        let (msg, _) = recv(s).await;
        if header(&msg, "Call-ID") == call_id && !msg.starts_with("SIP/2.0 100") {
            return msg;
        }
    }
}

async fn incoming(events: &mut mpsc::Receiver<UaEvent>) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, events.recv()).await {
        if let UaEvent::Incoming { from, .. } = ev {
            return Some(from);
        }
    }
    None
}

#[tokio::test]
async fn a_registered_runtime_refuses_strangers_until_told_otherwise() {
    let reg = UdpSocket::bind("127.0.0.1:0").await.expect("registrar");
    let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("stranger");
    let aor = format!("sip:alice@{}", reg.local_addr().expect("addr"));
    let account = Account::new(&aor, None, None, Transport::Udp).expect("account");
    let bind: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let cfg = RuntimeConfig {
        ua: UaConfig::new(account, bind),
        transport: TransportConfig::new(bind),
        auto_answer: false,
        audio: Box::new(NullAudio),
        dns: None,
    };
    let (commands, cmd_rx) = mpsc::channel(16);
    let (ev_tx, mut events) = mpsc::channel(64);
    // The runtime's future is not Send: it runs on its own thread, as in the app.
    let engine = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(runtime::run(cfg, cmd_rx, ev_tx))
    });
    commands.send(Command::Register).await.expect("register");
    let agent = registrar_until_registered(&reg).await;

    let refused = call_from(&stranger, agent, "scan-1").await;
    assert!(refused.starts_with("SIP/2.0 403"), "{refused}");
    assert_eq!(
        header(&refused, "Warning"),
        "399 koppla \"not from the registrar\""
    );
    assert_eq!(incoming(&mut events).await, None, "nothing rings");

    let ringing = call_from(&reg, agent, "via-server").await;
    assert!(ringing.starts_with("SIP/2.0 180"), "{ringing}");
    assert!(incoming(&mut events).await.is_some());

    commands
        .send(Command::AcceptDirectRequests(true))
        .await
        .expect("setting");
    let ringing = call_from(&stranger, agent, "direct-2").await;
    assert!(ringing.starts_with("SIP/2.0 180"), "{ringing}");
    let from = incoming(&mut events).await.expect("the direct call rings");
    assert!(from.contains("caller"), "{from}");

    commands.send(Command::Quit).await.expect("quit");
    drop(commands);
    // Quitting unregisters: keep answering so the runtime can leave at once.
    let answering = tokio::spawn(async move {
        loop {
            registrar_until_registered(&reg).await;
        }
    });
    let done = tokio::task::spawn_blocking(move || engine.join())
        .await
        .expect("join task");
    answering.abort();
    done.expect("engine thread").expect("runtime ends cleanly");
}

/// The app's auto-answer setting applied to a running session (`Command::AutoAnswer`): the
/// next call is answered at once, without a new login, and rings again once switched off.
#[tokio::test]
async fn auto_answer_follows_the_setting_while_running() {
    let reg = UdpSocket::bind("127.0.0.1:0").await.expect("registrar");
    let aor = format!("sip:alice@{}", reg.local_addr().expect("addr"));
    let account = Account::new(&aor, None, None, Transport::Udp).expect("account");
    let bind: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let cfg = RuntimeConfig {
        ua: UaConfig::new(account, bind),
        transport: TransportConfig::new(bind),
        auto_answer: false,
        audio: Box::new(NullAudio),
        dns: None,
    };
    let (commands, cmd_rx) = mpsc::channel(16);
    let (ev_tx, mut events) = mpsc::channel(64);
    let engine = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(runtime::run(cfg, cmd_rx, ev_tx))
    });
    commands.send(Command::Register).await.expect("register");
    let agent = registrar_until_registered(&reg).await;

    let ringing = call_from(&reg, agent, "before").await;
    assert!(ringing.starts_with("SIP/2.0 180"), "{ringing}");
    assert!(incoming(&mut events).await.is_some());
    assert_eq!(answer_to(&reg, "before").await, None, "it only rings");

    commands
        .send(Command::AutoAnswer(true))
        .await
        .expect("setting");
    let ringing = call_from(&reg, agent, "switched-on").await;
    assert!(ringing.starts_with("SIP/2.0 180"), "{ringing}");
    let answered = answer_to(&reg, "switched-on").await;
    assert!(
        answered.is_some_and(|a| a.starts_with("SIP/2.0 200")),
        "answered at once"
    );

    commands
        .send(Command::AutoAnswer(false))
        .await
        .expect("setting");
    let ringing = call_from(&reg, agent, "switched-off").await;
    assert!(ringing.starts_with("SIP/2.0 180"), "{ringing}");
    assert_eq!(answer_to(&reg, "switched-off").await, None, "rings again");

    commands.send(Command::Quit).await.expect("quit");
    drop(commands);
    let answering = tokio::spawn(async move {
        loop {
            registrar_until_registered(&reg).await;
        }
    });
    let done = tokio::task::spawn_blocking(move || engine.join())
        .await
        .expect("join task");
    answering.abort();
    done.expect("engine thread").expect("runtime ends cleanly");
}

/// The final answer to `call_id` arriving within a second; none means the call still rings.
/// (The runtime answers an auto-answered call right after its 180, so a second is ample.)
async fn answer_to(s: &UdpSocket, call_id: &str) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let mut buf = vec![0u8; 65_536];
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(deadline, s.recv_from(&mut buf)).await {
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        let status = msg.strip_prefix("SIP/2.0 ").and_then(|r| r.get(..3));
        if header(&msg, "Call-ID") == call_id && status.is_some_and(|c| c >= "200") {
            return Some(msg);
        }
    }
    None
}
