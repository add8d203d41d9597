//! Calls this app placed: what was dialled (for the call list and history) under the id the
//! call engine gave the call, and the extension to key once it is answered.
//!
//! The engine answers a placement with the new call's id before it sends any event of that
//! call (`koppla_ua::runtime::CallReply`). The command that placed the call and the task that
//! reads the engine's events still run separately, so the events may be read first; the
//! reader then waits briefly for the placer to record the id ([`Placements::claim`]). Nothing
//! is matched by order, so a placement that fails before it has an id names no other call.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use koppla_dial::DialTarget;
use koppla_ua::{CallId, CallState};
use tokio::sync::Notify;

/// How long the event reader waits for a placer to record the id of a new outgoing call. The
/// id is already on its way when the call's first event arrives, so this only covers task
/// scheduling; a call the engine placed by itself (a transfer asked for by the far end) is
/// never claimed and waits at most this long, and only while one of ours is in flight.
pub const CLAIM_PATIENCE: Duration = Duration::from_secs(2);

/// One call as dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCall {
    /// The request URI, from the dial crate (escaping, `user=phone`).
    pub uri: String,
    /// The number people recognise: the dial string (`*21#`, not its escaped form in the URI),
    /// or a SIP address's user part.
    pub number: String,
    /// Keyed as DTMF once the call is answered: the extension after the number.
    pub dtmf_after_answer: Option<String>,
}

impl PlacedCall {
    /// What dialling `target` through an account in `domain` sends and shows.
    pub fn new(target: &DialTarget, domain: &str) -> PlacedCall {
        let number = match target {
            DialTarget::Phone(number) => number.dial_string.clone(),
            DialTarget::Sip(address) => address
                .user
                .clone()
                .unwrap_or_else(|| address.display.clone()),
        };
        PlacedCall {
            uri: target.to_request_uri(domain),
            number,
            dtmf_after_answer: target.dtmf_after_answer().map(str::to_string),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Placements sent to the engine whose answer has not been recorded yet.
    in_flight: usize,
    placed: HashMap<CallId, PlacedCall>,
    /// Extensions of claimed calls, waiting for the answer.
    dtmf: HashMap<CallId, String>,
}

#[derive(Default)]
pub struct Placements {
    inner: Mutex<Inner>,
    changed: Notify,
}

/// A placement on its way to the engine. Record its id with [`Placing::placed`]; dropping it
/// unrecorded (the engine refused, or stopped) tells waiting readers not to wait for it.
pub struct Placing<'a> {
    owner: &'a Placements,
}

impl Placements {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Call before sending the placement to the engine.
    pub fn begin(&self) -> Placing<'_> {
        self.lock().in_flight += 1;
        Placing { owner: self }
    }

    /// What was dialled for the new outgoing call `call`, waiting up to `patience` while a
    /// placement's answer is still being recorded. None for a call this app did not place.
    pub async fn claim(&self, call: CallId, patience: Duration) -> Option<PlacedCall> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            // Registered before looking, so a change between the look and the wait wakes us.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.lock();
                if let Some(placed) = inner.placed.remove(&call) {
                    if let Some(digits) = &placed.dtmf_after_answer {
                        inner.dtmf.insert(call, digits.clone());
                    }
                    return Some(placed);
                }
                if inner.in_flight == 0 {
                    return None;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// DTMF to key now that `call` is in `state`: its extension, once, when first answered.
    pub fn dtmf_for(&self, call: CallId, state: CallState) -> Option<String> {
        match state {
            CallState::Established => self.lock().dtmf.remove(&call),
            CallState::Ended => {
                self.lock().dtmf.remove(&call);
                None
            }
            _ => None,
        }
    }

    /// Forgets everything recorded (logging out ends every call).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.placed.clear();
        inner.dtmf.clear();
    }
}

impl Placing<'_> {
    /// Records that the engine gave this placement the id `call`.
    pub fn placed(self, call: CallId, placed: PlacedCall) {
        self.owner.lock().placed.insert(call, placed);
        // Drop counts the placement as answered and wakes readers.
    }
}

impl Drop for Placing<'_> {
    fn drop(&mut self) {
        let mut inner = self.owner.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        drop(inner);
        self.owner.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_dial::{clean_selection, parse_link, DialPlan};

    fn placed(link: &str) -> PlacedCall {
        PlacedCall::new(
            &parse_link(link, &DialPlan::default()).unwrap(),
            "pbx.example",
        )
    }

    #[test]
    fn a_service_code_is_escaped_and_marked_as_a_phone_number() {
        let typed = clean_selection("*21#", &DialPlan::default()).unwrap();
        let call = PlacedCall::new(&typed, "127.0.0.1:5060");
        assert_eq!(call.uri, "sip:*21%23@127.0.0.1:5060;user=phone");
        assert_eq!(call.number, "*21#");
        assert_eq!(call.dtmf_after_answer, None);
    }

    #[test]
    fn numbers_and_addresses_become_request_uris_from_the_dial_crate() {
        let short = placed("tel:100");
        assert_eq!(short.uri, "sip:100@pbx.example;user=phone");
        assert_eq!(short.number, "100");
        let with_ext = placed("tel:+46812345678;ext=12");
        assert_eq!(with_ext.uri, "sip:+46812345678@pbx.example;user=phone");
        assert_eq!(with_ext.dtmf_after_answer.as_deref(), Some("12"));
        let address = placed("sip:bob@example.org");
        assert_eq!(address.uri, "sip:bob@example.org");
        assert_eq!(address.number, "bob");
    }

    /// Two calls placed back to back; the first fails before the engine gives it an id. The
    /// call that gets id 1 is the second one, and is named as such.
    #[tokio::test]
    async fn a_placement_that_failed_names_no_other_call() {
        let placements = Placements::default();
        let first = placements.begin();
        let second = placements.begin();
        drop(first);
        second.placed(1, placed("tel:3267"));
        let named = placements.claim(1, CLAIM_PATIENCE).await.unwrap();
        assert_eq!(named.number, "3267");
        assert_eq!(placements.claim(2, Duration::ZERO).await, None);
    }

    /// Calls answered out of order each keep their own name.
    #[tokio::test]
    async fn ids_not_order_decide_the_name() {
        let placements = Placements::default();
        let anna = placements.begin();
        let bo = placements.begin();
        bo.placed(7, placed("tel:3267"));
        anna.placed(8, placed("tel:+46701234567"));
        assert_eq!(
            placements.claim(8, CLAIM_PATIENCE).await.unwrap().number,
            "+46701234567"
        );
        assert_eq!(
            placements.claim(7, CLAIM_PATIENCE).await.unwrap().number,
            "3267"
        );
    }

    /// The call's first event may be read before the placer recorded its id: the reader waits
    /// for the record instead of showing a nameless call.
    #[tokio::test]
    async fn the_event_reader_waits_for_the_placer() {
        let placements = std::sync::Arc::new(Placements::default());
        let placing_done = std::sync::Arc::new(Notify::new());
        let placer = {
            let placements = placements.clone();
            let placing_done = placing_done.clone();
            tokio::spawn(async move {
                let placing = placements.begin();
                placing_done.notify_one();
                tokio::time::sleep(Duration::from_millis(50)).await;
                placing.placed(3, placed("tel:100"));
            })
        };
        placing_done.notified().await;
        let named = placements.claim(3, CLAIM_PATIENCE).await;
        assert_eq!(named.map(|call| call.number).as_deref(), Some("100"));
        placer.await.unwrap();
    }

    #[tokio::test]
    async fn a_call_we_did_not_place_is_not_waited_for() {
        let placements = Placements::default();
        let started = tokio::time::Instant::now();
        assert_eq!(placements.claim(5, CLAIM_PATIENCE).await, None);
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[tokio::test]
    async fn the_extension_is_keyed_once_when_the_call_is_answered() {
        let placements = Placements::default();
        placements
            .begin()
            .placed(4, placed("tel:+46812345678;ext=12"));
        placements.claim(4, CLAIM_PATIENCE).await.unwrap();
        assert_eq!(placements.dtmf_for(4, CallState::Calling), None);
        assert_eq!(placements.dtmf_for(4, CallState::Ringing), None);
        assert_eq!(
            placements.dtmf_for(4, CallState::Established).as_deref(),
            Some("12")
        );
        assert_eq!(
            placements.dtmf_for(4, CallState::Held),
            None,
            "not again after hold"
        );
        assert_eq!(placements.dtmf_for(4, CallState::Established), None);
    }

    #[tokio::test]
    async fn an_unanswered_call_forgets_its_extension() {
        let placements = Placements::default();
        placements
            .begin()
            .placed(6, placed("tel:+46812345678;ext=12"));
        placements.claim(6, CLAIM_PATIENCE).await.unwrap();
        assert_eq!(placements.dtmf_for(6, CallState::Ended), None);
        assert_eq!(placements.dtmf_for(6, CallState::Established), None);
    }
}
