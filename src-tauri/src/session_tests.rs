//! Session set-up that needs no running engine.

use super::*;

#[test]
fn tls_verifies_the_domain_name_or_the_address() {
    let named = tls_for("sip.example.com:5061").expect("tls config");
    assert_eq!(named.server_name.as_deref(), Some("sip.example.com"));
    assert_eq!(tls_for("192.0.2.7:5061").expect("ip").server_name, None);
    assert_eq!(
        tls_for("[2001:db8::7]:5061").expect("ipv6").server_name,
        None
    );
    assert_eq!(
        tls_for("vaxel.example.se")
            .expect("no port")
            .server_name
            .as_deref(),
        Some("vaxel.example.se")
    );
}

#[test]
fn transports_are_named_in_any_case() {
    assert_eq!(parse_transport(None).ok(), Some(Transport::Udp));
    assert_eq!(parse_transport(Some("TLS")).ok(), Some(Transport::Tls));
    assert!(parse_transport(Some("sctp")).is_err());
}
