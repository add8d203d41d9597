//! Where a SIP message came from or goes to: a transport plus the peer's address. For TCP and
//! TLS the address names one connection, so a reply or a later request to a user registered
//! over a stream goes back down that same connection (RFC 5626 connection reuse, without the
//! outbound/instance-id machinery).

use koppla_sip::Transport;
use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    pub transport: Transport,
    pub addr: SocketAddr,
}

impl Flow {
    pub fn udp(addr: SocketAddr) -> Flow {
        Flow {
            transport: Transport::Udp,
            addr,
        }
    }

    pub fn new(transport: Transport, addr: SocketAddr) -> Flow {
        Flow { transport, addr }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.transport.via_token(), self.addr)
    }
}

/// The `;transport=` URI parameter value for a transport (none for UDP, the default).
pub fn uri_param(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "",
        Transport::Tcp => ";transport=tcp",
        Transport::Tls => ";transport=tls",
    }
}

/// Transport named by a URI's `transport` parameter (UDP when absent or unknown; `sips:`
/// means TLS).
pub fn uri_transport(uri: &str) -> Transport {
    let uri = uri.trim_start_matches('<');
    if uri.to_ascii_lowercase().starts_with("sips:") {
        return Transport::Tls;
    }
    let params = uri.split('>').next().unwrap_or(uri);
    for p in params.split(';').skip(1) {
        if let Some((k, v)) = p.split_once('=') {
            if k.trim().eq_ignore_ascii_case("transport") {
                return match v.trim().to_ascii_lowercase().as_str() {
                    "tcp" => Transport::Tcp,
                    "tls" => Transport::Tls,
                    _ => Transport::Udp,
                };
            }
        }
    }
    Transport::Udp
}

/// Transport named in a Via value's protocol (`SIP/2.0/TCP host`).
pub fn via_transport(via: &str) -> Transport {
    let proto = via.split_whitespace().next().unwrap_or("");
    match proto
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
        .as_str()
    {
        "TCP" => Transport::Tcp,
        "TLS" => Transport::Tls,
        _ => Transport::Udp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_from_uris_and_vias() {
        assert_eq!(uri_transport("sip:bob@1.2.3.4:5060"), Transport::Udp);
        assert_eq!(
            uri_transport("<sip:bob@1.2.3.4:5060;transport=TCP>;expires=60"),
            Transport::Tcp
        );
        assert_eq!(uri_transport("sip:h;lr;transport=tls"), Transport::Tls);
        assert_eq!(uri_transport("sips:bob@h"), Transport::Tls);
        assert_eq!(uri_transport("sip:bob@h;transport=sctp"), Transport::Udp);
        assert_eq!(
            via_transport("SIP/2.0/TCP 1.2.3.4;branch=x"),
            Transport::Tcp
        );
        assert_eq!(via_transport("SIP/2.0/TLS h"), Transport::Tls);
        assert_eq!(via_transport("SIP/2.0/UDP h"), Transport::Udp);
        assert_eq!(via_transport("junk"), Transport::Udp);
        assert_eq!(
            Flow::new(Transport::Tcp, "127.0.0.1:5".parse().unwrap()).to_string(),
            "TCP:127.0.0.1:5"
        );
    }
}
