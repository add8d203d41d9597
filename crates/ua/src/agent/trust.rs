//! Whom the agent takes out-of-dialog requests from (decision 0303). Once it registers, new
//! calls and other requests outside a dialog must come from its registrar / outbound proxy:
//! the server applies the user's rules (blocked callers, forwarding, voicemail) and a request
//! sent straight to our port would bypass them — which is exactly what SIP scanners' ghost
//! calls do. Strangers get 403 with a `Warning`, never ring, and leave one log line.

use super::{UaError, UserAgent};
use koppla_sip::message::{self, new_tag};
use koppla_sip::{Method, Request, SipMessage, TransactionKey, Transport};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The text of the `Warning` a stranger's request is refused with.
pub const NOT_FROM_REGISTRAR: &str = "not from the registrar";

/// A stranger refused is logged once per this time: a scanner sending hundreds of INVITEs a
/// second must not flood the log (the rest go to debug).
const LOG_EVERY: Duration = Duration::from_secs(60);
/// Strangers remembered for that; beyond it the oldest memory is dropped.
const LOGGED_HOSTS: usize = 256;

/// What the agent knows about its server for deciding whom to trust.
#[derive(Debug, Default)]
pub(super) struct Trust {
    /// Every address the runtime located for the registrar (RFC 3263 can give several; any
    /// of them may send us requests, whichever we currently register with).
    targets: Vec<SocketAddr>,
    /// Set by the first REGISTER and kept: an agent that registered (even if the registration
    /// failed or ended since) has a server, and strangers stay strangers while it is down.
    bound: bool,
    /// When each refused host was last logged at info level.
    logged: HashMap<IpAddr, Instant>,
}

impl Trust {
    /// Whether refusing `host` now deserves an info line (see [`LOG_EVERY`]).
    fn worth_logging(&mut self, host: IpAddr, now: Instant) -> bool {
        let recent = self
            .logged
            .get(&host)
            .is_some_and(|at| now.saturating_duration_since(*at) < LOG_EVERY);
        if recent {
            return false;
        }
        if self.logged.len() >= LOGGED_HOSTS {
            self.logged
                .retain(|_, at| now.saturating_duration_since(*at) < LOG_EVERY);
            if self.logged.len() >= LOGGED_HOSTS {
                self.logged.clear();
            }
        }
        self.logged.insert(host, now);
        true
    }
}

/// Whether `source` over `transport` is the server at `server`. Over UDP a server sends
/// from the address it listens on. Over TCP it may open a new connection to our listener,
/// from any port of its host, and TCP's handshake makes the host address hard to forge. Over
/// TLS only the connection we opened counts: its certificate was checked when we connected,
/// while a connection to our listener proves no identity at all.
pub(super) fn is_server(server: SocketAddr, source: SocketAddr, transport: Transport) -> bool {
    let same_host = server.ip().to_canonical() == source.ip().to_canonical();
    match transport {
        Transport::Tcp => same_host,
        Transport::Udp | Transport::Tls => same_host && server.port() == source.port(),
    }
}

impl UserAgent {
    /// The registrar's addresses as located (RFC 3263 targets, in any order). The current
    /// server (`account.server`) is trusted in any case.
    pub fn set_server_targets(&mut self, targets: &[SocketAddr]) {
        self.trust.targets = targets.to_vec();
    }

    /// Turn [`crate::UaConfig::accept_direct_requests`] on or off while running.
    pub fn set_accept_direct_requests(&mut self, on: bool) {
        self.cfg.accept_direct_requests = on;
    }

    /// From now on the agent has a server: see [`Trust::bound`].
    pub(super) fn bind_to_server(&mut self) {
        self.trust.bound = true;
    }

    /// Whether `source` is our registrar / outbound proxy (any of its located addresses).
    pub(super) fn is_from_server(&self, source: SocketAddr, transport: Transport) -> bool {
        self.cfg
            .account
            .server
            .iter()
            .chain(&self.trust.targets)
            .any(|s| is_server(*s, source, transport))
    }

    /// Whether an incoming request may be handled at all. In-dialog requests (with a To tag)
    /// are judged by the dialog they name — only its parties know its Call-ID and tags — and
    /// get 481 when there is none. ACK and CANCEL belong to a transaction that already passed.
    pub(super) fn admits(&self, req: &Request, source: SocketAddr, transport: Transport) -> bool {
        if self.cfg.accept_direct_requests || !self.trust.bound {
            return true;
        }
        if matches!(req.method, Method::Ack | Method::Cancel) {
            return true;
        }
        let msg = SipMessage::Request(req.clone());
        if message::to_tag(&msg).is_some() || self.is_from_server(source, transport) {
            return true;
        }
        // An attended transfer's INVITE may come straight from the transferee (a Refer-To
        // with our Contact); naming one of our dialogs by Call-ID and both tags shows the
        // sender was told about it by a party to the call, like an in-dialog request.
        req.method == Method::Invite
            && message::header(&msg, "Replaces").is_some_and(|r| self.find_replaced(&r).is_some())
    }

    /// 403 to a stranger's request, with a `Warning` saying why (RFC 3261 20.43, code 399).
    pub(super) fn refuse_stranger(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        source: SocketAddr,
        now: Instant,
    ) -> Result<(), UaError> {
        if self.trust.worth_logging(source.ip().to_canonical(), now) {
            tracing::info!(
                %source,
                method = %req.method,
                "refused a request not from the registrar (403); accept_direct_requests allows it"
            );
        } else {
            tracing::debug!(%source, method = %req.method, "refused another request (403)");
        }
        let mut resp = message::response_for(req, 403, Some(&new_tag()));
        let warning = format!("399 koppla \"{NOT_FROM_REGISTRAR}\"");
        resp.headers.push(message::make_header("Warning", &warning));
        self.tl.send_response(key, resp, now)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn udp_and_tls_want_the_servers_exact_address_tcp_its_host() {
        let server = a("192.0.2.10:5060");
        for t in [Transport::Udp, Transport::Tcp, Transport::Tls] {
            assert!(is_server(server, server, t), "{t:?}");
            assert!(!is_server(server, a("192.0.2.11:5060"), t), "{t:?}");
        }
        assert!(is_server(server, a("192.0.2.10:40001"), Transport::Tcp));
        assert!(!is_server(server, a("192.0.2.10:40001"), Transport::Udp));
        assert!(!is_server(server, a("192.0.2.10:40001"), Transport::Tls));
    }

    #[test]
    fn a_flooding_stranger_is_logged_once_a_minute() {
        let mut t = Trust::default();
        let t0 = Instant::now();
        let (scanner, other) = (a("203.0.113.5:5060").ip(), a("203.0.113.6:5060").ip());
        assert!(t.worth_logging(scanner, t0));
        for i in 1..600 {
            assert!(!t.worth_logging(scanner, t0 + Duration::from_millis(i * 10)));
        }
        assert!(t.worth_logging(other, t0), "another host gets its own line");
        assert!(t.worth_logging(scanner, t0 + LOG_EVERY));
        // Many hosts never grow the memory without bound.
        for i in 0..10_000u32 {
            t.worth_logging(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert!(t.logged.len() <= LOGGED_HOSTS);
    }

    #[test]
    fn an_ipv4_mapped_source_is_the_same_host() {
        let server = a("192.0.2.10:5060");
        assert!(is_server(
            server,
            a("[::ffff:192.0.2.10]:5060"),
            Transport::Udp
        ));
        assert!(!is_server(
            server,
            a("[::ffff:192.0.2.12]:5060"),
            Transport::Udp
        ));
    }
}
