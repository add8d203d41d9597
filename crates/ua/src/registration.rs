//! REGISTER state machine: initial registration with digest retry, refresh before expiry,
//! un-REGISTER, and exponential back-off (1 s .. 5 min) after failures. After its flow died
//! (see [`crate::keepalive`]) the registration recovers faster: at once, then with jittered
//! back-off from 0.5 s to 1.2 s (±25 %) for the first five minutes (a switch restart), then up to 30 s.

use crate::config::UaConfig;
use crate::events::UaEvent;
use koppla_sip::auth::Challenge;
use koppla_sip::message::{self, new_call_id, new_tag};
use koppla_sip::{Method, Request, Response, SipMessage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A lost flow usually means the server restarted or the network blinked, both over within
/// seconds, so recovery starts fast; it still backs off so a long outage is not hammered.
pub const RECOVERY_MIN_BACKOFF: Duration = Duration::from_millis(500);
/// The longest nominal wait between attempts during the first [`RECOVERY_FAST_WINDOW`]: a
/// restarted switch is serving again within seconds and its users must be reachable within 2 s
/// of that (issue 18). With the jitter an attempt comes at most 1.5 s after the last, leaving
/// time for the connection and the challenge. While the switch is down, attempts cost it nothing
/// (the connection is refused).
pub const RECOVERY_FAST_MAX_BACKOFF: Duration = Duration::from_millis(1200);
/// How long recovery keeps to the fast schedule before backing off further.
pub const RECOVERY_FAST_WINDOW: Duration = Duration::from_secs(300);
pub const RECOVERY_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Recovery delays vary by this fraction either way, so the phones of a whole office, which
/// all lose their flow at the same instant when the switch restarts, do not retry in lockstep.
pub const RECOVERY_JITTER: f64 = 0.25;

/// What the user sees when the flow died (no "password" or status code in it: the app reads
/// those as a credentials problem).
pub const FLOW_LOST: &str = "lost the connection to the registrar";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegState {
    Idle,
    Registering,
    Registered { expires: u32 },
    Unregistering,
    Failed,
}

#[derive(Debug)]
pub struct Registration {
    pub state: RegState,
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// Auth attempts answered for the current request chain.
    auth_tries: u8,
    nc: u32,
    expires: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// A Contact we registered before learning our public address; the next REGISTER
    /// removes it (expires=0) so calls are not forked to an address nobody can reach.
    stale_contact: Option<SocketAddr>,
    /// Re-registering after the flow died (since when): retries use the recovery back-off
    /// until one succeeds.
    recovering: Option<Instant>,
    jitter: StdRng,
}

/// Human reason for a failure response (contract: "wrong password (403)").
fn failure_reason(code: u16) -> String {
    match code {
        401 | 407 | 403 => format!("wrong password ({code})"),
        404 => "unknown user (404)".into(),
        408 => "timeout (408)".into(),
        c => format!("{} ({c})", message::reason_for(c).to_ascii_lowercase()),
    }
}

impl Registration {
    pub fn new(expires: u32) -> Self {
        Self {
            state: RegState::Idle,
            call_id: new_call_id(),
            from_tag: new_tag(),
            cseq: 0,
            auth_tries: 0,
            nc: 0,
            expires,
            refresh_at: None,
            retry_at: None,
            backoff: MIN_BACKOFF,
            stale_contact: None,
            recovering: None,
            jitter: StdRng::from_os_rng(),
        }
    }

    /// Whether the registration is re-registering after its flow died.
    pub fn is_recovering(&self) -> bool {
        self.recovering.is_some()
    }

    /// When the next retry is due, if one is scheduled.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// The flow the registration lives on died (a closed connection, an unanswered
    /// keep-alive): we are not registered any more, whatever the last answer said. Reports
    /// that and returns the REGISTER to send at once; if it fails, retries follow with the
    /// recovery back-off until one succeeds. A registration already recovering is not sent
    /// again at once (a server that accepts and drops connections would loop us), only
    /// rescheduled.
    pub fn flow_lost(
        &mut self,
        cfg: &UaConfig,
        now: Instant,
        events: &mut Vec<UaEvent>,
    ) -> Option<Request> {
        match self.state {
            RegState::Registered { .. } | RegState::Registering if self.recovering.is_none() => {
                self.recovering = Some(now);
                self.backoff = RECOVERY_MIN_BACKOFF;
                events.push(UaEvent::RegistrationFailed {
                    reason: FLOW_LOST.into(),
                });
                self.register(cfg)
            }
            RegState::Registering => {
                self.fail(FLOW_LOST.into(), now, events);
                None
            }
            RegState::Registered { .. }
            | RegState::Idle
            | RegState::Unregistering
            | RegState::Failed => None,
        }
    }

    pub fn is_registered(&self) -> bool {
        matches!(self.state, RegState::Registered { .. })
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        [self.refresh_at, self.retry_at].into_iter().flatten().min()
    }

    /// Build a REGISTER (`expires` 0 removes the binding).
    fn build(
        &mut self,
        cfg: &UaConfig,
        expires: u32,
        auth: Option<(&str, String)>,
    ) -> Option<Request> {
        self.cseq += 1;
        let a = &cfg.account;
        let t = a.transport;
        let contact_transport = match t {
            koppla_sip::Transport::Udp => String::new(),
            other => format!(";transport={}", other.uri_param()),
        };
        let mut contact = format!(
            "<sip:{}@{}{}>;+sip.instance=\"<{}>\";expires={}",
            a.user,
            cfg.contact_addr(),
            contact_transport,
            cfg.instance_id,
            expires
        );
        if let Some(old) = self.stale_contact.filter(|old| *old != cfg.contact_addr()) {
            contact.push_str(&format!(
                ", <sip:{}@{old}{contact_transport}>;expires=0",
                a.user
            ));
        }
        let mut headers = vec![
            ("Via", cfg.via()),
            ("Max-Forwards", "70".to_string()),
            ("From", format!("<{}>;tag={}", a.aor, self.from_tag)),
            ("To", format!("<{}>", a.aor)),
            ("Call-ID", self.call_id.clone()),
            ("CSeq", format!("{} REGISTER", self.cseq)),
            ("Contact", contact),
            ("Expires", expires.to_string()),
            ("User-Agent", cfg.user_agent.clone()),
            ("Allow", crate::agent::ALLOW.to_string()),
        ];
        if let Some((name, value)) = auth {
            headers.push((name, value));
        }
        let uri = format!("sip:{}", a.domain);
        message::new_request(Method::Register, &uri, &headers, Vec::new()).ok()
    }

    pub fn register(&mut self, cfg: &UaConfig) -> Option<Request> {
        self.state = RegState::Registering;
        self.auth_tries = 0;
        self.retry_at = None;
        self.refresh_at = None;
        self.build(cfg, self.expires, None)
    }

    /// Register again at once because our Contact address changed (NAT discovered);
    /// `old` is removed in the same request. The binding counts as registered meanwhile.
    pub fn rebind(&mut self, cfg: &UaConfig, old: SocketAddr) -> Option<Request> {
        self.stale_contact = Some(old);
        self.auth_tries = 0;
        self.retry_at = None;
        self.refresh_at = None;
        self.build(cfg, self.expires, None)
    }

    pub fn unregister(&mut self, cfg: &UaConfig) -> Option<Request> {
        self.state = RegState::Unregistering;
        self.recovering = None;
        self.auth_tries = 0;
        self.retry_at = None;
        self.refresh_at = None;
        self.build(cfg, 0, None)
    }

    fn fail(&mut self, reason: String, now: Instant, events: &mut Vec<UaEvent>) {
        self.state = RegState::Failed;
        let (delay, max) = if let Some(since) = self.recovering {
            let spread =
                1.0 - RECOVERY_JITTER + 2.0 * RECOVERY_JITTER * self.jitter.random::<f64>();
            let max = if now.saturating_duration_since(since) < RECOVERY_FAST_WINDOW {
                RECOVERY_FAST_MAX_BACKOFF
            } else {
                RECOVERY_MAX_BACKOFF
            };
            (self.backoff.min(max).mul_f64(spread), max)
        } else {
            (self.backoff, MAX_BACKOFF)
        };
        self.retry_at = Some(now + delay);
        self.backoff = (self.backoff * 2).min(max);
        events.push(UaEvent::RegistrationFailed { reason });
    }

    /// Handle the final or provisional response to our REGISTER; may return a retry request.
    pub fn on_response(
        &mut self,
        cfg: &UaConfig,
        resp: &Response,
        sent: &Request,
        now: Instant,
        events: &mut Vec<UaEvent>,
    ) -> Option<Request> {
        let code = message::status(resp);
        let unregistering = self.state == RegState::Unregistering;
        let expires_asked = if unregistering { 0 } else { self.expires };
        match code {
            100..=199 => None,
            200..=299 if unregistering => {
                self.state = RegState::Idle;
                events.push(UaEvent::Unregistered);
                None
            }
            200..=299 => {
                let msg = SipMessage::Response(resp.clone());
                let granted = granted_expires(&msg, cfg).unwrap_or(self.expires);
                if granted == 0 {
                    self.fail("registrar granted no binding".into(), now, events);
                    return None;
                }
                self.state = RegState::Registered { expires: granted };
                self.backoff = MIN_BACKOFF;
                self.recovering = None;
                self.stale_contact = None;
                let refresh = (granted / 2).max(granted.saturating_sub(30)).max(1);
                self.refresh_at = Some(now + Duration::from_secs(refresh.into()));
                events.push(UaEvent::Registered { expires: granted });
                None
            }
            401 | 407 => {
                let msg = SipMessage::Response(resp.clone());
                let name = if code == 401 {
                    "WWW-Authenticate"
                } else {
                    "Proxy-Authenticate"
                };
                let values = message::header_values(&msg, name);
                let challenge = match Challenge::pick_best(values.iter().map(String::as_str)) {
                    Ok(c) => c,
                    Err(e) => {
                        self.fail(format!("cannot answer challenge: {e}"), now, events);
                        return None;
                    }
                };
                // One answer per challenge; a second one only if the server says the nonce
                // was merely stale.
                if self.auth_tries >= 1 && !challenge.stale || self.auth_tries >= 3 {
                    self.fail(failure_reason(code), now, events);
                    return None;
                }
                let Some(password) = cfg.account.password.as_ref() else {
                    self.fail(format!("password required ({code})"), now, events);
                    return None;
                };
                self.auth_tries += 1;
                self.nc += 1;
                let value = challenge.respond(
                    &cfg.account.auth_user,
                    password.expose(),
                    "REGISTER",
                    &sent.uri.to_string(),
                    self.nc,
                    &new_tag(),
                );
                let hname = if code == 401 {
                    "Authorization"
                } else {
                    "Proxy-Authorization"
                };
                let tries = self.auth_tries;
                let r = self.build(cfg, expires_asked, Some((hname, value)));
                self.auth_tries = tries;
                r
            }
            423 => {
                let msg = SipMessage::Response(resp.clone());
                match message::header(&msg, "Min-Expires").and_then(|v| v.trim().parse().ok()) {
                    Some(min) if min > self.expires && !unregistering => {
                        self.expires = min;
                        self.build(cfg, min, None)
                    }
                    _ => {
                        self.fail(failure_reason(code), now, events);
                        None
                    }
                }
            }
            _ if unregistering => {
                self.state = RegState::Idle;
                events.push(UaEvent::Unregistered);
                None
            }
            _ => {
                self.fail(failure_reason(code), now, events);
                None
            }
        }
    }

    pub fn on_timeout(&mut self, now: Instant, events: &mut Vec<UaEvent>) {
        if self.state == RegState::Unregistering {
            self.state = RegState::Idle;
            events.push(UaEvent::Unregistered);
        } else {
            self.fail("no response from registrar (timeout)".into(), now, events);
        }
    }

    /// Refresh or retry when due.
    /// The REGISTER could not be sent (refused or broken connection): like a timeout
    /// (RFC 3261 8.1.3.1), with a reason that says so.
    pub fn on_unreachable(&mut self, now: Instant, events: &mut Vec<UaEvent>) {
        if self.state == RegState::Unregistering {
            self.state = RegState::Idle;
            events.push(UaEvent::Unregistered);
        } else {
            self.fail("cannot reach the registrar".into(), now, events);
        }
    }

    pub fn on_timer(&mut self, cfg: &UaConfig, now: Instant) -> Option<Request> {
        let due = self.next_deadline().is_some_and(|t| t <= now);
        if !due {
            return None;
        }
        self.refresh_at = None;
        self.retry_at = None;
        self.auth_tries = 0;
        if matches!(self.state, RegState::Failed | RegState::Registered { .. }) {
            let keep = self.state;
            let r = self.build(cfg, self.expires, None);
            // A refresh keeps the Registered state until the answer arrives.
            self.state = if matches!(keep, RegState::Registered { .. }) {
                keep
            } else {
                RegState::Registering
            };
            return r;
        }
        None
    }
}

/// Expires granted for our Contact (its `expires` param), else the Expires header.
fn granted_expires(msg: &SipMessage, cfg: &UaConfig) -> Option<u32> {
    let ours = format!("{}", cfg.contact_addr());
    for c in message::header_values(msg, "Contact") {
        for item in message::split_list(&c) {
            if message::addr_uri(item).contains(&ours) {
                if let Some(e) = message::param(item, "expires").and_then(|e| e.parse().ok()) {
                    return Some(e);
                }
            }
        }
    }
    message::header(msg, "Expires").and_then(|e| e.trim().parse().ok())
}

/// Our address as the registrar saw it, from the top Via of its response (`received`,
/// `rport`; RFC 3261 18.2.1, RFC 3581), when that differs from `contact`. Over UDP a
/// different port alone means a NAT; over TCP/TLS the port is the connection's own, so
/// only a different IP does.
pub fn observed_addr(
    resp: &Response,
    transport: koppla_sip::Transport,
    contact: SocketAddr,
) -> Option<SocketAddr> {
    let via = message::top_via(&SipMessage::Response(resp.clone())).ok()?;
    let received = message::param(&via, "received").and_then(|r| {
        r.trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .ok()
    });
    let rport = message::param(&via, "rport").and_then(|p| p.parse::<u16>().ok());
    if received.is_none() && rport.is_none() {
        return None;
    }
    let seen = SocketAddr::new(
        received.unwrap_or(contact.ip()),
        rport.unwrap_or(contact.port()),
    );
    let moved = match transport {
        koppla_sip::Transport::Udp => seen != contact,
        _ => seen.ip() != contact.ip(),
    };
    moved.then_some(seen)
}
