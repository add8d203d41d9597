//! `sip:` / `sips:` URIs (RFC 3261 section 19.1), validated field by field.
//! Headers (`?Subject=...`) are dropped: a link must not be able to inject
//! SIP headers into our INVITE. Passwords in the userinfo are refused.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::chars::percent_decode;
use crate::DialError;

const MAX_USER_LEN: usize = 128;
const MAX_HOST_LEN: usize = 253;
const MAX_PARAMS: usize = 16;
/// Parameters we carry into the request URI. Others (`maddr`, `method`,
/// `lr`...) would let a link steer routing, so they are kept for display only.
const ROUTING_SAFE_PARAMS: &[&str] = &["transport", "user"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SipScheme {
    Sip,
    Sips,
}

impl SipScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            SipScheme::Sip => "sip",
            SipScheme::Sips => "sips",
        }
    }
}

/// One `;name[=value]` URI parameter, name lower-cased, value decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipParam {
    pub name: String,
    pub value: Option<String>,
}

/// A validated SIP address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipAddress {
    pub scheme: SipScheme,
    /// Decoded user part (`alice`, `+46812345678`), if any.
    pub user: Option<String>,
    /// Lower-cased host name, IPv4 address or bracketed IPv6 address.
    pub host: String,
    pub port: Option<u16>,
    pub params: Vec<SipParam>,
    /// `alice@example.com` for humans.
    pub display: String,
}

impl SipAddress {
    /// The URI to put in the INVITE: user re-encoded, only routing-safe
    /// parameters kept.
    pub fn to_uri(&self) -> String {
        let mut uri = format!("{}:", self.scheme.as_str());
        if let Some(user) = &self.user {
            uri.push_str(&encode_user(user));
            uri.push('@');
        }
        uri.push_str(&self.host);
        if let Some(port) = self.port {
            uri.push_str(&format!(":{port}"));
        }
        for p in self
            .params
            .iter()
            .filter(|p| ROUTING_SAFE_PARAMS.contains(&p.name.as_str()))
        {
            uri.push(';');
            uri.push_str(&p.name);
            if let Some(v) = &p.value {
                uri.push('=');
                uri.push_str(v);
            }
        }
        uri
    }
}

/// Parses what follows `sip:` / `sips:`.
pub(crate) fn parse_sip(scheme: SipScheme, rest: &str) -> Result<SipAddress, DialError> {
    // Headers are never applied (see module docs).
    let without_headers = rest.split_once('?').map_or(rest, |(before, _)| before);
    let (userinfo, hostpart) = match without_headers.split_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, without_headers),
    };
    let user = userinfo.map(parse_user).transpose()?;
    let (hostport, params) = match hostpart.split_once(';') {
        Some((hp, params)) => (hp, Some(params)),
        None => (hostpart, None),
    };
    let (host, port) = parse_hostport(hostport)?;
    let params = params.map(parse_params).transpose()?.unwrap_or_default();
    let display = match &user {
        Some(u) => format!("{u}@{host}"),
        None => host.clone(),
    };
    Ok(SipAddress {
        scheme,
        user,
        host,
        port,
        params,
        display,
    })
}

fn is_user_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b)
}

fn parse_user(raw: &str) -> Result<String, DialError> {
    if raw.contains(':') {
        return Err(DialError::InvalidSipUri(
            "passwords in SIP addresses are not accepted",
        ));
    }
    if raw.is_empty() {
        return Err(DialError::InvalidSipUri("empty user part"));
    }
    if !raw.bytes().all(|b| is_user_char(b) || b == b'%') {
        return Err(DialError::InvalidSipUri(
            "invalid character in the user part",
        ));
    }
    let user = percent_decode(raw)?;
    if user.chars().count() > MAX_USER_LEN || user.chars().any(char::is_whitespace) {
        return Err(DialError::InvalidSipUri(
            "user part too long or contains spaces",
        ));
    }
    Ok(user)
}

fn encode_user(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        if is_user_char(b) && b != b'?' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_hostport(hp: &str) -> Result<(String, Option<u16>), DialError> {
    let (host, port) = if let Some(after) = hp.strip_prefix('[') {
        let (v6, tail) = after
            .split_once(']')
            .ok_or(DialError::InvalidSipUri("unterminated IPv6 address"))?;
        let addr: Ipv6Addr = v6
            .parse()
            .map_err(|_| DialError::InvalidSipUri("invalid IPv6 address"))?;
        let port = match tail {
            "" => None,
            t => Some(
                t.strip_prefix(':')
                    .ok_or(DialError::InvalidSipUri("junk after host"))?,
            ),
        };
        (format!("[{addr}]"), port)
    } else {
        let (host, port) = match hp.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        };
        (parse_host(host)?, port)
    };
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

fn parse_host(host: &str) -> Result<String, DialError> {
    if host.is_empty() {
        return Err(DialError::InvalidSipUri("missing host"));
    }
    if host.len() > MAX_HOST_LEN {
        return Err(DialError::InvalidSipUri("host name too long"));
    }
    if host.parse::<Ipv4Addr>().is_ok() {
        return Ok(host.to_owned());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    // A final label that is all digits would be a malformed IPv4 address.
    let last_is_alpha = host
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().any(|b| b.is_ascii_alphabetic()));
    if host.split('.').all(label_ok) && last_is_alpha {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(DialError::InvalidSipUri("invalid host name"))
    }
}

fn parse_port(p: &str) -> Result<u16, DialError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DialError::InvalidSipUri("invalid port"));
    }
    match p.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(DialError::InvalidSipUri("invalid port")),
    }
}

fn is_param_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()[]/:&+$%".contains(&b)
}

fn parse_params(raw: &str) -> Result<Vec<SipParam>, DialError> {
    let mut params: Vec<SipParam> = Vec::new();
    for part in raw.split(';') {
        if params.len() == MAX_PARAMS {
            return Err(DialError::InvalidSipUri("too many parameters"));
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (part, None),
        };
        let chars_ok = |s: &str| !s.is_empty() && s.bytes().all(is_param_char);
        if !chars_ok(name) || !value.is_none_or(chars_ok) {
            return Err(DialError::InvalidSipUri("malformed parameter"));
        }
        let name = percent_decode(name)?.to_ascii_lowercase();
        if params.iter().any(|p| p.name == name) {
            return Err(DialError::InvalidSipUri("duplicate parameter"));
        }
        let value = value.map(percent_decode).transpose()?;
        // Decoded values go back into the request URI verbatim, so they must
        // not need escaping ("%3F" would otherwise start headers).
        let plain = |v: &str| v.bytes().all(|b| b != b'%' && is_param_char(b));
        if !plain(&name) || !value.as_deref().is_none_or(plain) {
            return Err(DialError::InvalidSipUri("malformed parameter"));
        }
        params.push(SipParam { name, value });
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> Result<SipAddress, DialError> {
        parse_sip(SipScheme::Sip, s)
    }

    #[test]
    fn user_host_port_params() {
        let a = sip("Alice@Example.COM:5070;transport=TCP;lr?Subject=hi").unwrap();
        assert_eq!(a.user.as_deref(), Some("Alice"));
        assert_eq!(a.host, "example.com");
        assert_eq!(a.port, Some(5070));
        assert_eq!(a.params.len(), 2);
        assert_eq!(a.params[0].value.as_deref(), Some("TCP"));
        assert_eq!(a.display, "Alice@example.com");
        assert_eq!(a.to_uri(), "sip:Alice@example.com:5070;transport=TCP");
    }

    #[test]
    fn telephone_user_and_ip_hosts() {
        let a = sip("+46812345678;ext=1@10.0.0.1;user=phone").unwrap();
        assert_eq!(a.user.as_deref(), Some("+46812345678;ext=1"));
        assert_eq!(a.to_uri(), "sip:+46812345678;ext=1@10.0.0.1;user=phone");
        let b = sip("bob@[2001:DB8::1]:5061").unwrap();
        assert_eq!(b.host, "[2001:db8::1]");
        assert_eq!(b.to_uri(), "sip:bob@[2001:db8::1]:5061");
        assert_eq!(sip("example.com").unwrap().to_uri(), "sip:example.com");
    }

    #[test]
    fn encoded_user_is_decoded_and_reencoded() {
        let a = sip("j%C3%B6rgen%20x@example.com");
        assert_eq!(a.unwrap_err().code(), "invalid_sip_uri");
        let a = sip("j%C3%B6rgen@example.com").unwrap();
        assert_eq!(a.user.as_deref(), Some("jörgen"));
        assert_eq!(a.to_uri(), "sip:j%C3%B6rgen@example.com");
    }

    #[test]
    fn routing_params_do_not_reach_the_request_uri() {
        let a = sip("bob@example.com;maddr=evil.example;method=REGISTER").unwrap();
        assert_eq!(a.to_uri(), "sip:bob@example.com");
        assert_eq!(a.params.len(), 2);
    }

    #[test]
    fn refusals() {
        let code = |s: &str| sip(s).unwrap_err();
        assert_eq!(
            code("alice:secret@example.com"),
            DialError::InvalidSipUri("passwords in SIP addresses are not accepted")
        );
        for bad in [
            "",
            "@example.com",
            "alice@",
            "alice@-bad.com",
            "alice@exa_mple.com",
            "alice@1.2.3.999",
            "alice@example.com:0",
            "alice@example.com:65536",
            "alice@example.com:",
            "alice@[::1",
            "alice@[zz]",
            "alice@[::1]x",
            "al ice@example.com",
            "alice<script>@example.com",
            "alice@example.com;a=1;a=2",
            "alice@example.com;=x",
            "alice@example.com;a=<b>",
            "alice@example.com;user=ph%3Fone",
            "alice@example.com;a%20b",
        ] {
            assert_eq!(sip(bad).unwrap_err().code(), "invalid_sip_uri", "{bad}");
        }
        assert_eq!(code("a%00b@example.com"), DialError::ControlCharacter(0));
        let long = format!("{}.com", "a".repeat(260));
        assert_eq!(sip(&long).unwrap_err().code(), "invalid_sip_uri");
    }
}
