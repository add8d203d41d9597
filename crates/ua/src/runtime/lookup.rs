//! DNS for the agent, off its loop: host names are looked up on spawned tasks (A/AAAA with
//! the runtime's resolver) and the results fed to the sans-IO agent. A command that needs a
//! name waits for its lookup and then runs.

use super::dns::Dns;
use super::{Command, Runtime};
use crate::events::CallId;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use tokio::sync::mpsc;

/// What to do once a lookup is done.
#[derive(Debug)]
pub(super) enum Then {
    Nothing,
    Run(Command),
    /// Place the call a REFER on `call` asked for.
    Referred {
        call: CallId,
        target: String,
        replaces: Option<String>,
    },
}

#[derive(Debug)]
pub(super) struct Lookup {
    host: String,
    result: Result<IpAddr, String>,
    then: Then,
}

/// Lookups in flight, and where their results arrive.
pub(super) struct Lookups {
    dns: Dns,
    tx: mpsc::UnboundedSender<Lookup>,
    in_flight: HashSet<String>,
}

impl Lookups {
    pub(super) fn new(dns: Dns) -> (Self, mpsc::UnboundedReceiver<Lookup>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let me = Self {
            dns,
            tx,
            in_flight: HashSet::new(),
        };
        (me, rx)
    }

    /// Starts looking `host` up, preferring an address of `family`'s kind (our SIP socket's:
    /// an IPv4 socket cannot reach an IPv6 answer).
    pub(super) fn start(&mut self, host: String, family: SocketAddr, then: Then) {
        if matches!(then, Then::Nothing) && !self.in_flight.insert(host.clone()) {
            return;
        }
        let tx = self.tx.clone();
        let dns = self.dns.clone();
        tokio::spawn(async move {
            let result = match dns.ips(&host, Some(family)).await {
                Ok((ips, _)) => ips.first().copied().ok_or_else(|| "no addresses".into()),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Lookup { host, result, then });
        });
    }
}

impl Runtime {
    pub(super) async fn lookup_done(&mut self, done: Lookup) {
        self.lookups.in_flight.remove(&done.host);
        match done.result {
            Ok(ip) => self.ua.add_resolved(&done.host, ip),
            Err(e) => {
                if let Then::Run(Command::Place { reply, .. }) = &done.then {
                    reply.send(Err(super::PlaceError::Lookup {
                        host: done.host.clone(),
                        reason: e.clone(),
                    }));
                }
                self.error(format!("cannot resolve {}: {e}", done.host))
                    .await;
                return;
            }
        }
        match done.then {
            Then::Nothing => {}
            Then::Run(cmd) => self.command(cmd).await,
            Then::Referred {
                call,
                target,
                replaces,
            } => self.place_referred(call, target, replaces).await,
        }
    }

    /// Looks up, ahead of need, names that live dialogs will send to.
    pub(super) fn resolve_ahead(&mut self) {
        let family = self.ua.config().local_addr;
        for host in self.ua.unresolved_hosts() {
            if !self.lookups.in_flight.contains(&host) {
                self.lookups.start(host, family, Then::Nothing);
            }
        }
    }
}
