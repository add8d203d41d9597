//! RFC 3263 server location, sans-IO: which DNS questions to ask for a SIP URI, how to order
//! the answers (NAPTR order/preference, SRV priority/weight per RFC 2782), and the list of
//! targets to fail over through. The runtime asks DNS and feeds the answers in.

use crate::config::SipUri;
use koppla_sip::Transport;
use std::net::SocketAddr;
use std::time::Instant;

/// The first DNS step for a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// An IP literal: no DNS at all.
    Literal(SocketAddr),
    /// An explicit port (RFC 3263 4.2): A/AAAA of the host on that port, no SRV.
    Host { host: String, port: u16 },
    /// A bare name: NAPTR (unless the URI fixes the transport), then SRV, falling back to
    /// A/AAAA on the default port when there are no SRV records.
    Service {
        domain: String,
        /// Ask NAPTR first: the URI carries no `transport` parameter.
        naptr: bool,
        /// The SRV name to use when NAPTR gives none, e.g. `_sip._udp.example.com`.
        srv_name: String,
        default_port: u16,
    },
}

/// How to find `uri`'s server when we send over `transport` (our socket's: the agent has
/// one transport per account, so NAPTR only picks the SRV name for that transport).
pub fn plan(uri: &SipUri, transport: Transport) -> Plan {
    let port = uri.port_or_default(transport);
    if let Some(ip) = uri.ip() {
        return Plan::Literal(SocketAddr::new(ip, port));
    }
    if uri.port.is_some() {
        return Plan::Host {
            host: uri.host.clone(),
            port,
        };
    }
    let domain = uri.host.trim_end_matches('.').to_ascii_lowercase();
    Plan::Service {
        srv_name: format!("{}.{domain}", srv_prefix(transport, uri.secure)),
        naptr: uri.transport.is_none(),
        domain,
        default_port: port,
    }
}

/// `_sip._udp`, `_sip._tcp` or `_sips._tcp` (TLS and `sips:` URIs, RFC 3263 4.1).
fn srv_prefix(transport: Transport, secure: bool) -> &'static str {
    match transport {
        Transport::Tls => "_sips._tcp",
        _ if secure => "_sips._tcp",
        Transport::Udp => "_sip._udp",
        _ => "_sip._tcp",
    }
}

/// A NAPTR record as DNS gave it (RFC 3403), text fields lower-cased by the caller or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naptr {
    pub order: u16,
    pub preference: u16,
    pub flags: String,
    pub services: String,
    pub replacement: String,
}

/// The SRV name of the best NAPTR record for our transport, if any (RFC 3263 4.1: lowest
/// order, then preference, among `s`-flagged records whose service we support).
pub fn naptr_srv_name(records: &[Naptr], transport: Transport, secure: bool) -> Option<String> {
    let wanted = match transport {
        Transport::Udp if !secure => "sip+d2u",
        Transport::Tcp if !secure => "sip+d2t",
        _ => "sips+d2t",
    };
    records
        .iter()
        .filter(|r| r.flags.eq_ignore_ascii_case("s") && r.services.eq_ignore_ascii_case(wanted))
        .min_by_key(|r| (r.order, r.preference))
        .map(|r| r.replacement.trim_end_matches('.').to_string())
        .filter(|name| !name.is_empty())
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// Orders SRV records for trying: ascending priority; within a priority, a weighted random
/// draw (RFC 2782). `pick(total)` returns a number in `0..=total` — random in the runtime,
/// fixed in tests. A lone "." target means the service is not offered: no records.
pub fn order_srv(records: &[Srv], mut pick: impl FnMut(u32) -> u32) -> Vec<Srv> {
    if records.len() == 1 && records[0].target.trim_end_matches('.').is_empty() {
        return Vec::new();
    }
    let mut priorities: Vec<u16> = records.iter().map(|r| r.priority).collect();
    priorities.sort_unstable();
    priorities.dedup();
    let mut out = Vec::with_capacity(records.len());
    for p in priorities {
        // Zero weights first, so that they only win a draw of 0 (RFC 2782's rule).
        let mut group: Vec<&Srv> = records.iter().filter(|r| r.priority == p).collect();
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let draw = pick(total).min(total);
            let mut running = 0;
            let idx = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= draw
                })
                .unwrap_or(0);
            out.push(group.remove(idx).clone());
        }
    }
    out
}

/// The addresses to try, best first, and how long DNS said they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    list: Vec<SocketAddr>,
    current: usize,
    valid_until: Option<Instant>,
}

impl Targets {
    /// `valid_until` is `None` for literals, which never expire.
    pub fn new(list: Vec<SocketAddr>, valid_until: Option<Instant>) -> Self {
        let mut seen = Vec::with_capacity(list.len());
        for a in list {
            if !seen.contains(&a) {
                seen.push(a);
            }
        }
        Self {
            list: seen,
            current: 0,
            valid_until,
        }
    }

    pub fn current(&self) -> Option<SocketAddr> {
        self.list.get(self.current).copied()
    }

    /// The current target failed (timeout, refused connection): the next one, if any is left.
    pub fn fail_over(&mut self) -> Option<SocketAddr> {
        if self.current < self.list.len() {
            self.current += 1;
        }
        self.current()
    }

    /// Whether the records are past their TTL and should be looked up again.
    pub fn expired(&self, now: Instant) -> bool {
        self.valid_until.is_some_and(|t| now >= t)
    }

    pub fn valid_until(&self) -> Option<Instant> {
        self.valid_until
    }

    pub fn all(&self) -> &[SocketAddr] {
        &self.list
    }
}

#[cfg(test)]
mod tests;
