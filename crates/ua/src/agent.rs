//! The sans-IO user agent: owns the transaction layer, the registration and all calls.
//! Commands come in as method calls, network input via `handle_incoming`, time via
//! `handle_timeout`; output is drained with `poll_transmit` / `poll_event`.

mod calls;
mod flow;
mod incoming;
mod media_watch;
mod midcall;
mod mwi;
mod names;
mod responses;
mod server;
mod session_timer;
mod trust;

pub use media_watch::MediaWatch;
pub use session_timer::{Refresher, SessionExpires, SessionTimer};

use crate::call::Call;
use crate::config::{ConfigError, SipUri, UaConfig};
use crate::events::{CallId, CallState, UaEvent};
use crate::keepalive::KeepAlive;
use crate::registration::Registration;
use koppla_media::SdpError;
use koppla_sip::message::ParseError;
use koppla_sip::{
    Request, SipMessage, TransactionError, TransactionEvent, TransactionKey, TransactionLayer,
    Transmit, Transport,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO";

#[derive(Debug, thiserror::Error)]
pub enum UaError {
    #[error("no call {0}")]
    NoSuchCall(CallId),
    #[error("call {call} is {state}; cannot {action}")]
    InvalidState {
        call: CallId,
        state: CallState,
        action: &'static str,
    },
    #[error("a re-INVITE is already pending on call {0}")]
    Pending(CallId),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The runtime has not resolved this host name yet (the agent does no DNS itself).
    #[error("{0} is not resolved yet")]
    Unresolved(String),
    #[error("bad SIP input: {0}")]
    Sip(#[from] ParseError),
    #[error(transparent)]
    Transaction(#[from] TransactionError),
    #[error("call {0}: our offer was in the 200 but the ACK carried no answer")]
    NoAnswerInAck(CallId),
    #[error("media negotiation failed: {0}")]
    Media(#[from] SdpError),
}

/// Which part of the agent a client transaction belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Register,
    Invite(CallId),
    ReInvite(CallId),
    Refer(CallId),
    Notify,
    /// An OPTIONS probe of the registration's flow.
    KeepAlive,
    /// The message-summary subscription's SUBSCRIBE.
    Subscribe,
    Other,
}

#[derive(Debug)]
pub struct UserAgent {
    cfg: UaConfig,
    tl: TransactionLayer,
    reg: Registration,
    calls: BTreeMap<CallId, Call>,
    owners: HashMap<TransactionKey, (Owner, Request)>,
    next_call: CallId,
    events: VecDeque<UaEvent>,
    /// Host names the runtime resolved for us (lower case).
    names: HashMap<String, IpAddr>,
    /// The server did not answer or could not be reached: the runtime should fail over.
    server_failed: bool,
    /// Calls whose INVITE to the server went unanswered, to re-send to the next server.
    awaiting_server: Vec<CallId>,
    /// How long the server may stay silent before failing over, when there is another.
    fast_failover: Option<std::time::Duration>,
    /// REGISTER and INVITE transactions to the server that have had no answer yet, with
    /// the time the fast failover gives up on them.
    silent: HashMap<TransactionKey, Instant>,
    /// Watches the registration's flow to the registrar.
    keepalive: KeepAlive,
    /// Keep-alive pings for the runtime to send.
    pings: VecDeque<(Transport, SocketAddr)>,
    /// Message-waiting indication.
    mwi: mwi::Mwi,
    /// Whom out-of-dialog requests are taken from.
    trust: trust::Trust,
}

impl UserAgent {
    pub fn new(cfg: UaConfig) -> Self {
        let expires = cfg.account.expires;
        let keepalive = KeepAlive::for_transport(cfg.account.transport);
        Self {
            cfg,
            tl: TransactionLayer::new(),
            reg: Registration::new(expires),
            calls: BTreeMap::new(),
            owners: HashMap::new(),
            next_call: 1,
            events: VecDeque::new(),
            names: HashMap::new(),
            server_failed: false,
            awaiting_server: Vec::new(),
            fast_failover: None,
            silent: HashMap::new(),
            keepalive,
            pings: VecDeque::new(),
            mwi: mwi::Mwi::default(),
            trust: trust::Trust::default(),
        }
    }

    pub fn config(&self) -> &UaConfig {
        &self.cfg
    }

    pub fn is_registered(&self) -> bool {
        self.reg.is_registered()
    }

    /// Current state of a call, if it exists.
    pub fn call_state(&self, call: CallId) -> Option<CallState> {
        self.calls.get(&call).map(|c| c.state)
    }

    /// The call an incoming call replaces (INVITE with Replaces): answer it at once.
    pub fn replaces(&self, call: CallId) -> Option<CallId> {
        self.calls.get(&call).and_then(|c| c.replaces)
    }

    /// Live calls with their states, lowest id first.
    pub fn calls(&self) -> Vec<(CallId, CallState)> {
        self.calls.values().map(|c| (c.id, c.state)).collect()
    }

    fn transport(&self) -> Transport {
        self.cfg.account.transport
    }

    fn via(&self) -> String {
        self.cfg.via()
    }

    fn contact(&self) -> String {
        self.cfg.contact()
    }

    fn push_events(&mut self, evs: Vec<UaEvent>) {
        self.events.extend(evs);
    }

    fn send(
        &mut self,
        req: Request,
        dest: SocketAddr,
        owner: Owner,
        now: Instant,
    ) -> Result<TransactionKey, UaError> {
        let key = self
            .tl
            .send_request(req.clone(), dest, self.transport(), now)?;
        let watched = self.cfg.account.server == Some(dest)
            && matches!(owner, Owner::Register | Owner::Invite(_));
        if let Some(wait) = self.fast_failover.filter(|_| watched) {
            self.silent.insert(key.clone(), now + wait);
        }
        self.owners.insert(key.clone(), (owner, req));
        Ok(key)
    }

    /// Where to send an out-of-dialog request: the registrar as outbound proxy once registered,
    /// otherwise the host in the URI.
    fn dest_for(&self, uri: &str) -> Result<SocketAddr, UaError> {
        if self.reg.is_registered() {
            return self.server();
        }
        self.addr_of(&SipUri::parse(uri)?)
    }

    fn dialog_dest(&self, call: &Call) -> Result<SocketAddr, UaError> {
        match &call.dialog {
            Some(d) if !d.route_set.is_empty() || !self.reg.is_registered() => {
                self.addr_of(&SipUri::parse(&d.next_hop())?)
            }
            Some(d) => SipUri::parse(&d.next_hop())
                .map_err(UaError::from)
                .and_then(|u| self.addr_of(&u))
                .or_else(|_| self.server()),
            None => self.server(),
        }
    }

    // ---- registration -------------------------------------------------------------------

    pub fn register(&mut self, now: Instant) -> Result<(), UaError> {
        self.bind_to_server();
        if let Some(req) = self.reg.register(&self.cfg) {
            let dest = self.server()?;
            self.send(req, dest, Owner::Register, now)?;
        }
        Ok(())
    }

    /// Our transport address changed (a reused connection was re-opened on a new port):
    /// use it from now on, and move the registration there at once.
    pub fn set_local_addr(&mut self, addr: SocketAddr, now: Instant) -> Result<(), UaError> {
        if addr == self.cfg.local_addr {
            return Ok(());
        }
        let old = self.cfg.contact_addr();
        self.cfg.local_addr = addr;
        self.cfg.public_addr = None;
        // A REGISTER still in flight carries the old Contact too: replace it.
        let registering = self.reg.state == crate::registration::RegState::Registering;
        if self.reg.is_registered() || registering {
            if let Some(req) = self.reg.rebind(&self.cfg, old) {
                let dest = self.server()?;
                self.send(req, dest, Owner::Register, now)?;
            }
        }
        self.mwi_contact_changed(now);
        Ok(())
    }

    pub fn unregister(&mut self, now: Instant) -> Result<(), UaError> {
        self.keepalive.stop();
        self.mwi_unsubscribe(now);
        if let Some(req) = self.reg.unregister(&self.cfg) {
            let dest = self.server()?;
            self.send(req, dest, Owner::Register, now)?;
        }
        Ok(())
    }

    // ---- driving ------------------------------------------------------------------------

    /// Feed a parsed message from the network.
    pub fn handle_incoming(
        &mut self,
        msg: SipMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        if let Err(e) = self.tl.handle_incoming(msg, source, transport, now) {
            tracing::debug!("dropping message: {e}");
        }
        self.process_tl_events(now);
    }

    fn process_tl_events(&mut self, now: Instant) {
        while let Some(ev) = self.tl.poll_event() {
            let res = match ev {
                TransactionEvent::Request {
                    key,
                    request,
                    source,
                    transport,
                } => self.on_request(key, request, source, transport, now),
                TransactionEvent::Ack { request, .. } => self.on_ack(request, now),
                TransactionEvent::Response { key, response, .. } => {
                    self.silent.remove(&key);
                    self.on_response(key, response, now)
                }
                TransactionEvent::Timeout { key } => {
                    self.silent.remove(&key);
                    self.on_timeout(key, now);
                    Ok(())
                }
                TransactionEvent::Cancelled { invite, cancel } => {
                    self.on_cancelled(invite, &cancel, now)
                }
                TransactionEvent::AckTimeout { key } => {
                    let id = self
                        .calls
                        .values()
                        .find(|c| c.invite_key == key)
                        .map(|c| c.id);
                    if let Some(id) = id {
                        let _ = self.send_bye(id, now);
                        self.end_call(id, "no_ack", now);
                    }
                    Ok(())
                }
            };
            if let Err(e) = res {
                self.events.push_back(UaEvent::Error {
                    message: e.to_string(),
                });
            }
        }
        self.sync_keepalive(now);
        self.sync_mwi(now);
        self.sync_media_watch(now);
    }

    fn on_timeout(&mut self, key: TransactionKey, now: Instant) {
        let Some((owner, _)) = self.owners.remove(&key) else {
            return;
        };
        match owner {
            Owner::Register => {
                self.server_failed = true;
                let mut evs = Vec::new();
                self.reg.on_timeout(now, &mut evs);
                self.push_events(evs);
            }
            Owner::Invite(id) => {
                if self.calls.get(&id).is_some_and(|c| c.invite_key == key)
                    && !self.hold_for_fail_over(id)
                {
                    self.end_call(id, "timeout", now);
                }
            }
            Owner::ReInvite(id) => {
                let purpose = self
                    .calls
                    .get_mut(&id)
                    .and_then(|c| c.pending_reinvite.take())
                    .map(|(_, purpose)| purpose);
                self.events.push_back(UaEvent::Error {
                    message: format!("re-INVITE on call {id} timed out"),
                });
                if let Some(purpose) = purpose {
                    self.session_refresh_failed(id, purpose, None, now);
                }
            }
            Owner::Refer(id) => self.events.push_back(UaEvent::TransferFailed {
                call: id,
                status: None,
            }),
            Owner::Subscribe => self.subscribe_timed_out(now),
            Owner::Notify | Owner::KeepAlive | Owner::Other => {}
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tl.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.tl.poll_timeout(),
            self.reg.next_deadline(),
            self.silent.values().min().copied(),
            self.keepalive.next_deadline(),
            self.mwi.sub.next_deadline(),
            self.media_deadline(),
            self.session_timer_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        self.process_tl_events(now);
        self.server_silent(now);
        if let Some(req) = self.reg.on_timer(&self.cfg, now) {
            if let Err(e) = self
                .server()
                .and_then(|dest| self.send(req, dest, Owner::Register, now))
            {
                self.events.push_back(UaEvent::Error {
                    message: e.to_string(),
                });
            }
        }
        self.keepalive_timer(now);
        self.sync_keepalive(now);
        self.mwi_timer(now);
        self.sync_mwi(now);
        self.media_timer(now);
        self.session_timer_tick(now);
    }
}

/// Undo %-escapes (for Replaces inside Refer-To).
pub(crate) fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
