//! DNS for the agent, off its loop: host names are looked up on spawned tasks
//! (`tokio::net::lookup_host`, A/AAAA) and the results fed to the sans-IO agent. A command
//! that needs a name waits for its lookup and then runs.

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
    tx: mpsc::UnboundedSender<Lookup>,
    in_flight: HashSet<String>,
}

impl Lookups {
    pub(super) fn new() -> (Self, mpsc::UnboundedReceiver<Lookup>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let me = Self {
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
        tokio::spawn(async move {
            let result = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => {
                    let all: Vec<SocketAddr> = addrs.collect();
                    all.iter()
                        .find(|a| a.is_ipv4() == family.is_ipv4())
                        .or(all.first())
                        .map(SocketAddr::ip)
                        .ok_or_else(|| "no addresses".to_string())
                }
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
