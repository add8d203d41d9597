//! When to give up on a stream (TCP/TLS) connection, decided sans-IO from `now`: a message
//! begun but not finished in time (a slow-loris sender holding a half message), an accepted
//! connection that never delivers a whole message, and one that stays silent for too long.
//! The drivers (the switch's and [`crate::transport`]) feed it what they read and sleep until
//! [`StreamWatch::deadline`].

use std::fmt;
use std::time::{Duration, Instant};

/// A message begun must be complete within this: even a slow phone on a bad link sends a
/// few kilobytes in well under a second.
pub const PARTIAL_MESSAGE: Duration = Duration::from_secs(10);
/// An accepted connection must deliver its first whole message within this.
pub const FIRST_MESSAGE: Duration = Duration::from_secs(30);
/// An accepted connection silent this long is closed. RFC 5626 clients ping every 30 s or
/// so (koppla does), and any registered client refreshes its registration within the
/// registrar's longest grant (3600 s by default) — so a live flow is never this quiet, while
/// a connection whose peer vanished without a FIN is reclaimed in the end.
pub const IDLE: Duration = Duration::from_secs(3600 + 300);

/// The limits for one connection. Those of a connection we opened ourselves are up to its
/// owner (it keeps the flow as long as it needs it): only the partial-message limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    pub partial_message: Duration,
    /// `None`: no limit.
    pub first_message: Option<Duration>,
    /// `None`: no limit.
    pub idle: Option<Duration>,
}

impl Default for StreamLimits {
    /// The limits for an accepted connection.
    fn default() -> Self {
        Self {
            partial_message: PARTIAL_MESSAGE,
            first_message: Some(FIRST_MESSAGE),
            idle: Some(IDLE),
        }
    }
}

impl StreamLimits {
    /// The same limits for a connection we opened: the partial-message limit only.
    pub fn outbound(self) -> Self {
        Self {
            first_message: None,
            idle: None,
            ..self
        }
    }
}

/// Why a connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTimeout {
    /// A message was begun and not completed in time.
    PartialMessage(Duration),
    /// No whole message since the connection was accepted.
    NoMessage(Duration),
    /// Not a byte (not even a keep-alive) for this long.
    Idle(Duration),
}

impl fmt::Display for StreamTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PartialMessage(d) => {
                write!(f, "a message begun was not completed within {d:?}")
            }
            Self::NoMessage(d) => write!(f, "no whole message within {d:?} of connecting"),
            Self::Idle(d) => write!(f, "nothing received for {d:?}"),
        }
    }
}

/// The timers of one connection.
#[derive(Debug, Clone)]
pub struct StreamWatch {
    limits: StreamLimits,
    opened: Instant,
    last_input: Instant,
    /// When the message still incomplete began arriving.
    partial_since: Option<Instant>,
    framed_any: bool,
}

impl StreamWatch {
    pub fn new(limits: StreamLimits, now: Instant) -> Self {
        Self {
            limits,
            opened: now,
            last_input: now,
            partial_since: None,
            framed_any: false,
        }
    }

    /// Bytes arrived and were framed: `messages` whole messages came out, and `partial` says
    /// whether the decoder still holds part of the next one.
    pub fn on_input(&mut self, now: Instant, messages: usize, partial: bool) {
        self.last_input = now;
        self.framed_any |= messages > 0;
        self.partial_since = match (partial, self.partial_since) {
            (false, _) => None,
            // A message that was pending is still pending: its clock keeps running, so
            // trickling one byte at a time does not buy more time.
            (true, Some(since)) if messages == 0 => Some(since),
            // A new message began in this read.
            (true, _) => Some(now),
        };
    }

    /// When [`Self::check`] would next find a limit passed.
    pub fn deadline(&self) -> Option<Instant> {
        let l = &self.limits;
        [
            self.partial_since.map(|t| t + l.partial_message),
            l.first_message
                .filter(|_| !self.framed_any)
                .map(|d| self.opened + d),
            l.idle.map(|d| self.last_input + d),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The limit passed at `now`, if any: the connection should be closed.
    pub fn check(&self, now: Instant) -> Option<StreamTimeout> {
        let l = &self.limits;
        if let Some(since) = self.partial_since {
            if now >= since + l.partial_message {
                return Some(StreamTimeout::PartialMessage(l.partial_message));
            }
        }
        if let Some(d) = l.first_message.filter(|_| !self.framed_any) {
            if now >= self.opened + d {
                return Some(StreamTimeout::NoMessage(d));
            }
        }
        match l.idle {
            Some(d) if now >= self.last_input + d => Some(StreamTimeout::Idle(d)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn watch(now: Instant) -> StreamWatch {
        StreamWatch::new(StreamLimits::default(), now)
    }

    #[test]
    fn a_half_message_is_given_ten_seconds_however_slowly_it_trickles() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        w.on_input(t0 + S, 0, true);
        for i in 2..11 {
            w.on_input(t0 + i * S, 0, true);
            assert_eq!(w.check(t0 + i * S), None);
        }
        assert_eq!(w.deadline(), Some(t0 + 11 * S));
        assert_eq!(w.check(t0 + 11 * S - Duration::from_millis(1)), None);
        assert_eq!(
            w.check(t0 + 11 * S),
            Some(StreamTimeout::PartialMessage(PARTIAL_MESSAGE))
        );
    }

    #[test]
    fn completing_the_message_stops_the_partial_clock_and_a_new_one_restarts_it() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        w.on_input(t0, 0, true);
        w.on_input(t0 + 9 * S, 1, false);
        assert_eq!(w.check(t0 + 20 * S), None);
        // One message done and the next begun in the same read: the next gets its own 10 s.
        w.on_input(t0 + 25 * S, 0, true);
        w.on_input(t0 + 34 * S, 1, true);
        assert_eq!(w.check(t0 + 40 * S), None);
        assert_eq!(
            w.check(t0 + 44 * S),
            Some(StreamTimeout::PartialMessage(PARTIAL_MESSAGE))
        );
    }

    #[test]
    fn an_accepted_connection_must_send_a_whole_message_within_thirty_seconds() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        // Keep-alive CRLFs are input but no message.
        w.on_input(t0 + 20 * S, 0, false);
        assert_eq!(w.deadline(), Some(t0 + FIRST_MESSAGE));
        assert_eq!(
            w.check(t0 + FIRST_MESSAGE),
            Some(StreamTimeout::NoMessage(FIRST_MESSAGE))
        );
        let mut w = watch(t0);
        w.on_input(t0 + 29 * S, 1, false);
        assert_eq!(w.check(t0 + FIRST_MESSAGE), None);
    }

    #[test]
    fn a_flow_kept_alive_every_thirty_seconds_is_never_idle_but_a_silent_one_is_closed() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        w.on_input(t0, 1, false);
        let mut t = t0;
        for _ in 0..400 {
            t += 30 * S;
            assert_eq!(w.check(t), None);
            w.on_input(t, 0, false);
        }
        assert_eq!(w.deadline(), Some(t + IDLE));
        assert_eq!(w.check(t + IDLE), Some(StreamTimeout::Idle(IDLE)));
        assert!(
            IDLE > Duration::from_secs(3600),
            "above a registration's refresh"
        );
    }

    #[test]
    fn our_own_connections_only_have_the_partial_limit() {
        let t0 = Instant::now();
        let mut w = StreamWatch::new(StreamLimits::default().outbound(), t0);
        assert_eq!(w.deadline(), None);
        assert_eq!(w.check(t0 + 10 * IDLE), None);
        w.on_input(t0, 0, true);
        assert_eq!(
            w.check(t0 + PARTIAL_MESSAGE),
            Some(StreamTimeout::PartialMessage(PARTIAL_MESSAGE))
        );
    }
}
