//! `TlsConfig::system` trusts a CA from the system's store: here a private CA given through
//! `SSL_CERT_FILE`, as IT deploys a company CA. Its own test binary because it sets the
//! process environment.

use koppla_sip::{SipTransport, TlsConfig, Transmit, Transport, TransportConfig};
use std::time::Duration;

const OPTIONS: &str =
    "OPTIONS sip:b@localhost SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bKsys\r\n\
From: <sip:a@localhost>;tag=1\r\nTo: <sip:b@localhost>\r\nCall-ID: sys1\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

async fn send_with(client: TlsConfig, dest: std::net::SocketAddr) -> bool {
    let mut cfg = TransportConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.tls = Some(client);
    let a = SipTransport::bind(cfg).await.unwrap();
    a.send(Transmit {
        dest,
        transport: Transport::Tls,
        bytes: OPTIONS.as_bytes().to_vec(),
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_company_ca_in_the_system_store_is_trusted() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (ck.cert.pem(), ck.key_pair.serialize_pem());
    let server = TlsConfig::with_roots_pem(cert.as_bytes(), None)
        .unwrap()
        .with_server_cert(cert.as_bytes(), key.as_bytes())
        .unwrap();
    let mut cfg = TransportConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.tls = Some(server);
    let mut b = SipTransport::bind(cfg).await.unwrap();
    let dest = b.local_addr(Transport::Tls).unwrap();

    assert!(
        !send_with(TlsConfig::system(Some("localhost".into())).unwrap(), dest).await,
        "an unknown private CA is refused"
    );

    let dir = std::env::temp_dir().join(format!("koppla-sys-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("company-ca.pem");
    std::fs::write(&file, &cert).unwrap();
    std::env::set_var("SSL_CERT_FILE", &file);
    let trusted = send_with(TlsConfig::system(Some("localhost".into())).unwrap(), dest).await;
    std::env::remove_var("SSL_CERT_FILE");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(trusted, "the CA from the system store is trusted");
    let got = tokio::time::timeout(Duration::from_secs(5), b.recv())
        .await
        .expect("the server got the request")
        .expect("open");
    assert_eq!(got.transport, Transport::Tls);
}
