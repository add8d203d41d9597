//! What of the location table outlives the process: the core reports each user's storable
//! bindings after they change, and takes back the stored ones at start, so a device needs no
//! new REGISTER to be reachable after the switch restarted.

use super::core::SipCore;
use super::flow::Flow;
use super::registrar::Binding;
use crate::store::StoredBinding;
use koppla_sip::Transport;
use std::time::{Duration, Instant};

/// Whether a binding can still be used by a new switch process.
///
/// A UDP binding names an address and port the device keeps listening on (and, behind NAT, a
/// mapping the device's own refreshes and keep-alives hold open), so the restarted switch
/// reaches it exactly as before. A TCP, TLS or WebSocket binding names one connection, and that
/// connection died with the old process: the device's NAT or firewall admits nothing else, and
/// its Contact port usually has no listener. Those devices notice the closed connection and
/// register again (decision 0507).
fn survives_restart(flow: Flow) -> bool {
    flow.transport == Transport::Udp
}

impl SipCore {
    /// Users whose bindings changed since the last call, each with the complete set of its
    /// bindings to store (an empty set removes what was stored).
    pub fn take_binding_changes(&mut self, now: Instant) -> Vec<(String, Vec<StoredBinding>)> {
        let now_unix = self.now_unix(now);
        self.registrar
            .take_changed()
            .into_iter()
            .map(|user| {
                let stored = self
                    .registrar
                    .lookup(&user, now)
                    .into_iter()
                    .filter(|b| survives_restart(b.source))
                    .map(|b| StoredBinding {
                        expires_at: unix_secs(
                            now_unix + b.expires_at.saturating_duration_since(now).as_secs(),
                        ),
                        contact: b.contact,
                        source: b.source.addr,
                        call_id: b.call_id,
                        cseq: b.cseq,
                    })
                    .collect();
                (user, stored)
            })
            .collect()
    }

    /// Takes back bindings stored by an earlier run; expired ones are dropped. Restoring is not
    /// a change to store again.
    pub fn restore_bindings(&mut self, stored: Vec<(String, StoredBinding)>, now: Instant) {
        let now_unix = unix_secs(self.now_unix(now));
        for (user, b) in stored {
            let Ok(left) = u64::try_from(b.expires_at.saturating_sub(now_unix)) else {
                continue;
            };
            if left == 0 {
                continue;
            }
            self.registrar.restore(
                &user,
                Binding {
                    contact: b.contact,
                    source: Flow::udp(b.source),
                    expires_at: now + Duration::from_secs(left),
                    call_id: b.call_id,
                    cseq: b.cseq,
                },
                now,
            );
        }
    }
}

fn unix_secs(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}
