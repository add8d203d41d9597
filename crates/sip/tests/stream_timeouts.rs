//! The transport's stream limits on real sockets (issue 19 item 4): an accepted connection
//! holding a half message, or sending nothing at all, is closed; a message finished in time
//! is delivered and its connection kept; our own connection is not closed for silence.

use koppla_sip::stream_watch::StreamLimits;
use koppla_sip::{SipTransport, Transmit, Transport, TransportConfig};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const OPTIONS: &str =
    "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKst\r\n\
From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: st1\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

const LIMITS: StreamLimits = StreamLimits {
    partial_message: Duration::from_millis(500),
    first_message: Some(Duration::from_millis(1500)),
    idle: Some(Duration::from_secs(60)),
};

async fn transport() -> (SipTransport, SocketAddr) {
    let mut cfg = TransportConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.stream_limits = LIMITS;
    let t = SipTransport::bind(cfg).await.expect("bind");
    let addr = t.local_addr(Transport::Tcp).expect("tcp");
    (t, addr)
}

/// How long until the peer closes `s`, or `None` if still open after `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = tokio::time::Instant::now();
    let mut buf = [0u8; 1024];
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
async fn a_half_message_is_cut_at_the_partial_limit_and_a_silent_connection_at_the_first() {
    let (_t, addr) = transport().await;
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(&OPTIONS.as_bytes()[..60]).await.unwrap();
    let took = closed_within(&mut half, Duration::from_secs(5))
        .await
        .expect("half message closed");
    assert!(took < Duration::from_millis(1400), "after {took:?}");

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let took = closed_within(&mut silent, Duration::from_secs(5))
        .await
        .expect("silent connection closed");
    assert!(
        took >= Duration::from_millis(1200) && took < Duration::from_secs(3),
        "after {took:?}"
    );
    eprintln!("partial limit 0.5 s, first-message limit 1.5 s: closed as expected");
}

#[tokio::test]
async fn a_message_finished_in_time_is_delivered_and_its_connection_kept() {
    let (mut t, addr) = transport().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let (a, b) = OPTIONS.as_bytes().split_at(60);
    s.write_all(a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.write_all(b).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), t.recv())
        .await
        .expect("delivered")
        .expect("open");
    assert_eq!(koppla_sip::message::call_id(&got.msg).unwrap(), "st1");
    // Past both limits, the connection still stands.
    assert_eq!(closed_within(&mut s, Duration::from_secs(2)).await, None);
}

#[tokio::test]
async fn our_own_connection_is_not_closed_for_silence() {
    let (t, _) = transport().await;
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dest = server.local_addr().unwrap();
    t.send(Transmit {
        dest,
        transport: Transport::Tcp,
        bytes: OPTIONS.as_bytes().to_vec(),
    })
    .await
    .expect("send");
    let (mut peer, _) = server.accept().await.unwrap();
    // The server never answers: past the first-message limit, our end keeps the connection.
    let mut buf = vec![0u8; OPTIONS.len()];
    peer.read_exact(&mut buf).await.unwrap();
    assert_eq!(closed_within(&mut peer, Duration::from_secs(2)).await, None);
    assert!(t.connection_local_addr(Transport::Tcp, dest).is_some());
}
