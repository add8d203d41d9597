//! The sans-IO user agent: owns the transaction layer, the registration and all calls.
//! Commands come in as method calls, network input via `handle_incoming`, time via
//! `handle_timeout`; output is drained with `poll_transmit` / `poll_event`.

mod incoming;
mod responses;

use crate::call::{Call, ReInvite, Side, Transfer};
use crate::config::{ConfigError, SipUri, UaConfig};
use crate::events::{CallId, CallState, UaEvent};
use crate::registration::Registration;
use koppla_media::{CodecPrefs, Direction, MediaOffer, SdpError};
use koppla_sip::message::{self, new_branch, new_call_id, new_tag, ParseError};
use koppla_sip::{
    Method, Request, SipMessage, TransactionError, TransactionEvent, TransactionKey,
    TransactionLayer, Transmit, Transport,
};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
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
    #[error("bad SIP input: {0}")]
    Sip(#[from] ParseError),
    #[error(transparent)]
    Transaction(#[from] TransactionError),
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
}

impl UserAgent {
    pub fn new(cfg: UaConfig) -> Self {
        let expires = cfg.account.expires;
        Self {
            cfg,
            tl: TransactionLayer::new(),
            reg: Registration::new(expires),
            calls: BTreeMap::new(),
            owners: HashMap::new(),
            next_call: 1,
            events: VecDeque::new(),
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
        format!(
            "SIP/2.0/{} {};branch={};rport",
            self.transport().via_token(),
            self.cfg.local_addr,
            new_branch()
        )
    }

    fn contact(&self) -> String {
        let t = match self.transport() {
            Transport::Udp => String::new(),
            other => format!(";transport={}", other.uri_param()),
        };
        format!(
            "<sip:{}@{}{}>",
            self.cfg.account.user, self.cfg.local_addr, t
        )
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
        self.owners.insert(key.clone(), (owner, req));
        Ok(key)
    }

    /// Where to send an out-of-dialog request: the registrar as outbound proxy once registered,
    /// otherwise the host in the URI.
    fn dest_for(&self, uri: &str) -> Result<SocketAddr, UaError> {
        if self.reg.is_registered() {
            return Ok(self.cfg.account.server);
        }
        Ok(SipUri::parse(uri)?.resolve(self.transport())?)
    }

    fn dialog_dest(&self, call: &Call) -> Result<SocketAddr, UaError> {
        match &call.dialog {
            Some(d) if !d.route_set.is_empty() || !self.reg.is_registered() => {
                Ok(SipUri::parse(&d.next_hop())?.resolve(self.transport())?)
            }
            Some(d) => Ok(SipUri::parse(&d.next_hop())
                .and_then(|u| u.resolve(self.transport()))
                .unwrap_or(self.cfg.account.server)),
            None => Ok(self.cfg.account.server),
        }
    }

    // ---- registration -------------------------------------------------------------------

    pub fn register(&mut self, now: Instant) -> Result<(), UaError> {
        if let Some(req) = self.reg.register(&self.cfg) {
            let dest = self.cfg.account.server;
            self.send(req, dest, Owner::Register, now)?;
        }
        Ok(())
    }

    pub fn unregister(&mut self, now: Instant) -> Result<(), UaError> {
        if let Some(req) = self.reg.unregister(&self.cfg) {
            let dest = self.cfg.account.server;
            self.send(req, dest, Owner::Register, now)?;
        }
        Ok(())
    }

    // ---- calls --------------------------------------------------------------------------

    /// Turn user input (`bob`, `1234`, `sip:bob@host`) into a SIP URI in our domain.
    pub fn target_uri(&self, target: &str) -> String {
        let t = target.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("sip:") || lower.starts_with("sips:") {
            t.to_string()
        } else if let Some(num) = lower.strip_prefix("tel:") {
            format!("sip:{num}@{}", self.cfg.account.domain)
        } else if t.contains('@') {
            format!("sip:{t}")
        } else {
            format!("sip:{t}@{}", self.cfg.account.domain)
        }
    }

    fn alloc_call_id(&mut self) -> CallId {
        let id = self.next_call;
        self.next_call += 1;
        id
    }

    /// Place a call; `local_rtp` is the bound RTP socket address for its media.
    pub fn call(
        &mut self,
        target: &str,
        local_rtp: SocketAddr,
        now: Instant,
    ) -> Result<CallId, UaError> {
        self.place_call(target, None, None, local_rtp, now)
    }

    /// Place a call asked for by a REFER on `original` (with an optional Replaces value).
    pub fn call_referred(
        &mut self,
        original: CallId,
        target: &str,
        replaces: Option<&str>,
        local_rtp: SocketAddr,
        now: Instant,
    ) -> Result<CallId, UaError> {
        self.place_call(
            target,
            replaces,
            Some(Transfer::ReferredBy { original }),
            local_rtp,
            now,
        )
    }

    fn place_call(
        &mut self,
        target: &str,
        replaces: Option<&str>,
        transfer: Option<Transfer>,
        local_rtp: SocketAddr,
        now: Instant,
    ) -> Result<CallId, UaError> {
        let uri = self.target_uri(target);
        SipUri::parse(&uri)?;
        let dest = self.dest_for(&uri)?;
        let offer = MediaOffer::new(local_rtp, &self.cfg.codecs, self.cfg.srtp);
        let local_tag = new_tag();
        let a = &self.cfg.account;
        let from = match &a.display_name {
            Some(n) => format!("\"{n}\" <{}>;tag={local_tag}", a.aor),
            None => format!("<{}>;tag={local_tag}", a.aor),
        };
        let mut headers = vec![
            ("Via", self.via()),
            ("Max-Forwards", "70".to_string()),
            ("From", from),
            ("To", format!("<{uri}>")),
            ("Call-ID", new_call_id()),
            ("CSeq", "1 INVITE".to_string()),
            ("Contact", self.contact()),
            ("Allow", ALLOW.to_string()),
            ("Supported", "replaces".to_string()),
            ("User-Agent", self.cfg.user_agent.clone()),
            ("Content-Type", "application/sdp".to_string()),
        ];
        if let Some(r) = replaces {
            headers.push(("Replaces", r.to_string()));
        }
        let req =
            message::new_request(Method::Invite, &uri, &headers, offer.to_sdp().into_bytes())?;
        let id = self.alloc_call_id();
        let key = self.send(req.clone(), dest, Owner::Invite(id), now)?;
        self.calls.insert(
            id,
            Call {
                id,
                side: Side::Outgoing,
                state: CallState::Calling,
                invite: req,
                invite_key: key,
                invite_cseq: 1,
                dialog: None,
                local_tag,
                remote_uri: uri,
                local_rtp,
                offer: Some(offer),
                negotiated: None,
                remote_offer: None,
                local_hold: false,
                remote_hold: false,
                pending_reinvite: None,
                auth_tried: false,
                cancel_requested: false,
                ack: None,
                transfer,
                replaces: None,
            },
        );
        self.set_state(id, CallState::Calling, None);
        Ok(id)
    }

    fn call_mut(&mut self, id: CallId) -> Result<&mut Call, UaError> {
        self.calls.get_mut(&id).ok_or(UaError::NoSuchCall(id))
    }

    fn set_state(&mut self, id: CallId, state: CallState, reason: Option<String>) {
        if let Some(c) = self.calls.get_mut(&id) {
            c.state = state;
        }
        self.events.push_back(UaEvent::CallState {
            call: id,
            state,
            reason,
        });
    }

    /// Update state from hold flags, reporting only a change.
    fn refresh_answered_state(&mut self, id: CallId) {
        if let Some(c) = self.calls.get(&id) {
            let s = c.answered_state();
            if s != c.state {
                self.set_state(id, s, None);
            }
        }
    }

    fn emit_media(&mut self, id: CallId) {
        if let Some(c) = self.calls.get(&id) {
            if let Some(n) = &c.negotiated {
                self.events.push_back(UaEvent::Media {
                    call: id,
                    local_rtp: c.local_rtp,
                    negotiated: Box::new(n.clone()),
                });
            }
        }
    }

    fn end_call(&mut self, id: CallId, reason: &str, now: Instant) {
        self.owners
            .retain(|_, (o, _)| !matches!(o, Owner::Invite(c) | Owner::ReInvite(c) | Owner::Refer(c) if *c == id));
        if let Some(c) = self.calls.remove(&id) {
            if c.negotiated.is_some() {
                self.events.push_back(UaEvent::MediaStop { call: id });
            }
            self.events.push_back(UaEvent::CallState {
                call: id,
                state: CallState::Ended,
                reason: Some(reason.to_string()),
            });
            if let Some(Transfer::ReferredBy { original }) = c.transfer {
                if c.state != CallState::Established {
                    let _ =
                        self.notify_refer(original, &format!("SIP/2.0 487 {reason}"), true, now);
                }
            }
        }
    }

    /// Answer an incoming call with media on `local_rtp`.
    pub fn answer(
        &mut self,
        id: CallId,
        local_rtp: SocketAddr,
        now: Instant,
    ) -> Result<(), UaError> {
        let contact = self.contact();
        let (prefs, policy) = (self.cfg.codecs.clone(), self.cfg.srtp);
        let call = self.call_mut(id)?;
        if call.side != Side::Incoming || call.state != CallState::Ringing {
            return Err(UaError::InvalidState {
                call: id,
                state: call.state,
                action: "answer",
            });
        }
        call.local_rtp = local_rtp;
        let body = match call.remote_offer.clone() {
            Some(offer) => {
                match koppla_media::sdp::answer_with_direction(
                    &offer,
                    &prefs,
                    local_rtp,
                    policy,
                    Direction::SendRecv,
                ) {
                    Ok((sdp, neg)) => {
                        call.remote_hold = !neg.direction.sends();
                        call.negotiated = Some(neg);
                        sdp
                    }
                    Err(e) => {
                        let resp = message::response_for(&call.invite, 488, Some(&call.local_tag));
                        let key = call.invite_key.clone();
                        self.tl.send_response(&key, resp, now)?;
                        self.end_call(id, "incompatible_media", now);
                        return Err(e.into());
                    }
                }
            }
            None => {
                let o = MediaOffer::new(local_rtp, &prefs, policy);
                let sdp = o.to_sdp();
                call.offer = Some(o);
                sdp
            }
        };
        let mut resp = message::response_for(&call.invite, 200, Some(&call.local_tag));
        message::set_header(&mut resp.headers, "Contact", &contact);
        message::set_header(&mut resp.headers, "Allow", ALLOW);
        message::set_header(&mut resp.headers, "Content-Type", "application/sdp");
        resp.body = body.into_bytes();
        call.dialog = Some(koppla_sip::Dialog::from_uas(&call.invite, &call.local_tag)?);
        let key = call.invite_key.clone();
        let replaces = call.replaces.take();
        self.tl.send_response(&key, resp, now)?;
        // RFC 3891: the replaced dialog ends as the new one is accepted; report it first.
        if let Some(old) = replaces {
            let _ = self.hangup_with_reason(old, now, "replaced");
        }
        let state = self
            .calls
            .get(&id)
            .map(Call::answered_state)
            .unwrap_or(CallState::Established);
        self.set_state(id, state, None);
        self.emit_media(id);
        Ok(())
    }

    /// Reject a ringing incoming call with 603 Decline.
    pub fn reject(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reject_with(id, 603, now)
    }

    fn reject_with(&mut self, id: CallId, code: u16, now: Instant) -> Result<(), UaError> {
        let call = self.call_mut(id)?;
        if call.side != Side::Incoming || call.is_answered() {
            return Err(UaError::InvalidState {
                call: id,
                state: call.state,
                action: "reject",
            });
        }
        let resp = message::response_for(&call.invite, code, Some(&call.local_tag));
        let key = call.invite_key.clone();
        self.tl.send_response(&key, resp, now)?;
        self.end_call(id, "rejected", now);
        Ok(())
    }

    /// Hang up: CANCEL an outgoing call not yet answered, reject a ringing one, BYE otherwise.
    pub fn hangup(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.hangup_with_reason(id, now, "hangup")
    }

    fn hangup_with_reason(
        &mut self,
        id: CallId,
        now: Instant,
        reason: &str,
    ) -> Result<(), UaError> {
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        if call.is_answered() {
            self.send_bye(id, now)?;
            self.end_call(id, reason, now);
            return Ok(());
        }
        match call.side {
            Side::Incoming => self.reject_with(id, 486, now),
            Side::Outgoing => {
                let got_provisional = call.state != CallState::Calling;
                self.call_mut(id)?.cancel_requested = true;
                if got_provisional {
                    self.send_cancel(id, now)?;
                }
                Ok(())
            }
        }
    }

    fn send_cancel(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        let inv = &call.invite;
        let mut headers = Vec::new();
        for name in ["Via", "From", "To", "Call-ID"] {
            if let Some(v) = message::header_values_in(&inv.headers, name).first() {
                let v = if name == "Via" {
                    message::split_list(v)
                        .first()
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                } else {
                    v.clone()
                };
                headers.push((name, v));
            }
        }
        headers.push(("CSeq", format!("{} CANCEL", call.invite_cseq)));
        headers.push(("Max-Forwards", "70".into()));
        for r in message::header_values_in(&inv.headers, "Route") {
            headers.push(("Route", r));
        }
        let req = message::new_request(Method::Cancel, &inv.uri.to_string(), &headers, Vec::new())?;
        let dest = self
            .owners
            .get(&call.invite_key)
            .map(|_| ())
            .and_then(|_| self.dest_for(&call.remote_uri).ok())
            .unwrap_or(self.cfg.account.server);
        self.send(req, dest, Owner::Other, now)?;
        Ok(())
    }

    fn send_bye(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        let via = self.via();
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        let dest = self.dialog_dest(call)?;
        let call = self.call_mut(id)?;
        let Some(d) = call.dialog.as_mut() else {
            return Ok(());
        };
        let req = d.request(Method::Bye, &via, &[], Vec::new())?;
        self.send(req, dest, Owner::Other, now)?;
        Ok(())
    }

    /// Put an answered call on hold (re-INVITE with a=sendonly).
    pub fn hold(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reinvite(id, ReInvite::Hold, now)
    }

    /// Take a held call off hold (re-INVITE with a=sendrecv).
    pub fn resume(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reinvite(id, ReInvite::Resume, now)
    }

    fn reinvite(&mut self, id: CallId, purpose: ReInvite, now: Instant) -> Result<(), UaError> {
        let (via, contact) = (self.via(), self.contact());
        let (prefs, policy) = (self.cfg.codecs.clone(), self.cfg.srtp);
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        let dest = self.dialog_dest(call)?;
        let call = self.call_mut(id)?;
        if !call.is_answered() || call.dialog.is_none() {
            return Err(UaError::InvalidState {
                call: id,
                state: call.state,
                action: if purpose == ReInvite::Hold {
                    "hold"
                } else {
                    "resume"
                },
            });
        }
        if call.pending_reinvite.is_some() {
            return Err(UaError::Pending(id));
        }
        let dir = if purpose == ReInvite::Hold {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        };
        let offer = match &call.offer {
            Some(o) => o.reoffer(dir),
            None => {
                // We answered this call: offer only what was negotiated.
                let p = match &call.negotiated {
                    Some(n) => CodecPrefs {
                        codecs: vec![n.codec],
                        ..prefs
                    },
                    None => prefs,
                };
                MediaOffer::new(call.local_rtp, &p, policy).with_direction(dir)
            }
        };
        let sdp = offer.to_sdp();
        call.offer = Some(offer);
        let Some(d) = call.dialog.as_mut() else {
            return Ok(());
        };
        let req = d.request(
            Method::Invite,
            &via,
            &[
                ("Contact", contact),
                ("Content-Type", "application/sdp".into()),
                ("Allow", ALLOW.into()),
            ],
            sdp.into_bytes(),
        )?;
        let key = self.send(req, dest, Owner::ReInvite(id), now)?;
        self.call_mut(id)?.pending_reinvite = Some((key, purpose));
        Ok(())
    }

    /// Blind transfer: REFER the peer of `id` to `target`.
    pub fn transfer(&mut self, id: CallId, target: &str, now: Instant) -> Result<(), UaError> {
        let uri = self.target_uri(target);
        self.send_refer(id, format!("<{uri}>"), now)
    }

    /// Attended transfer: REFER the peer of `id` to the peer of `target_call`, replacing it.
    pub fn attended(
        &mut self,
        id: CallId,
        target_call: CallId,
        now: Instant,
    ) -> Result<(), UaError> {
        let t = self
            .calls
            .get(&target_call)
            .ok_or(UaError::NoSuchCall(target_call))?;
        let d = t.dialog.as_ref().ok_or(UaError::InvalidState {
            call: target_call,
            state: t.state,
            action: "be a transfer target",
        })?;
        let replaces = format!(
            "{}%3Bto-tag%3D{}%3Bfrom-tag%3D{}",
            escape_uri_header(&d.call_id),
            escape_uri_header(&d.remote_tag),
            escape_uri_header(&d.local_tag)
        );
        let target = message::addr_uri(&d.remote_uri);
        self.send_refer(id, format!("<{target}?Replaces={replaces}>"), now)
    }

    fn send_refer(&mut self, id: CallId, refer_to: String, now: Instant) -> Result<(), UaError> {
        let via = self.via();
        let contact = self.contact();
        let aor = self.cfg.account.aor.clone();
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        let dest = self.dialog_dest(call)?;
        let call = self.call_mut(id)?;
        if !call.is_answered() {
            return Err(UaError::InvalidState {
                call: id,
                state: call.state,
                action: "transfer",
            });
        }
        let Some(d) = call.dialog.as_mut() else {
            return Ok(());
        };
        let req = d.request(
            Method::Refer,
            &via,
            &[
                ("Refer-To", refer_to),
                ("Referred-By", format!("<{aor}>")),
                ("Contact", contact),
            ],
            Vec::new(),
        )?;
        call.transfer = Some(Transfer::Referring);
        self.send(req, dest, Owner::Refer(id), now)?;
        Ok(())
    }

    /// Report transfer progress to the transferor of `original` (NOTIFY with sipfrag).
    fn notify_refer(
        &mut self,
        original: CallId,
        frag: &str,
        done: bool,
        now: Instant,
    ) -> Result<(), UaError> {
        let via = self.via();
        let contact = self.contact();
        let call = self
            .calls
            .get(&original)
            .ok_or(UaError::NoSuchCall(original))?;
        let dest = self.dialog_dest(call)?;
        let call = self.call_mut(original)?;
        let Some(d) = call.dialog.as_mut() else {
            return Ok(());
        };
        let state = if done {
            "terminated;reason=noresource"
        } else {
            "active;expires=60"
        };
        let req = d.request(
            Method::Notify,
            &via,
            &[
                ("Event", "refer".into()),
                ("Subscription-State", state.into()),
                ("Contact", contact),
                ("Content-Type", "message/sipfrag;version=2.0".into()),
            ],
            frag.as_bytes().to_vec(),
        )?;
        self.send(req, dest, Owner::Notify, now)?;
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
                    ..
                } => self.on_request(key, request, source, now),
                TransactionEvent::Ack { request, .. } => self.on_ack(request),
                TransactionEvent::Response { key, response, .. } => {
                    self.on_response(key, response, now)
                }
                TransactionEvent::Timeout { key } => {
                    self.on_timeout(key, now);
                    Ok(())
                }
                TransactionEvent::Cancelled { invite } => self.on_cancelled(invite, now),
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
    }

    fn on_timeout(&mut self, key: TransactionKey, now: Instant) {
        let Some((owner, _)) = self.owners.remove(&key) else {
            return;
        };
        match owner {
            Owner::Register => {
                let mut evs = Vec::new();
                self.reg.on_timeout(now, &mut evs);
                self.push_events(evs);
            }
            Owner::Invite(id) => {
                if self.calls.get(&id).is_some_and(|c| c.invite_key == key) {
                    self.end_call(id, "timeout", now);
                }
            }
            Owner::ReInvite(id) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.pending_reinvite = None;
                }
                self.events.push_back(UaEvent::Error {
                    message: format!("re-INVITE on call {id} timed out"),
                });
            }
            Owner::Refer(id) => self.events.push_back(UaEvent::Error {
                message: format!("transfer of call {id} timed out"),
            }),
            Owner::Notify | Owner::Other => {}
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.tl.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<UaEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.tl.poll_timeout(), self.reg.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        self.process_tl_events(now);
        if let Some(req) = self.reg.on_timer(&self.cfg, now) {
            let dest = self.cfg.account.server;
            if let Err(e) = self.send(req, dest, Owner::Register, now) {
                self.events.push_back(UaEvent::Error {
                    message: e.to_string(),
                });
            }
        }
    }
}

/// Escape a value for a URI header (`?Replaces=`): RFC 3261 hnv-unreserved plus unreserved.
fn escape_uri_header(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => (b as char).to_string(),
            b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
