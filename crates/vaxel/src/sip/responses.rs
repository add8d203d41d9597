//! Responses to forwarded requests: final-response selection across forks, CANCELling the
//! losers, ring timeouts (to voicemail when the callee has it), and the proxy's timers.

use super::core::{hv, tag_of, CoreEvent, SipCore};
use super::flow::{via_transport, Flow};
use super::proxy::{vias, with_list, Branch, InviteTx, LINGER, TIMER_B};
use super::util::via_response_addr;
use koppla_sip::message as m;
use koppla_sip::reason::COMPLETED_ELSEWHERE;
use koppla_sip::rsip::{self, Method, Response, SipMessage};
use std::time::{Duration, Instant};

impl SipCore {
    pub(crate) fn on_response(&mut self, resp: Response, _src: Flow, now: Instant) {
        let v = vias(&resp.headers);
        let Some(top) = v.first() else { return };
        if !m::via_sent_by(top)
            .and_then(|s| super::util::parse_hostport(&s))
            .is_some_and(|a| self.is_local_addr(a))
        {
            tracing::debug!(via = %top, "response not addressed to us");
            return;
        }
        let branch = m::param(top, "branch").unwrap_or_default();
        let rest: Vec<String> = v[1..].to_vec();
        let mut fwd = resp.clone();
        fwd.headers = with_list(&resp.headers, "Via", &rest);
        if let Some(leg) = self.queues.leg_branches.get(&branch).cloned() {
            self.on_leg_response(&leg, &resp, now);
            return;
        }
        if self.own.contains_key(&branch) {
            self.on_own_response(&resp, now);
            return;
        }
        let is_cancel =
            hv(&resp.headers, "CSeq").is_some_and(|c| c.to_ascii_uppercase().ends_with("CANCEL"));
        if is_cancel {
            return; // our hop-by-hop CANCEL was answered; nothing to relay.
        }
        if let Some(key) = self.branches.get(&branch).cloned() {
            self.on_invite_response(&key, &branch, resp, fwd, now);
            return;
        }
        // Stateless relay of a response to an in-dialog request.
        let Some(next) = rest
            .first()
            .and_then(|n| Some(Flow::new(via_transport(n), via_response_addr(n)?)))
        else {
            return;
        };
        let call_id = hv(&fwd.headers, "Call-ID").unwrap_or_default();
        let from_caller = !self.sent_by_caller(&call_id, tag_of(&fwd.headers, "From").as_deref());
        let mut body = std::mem::take(&mut fwd.body);
        self.relay_body(&call_id, from_caller, &fwd.headers, &mut body);
        fwd.body = body;
        self.send(next, SipMessage::Response(fwd));
    }

    fn on_invite_response(
        &mut self,
        key: &str,
        branch: &str,
        raw: Response,
        mut fwd: Response,
        now: Instant,
    ) {
        let Some(mut tx) = self.invites.remove(key) else {
            return;
        };
        let code = m::status(&raw);
        let call_id = hv(&raw.headers, "Call-ID").unwrap_or_default();
        if let Some(c) = hv(&raw.headers, "Contact") {
            if let Some(b) = tx.branches.iter().find(|b| b.branch == branch) {
                self.contact_routes.insert(m::addr_uri(&c), (b.dest, now));
            }
        }
        let Some(idx) = tx.branches.iter().position(|b| b.branch == branch) else {
            self.invites.insert(key.to_string(), tx);
            return;
        };
        tx.branches[idx].provisional = true;
        if code > 100 {
            let mut body = std::mem::take(&mut fwd.body);
            self.relay_body(&call_id, false, &fwd.headers, &mut body);
            fwd.body = body;
        }
        match code {
            100 => {}
            101..=199 => {
                if !tx.answered && tx.done_at.is_none() {
                    tx.last_sent = Some(fwd.clone());
                    self.send(tx.upstream, SipMessage::Response(fwd));
                }
            }
            200..=299 if tx.done_at.is_some() && !tx.answered => {
                // The switch already settled this call (voicemail took it, or a failure went
                // upstream); an answer now would leave the phone in a call with nobody.
                tx.branches[idx].final_code = Some(code);
                self.end_late_answer(&tx.branches[idx], &raw, now);
            }
            200..=299 => {
                if !tx.answered {
                    let callee = tx.branches[idx].dest;
                    self.watch_answered(&tx.request, tx.upstream, &raw, callee);
                }
                tx.branches[idx].final_code = Some(code);
                tx.answered = true;
                tx.done_at.get_or_insert(now);
                tx.last_sent = Some(fwd.clone());
                self.send(tx.upstream, SipMessage::Response(fwd));
                for b in tx
                    .branches
                    .iter_mut()
                    .filter(|b| b.final_code.is_none() && !b.cancelled)
                {
                    b.cancelled = true;
                    let mut c = Self::hop_request(b, Method::Cancel, None);
                    // RFC 3326: the user's other devices log this ring as answered, not missed.
                    c.headers
                        .push(m::make_header("Reason", COMPLETED_ELSEWHERE));
                    self.send(b.dest, SipMessage::Request(c));
                }
            }
            _ => {
                let ack = Self::hop_request(&tx.branches[idx], Method::Ack, hv(&raw.headers, "To"));
                self.send(tx.branches[idx].dest, SipMessage::Request(ack));
                if tx.branches[idx].final_code.is_none() {
                    tx.branches[idx].final_code = Some(code);
                    let better = match &tx.best {
                        None => true,
                        Some(b) => {
                            let old = m::status(b);
                            (code >= 600 && old < 600)
                                || (old < 600 && code < old && code != 408)
                                || old == 408
                        }
                    };
                    if better {
                        tx.best = Some(fwd);
                    }
                    self.finish_if_complete(&mut tx, now);
                }
            }
        }
        self.invites.insert(key.to_string(), tx);
    }

    /// ACKs a 2xx on `branch` and hangs it up with BYE, as the caller's side of that dialog.
    fn end_late_answer(&mut self, branch: &Branch, resp: &Response, now: Instant) {
        let to = hv(&resp.headers, "To");
        let target = hv(&resp.headers, "Contact")
            .map(|c| m::addr_uri(&c))
            .and_then(|c| rsip::Uri::try_from(c.as_str()).ok());
        let n: u32 = hv(&branch.request.headers, "CSeq")
            .and_then(|c| c.split_whitespace().next().and_then(|n| n.parse().ok()))
            .unwrap_or(1);
        for (method, cseq) in [(Method::Ack, n), (Method::Bye, n.saturating_add(1))] {
            let mut req = Self::hop_request(branch, method, to.clone());
            let id = m::new_branch();
            let via = self.via_for(branch.dest.transport, &id);
            req.headers = with_list(&req.headers, "Via", &[via]);
            m::set_header(&mut req.headers, "CSeq", &format!("{cseq} {method}"));
            if let Some(uri) = &target {
                req.uri = uri.clone();
            }
            self.own.insert(id, now);
            self.send(branch.dest, SipMessage::Request(req));
        }
    }

    /// When every branch has a final answer and none accepted, pass the best one upstream.
    pub(crate) fn finish_if_complete(&mut self, tx: &mut InviteTx, now: Instant) {
        if tx.answered || tx.done_at.is_some() || tx.branches.iter().any(|b| b.final_code.is_none())
        {
            return;
        }
        let mut best = tx
            .best
            .clone()
            .unwrap_or_else(|| m::response_for(&tx.request, 408, Some(&m::new_tag())));
        if tx.rang_out && m::status(&best) == 487 {
            // The forks said 487 to our CANCEL; the caller did not give up, nobody answered.
            best = m::response_for(&tx.request, 480, Some(&m::new_tag()));
        }
        let code = m::status(&best);
        tx.done_at = Some(now);
        let call_id = hv(&tx.request.headers, "Call-ID").unwrap_or_default();
        self.media.release(&call_id);
        self.calls.remove(&call_id);
        if let Some(callee) = tx.callee.clone() {
            // 487: the caller gave up; anything else means nobody could take the call.
            if code == 487 {
                self.events.push_back(CoreEvent::MissedCall {
                    username: callee,
                    from: tx.caller.clone(),
                });
            } else if matches!(code, 408 | 480 | 486 | 503 | 600) {
                let caller = tx.caller.clone();
                // Every phone said busy: the caller hears the busy greeting.
                let busy = tx
                    .branches
                    .iter()
                    .all(|b| matches!(b.final_code, Some(486 | 600)));
                if self.missed_to_voicemail_for(
                    tx.request.clone(),
                    tx.upstream,
                    &callee,
                    &caller,
                    busy,
                    now,
                ) {
                    return;
                }
            }
        }
        tx.last_sent = Some(best.clone());
        self.send(tx.upstream, SipMessage::Response(best));
    }

    /// The callee let it ring too long: stop ringing and hand the caller to voicemail.
    fn ring_timeout_to_voicemail(&mut self, tx: &mut InviteTx, now: Instant) {
        for b in tx
            .branches
            .iter_mut()
            .filter(|b| b.final_code.is_none() && !b.cancelled)
        {
            b.cancelled = true;
            let c = Self::hop_request(b, Method::Cancel, None);
            self.send(b.dest, SipMessage::Request(c));
        }
        tx.done_at = Some(now);
        let call_id = hv(&tx.request.headers, "Call-ID").unwrap_or_default();
        self.media.release(&call_id);
        self.calls.remove(&call_id);
        let (callee, caller) = (tx.callee.clone().unwrap_or_default(), tx.caller.clone());
        self.missed_to_voicemail(tx.request.clone(), tx.upstream, &callee, &caller, now);
    }

    pub(crate) fn proxy_tick(&mut self, now: Instant) {
        let keys: Vec<String> = self.invites.keys().cloned().collect();
        for key in keys {
            let Some(mut tx) = self.invites.remove(&key) else {
                continue;
            };
            if tx
                .done_at
                .is_some_and(|d| now.saturating_duration_since(d) > LINGER)
            {
                for b in &tx.branches {
                    self.branches.remove(&b.branch);
                }
                continue;
            }
            let rang_out = !tx.answered
                && tx.done_at.is_none()
                && now.saturating_duration_since(tx.started) >= tx.ring_timeout;
            if rang_out
                && tx
                    .callee
                    .as_deref()
                    .is_some_and(|c| self.cfg.calls.voicemail(c))
            {
                self.ring_timeout_to_voicemail(&mut tx, now);
                self.invites.insert(key, tx);
                continue;
            }
            let mut resend = Vec::new();
            let mut cancel = Vec::new();
            for b in tx.branches.iter_mut().filter(|b| b.final_code.is_none()) {
                if !b.provisional {
                    if now.saturating_duration_since(b.started) >= TIMER_B {
                        b.final_code = Some(408);
                    } else if now >= b.next_retransmit {
                        resend.push((b.dest, b.request.clone()));
                        b.interval = (b.interval * 2).min(Duration::from_secs(4));
                        b.next_retransmit = now + b.interval;
                    }
                } else if !b.cancelled && rang_out {
                    tx.rang_out = true;
                    b.cancelled = true;
                    cancel.push((b.dest, Self::hop_request(b, Method::Cancel, None)));
                }
            }
            for (d, r) in resend.into_iter().chain(cancel) {
                self.send(d, SipMessage::Request(r));
            }
            self.finish_if_complete(&mut tx, now);
            self.invites.insert(key, tx);
        }
        // A call whose BYE never came (crashed phone) must not hold relay sockets forever.
        let stale: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                now.saturating_duration_since(c.last_seen) >= Duration::from_secs(12 * 3600)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for call_id in stale {
            self.calls.remove(&call_id);
            self.media.release(&call_id);
        }
    }
}
