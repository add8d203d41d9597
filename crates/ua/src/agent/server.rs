//! The registrar/outbound proxy as the runtime located it (RFC 3263), and failing over to
//! the next one. The agent never looks anything up: it reports that the server failed
//! (a REGISTER or INVITE timed out, or could not be sent) and the runtime, which holds the
//! ordered SRV targets, hands it the next address.

use super::{Owner, UaError, UserAgent};
use crate::events::{CallState, UaEvent};
use crate::registration::RegState;
use koppla_sip::message;
use std::net::SocketAddr;
use std::time::Instant;

impl UserAgent {
    /// The registrar / outbound proxy, once known.
    pub(super) fn server(&self) -> Result<SocketAddr, UaError> {
        self.cfg
            .account
            .server
            .ok_or_else(|| UaError::Unresolved(self.cfg.account.domain.clone()))
    }

    /// Whether the server failed since the last call (and clears the flag). The runtime
    /// answers with [`UserAgent::fail_over`] or, when no target is left,
    /// [`UserAgent::no_server_left`].
    pub fn take_server_failure(&mut self) -> bool {
        std::mem::take(&mut self.server_failed)
    }

    /// With another target to try (`Some`), a server that answers a REGISTER or INVITE with
    /// nothing at all for `wait` counts as failed. RFC 3263 fails over on a timeout, but a
    /// live server answers within milliseconds, so the full 32 s of Timer F/B would only keep
    /// the user waiting for the backup. With one target (`None`) the timers run out as usual.
    pub fn set_fast_failover(&mut self, wait: Option<std::time::Duration>) {
        self.fast_failover = wait;
        if wait.is_none() {
            self.silent.clear();
        }
    }

    /// Sending to `dest` failed in the transport (a refused or broken connection). If that
    /// is the server, what we sent it fails at once instead of waiting for Timer F/B.
    pub fn transport_failed(&mut self, dest: SocketAddr, now: Instant) {
        self.session_refresh_unsent(dest, now);
        if self.cfg.account.server != Some(dest) {
            return;
        }
        let failed: Vec<_> = self
            .owners
            .iter()
            .filter(|(_, (o, _))| matches!(o, Owner::Register | Owner::Invite(_)))
            .map(|(k, _)| k.clone())
            .collect();
        for key in failed {
            self.give_up_on_server(&key, now);
        }
    }

    /// Fails over from the server when a REGISTER or INVITE to it had no answer at all for
    /// the fast-failover wait.
    pub(super) fn server_silent(&mut self, now: Instant) {
        let due: Vec<_> = self
            .silent
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.silent.remove(&key);
            tracing::info!("the server has not answered; failing over early");
            self.give_up_on_server(&key, now);
        }
    }

    /// The server will not answer transaction `key`: a registration fails over, an INVITE
    /// waits for the next server. The transaction's own timeout later finds no owner.
    fn give_up_on_server(&mut self, key: &koppla_sip::TransactionKey, now: Instant) {
        match self.owners.get(key).map(|(o, _)| *o) {
            Some(Owner::Register) => {
                self.owners.remove(key);
                self.server_failed = true;
                let mut evs = Vec::new();
                self.reg.on_unreachable(now, &mut evs);
                self.push_events(evs);
            }
            Some(Owner::Invite(id)) => {
                let current = self.calls.get(&id).is_some_and(|c| &c.invite_key == key);
                if current && self.hold_for_fail_over(id) {
                    self.owners.remove(key);
                }
            }
            _ => {}
        }
    }

    /// An unanswered INVITE to the server is kept for the next server rather than ended.
    pub(super) fn hold_for_fail_over(&mut self, id: crate::events::CallId) -> bool {
        let Some(call) = self.calls.get(&id) else {
            return false;
        };
        let to_server = self.dest_for(&call.remote_uri).ok() == self.cfg.account.server;
        if call.state != CallState::Calling || call.cancel_requested || !to_server {
            return false;
        }
        if !self.awaiting_server.contains(&id) {
            self.awaiting_server.push(id);
        }
        self.server_failed = true;
        true
    }

    /// Use `next` as the server from now on: a registration that was being attempted is sent
    /// there at once, and INVITEs the old server never answered are sent again.
    pub fn fail_over(&mut self, next: SocketAddr, now: Instant) -> Result<(), UaError> {
        tracing::info!(from = ?self.cfg.account.server, to = %next, "failing over to the next server");
        self.cfg.account.server = Some(next);
        if matches!(self.reg.state, RegState::Registering | RegState::Failed) {
            self.register(now)?;
        }
        for id in std::mem::take(&mut self.awaiting_server) {
            if let Err(e) = self.resend_invite(id, next, now) {
                self.end_call(id, "timeout", now);
                self.events.push_back(UaEvent::Error {
                    message: e.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Every target failed: INVITEs waiting for another server end as timed out. Use `first`
    /// for later registration retries (the list starts over).
    pub fn no_server_left(&mut self, first: Option<SocketAddr>, now: Instant) {
        if first.is_some() {
            self.cfg.account.server = first;
        }
        for id in std::mem::take(&mut self.awaiting_server) {
            self.end_call(id, "timeout", now);
        }
    }

    /// The same INVITE as a new transaction (new branch and CSeq) to `dest`.
    fn resend_invite(
        &mut self,
        id: crate::events::CallId,
        dest: SocketAddr,
        now: Instant,
    ) -> Result<(), UaError> {
        let via = self.via();
        let call = self.call_mut(id)?;
        let mut req = call.invite.clone();
        let cseq = call.invite_cseq + 1;
        message::set_header(&mut req.headers, "Via", &via);
        message::set_header(&mut req.headers, "CSeq", &format!("{cseq} INVITE"));
        let key = self.send(req.clone(), dest, Owner::Invite(id), now)?;
        let call = self.call_mut(id)?;
        call.invite = req;
        call.invite_key = key;
        call.invite_cseq = cseq;
        Ok(())
    }
}
