//! The registrar for the runtime: locating it (RFC 3263), failing over to the next target
//! when the agent reports the current one failed, looking the records up again when their
//! TTL runs out, and following a reused connection to it.

use super::dns::{Dns, DnsError};
use super::Runtime;
use crate::config::SipUri;
use crate::locate::Targets;
use koppla_sip::Transport;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// However short the TTL, records are not looked up again sooner than this.
const MIN_REFRESH: Duration = Duration::from_secs(30);
/// After a failed re-lookup, the old targets are kept and DNS asked again this much later.
const RETRY_REFRESH: Duration = Duration::from_secs(60);

/// With a backup target, a server silent this long after a REGISTER or INVITE is left for
/// the next one (a live server answers within milliseconds, even across the world).
const FAST_FAILOVER: Duration = Duration::from_secs(4);

pub(super) type Refreshed = Result<Targets, DnsError>;

pub(super) struct Registrar {
    dns: Dns,
    /// The AOR's URI to locate; `None` when the caller fixed the server's address.
    uri: Option<SipUri>,
    transport: Transport,
    targets: Targets,
    next_refresh: Option<Instant>,
    tx: mpsc::UnboundedSender<Refreshed>,
}

impl Registrar {
    /// How long the agent waits for a silent server before failing over; only with a
    /// target left to fail over to.
    pub(super) fn fast_failover(&self) -> Option<Duration> {
        (self.targets.all().len() > 1).then_some(FAST_FAILOVER)
    }

    /// Locates the server now when it is not known yet; the runtime cannot start without it
    /// (its local address follows the route to the server).
    pub(super) async fn start(
        dns: Dns,
        server: Option<SocketAddr>,
        uri: SipUri,
        transport: Transport,
        prefer: Option<SocketAddr>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Refreshed>), DnsError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (uri, targets) = match server {
            Some(addr) => (None, Targets::new(vec![addr], None)),
            None => {
                let targets = dns.locate(&uri, transport, prefer).await?;
                tracing::info!(targets = ?targets.all(), "located {}", uri.host);
                (Some(uri), targets)
            }
        };
        let mut me = Self {
            dns,
            uri,
            transport,
            targets,
            next_refresh: None,
            tx,
        };
        me.schedule(Instant::now());
        Ok((me, rx))
    }

    /// Every located address, for the agent to trust requests from (decision 0303).
    pub(super) fn targets(&self) -> &[SocketAddr] {
        self.targets.all()
    }

    pub(super) fn current(&self) -> Option<SocketAddr> {
        self.targets.current()
    }

    /// When the records should be looked up again (none while a lookup is running).
    pub(super) fn next_refresh(&self) -> Option<Instant> {
        self.next_refresh
    }

    fn schedule(&mut self, now: Instant) {
        self.next_refresh = self
            .targets
            .valid_until()
            .filter(|_| self.uri.is_some())
            .map(|t| t.max(now + MIN_REFRESH));
    }

    /// Starts the re-lookup if the records are due.
    pub(super) fn refresh_if_due(&mut self, now: Instant, prefer: SocketAddr) {
        let (Some(at), Some(uri)) = (self.next_refresh, &self.uri) else {
            return;
        };
        if now < at {
            return;
        }
        self.next_refresh = None;
        let (dns, uri, transport, tx) = (
            self.dns.clone(),
            uri.clone(),
            self.transport,
            self.tx.clone(),
        );
        tokio::spawn(async move {
            let _ = tx.send(dns.locate(&uri, transport, Some(prefer)).await);
        });
    }
}

impl Runtime {
    /// The agent reported that the server failed: give it the next target, or tell it none
    /// is left (the list starts over for the registration's own retries).
    pub(super) async fn fail_over_if_needed(&mut self) {
        if !self.ua.take_server_failure() {
            return;
        }
        let now = Instant::now();
        match self.registrar.targets.fail_over() {
            Some(next) => {
                if let Err(e) = self.ua.fail_over(next, now) {
                    self.error(format!("fail-over to {next}: {e}")).await;
                }
            }
            None => {
                tracing::warn!("no server target left; starting over");
                self.registrar.targets = Targets::new(
                    self.registrar.targets.all().to_vec(),
                    self.registrar.targets.valid_until(),
                );
                self.ua.no_server_left(self.registrar.current(), now);
            }
        }
    }

    /// New records arrived: keep the server if it is still among them, otherwise move to
    /// the new best target (and register there if we were registered).
    pub(super) async fn registrar_refreshed(&mut self, result: Refreshed) {
        let now = Instant::now();
        let targets = match result {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("registrar re-lookup failed, keeping the old targets: {e}");
                self.registrar.next_refresh = Some(now + RETRY_REFRESH);
                return;
            }
        };
        let current = self.registrar.current();
        let keep = current.is_some_and(|c| targets.all().contains(&c));
        self.registrar.targets = targets;
        self.ua.set_fast_failover(self.registrar.fast_failover());
        self.ua.set_server_targets(self.registrar.targets());
        if keep {
            while self.registrar.current() != current {
                self.registrar.targets.fail_over();
            }
        } else if let Some(first) = self.registrar.current() {
            tracing::info!(?current, new = %first, "registrar records changed");
            let registered = self.ua.is_registered();
            let mut res = self.ua.fail_over(first, now);
            if registered && res.is_ok() {
                res = self.ua.register(now);
            }
            if let Err(e) = res {
                self.error(format!("moving to {first}: {e}")).await;
            }
        }
        self.registrar.schedule(now);
    }

    /// With a reused connection, a reconnect (after the server or network dropped it)
    /// gives us a new local port; Via, Contact and the registration must follow it.
    pub(super) async fn follow_connection(&mut self) {
        let cfg = self.ua.config();
        if !cfg.connection_reuse {
            return;
        }
        let (kind, current) = (cfg.account.transport, cfg.local_addr);
        let Some(server) = cfg.account.server else {
            return;
        };
        let Some(local) = self.transport.connection_local_addr(kind, server) else {
            return;
        };
        if local != current {
            tracing::info!(old = %current, new = %local, "connection to the server re-opened");
            if let Err(e) = self.ua.set_local_addr(local, std::time::Instant::now()) {
                self.error(e.to_string()).await;
            }
            self.flush().await;
        }
    }
}
