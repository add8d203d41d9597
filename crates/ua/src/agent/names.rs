//! Host names in SIP URIs. The agent is sans-IO and never blocks on DNS: it uses IP
//! literals directly and names only once the runtime has resolved them for it.

use super::{UaError, UserAgent};
use crate::config::SipUri;
use std::net::{IpAddr, SocketAddr};

impl UserAgent {
    /// Records what the runtime's lookup of `host` gave.
    pub fn add_resolved(&mut self, host: &str, ip: IpAddr) {
        self.names.insert(host.to_ascii_lowercase(), ip);
    }

    pub(super) fn addr_of(&self, uri: &SipUri) -> Result<SocketAddr, UaError> {
        let port = uri.port_or_default(self.transport());
        if let Some(ip) = uri.ip() {
            return Ok(SocketAddr::new(ip, port));
        }
        self.names
            .get(&uri.host.to_ascii_lowercase())
            .map(|ip| SocketAddr::new(*ip, port))
            .ok_or_else(|| UaError::Unresolved(uri.host.clone()))
    }

    fn unresolved(&self, uri: &str) -> Option<String> {
        let u = SipUri::parse(uri).ok()?;
        (u.ip().is_none() && !self.names.contains_key(&u.host.to_ascii_lowercase()))
            .then_some(u.host)
    }

    /// The host name to resolve before calling `target` (user input, as for `call`), if any:
    /// once registered, calls go through the registrar and need no lookup.
    pub fn lookup_for_call(&self, target: &str) -> Option<String> {
        if self.reg.is_registered() {
            return None;
        }
        self.unresolved(&self.target_uri(target))
    }

    /// Names in live dialogs' next hops that in-dialog requests (BYE, re-INVITE, REFER)
    /// will need; the runtime resolves them ahead of time.
    pub fn unresolved_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .calls
            .values()
            .filter_map(|c| c.dialog.as_ref())
            .filter_map(|d| self.unresolved(&d.next_hop()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
