//! Dead-flow detection for the registration (RFC 5626 section 4.4). While registered, the agent
//! probes its flow to the registrar and calls it dead when a probe goes unanswered. Over TCP and
//! TLS the probe is a CRLFCRLF ping that the server answers with a CRLF pong (4.4.1). Over UDP a
//! bare CRLF gets no answer, so it proves nothing; the probe is an OPTIONS request to the
//! registrar instead, and any response counts. A connection the runtime reports closed is a
//! dead flow at once, without a probe.
//!
//! Sans-IO: the agent feeds `now`, answers and timer expiries; it sends what is due.

use koppla_sip::Transport;
use std::time::{Duration, Instant};

/// RFC 5626 4.4.1 suggests 95-120 s for stream keep-alives to outlast NAT and firewall timers;
/// a closed connection is reported without a ping anyway, so pings only have to catch a flow
/// that vanished silently (a lost network, a host gone without a reset). 30 s bounds how long
/// the status may claim "registered" in that case.
pub const STREAM_PING_INTERVAL: Duration = Duration::from_secs(30);
/// RFC 5626 4.4.1: a pong that does not come within 10 s means the flow failed.
pub const PONG_WAIT: Duration = Duration::from_secs(10);
/// How often a registration over UDP asks the registrar whether it is there.
pub const OPTIONS_INTERVAL: Duration = Duration::from_secs(30);
/// The OPTIONS transaction retransmits every 0.5-4 s meanwhile, so 5 s of silence is several
/// lost requests in a row, not one lost datagram.
pub const OPTIONS_WAIT: Duration = Duration::from_secs(5);

/// How a flow is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// CRLFCRLF on the registration's connection.
    Ping,
    /// An OPTIONS request to the registrar.
    Options,
}

/// What a timer expiry asks of the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Probe(Probe),
    /// The last probe had no answer in time: the registration's flow is dead.
    Dead,
}

#[derive(Debug, Clone)]
pub struct KeepAlive {
    probe: Probe,
    interval: Duration,
    wait: Duration,
    next_probe: Option<Instant>,
    answer_by: Option<Instant>,
}

impl KeepAlive {
    pub fn for_transport(transport: Transport) -> Self {
        match transport {
            Transport::Udp => Self::new(Probe::Options, OPTIONS_INTERVAL, OPTIONS_WAIT),
            Transport::Tcp | Transport::Tls => {
                Self::new(Probe::Ping, STREAM_PING_INTERVAL, PONG_WAIT)
            }
        }
    }

    pub fn new(probe: Probe, interval: Duration, wait: Duration) -> Self {
        Self {
            probe,
            interval,
            wait,
            next_probe: None,
            answer_by: None,
        }
    }

    pub fn probe(&self) -> Probe {
        self.probe
    }

    pub fn is_running(&self) -> bool {
        self.next_probe.is_some() || self.answer_by.is_some()
    }

    /// The registration is up: probe one interval from now.
    pub fn start(&mut self, now: Instant) {
        self.answer_by = None;
        self.next_probe = Some(now + self.interval);
    }

    /// The registration is gone or being replaced: nothing to watch.
    pub fn stop(&mut self) {
        self.next_probe = None;
        self.answer_by = None;
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.answer_by.or(self.next_probe)
    }

    /// Whether a probe is out and unanswered.
    pub fn awaiting_answer(&self) -> bool {
        self.answer_by.is_some()
    }

    pub fn on_timer(&mut self, now: Instant) -> Option<Due> {
        if let Some(by) = self.answer_by {
            if now < by {
                return None;
            }
            self.stop();
            return Some(Due::Dead);
        }
        match self.next_probe {
            Some(at) if at <= now => {
                self.next_probe = None;
                self.answer_by = Some(now + self.wait);
                Some(Due::Probe(self.probe))
            }
            _ => None,
        }
    }

    /// The server answered the probe (pong, or any response to the OPTIONS).
    pub fn on_answer(&mut self, now: Instant) {
        if self.answer_by.take().is_some() {
            self.next_probe = Some(now + self.interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answered_probe_schedules_the_next_and_a_silent_one_is_a_dead_flow() {
        let t0 = Instant::now();
        let mut k = KeepAlive::for_transport(Transport::Tcp);
        assert_eq!(k.probe(), Probe::Ping);
        assert_eq!(k.next_deadline(), None, "idle until registered");
        k.start(t0);
        let first = t0 + STREAM_PING_INTERVAL;
        assert_eq!(k.next_deadline(), Some(first));
        assert_eq!(k.on_timer(first - Duration::from_millis(1)), None);
        assert_eq!(k.on_timer(first), Some(Due::Probe(Probe::Ping)));
        assert_eq!(k.next_deadline(), Some(first + PONG_WAIT));
        let pong = first + Duration::from_millis(3);
        k.on_answer(pong);
        assert_eq!(k.next_deadline(), Some(pong + STREAM_PING_INTERVAL));
        assert_eq!(
            k.on_timer(pong + STREAM_PING_INTERVAL),
            Some(Due::Probe(Probe::Ping))
        );
        let silent = pong + STREAM_PING_INTERVAL + PONG_WAIT;
        assert_eq!(k.on_timer(silent - Duration::from_millis(1)), None);
        assert_eq!(k.on_timer(silent), Some(Due::Dead));
        assert!(!k.is_running(), "a dead flow is not probed again");
        assert_eq!(k.on_timer(silent + STREAM_PING_INTERVAL), None);
    }

    #[test]
    fn udp_probes_with_options_and_a_late_answer_does_not_restart_a_stopped_watch() {
        let t0 = Instant::now();
        let mut k = KeepAlive::for_transport(Transport::Udp);
        k.start(t0);
        assert_eq!(
            k.on_timer(t0 + OPTIONS_INTERVAL),
            Some(Due::Probe(Probe::Options))
        );
        k.stop();
        k.on_answer(t0 + OPTIONS_INTERVAL + Duration::from_secs(1));
        assert!(!k.is_running());
        // A refresh restarts the watch and forgets an outstanding probe.
        k.start(t0);
        assert_eq!(
            k.on_timer(t0 + OPTIONS_INTERVAL),
            Some(Due::Probe(Probe::Options))
        );
        k.start(t0 + OPTIONS_INTERVAL + Duration::from_secs(1));
        assert!(!k.awaiting_answer());
    }
}
