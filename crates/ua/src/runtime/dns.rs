//! The DNS side of RFC 3263 with `hickory-resolver`: asks the questions [`crate::locate`]
//! plans (NAPTR, SRV, A/AAAA) and turns the answers into ordered [`Targets`].

use crate::config::SipUri;
use crate::locate::{self, Naptr, Plan, Srv, Targets};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use koppla_sip::Transport;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("DNS resolver set-up: {0}")]
    Setup(String),
    #[error("cannot resolve {name}: {reason}")]
    Lookup { name: String, reason: String },
    #[error("no address for {0}")]
    NoAddress(String),
}

/// A resolver: the system's, or one name server given by the user (`--dns`).
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

impl Dns {
    pub fn new(server: Option<SocketAddr>) -> Result<Self, DnsError> {
        let provider = TokioRuntimeProvider::default();
        let builder = match server {
            None => TokioResolver::builder(provider).map_err(|e| DnsError::Setup(e.to_string()))?,
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    provider,
                )
            }
        };
        let resolver = builder
            .build()
            .map_err(|e| DnsError::Setup(e.to_string()))?;
        Ok(Self { resolver })
    }

    /// The addresses of `host`, those of `prefer`'s family first (an IPv4 socket cannot
    /// reach an IPv6 answer), and until when they hold.
    pub async fn ips(
        &self,
        host: &str,
        prefer: Option<SocketAddr>,
    ) -> Result<(Vec<IpAddr>, Instant), DnsError> {
        let found = self
            .resolver
            .lookup_ip(host)
            .await
            .map_err(|e| DnsError::Lookup {
                name: host.to_string(),
                reason: e.to_string(),
            })?;
        let mut ips: Vec<IpAddr> = found.iter().collect();
        let v4 = prefer.is_none_or(|p| p.is_ipv4());
        ips.sort_by_key(|ip| ip.is_ipv4() != v4);
        if ips.is_empty() {
            return Err(DnsError::NoAddress(host.to_string()));
        }
        Ok((ips, found.valid_until()))
    }

    /// Where to send to `uri` over `transport` (RFC 3263 4.1/4.2), best target first.
    pub async fn locate(
        &self,
        uri: &SipUri,
        transport: Transport,
        prefer: Option<SocketAddr>,
    ) -> Result<Targets, DnsError> {
        match locate::plan(uri, transport) {
            Plan::Literal(addr) => Ok(Targets::new(vec![addr], None)),
            Plan::Host { host, port } => {
                let (ips, until) = self.ips(&host, prefer).await?;
                let list = ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, port))
                    .collect();
                Ok(Targets::new(list, Some(until)))
            }
            Plan::Service {
                domain,
                naptr,
                srv_name,
                default_port,
            } => {
                let srv_name = match naptr {
                    true => self
                        .naptr(&domain)
                        .await
                        .and_then(|r| locate::naptr_srv_name(&r, transport, uri.secure))
                        .unwrap_or(srv_name),
                    false => srv_name,
                };
                match self.srv(&srv_name).await {
                    Some((records, until)) if !records.is_empty() => {
                        self.srv_targets(&srv_name, &records, until, prefer).await
                    }
                    // No SRV: the domain itself on the default port (RFC 3263 4.2).
                    _ => {
                        tracing::debug!(%srv_name, "no SRV records; using A/AAAA of {domain}");
                        let (ips, until) = self.ips(&domain, prefer).await?;
                        let list = ips
                            .into_iter()
                            .map(|ip| SocketAddr::new(ip, default_port))
                            .collect();
                        Ok(Targets::new(list, Some(until)))
                    }
                }
            }
        }
    }

    /// NAPTR records of `domain`; a failed lookup is the same as none (RFC 3263 4.1 then
    /// goes on with SRV).
    async fn naptr(&self, domain: &str) -> Option<Vec<Naptr>> {
        let found = self
            .resolver
            .lookup(fqdn(domain).as_str(), RecordType::NAPTR)
            .await
            .map_err(|e| tracing::debug!(domain, "NAPTR: {e}"))
            .ok()?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Some(
            found
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::NAPTR(n) => Some(Naptr {
                        order: n.order,
                        preference: n.preference,
                        flags: text(&n.flags),
                        services: text(&n.services),
                        replacement: n.replacement.to_ascii(),
                    }),
                    _ => None,
                })
                .collect(),
        )
    }

    async fn srv(&self, name: &str) -> Option<(Vec<Srv>, Instant)> {
        let found = self
            .resolver
            .srv_lookup(fqdn(name).as_str())
            .await
            .map_err(|e| tracing::debug!(name, "SRV: {e}"))
            .ok()?;
        let records = found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(s) => Some(Srv {
                    priority: s.priority,
                    weight: s.weight,
                    port: s.port,
                    target: s.target.to_ascii(),
                }),
                _ => None,
            })
            .collect();
        Some((records, found.valid_until()))
    }

    /// Every SRV target's addresses in RFC 2782 order; targets that do not resolve are left
    /// out (the next one is the failover anyway).
    async fn srv_targets(
        &self,
        srv_name: &str,
        records: &[Srv],
        until: Instant,
        prefer: Option<SocketAddr>,
    ) -> Result<Targets, DnsError> {
        let ordered = locate::order_srv(records, |total| rand::random_range(0..=total));
        let mut list = Vec::new();
        let mut valid_until = until;
        for r in ordered {
            let host = r.target.trim_end_matches('.');
            match self.ips(host, prefer).await {
                Ok((ips, t)) => {
                    valid_until = valid_until.min(t);
                    list.extend(ips.into_iter().map(|ip| SocketAddr::new(ip, r.port)));
                }
                Err(e) => tracing::warn!(srv_name, "SRV target skipped: {e}"),
            }
        }
        if list.is_empty() {
            return Err(DnsError::NoAddress(srv_name.to_string()));
        }
        Ok(Targets::new(list, Some(valid_until)))
    }
}

/// Names from SIP URIs are absolute: no search domains.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}
