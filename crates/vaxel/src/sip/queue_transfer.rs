//! An agent transfers a queue call (blind REFER in the agent's leg, RFC 3515). The switch is
//! the agent's peer, so it carries the transfer out itself: the caller hears hold music again,
//! the target user rings with the caller's identity (or the caller moves to another queue),
//! and the agent gets NOTIFY 200 so its phone hangs up. A target who does not answer sends
//! the caller back into the queue, at the front.

use super::core::{hv, SipCore};
use super::flow::Flow;
use super::queue::{Home, Phase};
use super::queue_legs::Offer;
use super::util::uri_user;
use koppla_sip::message as m;
use koppla_sip::rsip::{Method, Request};
use std::time::Instant;

/// Where an agent asked to send the caller.
enum Target {
    User(String),
    Queue(usize),
    /// A personal queue (park code + number): parked, or camped on a colleague.
    Park(String),
    /// A user's voicemail (voicemail code + number).
    Voicemail(String),
}

impl SipCore {
    pub(crate) fn leg_refer(&mut self, req: &Request, src: Flow, leg_id: &str, now: Instant) {
        let (call_id, agent) = match self.queues.legs.get(leg_id) {
            Some(leg) if self.queue_connected_by(&leg.call, leg_id) => {
                (leg.call.clone(), leg.agent.clone())
            }
            _ => return self.reply(req, src, 481, None, &[], None),
        };
        let Some(refer_to) = hv(&req.headers, "Refer-To") else {
            return self.reply(req, src, 400, None, &[], None);
        };
        let uri = m::addr_uri(&refer_to);
        if uri.to_ascii_lowercase().contains("replaces=") {
            let warning = "399 vaxel \"attended transfer of queue calls is not supported\"";
            return self.reply(req, src, 501, None, &[("Warning", warning.into())], None);
        }
        let target = match uri_user(&uri).and_then(|u| self.transfer_target(&u, now)) {
            Some(Ok(t)) => t,
            Some(Err(code)) => return self.reply(req, src, code, None, &[], None),
            None => return self.reply(req, src, 404, None, &[], None),
        };
        self.reply(req, src, 202, None, &[], None);
        self.media.queue_unbridge(&call_id);
        if let Some(leg) = self.queues.legs.get_mut(leg_id) {
            leg.transferred_at = Some(now);
        }
        let Some(call) = self.queues.calls.get_mut(&call_id) else {
            return;
        };
        call.legs.retain(|l| l != leg_id);
        match target {
            Target::Voicemail(mailbox) => {
                tracing::info!(caller = %call.caller, %mailbox, %agent, "agent sent the caller to voicemail");
                self.queue_to_voicemail(&call_id, &mailbox);
            }
            Target::Park(owner) => {
                tracing::info!(caller = %call.caller, %owner, %agent, "agent parked the caller");
                call.home = Home::Personal(owner.clone());
                call.phase = Phase::Waiting;
                self.park_add(&call_id, &owner, Some(&agent), now);
            }
            Target::Queue(idx) => {
                tracing::info!(caller = %call.caller, queue = idx, "agent moved the caller to a queue");
                call.home = Home::Group(idx);
                call.since = now;
                call.overflow_from = now;
                call.phase = Phase::Waiting;
            }
            Target::User(user) => {
                tracing::info!(caller = %call.caller, %user, "agent transferred the caller");
                call.phase = Phase::Transferring;
                let ring = self.cfg.calls.ring_timeout(&user);
                self.offer_to(&call_id, &user, ring, Offer::Ring, now);
                // No device took the offer: the caller is back in the queue at once.
                if self
                    .queues
                    .calls
                    .get(&call_id)
                    .is_some_and(|c| c.legs.is_empty())
                {
                    self.queue_leg_failed(&call_id, "", now);
                }
            }
        }
        self.notify_transfer_done(leg_id, now);
    }

    /// A queue number, a personal queue (park code), or a user with a registered device; else
    /// the response code that refuses the REFER (404 nobody by that name or number, 480 not
    /// reachable now, 486 the personal queue is full).
    fn transfer_target(&self, dialled: &str, now: Instant) -> Option<Result<Target, u16>> {
        if let Some(idx) = self.queue_for_number(dialled) {
            return Some(Ok(Target::Queue(idx)));
        }
        if let Some(user) = self.voicemail_direct(dialled) {
            if !self.cfg.calls.voicemail(&user) {
                return Some(Err(480));
            }
            return Some(Ok(Target::Voicemail(user)));
        }
        if let Some(owner) = self.park_owner(dialled) {
            if !self.park_has_room(&owner) {
                return Some(Err(486));
            }
            return Some(Ok(Target::Park(owner)));
        }
        let user = self.dir.find(dialled)?.username.clone();
        if self.registrar.lookup(&user, now).is_empty() {
            return Some(Err(480));
        }
        Some(Ok(Target::User(user)))
    }

    /// RFC 3515 NOTIFY with the sipfrag that ends the transfer for the agent's phone.
    fn notify_transfer_done(&mut self, leg_id: &str, now: Instant) {
        let contact = self.queues.legs.get(leg_id).map(|l| l.dest.transport);
        let Some(transport) = contact else {
            return;
        };
        let headers = [
            ("Event", "refer".to_string()),
            (
                "Subscription-State",
                "terminated;reason=noresource".to_string(),
            ),
            (
                "Contact",
                format!("<{}>", self.local_uri(Some("vaxel"), transport)),
            ),
            ("Content-Type", "message/sipfrag;version=2.0".to_string()),
        ];
        self.leg_request(leg_id, Method::Notify, &headers, b"SIP/2.0 200 OK\r\n", now);
    }
}
