//! Account and agent configuration, and SIP URI host/port resolution.

use koppla_media::{CodecPrefs, SrtpPolicy};
use koppla_sip::Transport;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("not a sip: URI with user and host: {0:?}")]
    BadUri(String),
    #[error("cannot resolve {0:?}")]
    Unresolvable(String),
}

/// A password that never shows up in Debug output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Parts of a `sip:user@host:port;params` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub transport: Option<Transport>,
}

impl SipUri {
    pub fn parse(uri: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadUri(uri.to_string());
        let u = koppla_sip::message::addr_uri(uri.trim());
        let (secure, rest) = if let Some(r) = strip_prefix_ci(&u, "sips:") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(&u, "sip:") {
            (false, r)
        } else {
            return Err(bad());
        };
        let rest = rest.split('?').next().unwrap_or("");
        let mut parts = rest.split(';');
        let hostpart = parts.next().unwrap_or("");
        let transport = parts.find_map(|p| p.strip_prefix("transport=").and_then(Transport::parse));
        let (user, hostport) = match hostpart.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()), h),
            None => (None, hostpart),
        };
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            let (h, after) = stripped.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse().map_err(|_| bad())?),
                None => None,
            };
            (h.to_string(), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse().map_err(|_| bad())?)),
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Self {
            secure,
            user,
            host,
            port,
            transport,
        })
    }

    /// The port to use: the URI's, else the transport's default (5061 for TLS/sips).
    pub fn port_or_default(&self, transport: Transport) -> u16 {
        let default_port = if transport == Transport::Tls || self.secure {
            5061
        } else {
            5060
        };
        self.port.unwrap_or(default_port)
    }

    /// The host as an IP address, when it is one (no DNS).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .ok()
    }

    /// Resolve to a socket address (A/AAAA lookup for names; no SRV/NAPTR). This blocks on
    /// DNS: only for configuration time, never inside the agent (which takes names the
    /// runtime resolved, see `UserAgent::add_resolved`).
    pub fn resolve(&self, transport: Transport) -> Result<SocketAddr, ConfigError> {
        let port = self.port_or_default(transport);
        if let Some(ip) = self.ip() {
            return Ok(SocketAddr::new(ip, port));
        }
        let host = self.host.as_str();
        (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| ConfigError::Unresolvable(host.to_string()))
    }

    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)).then(|| &s[p.len()..])
}

/// The SIP account the agent registers and calls as.
#[derive(Debug, Clone)]
pub struct Account {
    /// Address of record, e.g. `sip:alice@127.0.0.1:5060`.
    pub aor: String,
    pub user: String,
    /// Domain part of the AOR (host[:port]), used in Request-URIs for REGISTER.
    pub domain: String,
    pub auth_user: String,
    pub password: Option<Secret>,
    pub display_name: Option<String>,
    /// Registrar / outbound proxy. `None` until the runtime located the AOR's domain by
    /// DNS (RFC 3263); set from the start for an IP-literal AOR or by a caller that knows it.
    pub server: Option<SocketAddr>,
    pub transport: Transport,
    pub expires: u32,
}

impl Account {
    pub fn new(
        aor: &str,
        auth_user: Option<&str>,
        password: Option<Secret>,
        transport: Transport,
    ) -> Result<Self, ConfigError> {
        let uri = SipUri::parse(aor)?;
        let user = uri
            .user
            .clone()
            .ok_or_else(|| ConfigError::BadUri(aor.to_string()))?;
        Ok(Self {
            aor: koppla_sip::message::addr_uri(aor),
            auth_user: auth_user.unwrap_or(&user).to_string(),
            user,
            domain: uri.host_port(),
            password,
            display_name: None,
            // No DNS here: names are located by the runtime when it registers.
            server: uri
                .ip()
                .map(|ip| SocketAddr::new(ip, uri.port_or_default(transport))),
            transport,
            expires: 3600,
        })
    }

    /// The AOR's URI, whose host the runtime locates as registrar (RFC 3263).
    pub fn registrar_uri(&self) -> Result<SipUri, ConfigError> {
        SipUri::parse(&self.aor)
    }
}

/// Everything the sans-IO agent needs to know.
#[derive(Debug, Clone)]
pub struct UaConfig {
    pub account: Account,
    /// Address put in Via/Contact (the transport's bound address, with a real IP).
    pub local_addr: SocketAddr,
    /// Where the registrar saw our REGISTER come from (Via received/rport) when that differs
    /// from `local_addr`, i.e. we are behind a NAT. Contact carries it instead.
    pub public_addr: Option<SocketAddr>,
    /// We have no listener for our transport (a TLS client without a certificate):
    /// `local_addr` is our end of the connection to the server, and Via carries `alias`
    /// (RFC 5923) so requests to us come back over that connection.
    pub connection_reuse: bool,
    pub codecs: CodecPrefs,
    pub srtp: SrtpPolicy,
    /// Answer new calls with 486 Busy Here.
    pub busy: bool,
    /// `urn:uuid:...` for RFC 5626 `+sip.instance`.
    pub instance_id: String,
    pub user_agent: String,
    /// Subscribe to message-waiting indication (RFC 3842) for our own AOR once registered,
    /// and accept the registrar's unsolicited message-summary NOTIFYs.
    pub mwi: bool,
    /// What dials the voicemail; without it, the last `Message-Account` the server sent.
    pub voicemail_number: Option<String>,
    /// Accept out-of-dialog requests (new calls, OPTIONS, MESSAGE...) from any address even
    /// once registered. Off by default: a registered agent then takes them only from its
    /// registrar / outbound proxy, so calls cannot bypass the server's rules (a blocked
    /// caller, a SIP scanner's ghost call) by going straight to our port. An agent that never
    /// registers (peer-to-peer use) accepts direct requests either way.
    pub accept_direct_requests: bool,
    /// An answered call that is not on hold (neither our hold nor the peer's sendonly or
    /// inactive SDP) and from which no RTP or RTCP arrived for this long has lost its path
    /// (server or peer died, network gone): it ends as [`crate::events::CONNECTION_LOST`].
    /// Zero turns the check off. Decision 0407.
    pub media_timeout: std::time::Duration,
    /// The session interval (RFC 4028) we ask for in our INVITEs and grant callers that
    /// support timers but name none; zero asks for none (a peer's request is still honoured).
    /// Otherwise at least [`crate::events::MIN_SESSION_EXPIRES`].
    pub session_expires: std::time::Duration,
}

impl UaConfig {
    /// The address other parties should reach us at (Contact).
    pub fn contact_addr(&self) -> SocketAddr {
        self.public_addr.unwrap_or(self.local_addr)
    }

    /// Our Contact URI in angle brackets (no parameters).
    pub fn contact(&self) -> String {
        let t = match self.account.transport {
            Transport::Udp => String::new(),
            other => format!(";transport={}", other.uri_param()),
        };
        format!("<sip:{}@{}{}>", self.account.user, self.contact_addr(), t)
    }

    /// A Via header value with a fresh branch.
    pub fn via(&self) -> String {
        format!(
            "SIP/2.0/{} {};branch={};rport{}",
            self.account.transport.via_token(),
            self.local_addr,
            koppla_sip::message::new_branch(),
            if self.connection_reuse { ";alias" } else { "" }
        )
    }

    pub fn new(account: Account, local_addr: SocketAddr) -> Self {
        let r: u128 = rand::random();
        let h = format!("{r:032x}");
        Self {
            account,
            local_addr,
            public_addr: None,
            connection_reuse: false,
            codecs: CodecPrefs::default(),
            srtp: SrtpPolicy::Off,
            busy: false,
            instance_id: format!(
                "urn:uuid:{}-{}-4{}-a{}-{}",
                &h[0..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            ),
            user_agent: format!("Koppla/{}", env!("CARGO_PKG_VERSION")),
            mwi: true,
            voicemail_number: None,
            accept_direct_requests: false,
            media_timeout: std::time::Duration::from_secs(20),
            // RFC 4028 4's recommended interval: a refresh every 15 min costs nothing.
            session_expires: std::time::Duration::from_secs(1800),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        let u = SipUri::parse("\"Bob\" <sip:bob@127.0.0.1:5070;transport=tcp>").unwrap();
        assert_eq!(u.user.as_deref(), Some("bob"));
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.transport, Some(Transport::Tcp));
        assert_eq!(
            u.resolve(Transport::Udp).unwrap(),
            "127.0.0.1:5070".parse().unwrap()
        );
        let v6 = SipUri::parse("sips:[::1]").unwrap();
        assert_eq!(
            v6.resolve(Transport::Tls).unwrap(),
            "[::1]:5061".parse().unwrap()
        );
        for bad in ["http://x", "sip:", "sip:a@h:notaport", "sip:a@[::1"] {
            assert!(SipUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn account_defaults_auth_user_and_hides_password() {
        let a = Account::new(
            "sip:alice@127.0.0.1:5060",
            None,
            Some(Secret::new("pw")),
            Transport::Udp,
        )
        .unwrap();
        assert_eq!(a.auth_user, "alice");
        assert_eq!(a.domain, "127.0.0.1:5060");
        assert_eq!(a.server, Some("127.0.0.1:5060".parse().unwrap()));
        assert!(!format!("{a:?}").contains("pw"));
        assert!(Account::new("sip:127.0.0.1", None, None, Transport::Udp).is_err());
    }

    #[test]
    fn account_with_a_name_is_built_without_dns() {
        // `.invalid` never resolves (RFC 2606): building must not try.
        let a = Account::new("sip:bob@pbx.invalid", None, None, Transport::Tcp).unwrap();
        assert_eq!(a.server, None);
        assert_eq!(a.domain, "pbx.invalid");
        assert_eq!(a.registrar_uri().unwrap().host, "pbx.invalid");
    }
}
