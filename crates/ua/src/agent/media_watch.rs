//! RTP inactivity (decision 0407): an answered call whose peer's audio stopped arriving has
//! lost its path — the server relaying it or the peer died, or the network went — and nothing
//! in SIP says so until a request fails. The media session reports when it last heard the peer
//! ([`UserAgent::media_heard`]); the agent decides here, from `now`, when silence means the call
//! is gone. Hold pauses the watch: no RTP is expected then, and RTCP is optional.

use super::UserAgent;
use crate::events::{CallId, CONNECTION_LOST};
use koppla_media::session::engine::HEARD_REPORT_INTERVAL;
use std::time::{Duration, Instant};

/// When the peer of one call was last known to be alive; `None` while nothing is expected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaWatch {
    since: Option<Instant>,
}

impl MediaWatch {
    /// Starts the watch when audio is expected from now on (`expected`), stops it otherwise.
    /// A watch that starts anew (answer, end of a hold) gives the peer a full timeout.
    pub fn observe(&mut self, expected: bool, now: Instant) {
        if !expected {
            self.since = None;
        } else if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// A packet from the peer arrived at `at`.
    pub fn heard(&mut self, at: Instant) {
        if let Some(since) = self.since.as_mut() {
            *since = (*since).max(at);
        }
    }

    /// When the call counts as dead unless the peer is heard first (none: not watched, or the
    /// check is off with a zero `timeout`). The media session reports packets at most once per
    /// [`HEARD_REPORT_INTERVAL`], so the last packet may be that much newer than the last
    /// report: the call is given that long on top, and never ends before `timeout` of real
    /// silence.
    pub fn deadline(&self, timeout: Duration) -> Option<Instant> {
        (!timeout.is_zero())
            .then_some(self.since?)
            .map(|since| since + timeout + HEARD_REPORT_INTERVAL)
    }
}

/// The end reason a BYE gives: a normal hang-up, unless the BYE says it was sent because the
/// call timed out (RFC 3326 `Reason: SIP;cause=408`), as a switch that releases a call whose
/// audio died does (Koppla Växel, decision 0407): then the user learns the connection was
/// lost rather than that the other party hung up.
pub(super) fn bye_reason(req: &koppla_sip::Request) -> &'static str {
    let timed_out = koppla_sip::reason::reasons(&req.headers)
        .iter()
        .any(|r| r.protocol == koppla_sip::reason::ReasonProtocol::Sip && r.cause == Some(408));
    if timed_out {
        CONNECTION_LOST
    } else {
        "bye"
    }
}

impl UserAgent {
    /// The media session of `call` heard the peer at `at` (RTP or RTCP).
    pub fn media_heard(&mut self, call: CallId, at: Instant) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.media_watch.heard(at);
        }
    }

    /// Starts or stops each call's watch from its state: answered, media agreed, and
    /// neither side holding.
    pub(super) fn sync_media_watch(&mut self, now: Instant) {
        for c in self.calls.values_mut() {
            let expected =
                c.is_answered() && c.negotiated.is_some() && !c.local_hold && !c.remote_hold;
            c.media_watch.observe(expected, now);
        }
    }

    pub(super) fn media_deadline(&self) -> Option<Instant> {
        let timeout = self.cfg.media_timeout;
        self.calls
            .values()
            .filter_map(|c| c.media_watch.deadline(timeout))
            .min()
    }

    /// Ends every call that stayed silent past the media timeout: a BYE on the chance that the
    /// signalling path still works (the peer's phone then stops too), and the call ends here
    /// whatever becomes of it.
    pub(super) fn media_timer(&mut self, now: Instant) {
        let timeout = self.cfg.media_timeout;
        let dead: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| c.media_watch.deadline(timeout).is_some_and(|d| d <= now))
            .map(|c| c.id)
            .collect();
        for id in dead {
            tracing::warn!(
                call = id,
                timeout_s = timeout.as_secs_f64(),
                "no audio from the other side: the connection is lost, ending the call"
            );
            if let Err(e) = self.send_bye(id, now) {
                tracing::debug!(call = id, "BYE for a dead call not sent: {e}");
            }
            self.end_call(id, CONNECTION_LOST, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bye_for_a_timed_out_call_says_connection_lost() {
        let bye = |reason: &str| {
            let text = format!(
                "BYE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKb\r\n\
                 From: <sip:b@h>;tag=2\r\nTo: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 5 BYE\r\n\
                 {reason}Content-Length: 0\r\n\r\n"
            );
            match koppla_sip::message::parse(text.as_bytes()) {
                Ok(koppla_sip::SipMessage::Request(r)) => r,
                other => panic!("not a request: {other:?}"),
            }
        };
        assert_eq!(bye_reason(&bye("")), "bye");
        assert_eq!(
            bye_reason(&bye(
                "Reason: SIP;cause=408;text=\"No audio: connection lost\"\r\n"
            )),
            CONNECTION_LOST
        );
        assert_eq!(bye_reason(&bye("Reason: Q.850;cause=16\r\n")), "bye");
        assert_eq!(bye_reason(&bye("Reason: SIP;cause=200\r\n")), "bye");
    }

    const T: Duration = Duration::from_secs(20);
    /// The timeout plus the report interval's grace.
    const D: Duration = Duration::from_secs(21);

    #[test]
    fn a_watch_runs_only_while_audio_is_expected_and_follows_the_last_packet() {
        let t0 = Instant::now();
        let mut w = MediaWatch::default();
        assert_eq!(w.deadline(T), None, "not answered yet");
        w.heard(t0);
        assert_eq!(w.deadline(T), None, "early packets start nothing");
        w.observe(true, t0);
        assert_eq!(w.deadline(T), Some(t0 + D));
        w.observe(true, t0 + Duration::from_secs(5));
        assert_eq!(w.deadline(T), Some(t0 + D), "observing again moves nothing");
        w.heard(t0 + Duration::from_secs(7));
        assert_eq!(w.deadline(T), Some(t0 + Duration::from_secs(28)));
        w.heard(t0 + Duration::from_secs(3));
        assert_eq!(
            w.deadline(T),
            Some(t0 + Duration::from_secs(28)),
            "a late report of an older packet"
        );
        w.observe(false, t0 + Duration::from_secs(8));
        assert_eq!(w.deadline(T), None, "hold");
        w.observe(true, t0 + Duration::from_secs(100));
        assert_eq!(
            w.deadline(T),
            Some(t0 + Duration::from_secs(121)),
            "a full timeout after the hold"
        );
        assert_eq!(w.deadline(Duration::ZERO), None, "zero turns it off");
    }
}
