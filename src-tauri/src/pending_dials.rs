//! Numbers from links and the hotkey, parsed once and kept here under a short-lived id while
//! the user looks at them. The UI shows what to call and answers with the id, so what is
//! dialled is exactly what was parsed and shown, never text that came back from the webview.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use koppla_dial::DialTarget;
use thiserror::Error;

pub type DialId = u32;

/// How long a shown number stays callable. A link left on screen longer is opened again.
pub const DIAL_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Most numbers kept at once; a flood of links pushes out the oldest.
const MAX_KEPT: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PendingDialError {
    #[error("no number is waiting under id {0}")]
    Unknown(DialId),
    #[error("the number under id {0} waited too long; open the link again")]
    Expired(DialId),
}

impl PendingDialError {
    /// Stable code the UI translates (Swedish and English in `ui/src/lang`).
    pub fn code(&self) -> &'static str {
        match self {
            PendingDialError::Unknown(_) => "dial_unknown",
            PendingDialError::Expired(_) => "dial_expired",
        }
    }
}

struct Kept {
    target: DialTarget,
    expires: Instant,
}

#[derive(Default)]
pub struct PendingDials {
    next_id: DialId,
    kept: HashMap<DialId, Kept>,
}

impl PendingDials {
    /// Gives a request its id and keeps its target, if it has one, until [`DIAL_LIFETIME`]
    /// after `now`. Refused requests get an id too, so each request the UI sees has its own.
    pub fn add(&mut self, target: Option<DialTarget>, now: Instant) -> DialId {
        self.kept.retain(|_, kept| kept.expires > now);
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let id = self.next_id;
        if let Some(target) = target {
            if self.kept.len() >= MAX_KEPT {
                let oldest = self
                    .kept
                    .iter()
                    .min_by_key(|(_, kept)| kept.expires)
                    .map(|(id, _)| *id);
                if let Some(oldest) = oldest {
                    self.kept.remove(&oldest);
                }
            }
            let expires = now + DIAL_LIFETIME;
            self.kept.insert(id, Kept { target, expires });
        }
        id
    }

    /// The target kept under `id`. It stays until it expires, so a call that failed (not logged
    /// in yet) can be tried again from the same prompt.
    pub fn get(&mut self, id: DialId, now: Instant) -> Result<DialTarget, PendingDialError> {
        match self.kept.get(&id) {
            Some(kept) if kept.expires > now => Ok(kept.target.clone()),
            Some(_) => {
                self.kept.remove(&id);
                Err(PendingDialError::Expired(id))
            }
            None => Err(PendingDialError::Unknown(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_dial::{parse_link, DialPlan};

    fn target(link: &str) -> DialTarget {
        parse_link(link, &DialPlan::default()).unwrap()
    }

    #[test]
    fn a_kept_number_is_found_by_its_id_until_it_expires() {
        let mut dials = PendingDials::default();
        let start = Instant::now();
        let id = dials.add(Some(target("tel:+46701234567")), start);
        let later = start + DIAL_LIFETIME - Duration::from_secs(1);
        assert_eq!(dials.get(id, later), Ok(target("tel:+46701234567")));
        assert_eq!(
            dials.get(id, later),
            Ok(target("tel:+46701234567")),
            "a second try from the same prompt still works"
        );
        let expired = start + DIAL_LIFETIME;
        assert_eq!(dials.get(id, expired), Err(PendingDialError::Expired(id)));
        assert_eq!(dials.get(id, expired), Err(PendingDialError::Unknown(id)));
    }

    #[test]
    fn refusals_get_their_own_id_but_nothing_to_call() {
        let mut dials = PendingDials::default();
        let now = Instant::now();
        let refused = dials.add(None, now);
        let number = dials.add(Some(target("tel:3267")), now);
        assert_ne!(refused, number);
        assert_eq!(
            dials.get(refused, now),
            Err(PendingDialError::Unknown(refused))
        );
        assert_eq!(dials.get(99, now).unwrap_err().code(), "dial_unknown");
        assert!(dials.get(number, now).is_ok());
    }

    #[test]
    fn a_flood_of_links_keeps_only_the_newest() {
        let mut dials = PendingDials::default();
        let start = Instant::now();
        let ids: Vec<DialId> = (0..40u64)
            .map(|i| dials.add(Some(target("tel:3267")), start + Duration::from_millis(i)))
            .collect();
        let now = start + Duration::from_secs(1);
        assert!(dials.get(ids[0], now).is_err());
        assert!(dials.get(ids[39], now).is_ok());
        assert_eq!(dials.kept.len(), MAX_KEPT);
    }
}
