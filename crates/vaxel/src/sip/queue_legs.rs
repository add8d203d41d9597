//! The switch's own calls to queue agents (B2BUA legs): it sends the INVITE as a UAC with an
//! offer pointing at the queued call's relay, retransmits, CANCELs after the ring time, ACKs
//! answers, and carries BYE between the agent's leg and the caller's (local) leg.

use super::core::{hv, SipCore};
use super::dead_media::expect_audio;
use super::flow::Flow;
use super::proxy::{T1, TIMER_B};
use super::queue::Home;
use super::sdp;
use koppla_sip::message as m;
use koppla_sip::reason::COMPLETED_ELSEWHERE;
use koppla_sip::rsip::{self, Headers, Method, Request, Response, SipMessage};
use koppla_sip::Transport;
use std::time::{Duration, Instant};

pub(crate) struct Leg {
    /// The queued caller's Call-ID.
    pub call: String,
    pub agent: String,
    pub(crate) dest: Flow,
    invite: Request,
    branch: String,
    provisional: bool,
    cancelled: bool,
    /// The ACK sent for the 2xx, repeated when the 2xx is retransmitted.
    ack: Option<Request>,
    /// To (with the agent's tag) and remote target once answered.
    dialog: Option<(String, String)>,
    pub(crate) started: Instant,
    ring_limit: Duration,
    next_retransmit: Instant,
    interval: Duration,
    cancelled_at: Option<Instant>,
    /// CSeq of the last request the switch sent in the leg's dialog.
    cseq: u32,
    /// When the agent transferred the caller away; the switch ends the leg if the agent's
    /// phone does not hang up by itself.
    pub transferred_at: Option<Instant>,
    /// Since when the agent's audio is expected: the answer, or the end of the agent's last
    /// hold; none while ringing or held (decision 0407).
    pub(crate) audio_since: Option<Instant>,
}

/// How the switch asks a device to take a call it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Ring normally.
    Ring,
    /// Ask the device to answer at once (RFC 5373 `Answer-Mode: Auto`): a pickup the user
    /// asked for.
    AutoAnswer,
    /// A transfer that was not answered comes back (RFC 7462 alert URN, so phones can ring
    /// differently).
    Recall,
}

/// How long an agent's phone gets to hang up after a transfer before the switch does.
const TRANSFER_GRACE: Duration = Duration::from_secs(4);

impl SipCore {
    /// Rings every registered device of `agent` for queued call `call_id` in the given style.
    pub(crate) fn offer_to(
        &mut self,
        call_id: &str,
        agent: &str,
        ring: Duration,
        style: Offer,
        now: Instant,
    ) {
        let Some(call) = self.queues.calls.get(call_id) else {
            return;
        };
        let (from, offer, pt) = (call.from.clone(), call.offer.clone(), call.pt);
        // RFC 5806: agents' phones show which queue the caller dialled.
        let diversion = match &call.home {
            Home::Group(idx) => self.queues.list.get(*idx).map(|q| {
                let name = q.def.name.replace(['"', '\\'], "");
                format!(
                    "\"{name}\" <sip:{}@{}>;reason=unconditional",
                    q.def.number, self.cfg.realm
                )
            }),
            // A parked call shows whose queue it waited in (RFC 5806 "deflection"); not to
            // the owner, to whom "via me" says nothing.
            Home::Personal(owner) if owner == agent => None,
            Home::Personal(owner) => self.dir.get(owner).map(|u| {
                let name = u.name.replace(['"', '\\'], "");
                format!(
                    "\"{name}\" <sip:{}@{}>;reason=deflection",
                    u.username, self.cfg.realm
                )
            }),
        };
        let Some(local) = self.media.queue_agent_side(call_id) else {
            return;
        };
        let Some(body) = sdp::local_answer(&offer, pt, local, self.now_unix(now)) else {
            return;
        };
        for b in self.registrar.lookup(agent, now) {
            let Ok(uri) = rsip::Uri::try_from(b.contact.as_str()) else {
                continue;
            };
            let leg_id = format!("q{}", m::new_branch().trim_start_matches("z9hG4bK"));
            let branch = m::new_branch();
            let mut headers = Headers::default();
            headers.push(m::make_header(
                "Via",
                &self.via_for(b.source.transport, &branch),
            ));
            headers.push(m::make_header("Max-Forwards", "70"));
            headers.push(m::make_header(
                "From",
                &format!("{from};tag={}", m::new_tag()),
            ));
            headers.push(m::make_header(
                "To",
                &format!("<sip:{agent}@{}>", self.cfg.realm),
            ));
            headers.push(m::make_header("Call-ID", &leg_id));
            if let Some(d) = &diversion {
                headers.push(m::make_header("Diversion", d));
            }
            match style {
                Offer::Ring => {}
                Offer::AutoAnswer => headers.push(m::make_header("Answer-Mode", "Auto")),
                Offer::Recall => headers.push(m::make_header(
                    "Alert-Info",
                    "<urn:alert:service:recall:transfer>",
                )),
            }
            headers.push(m::make_header("CSeq", "1 INVITE"));
            headers.push(m::make_header(
                "Contact",
                &format!("<{}>", self.local_uri(Some("vaxel"), b.source.transport)),
            ));
            headers.push(m::make_header("Allow", super::core::ALLOW));
            headers.push(m::make_header("Content-Type", "application/sdp"));
            let invite = Request {
                method: Method::Invite,
                uri,
                version: rsip::Version::V2,
                headers,
                body: body.clone().into_bytes(),
            };
            tracing::info!(%agent, caller_call = %call_id, "offering queued call");
            self.send(b.source, SipMessage::Request(invite.clone()));
            self.queues
                .leg_branches
                .insert(branch.clone(), leg_id.clone());
            self.queues.legs.insert(
                leg_id.clone(),
                Leg {
                    call: call_id.to_string(),
                    agent: agent.to_string(),
                    dest: b.source,
                    invite,
                    branch,
                    provisional: false,
                    cancelled: false,
                    ack: None,
                    dialog: None,
                    started: now,
                    ring_limit: ring,
                    next_retransmit: now + T1,
                    interval: T1,
                    cancelled_at: None,
                    cseq: 1,
                    transferred_at: None,
                    audio_since: None,
                },
            );
            if let Some(c) = self.queues.calls.get_mut(call_id) {
                c.legs.push(leg_id);
            }
        }
    }

    /// Whether any of queued call `call_id`'s offers still rings or talks (not cancelled).
    pub(crate) fn legs_alive(&self, call_id: &str) -> bool {
        self.queues.calls.get(call_id).is_some_and(|c| {
            c.legs
                .iter()
                .any(|l| self.queues.legs.get(l).is_some_and(|leg| !leg.cancelled))
        })
    }

    /// A request of the leg's transaction (ACK for a non-2xx, CANCEL): same Via branch.
    fn hop(leg: &Leg, method: Method, to: Option<String>) -> Request {
        let mut r = leg.invite.clone();
        r.method = method;
        r.body = Vec::new();
        r.headers.retain(|h| {
            let (n, _) = m::header_name_value(h);
            !["contact", "content-type", "allow"].contains(&n.to_ascii_lowercase().as_str())
        });
        if let Some(t) = to {
            m::set_header(&mut r.headers, "To", &t);
        }
        m::set_header(&mut r.headers, "CSeq", &format!("1 {method}"));
        r
    }

    /// An in-dialog request toward the agent (ACK for the 2xx, BYE, NOTIFY), on a new branch.
    fn in_leg(&mut self, leg: &Leg, method: Method, cseq: u32, now: Instant) -> Option<Request> {
        let (to, target) = leg.dialog.clone()?;
        let uri = rsip::Uri::try_from(target.as_str()).ok()?;
        let branch = m::new_branch();
        let mut r = Self::hop(leg, method, Some(to));
        r.uri = uri;
        m::set_header(
            &mut r.headers,
            "Via",
            &self.via_for(leg.dest.transport, &branch),
        );
        m::set_header(&mut r.headers, "CSeq", &format!("{cseq} {method}"));
        if method != Method::Ack {
            self.own.insert(branch, now);
        }
        Some(r)
    }

    /// Ends a leg from the switch side: CANCEL while ringing, BYE when connected.
    pub(crate) fn leg_hang_up(&mut self, leg_id: &str, now: Instant) {
        self.leg_end(leg_id, None, None, now);
    }

    /// Ends an agent's leg because its caller is gone; a connected agent's BYE carries
    /// `reason` (a ringing one is cancelled plainly: nobody was lost to them yet).
    pub(crate) fn leg_caller_gone(&mut self, leg_id: &str, reason: Option<&str>, now: Instant) {
        self.leg_end(leg_id, None, reason, now);
    }

    /// Stops an offer that lost to another agent's answer. Its CANCEL says so (RFC 3326), so the
    /// agent's phone logs the ring as answered elsewhere instead of as a missed call.
    pub(crate) fn leg_lost_to_other_answer(&mut self, leg_id: &str, now: Instant) {
        self.leg_end(leg_id, Some(COMPLETED_ELSEWHERE), None, now);
    }

    /// Cancels a ringing leg (with `reason` when given) or hangs up a connected one (with
    /// `bye_reason`).
    fn leg_end(
        &mut self,
        leg_id: &str,
        reason: Option<&str>,
        bye_reason: Option<&str>,
        now: Instant,
    ) {
        let Some(leg) = self.queues.legs.get_mut(leg_id) else {
            return;
        };
        if leg.dialog.is_none() {
            if !leg.cancelled {
                leg.cancelled = true;
                leg.cancelled_at = Some(now);
                let mut cancel = Self::hop(leg, Method::Cancel, None);
                if let Some(reason) = reason {
                    cancel.headers.push(m::make_header("Reason", reason));
                }
                let dest = leg.dest;
                self.send(dest, SipMessage::Request(cancel));
            }
            // The leg stays until its final response so a late 2xx can still be hung up.
            return;
        }
        let Some(leg) = self.remove_leg(leg_id, now) else {
            return;
        };
        if let Some(mut bye) = self.in_leg(&leg, Method::Bye, leg.cseq + 1, now) {
            if let Some(reason) = bye_reason {
                bye.headers.push(m::make_header("Reason", reason));
            }
            self.send(leg.dest, SipMessage::Request(bye));
        }
    }

    fn remove_leg(&mut self, leg_id: &str, now: Instant) -> Option<Leg> {
        let leg = self.queues.legs.remove(leg_id)?;
        self.queues.leg_branches.remove(&leg.branch);
        if leg.dialog.is_some() {
            self.agent_idle(&leg.agent, now);
        }
        Some(leg)
    }

    /// A response to one of our INVITEs to an agent.
    pub(crate) fn on_leg_response(&mut self, leg_id: &str, resp: &Response, now: Instant) {
        let is_invite =
            hv(&resp.headers, "CSeq").is_some_and(|c| c.to_ascii_uppercase().ends_with("INVITE"));
        if !is_invite {
            return; // the answer to our CANCEL; the INVITE's own final response follows.
        }
        let code = m::status(resp);
        let Some(leg) = self.queues.legs.get_mut(leg_id) else {
            return;
        };
        match code {
            100..=199 => leg.provisional = true,
            200..=299 => {
                if let Some(ack) = leg.ack.clone() {
                    // The agent repeats its 2xx until it sees our ACK.
                    let dest = leg.dest;
                    self.send(dest, SipMessage::Request(ack));
                    return;
                }
                leg.provisional = true;
                let target = hv(&resp.headers, "Contact")
                    .map(|c| m::addr_uri(&c))
                    .unwrap_or_else(|| leg.invite.uri.to_string());
                leg.dialog = Some((hv(&resp.headers, "To").unwrap_or_default(), target));
                let answer = std::str::from_utf8(&resp.body).unwrap_or("");
                leg.audio_since = expect_audio(answer, None, now);
                let call = leg.call.clone();
                let Some(leg) = self.queues.legs.remove(leg_id) else {
                    return;
                };
                let ack = self.in_leg(&leg, Method::Ack, 1, now);
                let dest = leg.dest;
                let agent = leg.agent.clone();
                self.queues.legs.insert(
                    leg_id.to_string(),
                    Leg {
                        ack: ack.clone(),
                        ..leg
                    },
                );
                if let Some(a) = ack {
                    self.send(dest, SipMessage::Request(a));
                }
                if self.queue_answered(&call, leg_id) {
                    tracing::info!(%agent, caller_call = %call, "agent answered queued call");
                    let remote = std::str::from_utf8(&resp.body)
                        .ok()
                        .and_then(sdp::audio_addr);
                    self.media.queue_bridge(&call, remote);
                    let others: Vec<String> = self
                        .queues
                        .calls
                        .get_mut(&call)
                        .map(|c| {
                            let o = c.legs.iter().filter(|l| *l != leg_id).cloned().collect();
                            c.legs = vec![leg_id.to_string()];
                            o
                        })
                        .unwrap_or_default();
                    for o in others {
                        self.leg_lost_to_other_answer(&o, now);
                    }
                } else {
                    // Too late: the caller left or another agent was first.
                    self.leg_hang_up(leg_id, now);
                }
            }
            _ => {
                let ack = Self::hop(leg, Method::Ack, hv(&resp.headers, "To"));
                let dest = leg.dest;
                let call = leg.call.clone();
                tracing::info!(agent = %leg.agent, code, "agent leg not answered");
                self.send(dest, SipMessage::Request(ack));
                self.remove_leg(leg_id, now);
                self.queue_leg_failed(&call, leg_id, now);
            }
        }
    }

    /// Sends a request in a connected leg's dialog (the next CSeq), with extra headers and
    /// body; nothing when the leg is gone or not connected.
    pub(crate) fn leg_request(
        &mut self,
        leg_id: &str,
        method: Method,
        headers: &[(&str, String)],
        body: &[u8],
        now: Instant,
    ) {
        let Some(mut leg) = self.queues.legs.remove(leg_id) else {
            return;
        };
        leg.cseq += 1;
        let req = self.in_leg(&leg, method, leg.cseq, now);
        let dest = leg.dest;
        self.queues.legs.insert(leg_id.to_string(), leg);
        let Some(mut req) = req else {
            return;
        };
        for (name, value) in headers {
            req.headers.push(m::make_header(name, value));
        }
        req.body = body.to_vec();
        self.send(dest, SipMessage::Request(req));
    }

    /// A request inside an agent's leg: BYE ends the caller's side too while the leg carries
    /// the call (not after the agent transferred it); REFER transfers the caller; a re-INVITE
    /// keeps the relay and gets our offer back as the answer.
    pub(crate) fn leg_in_dialog(&mut self, req: Request, src: Flow, now: Instant) {
        let leg_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        match req.method {
            Method::Bye => {
                self.reply(&req, src, 200, None, &[], None);
                if let Some(leg) = self.remove_leg(&leg_id, now) {
                    if self.queue_connected_by(&leg.call, &leg_id) {
                        self.hang_up_local(&leg.call, now);
                    }
                }
            }
            Method::Refer => self.leg_refer(&req, src, &leg_id, now),
            Method::Invite => {
                if let Some(leg) = self.queues.legs.get_mut(&leg_id) {
                    // The agent holds or resumes; a re-INVITE without an offer changes nothing.
                    if let Some(offer) = std::str::from_utf8(&req.body)
                        .ok()
                        .filter(|b| !b.trim().is_empty())
                    {
                        leg.audio_since = expect_audio(offer, leg.audio_since, now);
                    }
                }
                let body = self
                    .queues
                    .legs
                    .get(&leg_id)
                    .map(|l| l.invite.body.clone())
                    .unwrap_or_default();
                let contact = format!("<{}>", self.local_uri(Some("vaxel"), src.transport));
                self.reply(
                    &req,
                    src,
                    200,
                    None,
                    &[("Contact", contact)],
                    Some(("application/sdp", body)),
                );
            }
            Method::Ack => {}
            Method::Info | Method::Options | Method::Notify => {
                self.reply(&req, src, 200, None, &[], None)
            }
            // UPDATE and the like would need the switch to act for both legs.
            _ => self.reply(&req, src, 501, None, &[], None),
        }
    }

    /// Retransmits unanswered INVITEs (UDP), gives up on silent agents (timer B) and cancels
    /// offers that rang for the queue's agent ring time.
    pub(crate) fn legs_tick(&mut self, now: Instant) {
        let mut resend = Vec::new();
        let mut cancel = Vec::new();
        let mut dead = Vec::new();
        let mut transferred = Vec::new();
        for (id, leg) in self.queues.legs.iter_mut() {
            if leg
                .transferred_at
                .is_some_and(|t| now.saturating_duration_since(t) >= TRANSFER_GRACE)
            {
                transferred.push(id.clone());
            }
            if leg.dialog.is_some() {
                continue;
            }
            let age = now.saturating_duration_since(leg.started);
            if leg
                .cancelled_at
                .is_some_and(|c| now.saturating_duration_since(c) >= TIMER_B)
                || (!leg.provisional && age >= TIMER_B)
            {
                dead.push(id.clone());
            } else if !leg.cancelled && age >= leg.ring_limit {
                cancel.push(id.clone());
            } else if !leg.provisional
                && leg.dest.transport == Transport::Udp
                && now >= leg.next_retransmit
            {
                resend.push((leg.dest, leg.invite.clone()));
                leg.interval = (leg.interval * 2).min(Duration::from_secs(4));
                leg.next_retransmit = now + leg.interval;
            }
        }
        for (dest, r) in resend {
            self.send(dest, SipMessage::Request(r));
        }
        for id in cancel.iter().chain(&transferred) {
            self.leg_hang_up(id, now);
        }
        for id in dead {
            if let Some(leg) = self.remove_leg(&id, now) {
                self.queue_leg_failed(&leg.call, &id, now);
            }
        }
    }
}
