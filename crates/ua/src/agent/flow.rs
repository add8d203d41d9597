//! The registration's flow to the registrar (RFC 5626 section 4.4): keep-alive probes while
//! registered, and what happens when the flow dies — the user is told at once that we are not
//! registered, and the registration starts over (see [`crate::registration`] for the retries).
//! The runtime reports what only it can see: a closed connection, a pong, a failed ping.

use super::{Owner, UaError, UserAgent};
use crate::keepalive::{Due, Probe};
use crate::registration::RegState;
use koppla_sip::message::{self, new_call_id, new_tag};
use koppla_sip::{Method, Transport};
use std::net::SocketAddr;
use std::time::Instant;

impl UserAgent {
    /// A keep-alive ping (CRLFCRLF) the runtime must send on the registration's connection,
    /// with [`koppla_sip::SipTransport::ping`] (never on a new connection).
    pub fn poll_ping(&mut self) -> Option<(Transport, SocketAddr)> {
        self.pings.pop_front()
    }

    /// The stream connection to `peer` closed. If it carried the registration, the flow is
    /// dead.
    pub fn flow_closed(&mut self, transport: Transport, peer: SocketAddr, now: Instant) {
        if transport == self.transport() && self.cfg.account.server == Some(peer) {
            self.flow_dead("connection closed", now);
        }
    }

    /// A pong came back from `peer`.
    pub fn pong(&mut self, transport: Transport, peer: SocketAddr, now: Instant) {
        if transport == self.transport() && self.cfg.account.server == Some(peer) {
            self.keepalive.on_answer(now);
        }
    }

    /// Starts or stops watching the flow as the registration comes and goes.
    pub(super) fn sync_keepalive(&mut self, now: Instant) {
        let registered = self.reg.is_registered();
        if registered && !self.keepalive.is_running() {
            self.keepalive.start(now);
        } else if !registered && self.keepalive.is_running() {
            self.keepalive.stop();
        }
    }

    /// A probe is due, or the last one went unanswered.
    pub(super) fn keepalive_timer(&mut self, now: Instant) {
        match self.keepalive.on_timer(now) {
            None => {}
            Some(Due::Dead) => self.flow_dead("keep-alive unanswered", now),
            Some(Due::Probe(Probe::Ping)) => {
                if let Some(server) = self.cfg.account.server {
                    self.pings.push_back((self.transport(), server));
                }
            }
            Some(Due::Probe(Probe::Options)) => {
                if let Err(e) = self.send_options_probe(now) {
                    tracing::debug!("cannot send keep-alive OPTIONS: {e}");
                }
            }
        }
    }

    /// Any answer to the OPTIONS probe, even an error status, shows the server is there.
    pub(super) fn keepalive_answered(&mut self, now: Instant) {
        self.keepalive.on_answer(now);
    }

    fn send_options_probe(&mut self, now: Instant) -> Result<(), UaError> {
        let dest = self.server()?;
        let a = &self.cfg.account;
        let uri = format!("sip:{}", a.domain);
        let headers = [
            ("Via", self.via()),
            ("Max-Forwards", "70".to_string()),
            ("From", format!("<{}>;tag={}", a.aor, new_tag())),
            ("To", format!("<{uri}>")),
            ("Call-ID", new_call_id()),
            ("CSeq", "1 OPTIONS".to_string()),
            ("User-Agent", self.cfg.user_agent.clone()),
        ];
        let req = message::new_request(Method::Options, &uri, &headers, Vec::new())?;
        self.send(req, dest, Owner::KeepAlive, now)?;
        Ok(())
    }

    /// The registration's flow is gone. Requests still out on it will not be answered, so
    /// they are forgotten (their own timeouts later find no owner) before registering again.
    pub(super) fn flow_dead(&mut self, why: &str, now: Instant) {
        if !matches!(
            self.reg.state,
            RegState::Registered { .. } | RegState::Registering
        ) {
            // Not registered and not trying: nothing depends on this flow.
            return;
        }
        tracing::info!(why, server = ?self.cfg.account.server, "registration flow lost");
        self.keepalive.stop();
        self.owners.retain(|_, (o, _)| {
            !matches!(o, Owner::Register | Owner::KeepAlive | Owner::Subscribe)
        });
        self.mwi_flow_lost();
        let owners = &self.owners;
        self.silent.retain(|k, _| owners.contains_key(k));
        self.pings.clear();
        let mut evs = Vec::new();
        let req = self.reg.flow_lost(&self.cfg, now, &mut evs);
        self.push_events(evs);
        if let Some(req) = req {
            if let Err(e) = self
                .server()
                .and_then(|dest| self.send(req, dest, Owner::Register, now))
            {
                self.events.push_back(crate::UaEvent::Error {
                    message: e.to_string(),
                });
            }
        }
    }
}
