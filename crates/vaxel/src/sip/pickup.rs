//! Directed call pickup: a colleague's phone rings and I take the call (checklist 18). The
//! ringing call is a proxied INVITE forked to the colleague's devices; pickup forks the same
//! transaction to my devices too, asking them to answer at once (RFC 5373 `Answer-Mode:
//! Auto`). The first answer wins as with any fork, and the colleague's phones stop with
//! "call completed elsewhere" (RFC 3326), so the call is not logged as missed there. Who may
//! pick up is the park permission (`[park] pickup_default`, per-user `pickup`), enforced here.

use super::core::{hv, SipCore};
use std::time::Instant;

/// Why a pickup was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickupError {
    #[error("{0} may not pick up colleagues' calls")]
    NotAllowed(String),
    #[error("no call is ringing for {0}")]
    NothingRinging(String),
    #[error("{0} has no registered device to take the call on")]
    NoDevice(String),
}

impl SipCore {
    /// Rings `picker`'s devices with the call ringing `colleague` (a user name, number or
    /// name), longest-ringing first.
    pub fn pick_up_ringing(
        &mut self,
        colleague: &str,
        picker: &str,
        now: Instant,
    ) -> Result<(), PickupError> {
        let target = self
            .dir
            .find(colleague)
            .map(|u| u.username.clone())
            .ok_or_else(|| PickupError::NothingRinging(colleague.to_string()))?;
        if !self.cfg.calls.park.may_pick_up(picker) {
            return Err(PickupError::NotAllowed(picker.to_string()));
        }
        let key = self
            .invites
            .iter()
            .filter(|(_, tx)| {
                tx.callee.as_deref() == Some(target.as_str())
                    && !tx.answered
                    && tx.done_at.is_none()
                    && tx.caller != picker
            })
            .min_by_key(|(_, tx)| tx.started)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| PickupError::NothingRinging(target.clone()))?;
        let dests: Vec<_> = self
            .registrar
            .lookup(picker, now)
            .into_iter()
            .map(|b| (b.contact, b.source))
            .collect();
        if dests.is_empty() {
            return Err(PickupError::NoDevice(picker.to_string()));
        }
        let Some(mut tx) = self.invites.remove(&key) else {
            return Err(PickupError::NothingRinging(target));
        };
        tracing::info!(%picker, colleague = %target, "picking up a colleague's call");
        self.fork(&mut tx, &key, dests, &[("Answer-Mode", "Auto")], now);
        let call_id = hv(&tx.request.headers, "Call-ID").unwrap_or_default();
        self.invites.insert(key, tx);
        // The call is the picker's now: the colleague is free for the next one (their phones
        // stop ringing within moments, when the picker's device answers).
        if let Some(call) = self.calls.get_mut(&call_id) {
            call.users.retain(|u| *u != target);
            if !call.involves(picker) {
                call.users.push(picker.to_string());
            }
        }
        Ok(())
    }
}
