//! A TLS client without its own certificate has no listener. It must advertise its end of
//! the connection to the server (Via with `alias`, Contact with that port and
//! transport=tls), and requests from the server must reach it over that same connection.

use std::time::Duration;

use koppla_sip::message::{self, response_for};
use koppla_sip::{SipMessage, SipTransport, TlsConfig, Transmit, Transport, TransportConfig};
use koppla_ua::runtime::{self, Command, NullAudio, RuntimeConfig};
use koppla_ua::{Account, UaConfig, UaEvent};
use tokio::sync::mpsc;

async fn recv(t: &mut SipTransport) -> koppla_sip::transport::Incoming {
    tokio::time::timeout(Duration::from_secs(5), t.recv())
        .await
        .expect("timed out")
        .expect("transport closed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_client_without_certificate_is_reached_over_its_connection() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (ck.cert.pem(), ck.key_pair.serialize_pem());
    let mut server_cfg = TransportConfig::new("127.0.0.1:0".parse().unwrap());
    server_cfg.tls = Some(
        TlsConfig::with_roots_pem(cert.as_bytes(), None)
            .unwrap()
            .with_server_cert(cert.as_bytes(), key.as_bytes())
            .unwrap(),
    );
    let mut server = SipTransport::bind(server_cfg).await.unwrap();
    let server_addr = server.local_addr(Transport::Tls).unwrap();

    let aor = format!("sip:alice@127.0.0.1:{}", server_addr.port());
    let account = Account::new(&aor, None, None, Transport::Tls).unwrap();
    let bind = "127.0.0.1:0".parse().unwrap();
    let mut transport = TransportConfig::new(bind);
    transport.tls =
        Some(TlsConfig::with_roots_pem(cert.as_bytes(), Some("localhost".into())).unwrap());
    let mut ua = UaConfig::new(account, bind);
    // This scripted server expects exactly REGISTER, OPTIONS and the un-REGISTER.
    ua.mwi = false;
    let cfg = RuntimeConfig {
        ua,
        transport,
        auto_answer: false,
        audio: Box::new(NullAudio),
        dns: None,
    };
    let (commands, cmd_rx) = mpsc::channel(8);
    let (ev_tx, mut events) = mpsc::channel(32);
    // The runtime's future is not `Send`; it runs on its own thread as in the app.
    let task = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(runtime::run(cfg, cmd_rx, ev_tx))
    });
    commands.send(Command::Register).await.unwrap();

    let reg = recv(&mut server).await;
    assert_eq!(reg.transport, Transport::Tls);
    let SipMessage::Request(req) = reg.msg.clone() else {
        panic!("expected REGISTER")
    };
    let via = message::top_via(&reg.msg).unwrap();
    let conn_port = reg.source.port();
    assert!(via.starts_with("SIP/2.0/TLS "), "{via}");
    assert_eq!(
        message::via_sent_by(&via).as_deref(),
        Some(format!("127.0.0.1:{conn_port}").as_str()),
        "Via names the connection's own end: {via}"
    );
    assert!(message::param(&via, "alias").is_some(), "{via}");
    let contact = message::header(&reg.msg, "Contact").unwrap();
    assert!(
        contact.starts_with(&format!("<sip:alice@127.0.0.1:{conn_port};transport=tls>")),
        "{contact} (connection from port {conn_port})"
    );

    let mut ok = response_for(&req, 200, Some("srv"));
    let bound = contact.split(";expires").next().unwrap_or_default();
    message::set_header(&mut ok.headers, "Contact", &format!("{bound};expires=300"));
    server
        .send(Transmit {
            dest: reg.source,
            transport: Transport::Tls,
            bytes: message::serialize(&SipMessage::Response(ok)),
        })
        .await
        .unwrap();
    let registered = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Some(UaEvent::Registered { expires }) => return expires,
                Some(_) => {}
                None => panic!("runtime ended"),
            }
        }
    })
    .await
    .expect("registered");
    assert_eq!(registered, 300);

    // A request to the Contact address: the server has no other way to reach the client
    // than the connection it already holds.
    let options = format!(
        "OPTIONS sip:alice@127.0.0.1:{conn_port};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {server_addr};branch=z9hG4bKsrv1\r\nMax-Forwards: 70\r\n\
         From: <sip:srv@127.0.0.1>;tag=s1\r\nTo: <sip:alice@127.0.0.1>\r\n\
         Call-ID: tls-opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    server
        .send(Transmit {
            dest: format!("127.0.0.1:{conn_port}").parse().unwrap(),
            transport: Transport::Tls,
            bytes: options.into_bytes(),
        })
        .await
        .unwrap();
    let answer = recv(&mut server).await;
    let SipMessage::Response(r) = &answer.msg else {
        panic!("expected the OPTIONS answer, got {:?}", answer.msg)
    };
    assert_eq!(message::status(r), 200);
    assert_eq!(answer.source.port(), conn_port, "same connection");

    commands.send(Command::Quit).await.unwrap();
    // The un-REGISTER arrives; answer it so the client leaves at once.
    let unreg = recv(&mut server).await;
    if let SipMessage::Request(req) = unreg.msg {
        let ok = response_for(&req, 200, Some("srv"));
        let _ = server
            .send(Transmit {
                dest: unreg.source,
                transport: Transport::Tls,
                bytes: message::serialize(&SipMessage::Response(ok)),
            })
            .await;
    }
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
