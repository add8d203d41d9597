//! Sans-IO switch core: state, authentication, answers to malformed input, and dispatch.
//! Registration, proxying, in-dialog routing, local services, voicemail and presence live in
//! sibling modules as further `impl SipCore` blocks.

use super::auth_throttle::AuthThrottle;
use super::directory::{Directory, Numbering};
use super::flow::Flow;
use super::local::LocalCall;
use super::presence::Presence;
use super::proxy::{CallInfo, InviteTx};
use super::registrar::Registrar;
use crate::activity::Activities;
use crate::model::ActivityChoice;
use koppla_sip::auth::{Algorithm, DigestResponse, DigestServer, Verdict};
use koppla_sip::message as m;
use koppla_sip::request_check;
use koppla_sip::rsip::{Headers, Method, Request, SipMessage};
use koppla_sip::Transport;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A message to send: a datagram, or bytes for a stream connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub to: Flow,
    pub data: Vec<u8>,
}

/// Things the driver must act on outside SIP.
#[derive(Debug, Clone, PartialEq)]
pub enum CoreEvent {
    /// A user set their activity with PUBLISH; persist and broadcast it.
    ActivityPublished {
        username: String,
        choice: ActivityChoice,
    },
    /// A user's number of registered devices changed.
    Registration { username: String, devices: u32 },
    /// A call to a user ended unanswered.
    MissedCall { username: String, from: String },
    /// A queue's counters changed.
    QueueChanged(crate::model::QueueStatus),
    /// The parked calls (every personal queue's waiting callers) changed.
    ParkedChanged(Vec<crate::model::ParkedCall>),
    /// A user started or stopped being on a call (ringing, talking, or queued).
    OnCallChanged { username: String, on_call: bool },
}

/// Media plumbing the core asks for; the driver implements it with UDP sockets, tests with fakes.
pub trait MediaControl: Send {
    /// Relay for a call. `from_caller` says whose SDP is passing; `remote` is the address that
    /// SDP announces. Returns the relay address to write into that SDP (the socket facing the
    /// other party).
    fn relay(
        &mut self,
        call_id: &str,
        from_caller: bool,
        remote: Option<SocketAddr>,
    ) -> Option<SocketAddr>;
    /// Starts an echo endpoint; returns its RTP address.
    fn echo(&mut self, call_id: &str, remote: Option<SocketAddr>) -> Option<SocketAddr>;
    /// Starts speaking `text` (then reports completion via [`SipCore::announcement_done`]).
    fn announce(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        text: &str,
        payload_type: u8,
    ) -> Option<SocketAddr>;
    /// Answers for `mailbox`: plays the greeting for `reason` and the tone, then records what
    /// `caller` says until released or the maximum length (then reports completion like an
    /// announcement; also when the mailbox is full or cannot record, after saying so).
    fn voicemail(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        payload_type: u8,
        mailbox: &str,
        caller: &str,
        reason: super::voicemail::VoicemailReason,
    ) -> Option<SocketAddr>;
    /// Answers a queued caller: plays the queue's announcement and hold audio to `remote` and
    /// prepares a relay toward an agent. Returns the caller-facing RTP address.
    fn queue_hold(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        payload_type: u8,
        queue: &str,
    ) -> Option<SocketAddr>;
    /// The agent-facing RTP address of a queued call's relay (for offers to agents).
    fn queue_agent_side(&mut self, call_id: &str) -> Option<SocketAddr>;
    /// Stops the hold audio and relays the caller to the agent at `agent`.
    fn queue_bridge(&mut self, call_id: &str, agent: Option<SocketAddr>);
    /// Stops relaying to the agent and plays hold audio to the caller again (the agent
    /// transferred the call; the next `queue_bridge` connects the new agent).
    fn queue_unbridge(&mut self, call_id: &str);
    /// Stops the hold audio and records the caller into `mailbox` (reports completion like an
    /// announcement when the maximum length is reached).
    fn queue_voicemail(&mut self, call_id: &str, payload_type: u8, mailbox: &str, caller: &str);
    /// Answers with the dial-in voicemail menu (decision 0509); `events` is the caller's
    /// RFC 4733 telephone-event payload type. Reports completion like an announcement when the
    /// menu hangs up. A media backend without the menu answers none (the call gets 503).
    fn voicemail_menu(
        &mut self,
        _call_id: &str,
        _remote: Option<SocketAddr>,
        _payload_type: u8,
        _events: Option<u8>,
        _login: &super::voicemail_menu::Login,
    ) -> Option<SocketAddr> {
        None
    }
    /// When each side of a relayed call (caller, callee) last sent a packet; `None` for a
    /// call without a relay (a backend that cannot tell never has its calls released for
    /// silence).
    fn relay_heard(&self, _call_id: &str) -> Option<[Option<Instant>; 2]> {
        None
    }
    /// When the caller of a call the switch answered itself (queue, parking, voicemail, the
    /// menu, echo, announcements) last sent RTP or RTCP: `Some(None)` while nothing came yet,
    /// `None` for a call this backend does not watch (never released for silence).
    fn caller_heard(&self, _call_id: &str) -> Option<Option<Instant>> {
        None
    }
    /// Like `caller_heard`, for the agent (or picker) a queued or parked call is connected to.
    fn agent_heard(&self, _call_id: &str) -> Option<Option<Instant>> {
        None
    }
    /// Frees everything held for a call.
    fn release(&mut self, call_id: &str);
}

/// Static settings of the core.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// UDP address written into Via, Record-Route and Contact.
    pub local: SocketAddr,
    /// TCP and TLS listen addresses, when those transports are enabled.
    pub local_tcp: Option<SocketAddr>,
    pub local_tls: Option<SocketAddr>,
    pub realm: String,
    pub algorithms: Vec<Algorithm>,
    pub numbering: Numbering,
    pub max_expires: u32,
    /// Trunk URI and the resolved address it is reached at.
    pub trunk: Option<(String, SocketAddr)>,
    /// Ring timeouts and voicemail.
    pub calls: super::voicemail::CallPolicy,
}

pub(crate) const MIN_EXPIRES: u32 = 60;
/// The media timeout until [`SipCore::set_media_timeout`] says otherwise (`[server]
/// media_timeout_secs`).
pub const DEFAULT_MEDIA_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, UPDATE, INFO, REFER, MESSAGE";

pub struct SipCore {
    pub(crate) cfg: CoreConfig,
    pub(crate) digest: DigestServer,
    epoch: (Instant, u64),
    pub(crate) dir: Directory,
    pub(crate) acts: Activities,
    pub(crate) registrar: Registrar,
    pub(crate) media: Box<dyn MediaControl>,
    pub(crate) out: VecDeque<Outgoing>,
    pub(crate) events: VecDeque<CoreEvent>,
    /// Contact URI -> flow it was last seen sending from (NAT traversal, connection reuse).
    pub(crate) contact_routes: HashMap<String, (Flow, Instant)>,
    pub(crate) invites: HashMap<String, InviteTx>,
    pub(crate) branches: HashMap<String, String>,
    pub(crate) calls: HashMap<String, CallInfo>,
    pub(crate) local_calls: HashMap<String, LocalCall>,
    pub(crate) presence: Presence,
    /// Branches of requests the switch itself originated (NOTIFY, BYE), with send time.
    pub(crate) own: HashMap<String, Instant>,
    /// Mailbox (new, old) message counts as last reported by the driver.
    pub(crate) mwi: HashMap<String, (u32, u32)>,
    pub(crate) queues: super::queue::Queues,
    pub(crate) parking: super::park::Parking,
    pub(crate) transfers: super::transfer::Transfers,
    pub(crate) on_call: super::on_call::OnCall,
    /// Failed digest attempts per source and user (password guessing is refused for a while).
    throttle: AuthThrottle,
    /// How long one side of an answered call may send no audio before the switch hangs the
    /// call up (decision 0407; zero: never).
    pub(crate) media_timeout: Duration,
}

/// First value of a header.
pub(crate) fn hv(h: &Headers, name: &str) -> Option<String> {
    m::header_values_in(h, name).into_iter().next()
}

pub(crate) fn tag_of(h: &Headers, name: &str) -> Option<String> {
    hv(h, name).and_then(|v| m::param(&v, "tag"))
}

impl SipCore {
    /// `now_unix` anchors the monotonic clock to wall time for nonces and activity expiry.
    pub fn new(
        cfg: CoreConfig,
        dir: Directory,
        acts: Activities,
        media: Box<dyn MediaControl>,
        now: Instant,
        now_unix: u64,
    ) -> SipCore {
        SipCore {
            digest: DigestServer::new(cfg.realm.clone(), 300),
            cfg,
            epoch: (now, now_unix),
            dir,
            acts,
            registrar: Registrar::default(),
            media,
            out: VecDeque::new(),
            events: VecDeque::new(),
            contact_routes: HashMap::new(),
            invites: HashMap::new(),
            branches: HashMap::new(),
            calls: HashMap::new(),
            local_calls: HashMap::new(),
            presence: Presence::default(),
            own: HashMap::new(),
            mwi: HashMap::new(),
            queues: Default::default(),
            parking: Default::default(),
            transfers: Default::default(),
            on_call: Default::default(),
            throttle: AuthThrottle::default(),
            media_timeout: DEFAULT_MEDIA_TIMEOUT,
        }
    }

    pub(crate) fn now_unix(&self, now: Instant) -> u64 {
        self.epoch.1 + now.saturating_duration_since(self.epoch.0).as_secs()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.cfg.local
    }

    /// Our address on a transport (UDP's when that transport is not enabled).
    pub(crate) fn local_for(&self, t: Transport) -> SocketAddr {
        match t {
            Transport::Udp => None,
            Transport::Tcp => self.cfg.local_tcp,
            Transport::Tls => self.cfg.local_tls,
        }
        .unwrap_or(self.cfg.local)
    }

    /// Whether `addr` is one of our listen addresses.
    pub(crate) fn is_local_addr(&self, addr: SocketAddr) -> bool {
        addr == self.cfg.local
            || self.cfg.local_tcp == Some(addr)
            || self.cfg.local_tls == Some(addr)
    }

    /// Our URI as reached over `t`, for Contact and Record-Route.
    pub(crate) fn local_uri(&self, user: Option<&str>, t: Transport) -> String {
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        format!(
            "sip:{user}{}{}",
            self.local_for(t),
            super::flow::uri_param(t)
        )
    }

    /// Our Via for a request leaving over `t`.
    pub(crate) fn via_for(&self, t: Transport, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            t.via_token(),
            self.local_for(t)
        )
    }

    /// A stream connection closed: the devices registered over it are unreachable now (their
    /// NAT binding is gone with it), so their bindings go (RFC 5626 flow failure).
    pub fn flow_closed(&mut self, flow: Flow, now: Instant) {
        for user in self.registrar.remove_flow(flow) {
            let devices =
                u32::try_from(self.registrar.lookup(&user, now).len()).unwrap_or(u32::MAX);
            self.events.push_back(CoreEvent::Registration {
                username: user,
                devices,
            });
        }
        self.contact_routes.retain(|_, (f, _)| *f != flow);
    }
    /// Next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.out.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<CoreEvent> {
        self.events.pop_front()
    }

    pub fn directory_mut(&mut self) -> &mut Directory {
        &mut self.dir
    }

    /// Registered devices of a user (for tests and status).
    pub fn devices(&self, username: &str, now: Instant) -> usize {
        self.registrar.lookup(username, now).len()
    }

    pub(crate) fn send(&mut self, to: Flow, msg: SipMessage) {
        self.out.push_back(Outgoing {
            to,
            data: m::serialize(&msg),
        });
    }

    /// Sends a response built from `req` to `to`, with extra headers and optional body.
    pub(crate) fn reply(
        &mut self,
        req: &Request,
        to: Flow,
        code: u16,
        to_tag: Option<&str>,
        extra: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) {
        let mut resp = m::response_for(req, code, to_tag);
        for (k, v) in extra {
            resp.headers.push(m::make_header(k, v));
        }
        if let Some((ct, b)) = body {
            resp.headers.push(m::make_header("Content-Type", ct));
            resp.body = b;
        }
        self.send(to, SipMessage::Response(resp));
    }

    /// 403 saying why in a Warning header (RFC 3261 20.43) so the phone's log tells the admin:
    /// an authenticated user asking for something that is not theirs, or a refused login.
    pub(crate) fn forbid(&mut self, req: &Request, to: Flow, why: &str) {
        let warning = m::warning_value("vaxel", why);
        self.reply(
            req,
            to,
            403,
            Some(&m::new_tag()),
            &[("Warning", warning)],
            None,
        );
    }

    /// Feeds one received UDP datagram.
    pub fn handle(&mut self, data: &[u8], src: SocketAddr, now: Instant) {
        self.handle_from(data, Flow::udp(src), now)
    }

    /// Feeds one received message: a datagram or one framed message from a stream.
    pub fn handle_from(&mut self, data: &[u8], src: Flow, now: Instant) {
        match m::parse(data) {
            Ok(SipMessage::Request(req)) => {
                if self.admit(&req, data.len(), src) {
                    self.on_request(req, src, now)
                }
            }
            Ok(SipMessage::Response(resp)) => self.on_response(resp, src, now),
            Err(e) => self.reject_malformed(data, src, &e),
        }
        self.queue_step(now);
    }

    /// The RFC 3261 8.2 checks before acting on a request: answers and returns false when the
    /// request is refused. The switch is the UAS of REGISTER, OPTIONS, PUBLISH and SUBSCRIBE
    /// (so an unknown `Require` gets 420) and a proxy for the rest (`Proxy-Require`,
    /// Max-Forwards). ACK gets no answer, so it is never refused here.
    fn admit(&mut self, req: &Request, size: usize, src: Flow) -> bool {
        if req.method == Method::Ack {
            return true;
        }
        let as_uas = matches!(
            req.method,
            Method::Register | Method::Options | Method::Publish | Method::Subscribe
        );
        let policy = request_check::Policy {
            // Nothing the switch does needs an extension the caller could require of it.
            supported: &[],
            as_uas,
            as_proxy: !as_uas,
            max_size: m::MAX_MESSAGE_SIZE,
        };
        match request_check::check(req, size, &policy) {
            Ok(()) => true,
            Err(refused) => {
                tracing::debug!(%src, %refused, method = %req.method, "request refused");
                let tag = m::new_tag();
                self.reply(
                    req,
                    src,
                    refused.code(),
                    Some(&tag),
                    &refused.headers("vaxel"),
                    None,
                );
                false
            }
        }
    }

    /// Answers a request we cannot parse (400; 501 with `Allow` for a method we do not know;
    /// 505, 513) when it carries enough to route a response; anything else (garbage, broken
    /// responses) is dropped. The shared `message::refusal` decides, as in the user agent.
    fn reject_malformed(&mut self, data: &[u8], src: Flow, err: &m::ParseError) {
        tracing::debug!(%src, error = %err, "malformed SIP");
        if let Some(data) = m::refusal::refusal(data, err, "vaxel", Some(ALLOW)) {
            self.out.push_back(Outgoing { to: src, data });
        }
    }

    fn on_request(&mut self, req: Request, src: Flow, now: Instant) {
        let in_dialog = tag_of(&req.headers, "To").is_some();
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        if let Some(c) = hv(&req.headers, "Contact") {
            let uri = m::addr_uri(&c);
            // A request from our own address is one we looped to ourselves; its Contact is
            // someone else's and must not be bound to us.
            if !uri.is_empty() && uri != "*" && !self.is_local_addr(src.addr) {
                self.contact_routes.insert(uri, (src, now));
            }
        }
        match req.method {
            Method::Register => self.on_register(req, src, now),
            Method::Cancel => self.on_cancel(req, src, now),
            Method::Ack if self.local_calls.contains_key(&call_id) => self.local_ack(&req, now),
            Method::Ack => self.forward_in_dialog(req, src, now),
            _ if in_dialog && self.local_calls.contains_key(&call_id) => {
                self.local_in_dialog(req, src, now)
            }
            _ if self.queues.legs.contains_key(&call_id) => self.leg_in_dialog(req, src, now),
            Method::Subscribe if in_dialog => self.on_subscribe(req, src, now),
            _ if in_dialog => self.forward_in_dialog(req, src, now),
            Method::Invite => self.on_invite(req, src, now),
            Method::Subscribe => self.on_subscribe(req, src, now),
            Method::Publish => self.on_publish(req, src, now),
            Method::Options => {
                let tag = m::new_tag();
                self.reply(
                    &req,
                    src,
                    200,
                    Some(&tag),
                    &[
                        ("Allow", ALLOW.into()),
                        ("Accept", "application/sdp, application/pidf+xml".into()),
                    ],
                    None,
                );
            }
            Method::Bye | Method::Notify | Method::Info | Method::Update | Method::PRack => {
                self.reply(&req, src, 481, None, &[], None);
            }
            _ => self.reply(&req, src, 405, None, &[("Allow", ALLOW.into())], None),
        }
    }

    /// Checks digest credentials. Returns the authenticated (stored) username, or queues a
    /// challenge / 403 and returns None. `proxy` selects 407/Proxy-* (calls) over 401/WWW-*
    /// (registrar etc.).
    pub(crate) fn authenticate(
        &mut self,
        req: &Request,
        src: Flow,
        now: Instant,
        proxy: bool,
    ) -> Option<String> {
        let (auth_hdr, chal_hdr, code) = if proxy {
            ("Proxy-Authorization", "Proxy-Authenticate", 407)
        } else {
            ("Authorization", "WWW-Authenticate", 401)
        };
        let now_unix = self.now_unix(now);
        let creds = m::header_values_in(&req.headers, auth_hdr)
            .into_iter()
            .filter_map(|v| DigestResponse::parse(&v).ok())
            .find(|c| c.realm == self.cfg.realm);
        let challenge = |core: &mut SipCore, stale: bool| {
            let extra: Vec<(&str, String)> = core
                .cfg
                .algorithms
                .iter()
                .map(|a| (chal_hdr, core.digest.challenge(*a, stale, now_unix)))
                .collect();
            let tag = m::new_tag();
            core.reply(req, src, code, Some(&tag), &extra, None);
        };
        let Some(c) = creds else {
            challenge(self, false);
            return None;
        };
        if !self.cfg.algorithms.contains(&c.algorithm) {
            challenge(self, false);
            return None;
        }
        if let Err(refusal) = self.throttle.check(src.addr.ip(), &c.username, now) {
            // No credential check at all while refused: guessing gets no answer either way.
            let why = format!(
                "too many failed logins, try again in {} s",
                refusal.retry_after().as_secs().max(1)
            );
            self.forbid(req, src, &why);
            return None;
        }
        // The stored HA1 covers the stored name, so only a phone that sends that name (the app
        // uses what the switch's login answered) passes the digest; finding the user by the
        // name as written still lets the answer below name who it is.
        let found = self.dir.by_name(&c.username).and_then(|u| {
            let ha1 = match c.algorithm {
                Algorithm::Md5 => u.ha1_md5.clone(),
                Algorithm::Sha256 => u.ha1_sha256.clone(),
            };
            ha1.map(|ha1| (u.username.clone(), ha1))
        });
        let Some((stored, ha1)) = found else {
            tracing::info!(username = %c.username, %src, "SIP auth for unknown user");
            self.auth_failed(src, &c.username, now);
            self.reply(req, src, 403, Some(&m::new_tag()), &[], None);
            return None;
        };
        match self
            .digest
            .verify(&c, req.method.to_string().as_str(), &ha1, now_unix)
        {
            Verdict::Valid => {
                self.throttle.succeeded(src.addr.ip(), &c.username, now);
                Some(stored)
            }
            Verdict::Stale => {
                challenge(self, true);
                None
            }
            Verdict::Invalid(why) => {
                tracing::info!(username = %c.username, %src, %why, "SIP auth failed");
                self.auth_failed(src, &c.username, now);
                self.reply(req, src, 403, Some(&m::new_tag()), &[], None);
                None
            }
        }
    }

    fn auth_failed(&mut self, src: Flow, username: &str, now: Instant) {
        if self.throttle.failed(src.addr.ip(), username, now) {
            tracing::warn!(
                %username,
                source = %src.addr.ip(),
                window_s = super::auth_throttle::WINDOW.as_secs(),
                "too many failed SIP logins: refusing this source or user name for the window"
            );
        }
    }

    /// Advances timers: retransmissions, expiries, cleanup.
    pub fn tick(&mut self, now: Instant) {
        self.throttle.prune(now);
        for user in self.registrar.expire(now) {
            let devices =
                u32::try_from(self.registrar.lookup(&user, now).len()).unwrap_or(u32::MAX);
            self.events.push_back(CoreEvent::Registration {
                username: user,
                devices,
            });
        }
        self.contact_routes.retain(|_, (_, seen)| {
            now.saturating_duration_since(*seen) < Duration::from_secs(7200)
        });
        self.own
            .retain(|_, sent| now.saturating_duration_since(*sent) < Duration::from_secs(64));
        self.proxy_tick(now);
        self.dead_media_tick(now);
        self.local_tick(now);
        self.presence_tick(now);
        self.queue_tick(now);
        self.queue_step(now);
    }
}
