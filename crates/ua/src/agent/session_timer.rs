//! RFC 4028 session timers (decision 0407): both ends agree on an interval and on who
//! refreshes the session with a re-INVITE before half of it has passed. The refresher learns
//! from a failed refresh (408, 481, no answer, no route) that the dialog is gone; the other end
//! learns it from a refresh that never comes. Either way the call ends as
//! [`CONNECTION_LOST`]. RTP inactivity (`media_watch.rs`) finds a dead path within seconds; the
//! session timer also covers held calls, where no audio is expected, and peers whose audio
//! flows around the signalling path.
//!
//! Not done: UPDATE refreshes (we do not offer UPDATE in `Allow`), and retrying our own INVITE
//! after a 422 (our 1800 s default is far above any Min-SE in use; a 422 ends the attempt).

use super::{Owner, UaError, UserAgent};
use crate::call::ReInvite;
use crate::events::{CallId, CONNECTION_LOST, MIN_SESSION_EXPIRES};
use koppla_sip::message::{self, new_tag};
use koppla_sip::{Request, Response, TransactionKey};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Who sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    Us,
    Them,
}

/// A negotiated session timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTimer {
    pub interval: Duration,
    pub refresher: Refresher,
    /// When the session was last refreshed (answered, or a re-INVITE succeeded).
    pub refreshed: Instant,
    /// A refresh the peer refused for another reason than a dead dialog (491 glare, 500...):
    /// try again then, instead of at once.
    pub retry_at: Option<Instant>,
    /// Where our refresh in flight went, to end the call if sending there fails.
    pub refresh_to: Option<SocketAddr>,
}

impl SessionTimer {
    pub fn new(interval: Duration, refresher: Refresher, now: Instant) -> Self {
        SessionTimer {
            interval,
            refresher,
            refreshed: now,
            retry_at: None,
            refresh_to: None,
        }
    }

    /// When we send the next refresh (RFC 4028 10: half the interval), if we are the refresher.
    pub fn refresh_due(&self) -> Option<Instant> {
        (self.refresher == Refresher::Us)
            .then(|| self.retry_at.unwrap_or(self.refreshed + self.interval / 2))
    }

    /// When the session is over unless the peer refreshed it, if the peer is the refresher:
    /// the interval less min(32 s, a third of it), RFC 4028 10, so that our BYE is not later
    /// than the peer's own.
    pub fn expiry(&self) -> Option<Instant> {
        (self.refresher == Refresher::Them).then(|| {
            let margin = Duration::from_secs(32).min(self.interval / 3);
            self.refreshed + self.interval - margin
        })
    }
}

/// A `Session-Expires` value: `delta-seconds *(;se-params)`, with the optional `refresher`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires {
    pub delta: u32,
    /// `Some(true)` for `refresher=uac`, `Some(false)` for `uas`.
    pub uac_refreshes: Option<bool>,
}

impl SessionExpires {
    /// `None` for a value that is not a number of seconds (the header is then ignored, as RFC
    /// 4028 allows for a malformed optional header; it never fails a call).
    pub fn parse(value: &str) -> Option<SessionExpires> {
        let mut parts = value.split(';');
        let delta = parts.next()?.trim().parse::<u32>().ok()?;
        let mut uac_refreshes = None;
        for p in parts {
            let Some((name, v)) = p.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("refresher") {
                uac_refreshes = match v.trim().to_ascii_lowercase().as_str() {
                    "uac" => Some(true),
                    "uas" => Some(false),
                    _ => None,
                };
            }
        }
        Some(SessionExpires {
            delta,
            uac_refreshes,
        })
    }

    pub fn of(headers: &koppla_sip::rsip::Headers) -> Option<SessionExpires> {
        // `x` is the compact form (RFC 4028 4); header_values_in knows it.
        message::header_values_in(headers, "Session-Expires")
            .first()
            .and_then(|v| SessionExpires::parse(v))
    }
}

/// Whether `Supported` lists `timer`.
fn supports_timer(headers: &koppla_sip::rsip::Headers) -> bool {
    message::header_values_in(headers, "Supported")
        .iter()
        .flat_map(|v| message::split_list(v).into_iter().map(str::to_string))
        .any(|t| t.trim().eq_ignore_ascii_case("timer"))
}

/// What we answer to an INVITE or re-INVITE that reached us (we are its UAS): the timer to
/// run and the headers for our 2xx. `current` is the call's timer (re-INVITE), `default` the
/// interval we grant a peer that supports timers but asked for none (zero: grant none).
pub fn as_uas(
    req: &Request,
    current: Option<&SessionTimer>,
    default: Duration,
    now: Instant,
) -> (Option<SessionTimer>, Vec<(&'static str, String)>) {
    let peer_supports = supports_timer(&req.headers);
    let asked = SessionExpires::of(&req.headers);
    let (delta, refresher) = match asked {
        Some(se) => {
            let refresher = match se.uac_refreshes {
                // A peer that does not know timers cannot refresh (a proxy asked for them).
                _ if !peer_supports => Refresher::Us,
                Some(false) => Refresher::Us,
                // RFC 4028 9: the UAS picks when the request does not; the UAC, which asked.
                Some(true) | None => Refresher::Them,
            };
            (se.delta, refresher)
        }
        None => {
            // A re-INVITE without the header keeps the running timer (any re-INVITE is a
            // refresh); a first INVITE from a peer that knows timers gets our interval.
            let (interval, refresher) = match current {
                Some(t) => (t.interval, t.refresher),
                None if peer_supports && !default.is_zero() => (default, Refresher::Them),
                None => return (None, Vec::new()),
            };
            // A peer that does not know timers cannot refresh: we do.
            let refresher = if peer_supports {
                refresher
            } else {
                Refresher::Us
            };
            (
                u32::try_from(interval.as_secs()).unwrap_or(u32::MAX),
                refresher,
            )
        }
    };
    let word = match refresher {
        Refresher::Them => "uac",
        Refresher::Us => "uas",
    };
    let mut headers = vec![("Session-Expires", format!("{delta};refresher={word}"))];
    if peer_supports {
        headers.push(("Require", "timer".to_string()));
    }
    let timer = SessionTimer::new(Duration::from_secs(u64::from(delta)), refresher, now);
    (Some(timer), headers)
}

/// The timer a 2xx to our INVITE or re-INVITE sets up: none when it has no `Session-Expires`
/// (RFC 4028 7.2: the session then does not expire).
pub fn as_uac(resp: &Response, now: Instant) -> Option<SessionTimer> {
    let se = SessionExpires::of(&resp.headers)?;
    // The UAS must name the refresher; a 2xx that does not leaves it to us, which is safe.
    let refresher = match se.uac_refreshes {
        Some(false) => Refresher::Them,
        _ => Refresher::Us,
    };
    Some(SessionTimer::new(
        Duration::from_secs(u64::from(se.delta)),
        refresher,
        now,
    ))
}

impl UserAgent {
    /// Headers for a new INVITE of ours: the interval we ask for (the `Supported: timer` is in
    /// the INVITE's own list).
    pub(super) fn session_timer_invite_headers(&self) -> Vec<(&'static str, String)> {
        let secs = self.cfg.session_expires.as_secs();
        if secs == 0 {
            return Vec::new();
        }
        vec![("Session-Expires", secs.to_string())]
    }

    /// Headers for a re-INVITE of ours on `id`: we keep the refresher role as it is.
    pub(super) fn session_timer_reinvite_headers(&self, id: CallId) -> Vec<(&'static str, String)> {
        let mut h = vec![("Supported", "replaces, timer".to_string())];
        if let Some(t) = self.calls.get(&id).and_then(|c| c.session_timer.as_ref()) {
            let word = match t.refresher {
                Refresher::Us => "uac",
                Refresher::Them => "uas",
            };
            h.push((
                "Session-Expires",
                format!("{};refresher={word}", t.interval.as_secs()),
            ));
        }
        h
    }

    /// Answers 422 with our `Min-SE` when an INVITE or re-INVITE asks for a session interval
    /// below it (RFC 4028 8.1). True when it did.
    pub(super) fn refuse_short_session(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        now: Instant,
    ) -> Result<bool, UaError> {
        let Some(se) = SessionExpires::of(&req.headers) else {
            return Ok(false);
        };
        if se.delta >= MIN_SESSION_EXPIRES {
            return Ok(false);
        }
        let mut resp = message::response_for(req, 422, Some(&new_tag()));
        message::set_header(
            &mut resp.headers,
            "Min-SE",
            &MIN_SESSION_EXPIRES.to_string(),
        );
        self.tl.send_response(key, resp, now)?;
        Ok(true)
    }

    /// We answer `req` (INVITE or re-INVITE) on `id` with 2xx `resp`: run the timer it sets
    /// and say so in the response.
    pub(super) fn session_timer_answer(
        &mut self,
        id: CallId,
        req: &Request,
        resp: &mut Response,
        now: Instant,
    ) {
        let default = self.cfg.session_expires;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (timer, headers) = as_uas(req, call.session_timer.as_ref(), default, now);
        call.session_timer = timer;
        for (name, value) in headers {
            message::set_header(&mut resp.headers, name, &value);
        }
    }

    /// A 2xx to our INVITE or re-INVITE on `id` arrived.
    pub(super) fn session_timer_answered(&mut self, id: CallId, resp: &Response, now: Instant) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_timer = as_uac(resp, now);
        }
    }

    /// Our re-INVITE on `id` for `purpose` failed with `code` (None: no answer at all).
    /// A failed refresh that says the dialog is gone ends the call (RFC 4028 10).
    pub(super) fn session_refresh_failed(
        &mut self,
        id: CallId,
        purpose: ReInvite,
        code: Option<u16>,
        now: Instant,
    ) {
        if purpose != ReInvite::Refresh {
            return;
        }
        match code {
            None | Some(408 | 481) => {
                tracing::warn!(call = id, ?code, "session refresh failed: the call is gone");
                if let Err(e) = self.send_bye(id, now) {
                    tracing::debug!(call = id, "BYE after a failed refresh not sent: {e}");
                }
                self.end_call(id, CONNECTION_LOST, now);
            }
            Some(_) => {
                // Glare or a passing refusal: the dialog lives; try again in a while.
                if let Some(t) = self
                    .calls
                    .get_mut(&id)
                    .and_then(|c| c.session_timer.as_mut())
                {
                    t.refresh_to = None;
                    t.retry_at = Some(now + Duration::from_secs(2));
                }
            }
        }
    }

    /// Sending to `dest` failed: a refresh in flight there has failed (RFC 4028 10 counts a
    /// transport error like a timeout).
    pub(super) fn session_refresh_unsent(&mut self, dest: SocketAddr, now: Instant) {
        let failed: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| {
                matches!(c.pending_reinvite, Some((_, ReInvite::Refresh)))
                    && c.session_timer.as_ref().and_then(|t| t.refresh_to) == Some(dest)
            })
            .map(|c| c.id)
            .collect();
        for id in failed {
            self.owners
                .retain(|_, (o, _)| !matches!(o, Owner::ReInvite(c) if *c == id));
            self.session_refresh_failed(id, ReInvite::Refresh, None, now);
        }
    }

    pub(super) fn session_timer_deadline(&self) -> Option<Instant> {
        self.calls
            .values()
            .filter(|c| c.is_answered())
            .filter_map(|c| {
                let t = c.session_timer.as_ref()?;
                // A re-INVITE in flight refreshes the session when answered; nothing to send.
                let due = t.refresh_due().filter(|_| c.pending_reinvite.is_none());
                due.or(t.expiry())
            })
            .min()
    }

    /// Sends refreshes that are due and ends sessions the peer let expire.
    pub(super) fn session_timer_tick(&mut self, now: Instant) {
        let mut refresh = Vec::new();
        let mut expired = Vec::new();
        for c in self.calls.values().filter(|c| c.is_answered()) {
            let Some(t) = c.session_timer.as_ref() else {
                continue;
            };
            if t.refresh_due().is_some_and(|d| d <= now) && c.pending_reinvite.is_none() {
                refresh.push(c.id);
            }
            if t.expiry().is_some_and(|d| d <= now) {
                expired.push(c.id);
            }
        }
        for id in expired {
            tracing::warn!(
                call = id,
                "the session expired without a refresh: the call is gone"
            );
            if let Err(e) = self.send_bye(id, now) {
                tracing::debug!(call = id, "BYE for an expired session not sent: {e}");
            }
            self.end_call(id, CONNECTION_LOST, now);
        }
        for id in refresh {
            if let Err(e) = self.reinvite(id, ReInvite::Refresh, now) {
                tracing::warn!(call = id, "cannot send the session refresh: {e}");
                self.session_refresh_failed(id, ReInvite::Refresh, None, now);
            }
        }
    }

    /// Where the refresh for `id` went (set once the re-INVITE is sent).
    pub(super) fn session_refresh_sent(&mut self, id: CallId, dest: SocketAddr) {
        if let Some(t) = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.session_timer.as_mut())
        {
            t.refresh_to = Some(dest);
            t.retry_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_expires_values_parse_or_are_ignored() {
        assert_eq!(
            SessionExpires::parse("1800;refresher=uac"),
            Some(SessionExpires {
                delta: 1800,
                uac_refreshes: Some(true)
            })
        );
        assert_eq!(
            SessionExpires::parse(" 90 ; REFRESHER = UAS ;x=y"),
            Some(SessionExpires {
                delta: 90,
                uac_refreshes: Some(false)
            })
        );
        assert_eq!(
            SessionExpires::parse("600;refresher=me"),
            Some(SessionExpires {
                delta: 600,
                uac_refreshes: None
            })
        );
        for bad in ["", "soon", "-5", "99999999999", ";refresher=uac"] {
            assert_eq!(SessionExpires::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_refresher_refreshes_at_half_and_the_other_side_expires_before_the_end() {
        let t0 = Instant::now();
        let us = SessionTimer::new(Duration::from_secs(1800), Refresher::Us, t0);
        assert_eq!(us.refresh_due(), Some(t0 + Duration::from_secs(900)));
        assert_eq!(us.expiry(), None);
        let them = SessionTimer::new(Duration::from_secs(1800), Refresher::Them, t0);
        assert_eq!(them.refresh_due(), None);
        assert_eq!(them.expiry(), Some(t0 + Duration::from_secs(1800 - 32)));
        // Short intervals keep a third as margin (RFC 4028 10: min(32, SE/3)).
        let short = SessionTimer::new(Duration::from_secs(90), Refresher::Them, t0);
        assert_eq!(short.expiry(), Some(t0 + Duration::from_secs(60)));
    }
}
