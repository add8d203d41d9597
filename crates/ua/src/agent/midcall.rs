//! Mid-call commands: hold/resume re-INVITEs, blind and attended REFER, transfer NOTIFYs.

use super::{Owner, UaError, UserAgent, ALLOW};
use crate::call::{ReInvite, Transfer};
use crate::events::CallId;
use koppla_media::{CodecPrefs, Direction, MediaOffer};
use koppla_sip::message;
use koppla_sip::Method;
use std::time::Instant;

impl UserAgent {
    /// Put an answered call on hold (re-INVITE with a=sendonly).
    pub fn hold(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reinvite(id, ReInvite::Hold, now)
    }

    /// Take a held call off hold (re-INVITE with a=sendrecv).
    pub fn resume(&mut self, id: CallId, now: Instant) -> Result<(), UaError> {
        self.reinvite(id, ReInvite::Resume, now)
    }

    pub(super) fn reinvite(
        &mut self,
        id: CallId,
        purpose: ReInvite,
        now: Instant,
    ) -> Result<(), UaError> {
        let (via, contact) = (self.via(), self.contact());
        let (prefs, policy) = (self.cfg.codecs.clone(), self.cfg.srtp);
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall(id))?;
        let dest = self.dialog_dest(call)?;
        let call = self.call_mut(id)?;
        if !call.is_answered() || call.dialog.is_none() {
            return Err(UaError::InvalidState {
                call: id,
                state: call.state,
                action: purpose.action(),
            });
        }
        if call.pending_reinvite.is_some() {
            return Err(UaError::Pending(id));
        }
        let dir = match purpose {
            ReInvite::Hold => Direction::SendOnly,
            ReInvite::Resume => Direction::SendRecv,
            // A refresh changes nothing: a held call stays held.
            ReInvite::Refresh => call.wanted_direction(),
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
        let mut headers = vec![
            ("Contact", contact),
            ("Content-Type", "application/sdp".into()),
            ("Allow", ALLOW.into()),
        ];
        headers.extend(self.session_timer_reinvite_headers(id));
        let call = self.call_mut(id)?;
        let Some(d) = call.dialog.as_mut() else {
            return Ok(());
        };
        let req = d.request(Method::Invite, &via, &headers, sdp.into_bytes())?;
        let key = self.send(req, dest, Owner::ReInvite(id), now)?;
        self.call_mut(id)?.pending_reinvite = Some((key, purpose));
        if purpose == ReInvite::Refresh {
            self.session_refresh_sent(id, dest);
        }
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

    pub(super) fn send_refer(
        &mut self,
        id: CallId,
        refer_to: String,
        now: Instant,
    ) -> Result<(), UaError> {
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
    pub(super) fn notify_refer(
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
