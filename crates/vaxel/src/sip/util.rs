//! Small helpers over SIP URIs and Via values that koppla-sip does not cover.

use std::net::{IpAddr, SocketAddr};

/// User part of `sip:user@host;params` (None when there is none), with `%XX` escapes
/// decoded (RFC 3261 19.1.4 compares user parts unescaped: `*21%23` is `*21#` and
/// `anna.%C3%B6berg` is `anna.öberg`). An escape that does not decode to UTF-8 is kept as sent.
pub fn uri_user(uri: &str) -> Option<String> {
    let rest = uri.split_once(':').map(|(_, r)| r)?;
    let (user, _) = rest.split_once('@')?;
    let user = user.split(';').next().unwrap_or(user);
    let user = user.split(':').next().unwrap_or(user);
    (!user.is_empty()).then(|| unescape(user))
}

fn unescape(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Host and port of a URI when the host is an IP literal (no DNS in the core).
pub fn uri_addr(uri: &str) -> Option<SocketAddr> {
    let rest = uri.split_once(':').map(|(_, r)| r)?;
    let hostport = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let hostport = hostport.split([';', '?', '>']).next()?;
    parse_hostport(hostport)
}

/// `1.2.3.4`, `1.2.3.4:5`, `[::1]`, `[::1]:5` with 5060 as default port.
pub fn parse_hostport(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip: IpAddr = ip.parse().ok()?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => 5060,
            None => return None,
        };
        return Some(SocketAddr::new(ip, port));
    }
    match s.split_once(':') {
        Some((h, p)) => Some(SocketAddr::new(h.parse().ok()?, p.parse().ok()?)),
        None => Some(SocketAddr::new(s.parse().ok()?, 5060)),
    }
}

/// Where to send a response for a Via entry (RFC 3261 18.2.2 + RFC 3581 rport).
pub fn via_response_addr(via: &str) -> Option<SocketAddr> {
    let sent_by = koppla_sip::message::via_sent_by(via)?;
    let mut addr = parse_hostport(&sent_by);
    if let Some(ip) =
        koppla_sip::message::param(via, "received").and_then(|r| r.parse::<IpAddr>().ok())
    {
        addr = Some(SocketAddr::new(ip, addr.map(|a| a.port()).unwrap_or(5060)));
    }
    if let Some(port) = koppla_sip::message::param(via, "rport").and_then(|p| p.parse::<u16>().ok())
    {
        addr = addr.map(|a| SocketAddr::new(a.ip(), port));
    }
    addr
}

/// Stamps `received` and a filled-in `rport` on a Via entry so responses find NATed senders.
pub fn stamp_via(via: &str, src: SocketAddr) -> String {
    let mut parts: Vec<String> = via.split(';').map(|p| p.trim().to_string()).collect();
    parts.retain(|p| {
        let k = p
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        k != "received" && k != "rport"
    });
    parts.push(format!("received={}", src.ip()));
    parts.push(format!("rport={}", src.port()));
    parts.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_parts_are_compared_unescaped() {
        assert_eq!(uri_user("sip:*21%23@h;user=phone").as_deref(), Some("*21#"));
        assert_eq!(
            uri_user("sip:*6anna.%C3%B6berg@h").as_deref(),
            Some("*6anna.öberg")
        );
        // Not an escape, or not UTF-8: kept as sent.
        assert_eq!(uri_user("sip:a%2@h").as_deref(), Some("a%2"));
        assert_eq!(uri_user("sip:a%+1b@h").as_deref(), Some("a%+1b"));
        assert_eq!(uri_user("sip:a%FF@h").as_deref(), Some("a%FF"));
    }

    #[test]
    fn uri_parts() {
        assert_eq!(
            uri_user("sip:alice@127.0.0.1:5060;transport=udp").as_deref(),
            Some("alice")
        );
        assert_eq!(
            uri_user("sip:1001;phone-context=x@h").as_deref(),
            Some("1001")
        );
        assert_eq!(uri_user("sip:127.0.0.1"), None);
        assert_eq!(uri_user("garbage"), None);
        assert_eq!(
            uri_addr("sip:alice@127.0.0.1:5070;ob"),
            Some("127.0.0.1:5070".parse().unwrap())
        );
        assert_eq!(
            uri_addr("sip:bob@[::1]"),
            Some("[::1]:5060".parse().unwrap())
        );
        assert_eq!(uri_addr("sip:bob@example.com"), None);
        assert_eq!(
            uri_addr("sip:10.0.0.1"),
            Some("10.0.0.1:5060".parse().unwrap())
        );
    }

    #[test]
    fn via_handling() {
        let via = "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport";
        let src: SocketAddr = "198.51.100.7:40000".parse().unwrap();
        let stamped = stamp_via(via, src);
        assert_eq!(
            stamped,
            "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;received=198.51.100.7;rport=40000"
        );
        assert_eq!(via_response_addr(&stamped), Some(src));
        assert_eq!(
            via_response_addr(via),
            Some("10.0.0.5:5062".parse().unwrap())
        );
        assert_eq!(via_response_addr("nonsense"), None);
    }
}
