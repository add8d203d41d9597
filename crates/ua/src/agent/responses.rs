//! Responses to our client transactions: REGISTER, INVITE (incl. auth retry, early media,
//! 2xx ACK), re-INVITE (hold/resume), REFER.

use super::{Owner, UaError, UserAgent};
use crate::call::{end_reason, ReInvite, Transfer};
use crate::events::CallState;
use crate::registration::observed_addr;
use koppla_sip::auth::Challenge;
use koppla_sip::message::{self, new_tag};
use koppla_sip::{Dialog, Request, Response, SipMessage, TransactionKey};
use std::time::Instant;

impl UserAgent {
    pub(super) fn on_response(
        &mut self,
        key: TransactionKey,
        resp: Response,
        now: Instant,
    ) -> Result<(), UaError> {
        let Some((owner, sent)) = self.owners.get(&key).cloned() else {
            return Ok(());
        };
        let code = message::status(&resp);
        if code >= 200
            && matches!(
                owner,
                Owner::Register
                    | Owner::Notify
                    | Owner::KeepAlive
                    | Owner::Subscribe
                    | Owner::Other
            )
        {
            self.owners.remove(&key);
        }
        match owner {
            Owner::Register => {
                let mut evs = Vec::new();
                let mut retry = self.reg.on_response(&self.cfg, &resp, &sent, now, &mut evs);
                self.push_events(evs);
                if (200..300).contains(&code) && self.reg.is_registered() {
                    let old = self.cfg.contact_addr();
                    if let Some(seen) = observed_addr(&resp, self.transport(), old) {
                        tracing::info!(%old, %seen, "behind a NAT: registering the public address");
                        self.cfg.public_addr = Some(seen);
                        retry = self.reg.rebind(&self.cfg, old);
                        self.mwi_contact_changed(now);
                    }
                }
                if let Some(req) = retry {
                    let dest = self.server()?;
                    self.send(req, dest, Owner::Register, now)?;
                }
                Ok(())
            }
            Owner::Invite(id) => self.on_invite_response(id, key, sent, resp, now),
            Owner::ReInvite(id) => self.on_reinvite_response(id, key, resp, now),
            Owner::Refer(id) => {
                if code >= 300 {
                    self.owners.remove(&key);
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.transfer = None;
                    }
                    self.events.push_back(crate::UaEvent::TransferFailed {
                        call: id,
                        status: Some(code),
                    });
                }
                Ok(())
            }
            Owner::KeepAlive => {
                self.keepalive_answered(now);
                Ok(())
            }
            Owner::Subscribe => self.on_subscribe_response(&resp, &sent, now),
            Owner::Notify | Owner::Other => Ok(()),
        }
    }

    fn on_invite_response(
        &mut self,
        id: u32,
        key: TransactionKey,
        sent: Request,
        resp: Response,
        now: Instant,
    ) -> Result<(), UaError> {
        let code = message::status(&resp);
        let Some(call) = self.calls.get(&id) else {
            return Ok(());
        };
        if call.invite_key != key {
            return Ok(()); // response to a superseded (pre-auth) INVITE
        }
        let msg = SipMessage::Response(resp.clone());
        match code {
            100 => Ok(()),
            101..=199 => {
                let has_tag = message::to_tag(&msg).is_some();
                let cancel = call.cancel_requested && call.state == CallState::Calling;
                let call = self.call_mut(id)?;
                if has_tag && call.dialog.is_none() {
                    call.dialog = Dialog::from_uac(&call.invite, &resp).ok();
                }
                let mut state = if code == 180 {
                    CallState::Ringing
                } else {
                    call.state
                };
                if !resp.body.is_empty() {
                    if let Some(offer) = &call.offer {
                        if let Ok(n) = offer.accept_answer(&String::from_utf8_lossy(&resp.body)) {
                            call.negotiated = Some(n);
                            state = CallState::Early;
                        }
                    }
                }
                if state == CallState::Calling {
                    state = CallState::Ringing;
                }
                let changed = state != call.state;
                if changed {
                    self.set_state(id, state, None);
                    if state == CallState::Early {
                        self.emit_media(id);
                    }
                }
                if cancel {
                    self.send_cancel(id, now)?;
                }
                Ok(())
            }
            200..=299 => self.on_invite_2xx(id, resp, now),
            401 | 407 if !call.auth_tried && self.cfg.account.password.is_some() => {
                self.retry_invite_with_auth(id, code, &msg, sent, now)
            }
            _ => {
                self.end_call(id, &end_reason(code), now);
                Ok(())
            }
        }
    }

    fn retry_invite_with_auth(
        &mut self,
        id: u32,
        code: u16,
        msg: &SipMessage,
        sent: Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let name = if code == 401 {
            "WWW-Authenticate"
        } else {
            "Proxy-Authenticate"
        };
        let values = message::header_values(msg, name);
        let challenge = match Challenge::pick_best(values.iter().map(String::as_str)) {
            Ok(c) => c,
            Err(e) => {
                self.end_call(id, "auth_failed", now);
                return Err(UaError::Sip(message::ParseError::Syntax(e.to_string())));
            }
        };
        let password = self
            .cfg
            .account
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        let auth = challenge.respond(
            &self.cfg.account.auth_user,
            &password,
            "INVITE",
            &sent.uri.to_string(),
            1,
            &new_tag(),
        );
        let mut req = sent;
        let cseq = self.calls.get(&id).map(|c| c.invite_cseq + 1).unwrap_or(2);
        message::set_header(&mut req.headers, "Via", &self.via());
        message::set_header(&mut req.headers, "CSeq", &format!("{cseq} INVITE"));
        let hname = if code == 401 {
            "Authorization"
        } else {
            "Proxy-Authorization"
        };
        message::set_header(&mut req.headers, hname, &auth);
        let dest = self.dest_for(&req.uri.to_string())?;
        let key = self.send(req.clone(), dest, Owner::Invite(id), now)?;
        let call = self.call_mut(id)?;
        call.auth_tried = true;
        call.invite = req;
        call.invite_key = key;
        call.invite_cseq = cseq;
        Ok(())
    }

    fn on_invite_2xx(&mut self, id: u32, resp: Response, now: Instant) -> Result<(), UaError> {
        let via = self.via();
        let call = self.call_mut(id)?;
        if call.ack.is_some() {
            // Retransmitted 2xx: our ACK got lost.
            if let Some((bytes, dest)) = call.ack.clone() {
                self.resend(bytes, dest);
            }
            return Ok(());
        }
        let dialog = match Dialog::from_uac(&call.invite, &resp) {
            Ok(d) => d,
            Err(e) => {
                // A 2xx we cannot make a dialog of (no To tag or no usable Contact) can be
                // neither ACKed nor hung up; the INVITE transaction is over, so nothing else
                // would ever end the call (found by the agent_input fuzz target). The far end
                // gives up on its unACKed 2xx by itself.
                self.end_call(id, &end_reason(message::status(&resp)), now);
                return Err(e.into());
            }
        };
        call.dialog = Some(dialog);
        let mut media_err = None;
        if let Some(offer) = &call.offer {
            match offer.accept_answer(&String::from_utf8_lossy(&resp.body)) {
                Ok(n) => {
                    call.remote_hold = !n.direction.sends();
                    call.negotiated = Some(n);
                }
                Err(e) if call.negotiated.is_none() => media_err = Some(e),
                Err(_) => {}
            }
        }
        let cseq = call.invite_cseq;
        let ack = call
            .dialog
            .as_ref()
            .map(|d| d.ack(cseq, &via, Vec::new()))
            .transpose()?;
        let cancel = call.cancel_requested;
        let transfer = call.transfer.clone();
        let dest = self.dialog_dest(self.calls.get(&id).ok_or(super::UaError::NoSuchCall(id))?)?;
        if let Some(ack) = ack {
            let bytes = message::serialize(&SipMessage::Request(ack));
            self.resend(bytes.clone(), dest);
            self.call_mut(id)?.ack = Some((bytes, dest));
        }
        if cancel || media_err.is_some() {
            self.send_bye(id, now)?;
            let reason = if cancel {
                "cancelled"
            } else {
                "incompatible_media"
            };
            self.end_call(id, reason, now);
            return match media_err {
                Some(e) => Err(e.into()),
                None => Ok(()),
            };
        }
        let state = self
            .calls
            .get(&id)
            .map(|c| c.answered_state())
            .unwrap_or(CallState::Established);
        self.session_timer_answered(id, &resp, now);
        self.set_state(id, state, None);
        self.emit_media(id);
        if let Some(Transfer::ReferredBy { original }) = transfer {
            let _ = self.notify_refer(original, "SIP/2.0 200 OK", true, now);
        }
        Ok(())
    }

    pub(super) fn resend(&mut self, bytes: Vec<u8>, dest: std::net::SocketAddr) {
        let transport = self.transport();
        // Stateless send of already-serialized bytes.
        if let Ok(msg) = message::parse(&bytes) {
            self.tl.send_stateless(&msg, dest, transport);
        }
    }

    fn on_reinvite_response(
        &mut self,
        id: u32,
        key: TransactionKey,
        resp: Response,
        now: Instant,
    ) -> Result<(), UaError> {
        let code = message::status(&resp);
        let via = self.via();
        let Some(call) = self.calls.get_mut(&id) else {
            return Ok(());
        };
        if code < 200 {
            return Ok(());
        }
        let pending = call.pending_reinvite.take();
        let Some((pkey, purpose)) = pending else {
            // 2xx retransmission after we handled it: re-ACK.
            if (200..300).contains(&code) {
                if let Some((bytes, dest)) = call.ack.clone() {
                    self.resend(bytes, dest);
                }
            }
            return Ok(());
        };
        if pkey != key {
            call.pending_reinvite = Some((pkey, purpose));
            return Ok(());
        }
        if code >= 300 {
            self.events.push_back(crate::UaEvent::Error {
                message: format!("call {id}: {} refused ({code})", purpose.action()),
            });
            self.session_refresh_failed(id, purpose, Some(code), now);
            return Ok(());
        }
        let msg = SipMessage::Response(resp.clone());
        let cseq = message::cseq(&msg)?.0;
        if let Some(d) = call.dialog.as_mut() {
            d.refresh_target(&msg);
        }
        if purpose != ReInvite::Refresh {
            call.local_hold = purpose == ReInvite::Hold;
        }
        if let Some(offer) = &call.offer {
            if let Ok(n) = offer.accept_answer(&String::from_utf8_lossy(&resp.body)) {
                call.remote_hold = !n.direction.sends();
                call.negotiated = Some(n);
            }
        }
        let ack = call
            .dialog
            .as_ref()
            .map(|d| d.ack(cseq, &via, Vec::new()))
            .transpose()?;
        let dest = self.dialog_dest(self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?)?;
        if let Some(ack) = ack {
            let bytes = message::serialize(&SipMessage::Request(ack));
            self.resend(bytes.clone(), dest);
            self.call_mut(id)?.ack = Some((bytes, dest));
        }
        // Any re-INVITE that succeeds refreshes the session (RFC 4028 10).
        self.session_timer_answered(id, &resp, now);
        self.emit_media(id);
        self.refresh_answered_state(id);
        Ok(())
    }
}
