//! Requests from the network: new INVITEs (incl. Replaces and busy), re-INVITEs (remote hold),
//! BYE, CANCEL, REFER (we are transferred), NOTIFY (transfer progress), OPTIONS, INFO.

use super::{UaError, UserAgent, ALLOW};
use crate::call::{Call, Side, Transfer};
use crate::events::{CallId, CallState, UaEvent, ANSWERED_ELSEWHERE};
use koppla_media::MediaOffer;
use koppla_sip::message::{self, display_name, new_tag};
use koppla_sip::request_check::{self, Policy};
use koppla_sip::{Method, Request, SipMessage, TransactionKey, Transport};
use std::net::SocketAddr;
use std::time::Instant;

/// The agent is always the UAS of what reaches it; `replaces` is the one extension it does
/// (its `Supported`). The parser already refused anything over the size limit.
const UAS_CHECKS: Policy = Policy {
    supported: &["replaces", "timer"],
    as_uas: true,
    as_proxy: false,
    max_size: usize::MAX,
};

/// Why a new INVITE cannot be taken before it rings (RFC 3261 8.2.3, 21.4.7, 21.4.13; RFC 4475
/// invut, sdp01): a body that is not SDP is 415, an `Accept` without SDP is 406 (our answer or
/// offer is SDP), a missing Contact is 400 — except from an RFC 2543 element, for which the From
/// URI is the target (inv2543).
fn unacceptable_invite(msg: &SipMessage) -> Option<u16> {
    if let SipMessage::Request(req) = msg {
        let sdp = "application/sdp";
        if !req.body.is_empty() && message::content_type(msg).is_none_or(|t| t != sdp) {
            return Some(415);
        }
    }
    if !message::accepts(msg, "application/sdp") {
        return Some(406);
    }
    if message::header(msg, "Contact").is_none() && !message::is_rfc2543(msg) {
        return Some(400);
    }
    None
}

impl UserAgent {
    /// A refused new INVITE, with what the caller needs to know: `Accept` on a 415, a `Warning`
    /// saying what was wrong on the others.
    fn refuse_invite(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        code: u16,
        now: Instant,
    ) -> Result<(), UaError> {
        let why = match code {
            415 => "the body must be application/sdp",
            406 => "our session description is application/sdp, which Accept excludes",
            _ => "an INVITE needs a Contact",
        };
        let mut headers = vec![("Warning", message::warning_value("koppla", why))];
        if code == 415 {
            headers.push(("Accept", "application/sdp".into()));
        }
        self.reply_with(key, req, code, &headers, now)
    }

    fn reply(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        code: u16,
        now: Instant,
    ) -> Result<(), UaError> {
        let allow = code == 405 || code == 200 && req.method == Method::Options;
        let headers = if allow {
            vec![("Allow", ALLOW.to_string())]
        } else {
            Vec::new()
        };
        self.reply_with(key, req, code, &headers, now)
    }

    /// A response to `req` with a fresh To tag and `headers` added.
    fn reply_with(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        code: u16,
        headers: &[(&str, String)],
        now: Instant,
    ) -> Result<(), UaError> {
        let mut resp = message::response_for(req, code, Some(&new_tag()));
        for (name, value) in headers {
            message::set_header(&mut resp.headers, name, value);
        }
        self.tl.send_response(key, resp, now)?;
        Ok(())
    }

    /// The call whose dialog this in-dialog request belongs to.
    fn call_for_request(&self, msg: &SipMessage) -> Option<CallId> {
        self.calls
            .values()
            .find(|c| c.dialog.as_ref().is_some_and(|d| d.matches_request(msg)))
            .map(|c| c.id)
    }

    pub(super) fn on_request(
        &mut self,
        key: TransactionKey,
        req: Request,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Result<(), UaError> {
        // RFC 3261 8.2: authorization comes first, before the request is inspected further.
        if !self.admits(&req, source, transport) {
            return self.refuse_stranger(&key, &req, source, now);
        }
        if let Err(refused) = request_check::check(&req, 0, &UAS_CHECKS) {
            // RFC 3261 8.2: refuse precisely (400/416/420) instead of ringing or answering.
            let mut resp = message::response_for(&req, refused.code(), Some(&new_tag()));
            for (name, value) in refused.headers("koppla") {
                resp.headers.push(message::make_header(name, &value));
            }
            self.tl.send_response(&key, resp, now)?;
            return Ok(());
        }
        if req.method == Method::Notify {
            if let Some(done) = self.on_mwi_notify(&key, &req, source, transport, now) {
                return done;
            }
        }
        let msg = SipMessage::Request(req.clone());
        let in_dialog = message::to_tag(&msg).is_some();
        if !in_dialog {
            return match req.method {
                Method::Invite => self.on_new_invite(key, req, now),
                Method::Options => self.reply(&key, &req, 200, now),
                Method::Bye | Method::Refer | Method::Info => self.reply(&key, &req, 481, now),
                Method::Notify => self.reply(&key, &req, 481, now),
                _ => self.reply(&key, &req, 405, now),
            };
        }
        let Some(id) = self.call_for_request(&msg) else {
            return self.reply(&key, &req, 481, now);
        };
        let cseq = message::cseq(&msg)?.0;
        let fresh = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.dialog.as_mut())
            .is_some_and(|d| d.accept_remote_cseq(cseq));
        if !fresh {
            return self.reply(&key, &req, 500, now);
        }
        match req.method {
            Method::Bye => {
                self.reply(&key, &req, 200, now)?;
                self.end_call(id, super::media_watch::bye_reason(&req), now);
                Ok(())
            }
            Method::Invite => self.on_reinvite(id, key, req, now),
            Method::Refer => self.on_refer(id, key, req, now),
            Method::Notify => self.on_notify(id, key, req, now),
            Method::Info => {
                self.reply(&key, &req, 200, now)?;
                if let Some(d) = dtmf_from_info(&req.body) {
                    self.events.push_back(UaEvent::Dtmf { call: id, digit: d });
                }
                Ok(())
            }
            Method::Options => self.reply(&key, &req, 200, now),
            _ => self.reply(&key, &req, 405, now),
        }
    }

    fn on_new_invite(
        &mut self,
        key: TransactionKey,
        req: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let msg = SipMessage::Request(req.clone());
        let replaces = match message::header(&msg, "Replaces") {
            Some(r) => match self.find_replaced(&r) {
                Some(old) => Some(old),
                None => return self.reply(&key, &req, 481, now),
            },
            None => None,
        };
        if self.cfg.busy && replaces.is_none() {
            return self.reply(&key, &req, 486, now);
        }
        if let Some(code) = unacceptable_invite(&msg) {
            return self.refuse_invite(&key, &req, code, now);
        }
        if self.refuse_short_session(&key, &req, now)? {
            return Ok(());
        }
        let from_header = message::header(&msg, "From").unwrap_or_default();
        let from = message::addr_uri(&from_header);
        let name = display_name(&from_header);
        let via = message::header(&msg, "Diversion").and_then(|d| diverted_from(&d));
        let auto_answer = message::header(&msg, "Answer-Mode").is_some_and(|v| {
            let mode = v.split(';').next().unwrap_or_default();
            mode.trim().eq_ignore_ascii_case("auto")
        });
        let recall = message::header_values(&msg, "Alert-Info").iter().any(|v| {
            message::split_list(v).iter().any(|a| {
                message::addr_uri(a)
                    .to_ascii_lowercase()
                    .starts_with("urn:alert:service:recall")
            })
        });
        let local_tag = new_tag();
        let mut ringing = message::response_for(&req, 180, Some(&local_tag));
        message::set_header(&mut ringing.headers, "Contact", &self.contact());
        self.tl.send_response(&key, ringing, now)?;
        let id = self.alloc_call_id();
        let offer = (!req.body.is_empty()).then(|| String::from_utf8_lossy(&req.body).into_owned());
        let cseq = message::cseq(&msg)?.0;
        let local_rtp = self.cfg.local_addr;
        self.calls.insert(
            id,
            Call {
                id,
                side: Side::Incoming,
                state: CallState::Ringing,
                invite: req,
                invite_key: key,
                invite_cseq: cseq,
                dialog: None,
                local_tag,
                remote_uri: from.clone(),
                local_rtp,
                offer: None,
                answer_in_ack: false,
                negotiated: None,
                remote_offer: offer,
                local_hold: false,
                remote_hold: false,
                pending_reinvite: None,
                auth_tried: false,
                cancel_requested: false,
                ack: None,
                transfer: None,
                replaces,
                referred_by: None,
                media_watch: Default::default(),
                session_timer: None,
            },
        );
        self.events.push_back(UaEvent::Incoming {
            call: id,
            from,
            name,
            via,
            auto_answer,
            recall,
        });
        self.set_state(id, CallState::Ringing, None);
        Ok(())
    }

    /// Find the call a `Replaces: callid;to-tag=..;from-tag=..` names (RFC 3891: to-tag is our
    /// local tag, from-tag the peer's).
    pub(super) fn find_replaced(&self, value: &str) -> Option<CallId> {
        let call_id = value.split(';').next()?.trim();
        let to_tag = message::param(value, "to-tag")?;
        let from_tag = message::param(value, "from-tag")?;
        self.calls
            .values()
            .find(|c| {
                c.dialog.as_ref().is_some_and(|d| {
                    d.call_id == call_id && d.local_tag == to_tag && d.remote_tag == from_tag
                })
            })
            .map(|c| c.id)
    }

    fn on_reinvite(
        &mut self,
        id: CallId,
        key: TransactionKey,
        req: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let contact = self.contact();
        let (prefs, policy) = (self.cfg.codecs.clone(), self.cfg.srtp);
        if self.refuse_short_session(&key, &req, now)? {
            return Ok(());
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return self.reply(&key, &req, 481, now);
        };
        if call.pending_reinvite.is_some() {
            return self.reply(&key, &req, 491, now);
        }
        if req.body.is_empty() {
            return self.on_offerless_reinvite(id, key, req, now);
        }
        let offer = String::from_utf8_lossy(&req.body).into_owned();
        let want = call.wanted_direction();
        let (sdp, neg) = match koppla_media::sdp::answer_with_direction(
            &offer,
            &prefs,
            call.local_rtp,
            policy,
            want,
        ) {
            Ok(r) => r,
            Err(_) => return self.reply(&key, &req, 488, now),
        };
        call.remote_hold = !neg.direction.sends() && !call.local_hold
            || neg.direction == koppla_media::Direction::Inactive;
        call.negotiated = Some(neg);
        if let Some(d) = call.dialog.as_mut() {
            d.refresh_target(&SipMessage::Request(req.clone()));
        }
        let mut resp = message::response_for(&req, 200, Some(&call.local_tag));
        message::set_header(&mut resp.headers, "Contact", &contact);
        message::set_header(&mut resp.headers, "Content-Type", "application/sdp");
        resp.body = sdp.into_bytes();
        // Any re-INVITE we accept refreshes the session (RFC 4028 10).
        self.session_timer_answer(id, &req, &mut resp, now);
        self.tl.send_response(&key, resp, now)?;
        self.emit_media(id);
        self.refresh_answered_state(id);
        Ok(())
    }

    fn on_refer(
        &mut self,
        id: CallId,
        key: TransactionKey,
        req: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let msg = SipMessage::Request(req.clone());
        let Some(refer_to) = message::header(&msg, "Refer-To") else {
            return self.reply(&key, &req, 400, now);
        };
        let uri = message::addr_uri(&refer_to);
        let (target, replaces) = match uri.split_once('?') {
            Some((t, hdrs)) => {
                let rep = hdrs.split('&').find_map(|h| {
                    let (n, v) = h.split_once('=')?;
                    n.eq_ignore_ascii_case("Replaces")
                        .then(|| super::unescape(v))
                });
                (t.to_string(), rep)
            }
            None => (uri.clone(), None),
        };
        if crate::config::SipUri::parse(&target).is_err() {
            return self.reply(&key, &req, 400, now);
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.referred_by = message::header(&msg, "Referred-By");
        }
        self.reply(&key, &req, 202, now)?;
        self.notify_refer(id, "SIP/2.0 100 Trying", false, now)?;
        self.events.push_back(UaEvent::TransferRequested {
            call: id,
            target,
            replaces,
        });
        Ok(())
    }

    fn on_notify(
        &mut self,
        id: CallId,
        key: TransactionKey,
        req: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        self.reply(&key, &req, 200, now)?;
        let msg = SipMessage::Request(req.clone());
        let is_refer = message::header(&msg, "Event")
            .is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("refer"));
        let referring = self
            .calls
            .get(&id)
            .is_some_and(|c| c.transfer == Some(Transfer::Referring));
        if !is_refer || !referring {
            return Ok(());
        }
        let body = String::from_utf8_lossy(&req.body);
        let code = body
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse::<u16>().ok());
        match code {
            Some(200..=299) => {
                self.events.push_back(UaEvent::Transferred { call: id });
                self.send_bye(id, now)?;
                self.end_call(id, "transferred", now);
            }
            Some(c) if c >= 300 => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.transfer = None;
                }
                self.events.push_back(UaEvent::TransferFailed {
                    call: id,
                    status: Some(c),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// RFC 3261 14.2 / RFC 3264: a re-INVITE without SDP asks us to offer; the offer goes in
    /// the 200 and the answer comes in the ACK. Media keeps running as negotiated until then.
    fn on_offerless_reinvite(
        &mut self,
        id: CallId,
        key: TransactionKey,
        req: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let contact = self.contact();
        let (prefs, policy) = (self.cfg.codecs.clone(), self.cfg.srtp);
        let Some(call) = self.calls.get_mut(&id) else {
            return self.reply(&key, &req, 481, now);
        };
        let want = call.wanted_direction();
        let offer = match &call.offer {
            Some(o) => o.reoffer(want),
            None => MediaOffer::new(call.local_rtp, &prefs, policy).with_direction(want),
        };
        let mut resp = message::response_for(&req, 200, Some(&call.local_tag));
        message::set_header(&mut resp.headers, "Contact", &contact);
        message::set_header(&mut resp.headers, "Content-Type", "application/sdp");
        resp.body = offer.to_sdp().into_bytes();
        call.offer = Some(offer);
        call.answer_in_ack = true;
        if let Some(d) = call.dialog.as_mut() {
            d.refresh_target(&SipMessage::Request(req.clone()));
        }
        self.session_timer_answer(id, &req, &mut resp, now);
        self.tl.send_response(&key, resp, now)?;
        Ok(())
    }

    /// ACK of our 2xx. It carries the answer when our offer was in that 2xx.
    pub(super) fn on_ack(&mut self, req: Request, now: Instant) -> Result<(), UaError> {
        let msg = SipMessage::Request(req.clone());
        let Some(id) = self.call_for_request(&msg) else {
            return Ok(());
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return Ok(());
        };
        if !std::mem::take(&mut call.answer_in_ack) {
            return Ok(());
        }
        let Some(offer) = &call.offer else {
            return Ok(());
        };
        let answered = if req.body.is_empty() {
            Err(UaError::NoAnswerInAck(id))
        } else {
            offer
                .accept_answer(&String::from_utf8_lossy(&req.body))
                .map_err(UaError::from)
        };
        match answered {
            Ok(n) => {
                call.remote_hold = !n.direction.sends() && !call.local_hold
                    || n.direction == koppla_media::Direction::Inactive;
                call.negotiated = Some(n);
                self.emit_media(id);
                self.refresh_answered_state(id);
                Ok(())
            }
            // RFC 3261 13.3.1.4: a call whose ACK brings no usable answer has no session;
            // end it. A failed re-negotiation keeps the media already running.
            Err(e) if call.negotiated.is_none() => {
                self.send_bye(id, now)?;
                self.end_call(id, "incompatible_media", now);
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) fn on_cancelled(
        &mut self,
        invite: TransactionKey,
        cancel: &Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let Some(id) = self
            .calls
            .values()
            .find(|c| c.side == Side::Incoming && c.invite_key == invite)
            .map(|c| c.id)
        else {
            return Ok(());
        };
        if let Some(call) = self.calls.get(&id) {
            let resp = message::response_for(&call.invite, 487, Some(&call.local_tag));
            self.tl.send_response(&invite, resp, now)?;
        }
        // A fork that lost to another device's (or a colleague's) answer was not missed.
        let reason = if koppla_sip::reason::completed_elsewhere(&cancel.headers) {
            ANSWERED_ELSEWHERE
        } else {
            "cancelled"
        };
        self.end_call(id, reason, now);
        Ok(())
    }
}

/// DTMF digit from an `application/dtmf-relay` INFO body (`Signal=5`).
fn dtmf_from_info(body: &[u8]) -> Option<char> {
    let text = String::from_utf8_lossy(body);
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("signal") {
            return None;
        }
        let c = v.trim().chars().next()?;
        matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
    })
}

/// The name (or else the number) of the first entry of a `Diversion` header, at most 64
/// characters and without control characters: it is shown to the user as it came.
fn diverted_from(value: &str) -> Option<String> {
    let first = match value.find('>') {
        Some(end) => &value[..=end],
        None => value.split(',').next().unwrap_or(value),
    };
    display_name(first).or_else(|| {
        let uri = message::addr_uri(first);
        let rest = uri.split_once(':').map_or(uri.as_str(), |(_, r)| r);
        shown(rest.split(['@', ';', '>']).next().unwrap_or_default())
    })
}

/// Text from the network as the user sees it: no control characters, at most 64
/// characters, never blank.
fn shown(text: &str) -> Option<String> {
    let text: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod diversion_tests {
    use super::{display_name, diverted_from};

    #[test]
    fn a_caller_name_is_taken_as_sent_but_bounded() {
        assert_eq!(
            display_name("\"Anna Berg\" <sip:anna@example.com>;tag=1").as_deref(),
            Some("Anna Berg")
        );
        assert_eq!(display_name("Bo <sip:bo@h>").as_deref(), Some("Bo"));
        assert_eq!(display_name("<sip:anna@example.com>;tag=1"), None);
        assert_eq!(display_name("sip:anna@example.com"), None);
        assert_eq!(
            display_name("\"\u{1b}[31m\" <sip:x@h>"),
            Some("[31m".into())
        );
    }

    #[test]
    fn the_queue_or_forwarder_is_named() {
        assert_eq!(
            diverted_from("\"Support\" <sip:7000@vaxel>;reason=unconditional").as_deref(),
            Some("Support")
        );
        assert_eq!(
            diverted_from("<sip:3267@pbx.example.com>;reason=no-answer;counter=1").as_deref(),
            Some("3267")
        );
        assert_eq!(
            diverted_from("<sip:1001@a>;reason=busy, <sip:1002@b>;reason=no-answer").as_deref(),
            Some("1001"),
            "the first entry"
        );
        assert_eq!(diverted_from("sip:42@host").as_deref(), Some("42"));
        assert_eq!(diverted_from("<>"), None);
        assert_eq!(diverted_from("\"\" <sip:@h>"), None);
        let hostile = format!("\"{}\u{7}\" <sip:1@h>", "x".repeat(500));
        let shown = diverted_from(&hostile).expect("named");
        assert_eq!(shown.chars().count(), 64);
        assert!(!shown.contains('\u{7}'));
    }
}
