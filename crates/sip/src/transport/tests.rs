use super::*;
use std::time::Duration;

const OPTIONS: &str =
    "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKt\r\n\
From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: t1\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn recv(t: &mut SipTransport) -> Incoming {
    tokio::time::timeout(Duration::from_secs(5), t.recv())
        .await
        .expect("timed out")
        .expect("channel closed")
}

async fn roundtrip(transport: Transport, a_cfg: TransportConfig, b_cfg: TransportConfig) {
    let a = SipTransport::bind(a_cfg).await.unwrap();
    let mut b = SipTransport::bind(b_cfg).await.unwrap();
    let b_addr = b.local_addr(transport).unwrap();
    let mut a = a;
    a.send(Transmit {
        dest: b_addr,
        transport,
        bytes: OPTIONS.as_bytes().to_vec(),
    })
    .await
    .unwrap();
    let got = recv(&mut b).await;
    assert_eq!(got.transport, transport);
    assert_eq!(message::call_id(&got.msg).unwrap(), "t1");
    // Reply to the source address: for streams this must reuse the inbound connection.
    let SipMessage::Request(req) = got.msg else {
        panic!("expected request")
    };
    let resp = message::serialize(&SipMessage::Response(message::response_for(
        &req, 200, None,
    )));
    b.send(Transmit {
        dest: got.source,
        transport,
        bytes: resp,
    })
    .await
    .unwrap();
    let back = recv(&mut a).await;
    assert!(back.msg.is_response());
    assert_eq!(back.source, b_addr);
}

#[tokio::test]
async fn udp_roundtrip() {
    roundtrip(
        Transport::Udp,
        TransportConfig::new(local()),
        TransportConfig::new(local()),
    )
    .await;
}

#[tokio::test]
async fn tcp_roundtrip_reuses_connection() {
    roundtrip(
        Transport::Tcp,
        TransportConfig::new(local()),
        TransportConfig::new(local()),
    )
    .await;
}

#[tokio::test]
async fn tls_roundtrip_with_custom_root() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    let key_pem = ck.key_pair.serialize_pem();
    let server_tls = TlsConfig::with_roots_pem(cert_pem.as_bytes(), None)
        .unwrap()
        .with_server_cert(cert_pem.as_bytes(), key_pem.as_bytes())
        .unwrap();
    let client_tls =
        TlsConfig::with_roots_pem(cert_pem.as_bytes(), Some("localhost".into())).unwrap();
    let mut a = TransportConfig::new(local());
    a.tls = Some(client_tls);
    let mut b = TransportConfig::new(local());
    b.tls = Some(server_tls);
    roundtrip(Transport::Tls, a, b).await;
}

#[tokio::test]
async fn tls_rejects_unknown_certificate() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server_tls = TlsConfig::with_roots_pem(ck.cert.pem().as_bytes(), None)
        .unwrap()
        .with_server_cert(
            ck.cert.pem().as_bytes(),
            ck.key_pair.serialize_pem().as_bytes(),
        )
        .unwrap();
    let mut b = TransportConfig::new(local());
    b.tls = Some(server_tls);
    let b = SipTransport::bind(b).await.unwrap();
    let mut a = TransportConfig::new(local());
    a.tls = Some(
        TlsConfig::with_roots_pem(other.cert.pem().as_bytes(), Some("localhost".into())).unwrap(),
    );
    let a = SipTransport::bind(a).await.unwrap();
    let res = a
        .send(Transmit {
            dest: b.local_addr(Transport::Tls).unwrap(),
            transport: Transport::Tls,
            bytes: OPTIONS.as_bytes().to_vec(),
        })
        .await;
    assert!(matches!(res, Err(TransportError::Io { .. })), "{res:?}");
}

#[tokio::test]
async fn garbage_is_dropped_not_delivered() {
    let mut b = SipTransport::bind(TransportConfig::new(local()))
        .await
        .unwrap();
    let a = SipTransport::bind(TransportConfig::new(local()))
        .await
        .unwrap();
    let dest = b.local_addr(Transport::Udp).unwrap();
    for bytes in [
        b"\x00\xffgarbage\r\n\r\n".to_vec(),
        OPTIONS.as_bytes().to_vec(),
    ] {
        a.send(Transmit {
            dest,
            transport: Transport::Udp,
            bytes,
        })
        .await
        .unwrap();
    }
    let got = recv(&mut b).await;
    assert_eq!(message::call_id(&got.msg).unwrap(), "t1");
}

async fn next_flow_event(rx: &mut mpsc::Receiver<FlowEvent>) -> FlowEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("timed out")
        .expect("flow channel closed")
}

#[tokio::test]
async fn pongs_and_a_closed_connection_are_reported() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut a = SipTransport::bind(TransportConfig::new(local()))
        .await
        .unwrap();
    let mut flows = a.take_flow_events().unwrap();
    assert!(a.take_flow_events().is_none(), "taken once");
    let server = TcpListener::bind(local()).await.unwrap();
    let b_addr = server.local_addr().unwrap();
    assert!(
        a.ping(Transport::Tcp, b_addr).await.is_err(),
        "a ping never opens a connection"
    );
    a.send(Transmit {
        dest: b_addr,
        transport: Transport::Tcp,
        bytes: OPTIONS.as_bytes().to_vec(),
    })
    .await
    .unwrap();
    let (mut conn, _) = server.accept().await.unwrap();
    let mut got = vec![0u8; OPTIONS.len()];
    conn.read_exact(&mut got).await.unwrap();
    a.ping(Transport::Tcp, b_addr).await.unwrap();
    let mut ping = [0u8; 4];
    conn.read_exact(&mut ping).await.unwrap();
    assert_eq!(&ping, b"\r\n\r\n");
    conn.write_all(b"\r\n").await.unwrap();
    assert_eq!(
        next_flow_event(&mut flows).await,
        FlowEvent::Pong {
            transport: Transport::Tcp,
            peer: b_addr
        }
    );
    drop(conn);
    assert_eq!(
        next_flow_event(&mut flows).await,
        FlowEvent::Closed {
            transport: Transport::Tcp,
            peer: b_addr
        }
    );
    assert!(a.ping(Transport::Tcp, b_addr).await.is_err());
}
