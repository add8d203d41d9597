//! Personal queues: a user parks a call (blind transfer to their park code, `*6` + their
//! number by default), the caller waits with hold audio in that user's personal queue, and
//! it rings the owner again when the owner's next call ends or the recall time passes.
//! Colleagues allowed to (a per-user permission, enforced here) pick a parked call up: the
//! switch rings the picker's devices asking them to answer at once (RFC 5373
//! `Answer-Mode: Auto`) and bridges the caller to whoever answers.
//!
//! The waiting and bridging are the queue's (`queue.rs`, `queue_legs.rs`): a parked call is a
//! queue call whose home is a personal queue. This module owns only what parking adds: who
//! owns each parked call, its public id, when to offer it to the owner, and the list
//! published to clients.

use super::core::{CoreEvent, SipCore};
use super::queue::{Home, Phase};
use super::queue_legs::Offer;
use crate::model::{HeldState, ParkedCall};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How parking behaves (the `[park]` config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkPolicy {
    /// Dialling this followed by a user's number or name reaches that user's personal queue.
    pub code: String,
    /// A parked call nobody took rings its owner again after this long (and then again).
    pub recall: Duration,
    /// Most calls one personal queue holds; the next park attempt is refused with 486.
    pub limit: usize,
    /// Whether users may pick up others' parked calls unless their own setting says otherwise.
    pub pickup_default: bool,
    /// Per-user pickup permission overriding `pickup_default`.
    pub pickup: HashMap<String, bool>,
}

impl Default for ParkPolicy {
    fn default() -> Self {
        ParkPolicy {
            code: "*6".into(),
            recall: Duration::from_secs(60),
            limit: 8,
            pickup_default: true,
            pickup: HashMap::new(),
        }
    }
}

impl ParkPolicy {
    pub fn may_pick_up(&self, user: &str) -> bool {
        self.pickup
            .get(user)
            .copied()
            .unwrap_or(self.pickup_default)
    }
}

/// Why a pickup was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParkError {
    #[error("no parked call {0:?}")]
    NotFound(String),
    #[error("{0} may not pick up colleagues' parked calls")]
    NotAllowed(String),
    #[error("{0} has no registered device to take the call on")]
    NoDevice(String),
}

/// What parking keeps about one waiting call (the caller's Call-ID is the key).
pub(crate) struct Parked {
    id: String,
    owner: String,
    since: Instant,
    since_unix: i64,
    /// The owner was on another call since the call was parked: offer it when that ends.
    armed: bool,
    /// When the call rings its owner again if nothing else happens.
    next_offer: Instant,
    /// Who parked or camped it here, when the switch knows (the transfer's Referred-By).
    by: Option<String>,
    /// The colleague a transfer of the owner's rang without an answer: the call came back.
    recalled_from: Option<String>,
}

#[derive(Default)]
pub(crate) struct Parking {
    calls: HashMap<String, Parked>,
    next_id: u64,
    /// The list as last published (empty at start: nothing to announce).
    published: Vec<ParkedCall>,
}

impl SipCore {
    /// The owner of the personal queue a dialled user part names (park code + number or name).
    pub(crate) fn park_owner(&self, dialled: &str) -> Option<String> {
        self.dir
            .find_after_code(&self.cfg.calls.park.code, dialled)
            .map(|u| u.username.clone())
    }

    /// Whether `owner`'s personal queue has room for another call.
    pub(crate) fn park_has_room(&self, owner: &str) -> bool {
        let held = self
            .parking
            .calls
            .values()
            .filter(|p| p.owner == owner)
            .count();
        held < self.cfg.calls.park.limit
    }

    /// A caller was answered into `owner`'s personal queue (the queue call exists already),
    /// put there by `by` when known. Returns the call's park id.
    pub(crate) fn park_add(
        &mut self,
        call_id: &str,
        owner: &str,
        by: Option<&str>,
        now: Instant,
    ) -> String {
        self.parking.next_id += 1;
        let id = format!("p{}", self.parking.next_id);
        tracing::info!(%owner, ?by, park = %id, "call parked");
        let since_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
        self.parking.calls.insert(
            call_id.to_string(),
            Parked {
                id: id.clone(),
                owner: owner.to_string(),
                since: now,
                since_unix,
                next_offer: now + self.cfg.calls.park.recall,
                by: by.map(str::to_string),
                recalled_from: None,
                // Camped on a colleague who is on a call: it rings them as soon as that ends.
                // (A user parking their own call is busy with it right now: no.)
                armed: by.is_some_and(|b| b != owner) && self.user_busy(owner),
            },
        );
        id
    }

    /// A transfer by `owner` to `target` was not answered: the call waits in the owner's
    /// personal queue and rings them (with a recall alert) as soon as they are free.
    pub(crate) fn park_recall(&mut self, call_id: &str, owner: &str, target: &str, now: Instant) {
        tracing::info!(%owner, %target, "transfer not answered: the call comes back");
        self.park_add(call_id, owner, Some(owner), now);
        if let Some(p) = self.parking.calls.get_mut(call_id) {
            p.recalled_from = Some(target.to_string());
            p.armed = true;
        }
    }

    /// Rings `picker` with parked call `id`; the call stays parked until a device answers. A
    /// transfer still ringing a colleague is taken back first.
    pub fn park_pick_up(
        &mut self,
        id: &str,
        picker: &str,
        now: Instant,
    ) -> Result<ParkedCall, ParkError> {
        let taken_back = self.transfer_take_back(id, picker, now)?;
        let id = taken_back.as_deref().unwrap_or(id);
        let (call_id, owner) = self
            .parking
            .calls
            .iter()
            .find(|(_, p)| p.id == id)
            .map(|(c, p)| (c.clone(), p.owner.clone()))
            .ok_or_else(|| ParkError::NotFound(id.to_string()))?;
        if picker != owner && !self.cfg.calls.park.may_pick_up(picker) {
            return Err(ParkError::NotAllowed(picker.to_string()));
        }
        let waiting = self
            .queues
            .calls
            .get(&call_id)
            .is_some_and(|c| c.phase == Phase::Waiting);
        if !waiting {
            return Err(ParkError::NotFound(id.to_string()));
        }
        if self.registrar.lookup(picker, now).is_empty() {
            return Err(ParkError::NoDevice(picker.to_string()));
        }
        let view = self
            .parked_view(&call_id)
            .ok_or_else(|| ParkError::NotFound(id.to_string()))?;
        // A recall ringing the owner gives way to the one who asked for the call.
        let ringing = self
            .queues
            .calls
            .get_mut(&call_id)
            .map(|c| std::mem::take(&mut c.legs))
            .unwrap_or_default();
        for leg in ringing {
            self.leg_hang_up(&leg, now);
        }
        tracing::info!(%picker, park = %id, "parked call picked up");
        let ring = self.cfg.calls.ring_timeout(picker);
        self.offer_to(&call_id, picker, ring, Offer::AutoAnswer, now);
        if self
            .queues
            .calls
            .get(&call_id)
            .is_some_and(|c| c.legs.is_empty())
        {
            return Err(ParkError::NoDevice(picker.to_string()));
        }
        Ok(view)
    }

    /// Every call the switch holds for users (parked, camped, recalled, being transferred),
    /// oldest first.
    pub fn parked_calls(&self) -> Vec<ParkedCall> {
        let mut list: Vec<(Instant, ParkedCall)> = self
            .parking
            .calls
            .iter()
            .filter_map(|(call_id, p)| Some((p.since, self.parked_view(call_id)?)))
            .chain(self.transfer_views())
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        list.into_iter().map(|(_, v)| v).collect()
    }

    fn parked_view(&self, call_id: &str) -> Option<ParkedCall> {
        let p = self.parking.calls.get(call_id)?;
        let mut view = self.held_view(call_id, &p.id, &p.owner, p.since_unix)?;
        view.by = p.by.clone();
        if let Some(target) = &p.recalled_from {
            view.state = HeldState::Recalled;
            view.target = Some(target.clone());
            view.target_name = self.dir.get(target).map(|u| u.name.clone());
        }
        Some(view)
    }

    /// How a held call looks to clients: the caller, and the user it is held for.
    pub(crate) fn held_view(
        &self,
        call_id: &str,
        id: &str,
        owner: &str,
        since: i64,
    ) -> Option<ParkedCall> {
        let call = self.queues.calls.get(call_id)?;
        let caller_user = self.dir.find(&call.caller);
        let display = koppla_sip::message::display_name(&call.from);
        Some(ParkedCall {
            id: id.to_string(),
            owner: owner.to_string(),
            owner_name: self
                .dir
                .get(owner)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| owner.to_string()),
            caller: call.caller.clone(),
            caller_name: caller_user.map(|u| u.name.clone()).or(display),
            since,
            state: HeldState::Parked,
            by: None,
            target: None,
            target_name: None,
        })
    }

    /// Forgets calls that left their personal queue, offers waiting ones to free owners and
    /// publishes the list when it changed. Runs after every input and tick.
    pub(crate) fn park_step(&mut self, now: Instant) {
        // A picked-up call the picker transferred on, to someone who did not answer, is back
        // in its personal queue: it is parked again (under a new id).
        let returned: Vec<(String, String)> = self
            .queues
            .calls
            .iter()
            .filter(|(id, c)| c.phase == Phase::Waiting && !self.parking.calls.contains_key(*id))
            .filter_map(|(id, c)| match &c.home {
                Home::Personal(owner) => Some((id.clone(), owner.clone())),
                Home::Group(_) => None,
            })
            .collect();
        for (call_id, owner) in returned {
            self.park_add(&call_id, &owner, None, now);
        }
        self.parking.calls.retain(|call_id, _| {
            self.queues
                .calls
                .get(call_id)
                .is_some_and(|c| matches!(c.home, Home::Personal(_)) && c.phase == Phase::Waiting)
        });
        let mut order: Vec<(Instant, String)> = self
            .parking
            .calls
            .iter()
            .map(|(c, p)| (p.since, c.clone()))
            .collect();
        order.sort();
        for (_, call_id) in order {
            self.park_offer(&call_id, now);
        }
        let list = self.parked_calls();
        if self.parking.published != list {
            self.parking.published = list.clone();
            self.events.push_back(CoreEvent::ParkedChanged(list));
        }
    }

    /// Rings the owner with a parked call when they are free and either a call of theirs just
    /// ended or the recall time passed.
    fn park_offer(&mut self, call_id: &str, now: Instant) {
        let Some(p) = self.parking.calls.get(call_id) else {
            return;
        };
        let (owner, since) = (p.owner.clone(), p.since);
        let style = if p.recalled_from.is_some() {
            Offer::Recall
        } else {
            Offer::Ring
        };
        let ringing = self
            .queues
            .calls
            .get(call_id)
            .is_none_or(|c| !c.legs.is_empty());
        if ringing {
            return;
        }
        let busy = self.user_busy(&owner);
        let on_new_call = self.user_busy_since(&owner, since);
        let Some(p) = self.parking.calls.get_mut(call_id) else {
            return;
        };
        if on_new_call {
            p.armed = true;
        }
        if busy || !(p.armed || now >= p.next_offer) {
            return;
        }
        p.armed = false;
        let ring = self.cfg.calls.ring_timeout(&owner);
        p.next_offer = now + ring + self.cfg.calls.park.recall;
        if self.registrar.lookup(&owner, now).is_empty() {
            return;
        }
        tracing::info!(%owner, "offering a parked call to its owner");
        self.offer_to(call_id, &owner, ring, style, now);
    }
}
