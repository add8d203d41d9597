//! Call commands: place, answer, reject, hang up (CANCEL/BYE) and call bookkeeping.

use super::{Owner, UaError, UserAgent, ALLOW};
use crate::call::{Call, Side, Transfer};
use crate::config::SipUri;
use crate::events::{CallId, CallState, UaEvent};
use koppla_media::{Direction, MediaOffer};
use koppla_sip::message::{self, new_call_id, new_tag};
use koppla_sip::Method;
use std::net::SocketAddr;
use std::time::Instant;

impl UserAgent {
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

    pub(super) fn alloc_call_id(&mut self) -> CallId {
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

    pub(super) fn place_call(
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
            ("Supported", "replaces, timer".to_string()),
            ("User-Agent", self.cfg.user_agent.clone()),
            ("Content-Type", "application/sdp".to_string()),
        ];
        headers.extend(self.session_timer_invite_headers());
        if let Some(r) = replaces {
            headers.push(("Replaces", r.to_string()));
        }
        if let Some(Transfer::ReferredBy { original }) = &transfer {
            if let Some(by) = self.calls.get(original).and_then(|c| c.referred_by.clone()) {
                headers.push(("Referred-By", by));
            }
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
                answer_in_ack: false,
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
                referred_by: None,
                media_watch: Default::default(),
                session_timer: None,
            },
        );
        self.set_state(id, CallState::Calling, None);
        Ok(id)
    }

    pub(super) fn call_mut(&mut self, id: CallId) -> Result<&mut Call, UaError> {
        self.calls.get_mut(&id).ok_or(UaError::NoSuchCall(id))
    }

    pub(super) fn set_state(&mut self, id: CallId, state: CallState, reason: Option<String>) {
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
    pub(super) fn refresh_answered_state(&mut self, id: CallId) {
        if let Some(c) = self.calls.get(&id) {
            let s = c.answered_state();
            if s != c.state {
                self.set_state(id, s, None);
            }
        }
    }

    pub(super) fn emit_media(&mut self, id: CallId) {
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

    pub(super) fn end_call(&mut self, id: CallId, reason: &str, now: Instant) {
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
                call.answer_in_ack = true;
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
        let invite = call.invite.clone();
        self.session_timer_answer(id, &invite, &mut resp, now);
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
        self.sync_media_watch(now);
        Ok(())
    }

    /// Reject a ringing incoming call with 603 Decline.
    pub fn reject(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reject_with(id, 603, now)
    }

    pub(super) fn reject_with(
        &mut self,
        id: CallId,
        code: u16,
        now: Instant,
    ) -> Result<(), UaError> {
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

    pub(super) fn hangup_with_reason(
        &mut self,
        id: CallId,
        now: Instant,
        reason: &str,
    ) -> Result<(), UaError> {
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        if call.is_answered() {
            // The user hung up: the call ends here even if the BYE cannot go out (e.g. the
            // peer's name does not resolve); the error is still reported.
            let sent = self.send_bye(id, now);
            self.end_call(id, reason, now);
            return sent;
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

    pub(super) fn send_cancel(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
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
        // Same next hop as the INVITE (the rule in dest_for).
        let dest = self.dest_for(&call.remote_uri).or_else(|_| self.server())?;
        self.send(req, dest, Owner::Other, now)?;
        Ok(())
    }

    pub(super) fn send_bye(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
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
}
