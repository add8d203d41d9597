//! Calls whose audio died are released (issue 18, decision 0407). Every call between two
//! parties runs its audio through the switch's relay, so the switch sees when one side stops
//! sending: that phone crashed, lost its network or was killed, and it will never send BYE.
//! The other party would sit in a silent call until its own timers noticed. When a side of an
//! answered, unheld call has been silent for `media_timeout`, the switch hangs up both legs
//! with a BYE of its own (carrying `Reason: SIP;cause=408`, so a Koppla phone says "connection
//! lost") and frees the relay. The decision is [`silent_side`], fed the relay's last-packet
//! times and `now`; the relay (media/mod.rs) only records when packets arrive.
//!
//! The legs the switch answers itself (a queue, a parked call, voicemail, the dial-in menu,
//! echo, announcements) have sockets of their own: their media tasks record when the caller
//! last sent RTP or RTCP (media/heard.rs), and the same decision ([`silence`]) hangs up a
//! caller who went silent while not holding the call, with the same `Reason`. Releasing the
//! leg does what the caller's own BYE would: the queue or parked list loses the call, an agent
//! it was connected to gets a BYE too, and a recording in progress is kept as a message.
//! The agent (or the colleague who picked up a parked call) connected to such a caller is
//! watched the same way on the queue's relay: when the agent's phone dies, both are hung up.

use super::core::{hv, SipCore};
use super::flow::Flow;
use super::proxy::list;
use koppla_sip::message as m;
use koppla_sip::rsip::{self, Headers, Method, Request, Response, SipMessage};
use std::time::{Duration, Instant};

/// What the switch's BYE says (RFC 3326): the call timed out for want of audio.
pub(crate) const MEDIA_TIMEOUT_REASON: &str = "SIP;cause=408;text=\"No audio: connection lost\"";

/// One answered leg's dialog as seen from the switch: enough to send a BYE into it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct End {
    /// The party's own From/To value (its tag), which is the To of a request to it.
    pub party: String,
    /// The other party's value (its tag), the From of a request to this party.
    pub other: String,
    /// Where requests to the party go: its Contact, the flow it is reached on, and the
    /// Route set beyond the switch (other proxies on the way, nearest first).
    pub contact: String,
    pub flow: Flow,
    pub route: Vec<String>,
}

/// The dead-media watch of one proxied call.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MediaWatch {
    /// The caller's and the callee's ends, once answered.
    pub ends: Option<[End; 2]>,
    /// Whether the last SDP from each side (caller, callee) put the audio on hold.
    pub held: [bool; 2],
    /// Since when audio is expected from both sides (answered and not on hold).
    pub since: Option<Instant>,
    /// The highest CSeq seen from each side: the switch's BYE must go above it.
    pub cseq: [u32; 2],
}

/// How long a party whose audio is expected since `since`, and last heard at `heard`, has
/// been silent, once that is at least `timeout`: its last packet, or the start of the watch
/// when later, lies that far back. `None` while it is alive, or with a zero `timeout` (the
/// check is off).
pub(crate) fn silence(
    since: Instant,
    heard: Option<Instant>,
    timeout: Duration,
    now: Instant,
) -> Option<Duration> {
    if timeout.is_zero() {
        return None;
    }
    let last = heard.map_or(since, |h| h.max(since));
    let quiet = now.saturating_duration_since(last);
    (quiet >= timeout).then_some(quiet)
}

/// Since when audio is expected from a party whose latest SDP is `sdp`, the watch having
/// run since `since`: never while the SDP holds the audio (sendonly, recvonly, inactive,
/// `c=0.0.0.0`), from `now` on resuming (a full timeout, whatever came before the hold), and
/// unchanged while it keeps talking.
pub(crate) fn expect_audio(sdp: &str, since: Option<Instant>, now: Instant) -> Option<Instant> {
    if super::sdp::audio_on_hold(sdp) {
        None
    } else {
        Some(since.unwrap_or(now))
    }
}

/// Which side (0 = caller, 1 = callee) of a call whose audio is expected since `since` has
/// been silent for `timeout` (see [`silence`]); `None` while both are alive.
pub(crate) fn silent_side(
    since: Instant,
    heard: [Option<Instant>; 2],
    timeout: Duration,
    now: Instant,
) -> Option<usize> {
    (0..2).find(|&side| silence(since, heard[side], timeout, now).is_some())
}

impl SipCore {
    /// Sets how long one side of an answered call may send no audio before the switch hangs
    /// the call up (zero: never).
    pub fn set_media_timeout(&mut self, timeout: Duration) {
        self.media_timeout = timeout;
    }

    /// The 2xx `resp` answered `invite` (from the caller on `caller_flow`) on a branch toward
    /// `callee_flow`: remember both dialog ends.
    pub(crate) fn watch_answered(
        &mut self,
        invite: &Request,
        caller_flow: Flow,
        resp: &Response,
        callee_flow: Flow,
    ) {
        let call_id = hv(&invite.headers, "Call-ID").unwrap_or_default();
        let caller = hv(&invite.headers, "From").unwrap_or_default();
        let callee = hv(&resp.headers, "To").unwrap_or_default();
        let contact = |h: &Headers| hv(h, "Contact").map(|c| m::addr_uri(&c));
        let (Some(caller_contact), Some(callee_contact)) =
            (contact(&invite.headers), contact(&resp.headers))
        else {
            return;
        };
        // Record-Route of the 2xx: the callee's proxies above ours, the caller's below.
        let rr = list(&resp.headers, "Record-Route");
        let ours = rr.iter().position(|r| self.is_us(&m::addr_uri(r)));
        let (mut callee_route, caller_route) = match ours {
            Some(i) => {
                let below = rr
                    .iter()
                    .skip(i)
                    .skip_while(|r| self.is_us(&m::addr_uri(r)))
                    .cloned()
                    .collect();
                (rr[..i].to_vec(), below)
            }
            None => (Vec::new(), Vec::new()),
        };
        callee_route.reverse();
        let invite_cseq = hv(&invite.headers, "CSeq")
            .and_then(|c| c.split_whitespace().next().and_then(|n| n.parse().ok()))
            .unwrap_or(1);
        let Some(c) = self.calls.get_mut(&call_id) else {
            return;
        };
        c.watch.cseq[0] = c.watch.cseq[0].max(invite_cseq);
        c.watch.ends = Some([
            End {
                party: caller.clone(),
                other: callee.clone(),
                contact: caller_contact,
                flow: caller_flow,
                route: caller_route,
            },
            End {
                party: callee,
                other: caller,
                contact: callee_contact,
                flow: callee_flow,
                route: callee_route,
            },
        ]);
    }

    /// An in-dialog request of `call_id` passed from one side: keep its CSeq.
    pub(crate) fn watch_request(&mut self, call_id: &str, from_caller: bool, req: &Request) {
        let cseq = hv(&req.headers, "CSeq").and_then(|c| {
            c.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u32>().ok())
        });
        if let (Some(c), Some(n)) = (self.calls.get_mut(call_id), cseq) {
            let side = usize::from(!from_caller);
            c.watch.cseq[side] = c.watch.cseq[side].max(n);
        }
    }

    /// An SDP body from one side of `call_id` passed through the relay.
    pub(crate) fn watch_sdp(&mut self, call_id: &str, from_caller: bool, sdp: &str) {
        if let Some(c) = self.calls.get_mut(call_id) {
            c.watch.held[usize::from(!from_caller)] = super::sdp::audio_on_hold(sdp);
        }
    }

    /// Hangs up answered calls one side of which went silent (called from the tick).
    pub(crate) fn dead_media_tick(&mut self, now: Instant) {
        let timeout = self.media_timeout;
        if timeout.is_zero() {
            return;
        }
        let mut dead = Vec::new();
        for (call_id, c) in self.calls.iter_mut() {
            let w = &mut c.watch;
            if w.ends.is_none() || w.held.iter().any(|h| *h) {
                w.since = None;
                continue;
            }
            let since = *w.since.get_or_insert(now);
            let Some(heard) = self.media.relay_heard(call_id) else {
                continue;
            };
            if let Some(side) = silent_side(since, heard, timeout, now) {
                dead.push((call_id.clone(), side));
            }
        }
        for (call_id, side) in dead {
            tracing::warn!(
                %call_id,
                silent = if side == 0 { "caller" } else { "callee" },
                timeout_s = timeout.as_secs(),
                "no audio from one side of a call: hanging up both legs"
            );
            self.release_dead_call(&call_id, now);
        }
        self.dead_local_tick(timeout, now);
        self.dead_agent_tick(timeout, now);
    }

    /// Hangs up queued or parked calls whose connected agent (or picker) went silent while
    /// not holding: the caller would otherwise listen to a dead line. Both get the `Reason`.
    fn dead_agent_tick(&mut self, timeout: Duration, now: Instant) {
        let dead: Vec<(String, String, Duration)> = self
            .queues
            .legs
            .iter()
            .filter(|(leg_id, leg)| {
                leg.transferred_at.is_none() && self.queue_connected_by(&leg.call, leg_id)
            })
            .filter_map(|(_, leg)| {
                let since = leg.audio_since?;
                let heard = self.media.agent_heard(&leg.call)?;
                let quiet = silence(since, heard, timeout, now)?;
                Some((leg.call.clone(), leg.agent.clone(), quiet))
            })
            .collect();
        for (call_id, agent, quiet) in dead {
            tracing::warn!(
                %call_id,
                %agent,
                silent_s = quiet.as_secs(),
                timeout_s = timeout.as_secs(),
                "no audio from the agent connected to a queued or parked call: hanging up"
            );
            self.hang_up_local_because(&call_id, Some(MEDIA_TIMEOUT_REASON), now);
        }
    }

    /// Hangs up legs the switch answered itself whose caller went silent while not holding.
    fn dead_local_tick(&mut self, timeout: Duration, now: Instant) {
        let dead: Vec<(String, &'static str, Duration)> = self
            .local_calls
            .iter()
            .filter_map(|(call_id, c)| {
                let since = c.audio_since?;
                // A backend that cannot tell (None) never has its legs released.
                let heard = self.media.caller_heard(call_id)?;
                let quiet = silence(since, heard, timeout, now)?;
                Some((call_id.clone(), c.leg, quiet))
            })
            .collect();
        for (call_id, leg, quiet) in dead {
            tracing::warn!(
                %call_id,
                leg,
                silent_s = quiet.as_secs(),
                timeout_s = timeout.as_secs(),
                "no audio from the caller of a call the switch answered: hanging up"
            );
            self.hang_up_local_because(&call_id, Some(MEDIA_TIMEOUT_REASON), now);
        }
    }

    fn release_dead_call(&mut self, call_id: &str, now: Instant) {
        let Some(info) = self.calls.remove(call_id) else {
            return;
        };
        self.media.release(call_id);
        let Some(ends) = info.watch.ends else {
            return;
        };
        for (side, end) in ends.iter().enumerate() {
            // Above what the other side (whose place the switch takes) last used.
            let cseq = info.watch.cseq[1 - side].saturating_add(1);
            if let Some(bye) = self.dead_call_bye(call_id, end, cseq, now) {
                self.send(end.flow, SipMessage::Request(bye));
            }
        }
    }

    fn dead_call_bye(
        &mut self,
        call_id: &str,
        end: &End,
        cseq: u32,
        now: Instant,
    ) -> Option<Request> {
        let uri = rsip::Uri::try_from(end.contact.as_str()).ok()?;
        let branch = m::new_branch();
        let mut headers = Headers::default();
        headers.push(m::make_header(
            "Via",
            &self.via_for(end.flow.transport, &branch),
        ));
        headers.push(m::make_header("Max-Forwards", "70"));
        for r in &end.route {
            headers.push(m::make_header("Route", r));
        }
        headers.push(m::make_header("From", &end.other));
        headers.push(m::make_header("To", &end.party));
        headers.push(m::make_header("Call-ID", call_id));
        headers.push(m::make_header("CSeq", &format!("{cseq} BYE")));
        headers.push(m::make_header("Reason", MEDIA_TIMEOUT_REASON));
        headers.push(m::make_header("Content-Length", "0"));
        // Its answer is ours to absorb, not to relay.
        self.own.insert(branch, now);
        Some(Request {
            method: Method::Bye,
            uri,
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(30);

    #[test]
    fn a_side_is_silent_once_its_last_packet_or_the_watch_start_is_a_timeout_old() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        // Nothing heard yet: the watch's start counts.
        assert_eq!(silent_side(t0, [None, None], T, s(29)), None);
        assert_eq!(silent_side(t0, [None, None], T, s(30)), Some(0));
        // The caller talks, the callee's phone died at 10 s.
        assert_eq!(silent_side(t0, [Some(s(39)), Some(s(10))], T, s(39)), None);
        assert_eq!(
            silent_side(t0, [Some(s(40)), Some(s(10))], T, s(40)),
            Some(1)
        );
        // Packets from before the watch began (before a hold ended) buy nothing more.
        assert_eq!(
            silent_side(s(100), [Some(s(50)), Some(s(129))], T, s(130)),
            Some(0)
        );
        assert_eq!(
            silent_side(s(100), [Some(s(50)), Some(s(129))], T, s(129)),
            None
        );
        // Off.
        assert_eq!(silent_side(t0, [None, None], Duration::ZERO, s(1000)), None);
    }

    #[test]
    fn audio_is_expected_from_the_answer_not_while_held_and_afresh_after_resuming() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let talk = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n";
        let hold = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
        assert_eq!(expect_audio(talk, None, t0), Some(t0), "from the answer");
        assert_eq!(expect_audio(hold, None, t0), None, "answered on hold");
        assert_eq!(expect_audio(talk, Some(t0), s(5)), Some(t0), "a re-offer");
        assert_eq!(expect_audio(hold, Some(t0), s(6)), None, "held");
        assert_eq!(expect_audio(talk, None, s(90)), Some(s(90)), "resumed");
    }

    #[test]
    fn silence_is_how_long_a_party_has_been_quiet_once_that_reaches_the_timeout() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        assert_eq!(silence(t0, None, T, s(29)), None);
        assert_eq!(silence(t0, None, T, s(30)), Some(T));
        assert_eq!(silence(t0, Some(s(20)), T, s(49)), None);
        assert_eq!(
            silence(t0, Some(s(20)), T, s(52)),
            Some(Duration::from_secs(32))
        );
        // Heard before a hold that ended at 100 s: the watch restarted then.
        assert_eq!(silence(s(100), Some(s(50)), T, s(129)), None);
        assert_eq!(silence(s(100), Some(s(50)), T, s(130)), Some(T));
        // A clock that went backwards (heard "after" now) is not silence.
        assert_eq!(silence(t0, Some(s(40)), T, s(35)), None);
        assert_eq!(silence(t0, None, Duration::ZERO, s(1000)), None);
    }
}
