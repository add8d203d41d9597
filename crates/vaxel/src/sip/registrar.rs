//! Location service: several devices (contacts) per user, each with its own expiry.
//!
//! Requests to a device go to the address its REGISTER came from, not the Contact host, so
//! phones behind NAT stay reachable (the "force rport" behaviour of common proxies). For TCP
//! and TLS that address is the connection, which is reused for calls and NOTIFYs.

use super::flow::Flow;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Contact URI, used as Request-URI when calling the device.
    pub contact: String,
    /// Flow (transport and address) the REGISTER arrived on.
    pub source: Flow,
    pub expires_at: Instant,
    pub call_id: String,
    pub cseq: u32,
}

/// One contact from a REGISTER.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactUpdate {
    pub contact: String,
    pub expires: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegisterError {
    #[error("out-of-order REGISTER (CSeq {got} <= {have} for the same Call-ID)")]
    OutOfOrder { got: u32, have: u32 },
}

#[derive(Default)]
pub struct Registrar {
    bindings: HashMap<String, Vec<Binding>>,
    /// Users whose bindings were added, refreshed or removed since [`Registrar::take_changed`]
    /// (what the driver must write to storage).
    changed: BTreeSet<String>,
}

impl Registrar {
    /// Applies one REGISTER's contacts for `user`; expiry 0 removes a contact.
    pub fn update(
        &mut self,
        user: &str,
        updates: &[ContactUpdate],
        source: Flow,
        call_id: &str,
        cseq: u32,
        now: Instant,
    ) -> Result<(), RegisterError> {
        let list = self.bindings.entry(user.to_string()).or_default();
        list.retain(|b| b.expires_at > now);
        self.changed.insert(user.to_string());
        for u in updates {
            if let Some(existing) = list.iter().find(|b| same_contact(&b.contact, &u.contact)) {
                if existing.call_id == call_id && cseq <= existing.cseq {
                    return Err(RegisterError::OutOfOrder {
                        got: cseq,
                        have: existing.cseq,
                    });
                }
            }
        }
        for u in updates {
            list.retain(|b| !same_contact(&b.contact, &u.contact));
            if !u.expires.is_zero() {
                list.push(Binding {
                    contact: u.contact.clone(),
                    source,
                    expires_at: now + u.expires,
                    call_id: call_id.to_string(),
                    cseq,
                });
            }
        }
        if list.is_empty() {
            self.bindings.remove(user);
        }
        Ok(())
    }

    /// `Contact: *` with expiry 0.
    pub fn remove_all(&mut self, user: &str) {
        self.bindings.remove(user);
        self.changed.insert(user.to_string());
    }

    /// Puts back a binding kept over a restart; an expired one, or a contact the user already
    /// has, is ignored.
    pub fn restore(&mut self, user: &str, binding: Binding, now: Instant) {
        if binding.expires_at <= now {
            return;
        }
        let list = self.bindings.entry(user.to_string()).or_default();
        if !list
            .iter()
            .any(|b| same_contact(&b.contact, &binding.contact))
        {
            list.push(binding);
        }
    }

    /// Users whose bindings changed since the last call.
    pub fn take_changed(&mut self) -> Vec<String> {
        std::mem::take(&mut self.changed).into_iter().collect()
    }

    /// Drops every binding registered over `flow`; returns the users affected.
    pub fn remove_flow(&mut self, flow: Flow) -> Vec<String> {
        let mut changed = Vec::new();
        self.bindings.retain(|user, list| {
            let before = list.len();
            list.retain(|b| b.source != flow);
            if list.len() != before {
                changed.push(user.clone());
            }
            !list.is_empty()
        });
        self.changed.extend(changed.iter().cloned());
        changed
    }

    /// Live bindings of a user.
    pub fn lookup(&self, user: &str, now: Instant) -> Vec<Binding> {
        self.bindings
            .get(user)
            .map(|l| l.iter().filter(|b| b.expires_at > now).cloned().collect())
            .unwrap_or_default()
    }

    /// Drops expired bindings; returns users whose device count changed.
    pub fn expire(&mut self, now: Instant) -> Vec<String> {
        let mut changed = Vec::new();
        self.bindings.retain(|user, list| {
            let before = list.len();
            list.retain(|b| b.expires_at > now);
            if list.len() != before {
                changed.push(user.clone());
            }
            !list.is_empty()
        });
        self.changed.extend(changed.iter().cloned());
        changed
    }
}

/// Contact URIs compare without parameters' order mattering little in practice; compare the
/// URI text case-insensitively after dropping surrounding brackets.
fn same_contact(a: &str, b: &str) -> bool {
    a.trim_matches(|c| c == '<' || c == '>')
        .eq_ignore_ascii_case(b.trim_matches(|c| c == '<' || c == '>'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_sip::Transport;

    fn up(c: &str, secs: u64) -> ContactUpdate {
        ContactUpdate {
            contact: c.into(),
            expires: Duration::from_secs(secs),
        }
    }

    #[test]
    fn several_devices_with_independent_expiry() {
        let t = Instant::now();
        let src = Flow::udp("127.0.0.1:5070".parse().unwrap());
        let mut r = Registrar::default();
        r.update("alice", &[up("sip:alice@10.0.0.1", 60)], src, "c1", 1, t)
            .unwrap();
        r.update("alice", &[up("sip:alice@10.0.0.2", 120)], src, "c2", 1, t)
            .unwrap();
        assert_eq!(r.lookup("alice", t).len(), 2);
        assert_eq!(r.lookup("alice", t + Duration::from_secs(61)).len(), 1);
        assert_eq!(
            r.expire(t + Duration::from_secs(61)),
            vec!["alice".to_string()]
        );
        r.update("alice", &[up("sip:alice@10.0.0.2", 0)], src, "c2", 2, t)
            .unwrap();
        assert!(r.lookup("alice", t).is_empty());
        assert!(r.lookup("bob", t).is_empty());
    }

    #[test]
    fn refresh_replaces_and_out_of_order_is_rejected() {
        let t = Instant::now();
        let src = Flow::udp("127.0.0.1:5070".parse().unwrap());
        let mut r = Registrar::default();
        r.update("bob", &[up("sip:bob@h", 60)], src, "c", 5, t)
            .unwrap();
        r.update("bob", &[up("sip:bob@h", 600)], src, "c", 6, t)
            .unwrap();
        let b = r.lookup("bob", t);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].expires_at, t + Duration::from_secs(600));
        assert_eq!(
            r.update("bob", &[up("sip:bob@h", 60)], src, "c", 6, t),
            Err(RegisterError::OutOfOrder { got: 6, have: 6 })
        );
        r.remove_all("bob");
        assert!(r.lookup("bob", t).is_empty());
    }

    #[test]
    fn closing_a_connection_drops_only_its_bindings() {
        let t = Instant::now();
        let addr = "127.0.0.1:5070".parse().unwrap();
        let tcp = Flow::new(Transport::Tcp, addr);
        let mut r = Registrar::default();
        r.update("bob", &[up("sip:bob@h;transport=tcp", 60)], tcp, "c", 1, t)
            .unwrap();
        r.update("bob", &[up("sip:bob@h", 60)], Flow::udp(addr), "d", 1, t)
            .unwrap();
        assert_eq!(r.remove_flow(tcp), vec!["bob".to_string()]);
        let left = r.lookup("bob", t);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].source.transport, Transport::Udp);
        assert!(r.remove_flow(tcp).is_empty());
    }
}
