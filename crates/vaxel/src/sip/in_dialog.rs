//! CANCEL, and requests inside established dialogs (ACK for 2xx, BYE, re-INVITE, ...), which
//! are loose-routed onward along the route set.

use super::core::{hv, tag_of, SipCore};
use super::flow::Flow;
use crate::credentials::md5_hex;
use koppla_sip::message as m;
use koppla_sip::rsip::{Method, Request, SipMessage};
use std::time::Instant;

impl SipCore {
    pub(crate) fn on_cancel(&mut self, req: Request, src: Flow, now: Instant) {
        let key = m::branch(&SipMessage::Request(req.clone())).unwrap_or_default();
        if let Some(mut tx) = self.invites.remove(&key) {
            self.reply(&req, src, 200, None, &[], None);
            if tx.done_at.is_none() {
                for b in tx
                    .branches
                    .iter_mut()
                    .filter(|b| b.final_code.is_none() && !b.cancelled)
                {
                    b.cancelled = true;
                    let mut c = Self::hop_request(b, Method::Cancel, None);
                    // The caller's own Reason (e.g. its other fork answered) travels on, so the
                    // callee's phone can tell "answered elsewhere" from "caller gave up".
                    for r in m::header_values_in(&req.headers, "Reason") {
                        c.headers.push(m::make_header("Reason", &r));
                    }
                    self.send(b.dest, SipMessage::Request(c));
                }
            }
            self.invites.insert(key, tx);
            return;
        }
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        if self.local_calls.contains_key(&call_id) {
            self.reply(&req, src, 200, None, &[], None);
            self.local_cancel(&call_id, now);
            return;
        }
        self.reply(&req, src, 481, None, &[], None);
    }

    /// Requests inside an established dialog (and ACK for 2xx): loose-routed onward.
    pub(crate) fn forward_in_dialog(&mut self, req: Request, src: Flow, now: Instant) {
        let Ok(in_branch) = m::branch(&SipMessage::Request(req.clone())) else {
            if req.method != Method::Ack {
                self.reply(&req, src, 400, None, &[], None);
            }
            return;
        };
        if req.method == Method::Ack && self.invites.contains_key(&in_branch) {
            return; // ACK for a non-2xx final we sent: hop-by-hop, ends here.
        }
        // Only dialogs the switch is part of are relayed: it record-routes every call, so
        // their requests name it in Route, or belong to a call it knows. Anything else would
        // make it an open relay for whoever sends it a To tag (RFC 5118 4.5's BYE to a bare
        // IPv6 address, scanners) — "not here", as Kamailio's default script answers.
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let routed_here = super::proxy::list(&req.headers, "Route")
            .first()
            .is_some_and(|r| self.is_us(&m::addr_uri(r)));
        if !routed_here && !self.calls.contains_key(&call_id) {
            if req.method != Method::Ack {
                self.reply(&req, src, 404, None, &[], None);
            }
            return;
        }
        let branch = format!(
            "z9hG4bKvx{}",
            md5_hex(&format!("{in_branch}:{}", req.method))
                .get(..20)
                .unwrap_or("")
        );
        let next = self
            .routes_after_us(&req.headers)
            .first()
            .map(|r| m::addr_uri(r))
            .unwrap_or_else(|| req.uri.to_string());
        let Some(dest) = self.resolve_dest(&next) else {
            if req.method != Method::Ack {
                self.reply(&req, src, 404, None, &[], None);
            }
            return;
        };
        // Nothing in a dialog routes through us twice; an ACK for a challenge we answered
        // statelessly (its Request-URI is the dialled number at our address) ends here too.
        if self.is_local_addr(dest.addr) {
            if req.method != Method::Ack {
                self.reply(&req, src, 482, None, &[], None);
            }
            return;
        }
        let Some(mut fwd) = self.prepare_forward(&req, src, &branch, dest.transport) else {
            return;
        };
        let from_caller = self.sent_by_caller(&call_id, tag_of(&req.headers, "From").as_deref());
        self.watch_request(&call_id, from_caller, &req);
        let mut body = std::mem::take(&mut fwd.body);
        self.relay_body(&call_id, from_caller, &fwd.headers, &mut body);
        fwd.body = body;
        if let Some(c) = self.calls.get_mut(&call_id) {
            c.last_seen = now;
        }
        if req.method == Method::Bye {
            self.media.release(&call_id);
            self.calls.remove(&call_id);
        }
        if req.method == Method::Refer {
            self.transfer_note_refer(&req, dest, now);
        }
        self.send(dest, SipMessage::Request(fwd));
    }
}
