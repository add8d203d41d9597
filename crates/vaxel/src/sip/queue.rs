//! Call queues (ACD): the switch answers calls to a queue number itself, plays hold audio and
//! offers each waiting call to free agents by the queue's strategy. Queue state, agent
//! selection, overflow and counters live here; the SIP legs toward agents are in
//! `queue_legs.rs`.

use super::core::{CoreEvent, SipCore};
use super::local::LocalKind;
use super::queue_legs::Offer;
use crate::model::QueueStatus;
use crate::queue_config::{Overflow, QueueConfig, Strategy};
use crate::store::StoredQueue;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// A queue's settings as the core uses them.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDef {
    pub id: String,
    pub number: String,
    pub name: String,
    pub members: Vec<String>,
    pub strategy: Strategy,
    pub agent_ring: Duration,
    pub max_wait: Duration,
    pub overflow: Overflow,
}

impl From<&QueueConfig> for QueueDef {
    fn from(q: &QueueConfig) -> Self {
        QueueDef {
            id: q.id.clone(),
            number: q.number.clone(),
            name: q.name.clone(),
            members: q.members.clone(),
            strategy: q.strategy,
            agent_ring: Duration::from_secs(u64::from(q.agent_ring_secs)),
            max_wait: Duration::from_secs(u64::from(q.max_wait_secs)),
            overflow: q.overflow.clone(),
        }
    }
}

/// Why a login or logout was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("no queue {0:?}")]
    UnknownQueue(String),
    #[error("{user} is not a member of queue {queue}")]
    NotMember { queue: String, user: String },
}

pub(crate) struct QueueState {
    pub def: QueueDef,
    logged_in: BTreeSet<String>,
    /// Index into `members` where the next round-robin search starts.
    rr_next: usize,
    answered: u32,
    abandoned: u32,
    /// UTC day (unix days) the counters belong to.
    day: u64,
}

/// Where a queued caller is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    Waiting,
    /// Max wait passed: hung up, or ringing the overflow user.
    Overflowed,
    /// Connected to the agent leg with this Call-ID.
    Bridged(String),
    /// Max wait passed; the caller is leaving a message.
    Voicemail,
    /// An agent transferred the caller, who hears hold audio while the target rings.
    Transferring,
}

/// Where a queued call waits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Home {
    /// A call queue (index into the core's queues).
    Group(usize),
    /// A user's personal queue: parked there (`park.rs`).
    Personal(String),
}

pub(crate) struct QueueCall {
    pub home: Home,
    /// The caller's From header value without its tag, used as From toward agents.
    pub from: String,
    /// Who called, for voicemail and logs.
    pub caller: String,
    pub offer: String,
    pub pt: u8,
    pub since: Instant,
    /// Where the queue's max wait counts from: arrival, or the return after a transfer failed.
    pub overflow_from: Instant,
    pub phase: Phase,
    /// Agent legs (Call-IDs) currently ringing or connected.
    pub legs: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Queues {
    pub list: Vec<QueueState>,
    /// Queued callers by the caller's Call-ID.
    pub calls: HashMap<String, QueueCall>,
    pub legs: HashMap<String, super::queue_legs::Leg>,
    /// Branch of each leg's INVITE -> leg Call-ID.
    pub leg_branches: HashMap<String, String>,
    /// When each agent's last queue call ended (for longest-idle).
    last_idle: HashMap<String, Instant>,
    /// Counters as last published (without the ever-growing wait time).
    published: HashMap<String, QueueStatus>,
}

impl SipCore {
    /// Installs the configured queues; members start logged in.
    pub fn set_queues(&mut self, defs: Vec<QueueDef>, now: Instant) {
        let day = self.now_unix(now) / 86_400;
        self.queues.list = defs
            .into_iter()
            .map(|def| QueueState {
                logged_in: def.members.iter().cloned().collect(),
                def,
                rr_next: 0,
                answered: 0,
                abandoned: 0,
                day,
            })
            .collect();
    }

    /// Brings back what a restart must not lose: members' own login choices (members with
    /// none stored start logged in; former members are ignored) and the counters when they
    /// are from today.
    pub fn restore_queue(&mut self, id: &str, stored: &StoredQueue, now: Instant) {
        let today = self.now_unix(now) / 86_400;
        let Some(q) = self.queues.list.iter_mut().find(|q| q.def.id == id) else {
            return;
        };
        for (user, logged_in) in &stored.logins {
            if !q.def.members.contains(user) {
                continue;
            }
            if *logged_in {
                q.logged_in.insert(user.clone());
            } else {
                q.logged_in.remove(user);
            }
        }
        if let Some(c) = stored
            .counters
            .filter(|c| u64::try_from(c.day).is_ok_and(|d| d == today))
        {
            q.answered = c.answered;
            q.abandoned = c.abandoned;
        }
    }

    /// The queue a dialled user part calls, if any.
    pub(crate) fn queue_for_number(&self, dialled: &str) -> Option<usize> {
        let n = crate::model::normalize_number(dialled);
        self.queues.list.iter().position(|q| {
            q.def.number == dialled
                || q.def.id == dialled
                || (!n.is_empty() && crate::model::normalize_number(&q.def.number) == n)
        })
    }

    /// Logs `user` in to or out of queue `id` and returns the queue's counters.
    pub fn queue_login(
        &mut self,
        id: &str,
        user: &str,
        login: bool,
        now: Instant,
    ) -> Result<QueueStatus, QueueError> {
        let idx = self
            .queues
            .list
            .iter()
            .position(|q| q.def.id == id)
            .ok_or_else(|| QueueError::UnknownQueue(id.to_string()))?;
        let q = &mut self.queues.list[idx];
        if !q.def.members.iter().any(|m| m == user) {
            return Err(QueueError::NotMember {
                queue: id.to_string(),
                user: user.to_string(),
            });
        }
        if login {
            q.logged_in.insert(user.to_string());
        } else {
            q.logged_in.remove(user);
        }
        tracing::info!(queue = %id, %user, login, "queue login changed");
        self.queue_step(now);
        Ok(self.queue_status(idx, now))
    }

    /// Current counters of every queue.
    pub fn queue_statuses(&self, now: Instant) -> Vec<QueueStatus> {
        (0..self.queues.list.len())
            .map(|i| self.queue_status(i, now))
            .collect()
    }

    fn queue_status(&self, idx: usize, now: Instant) -> QueueStatus {
        let q = &self.queues.list[idx];
        let oldest = self
            .queues
            .calls
            .values()
            .filter(|c| c.home == Home::Group(idx) && c.phase == Phase::Waiting)
            .map(|c| c.since)
            .min();
        let waiting = self
            .queues
            .calls
            .values()
            .filter(|c| c.home == Home::Group(idx) && c.phase == Phase::Waiting)
            .count();
        let wait = oldest.map(|o| now.saturating_duration_since(o).as_secs());
        let now_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
        QueueStatus {
            id: q.def.id.clone(),
            number: q.def.number.clone(),
            name: q.def.name.clone(),
            members: q.def.members.clone(),
            waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
            longest_wait_secs: wait.unwrap_or(0),
            oldest_waiting_since: wait
                .map(|w| now_unix.saturating_sub(i64::try_from(w).unwrap_or(i64::MAX))),
            logged_in: q.logged_in.iter().cloned().collect(),
            agents_logged_in: u32::try_from(q.logged_in.len()).unwrap_or(u32::MAX),
            agents_free: u32::try_from(self.free_agents(idx, now).len()).unwrap_or(u32::MAX),
            answered_today: q.answered,
            abandoned_today: q.abandoned,
        }
    }

    /// Whether `user` is on (or being offered) any call through the switch.
    pub(crate) fn user_busy(&self, user: &str) -> bool {
        self.calls.values().any(|c| c.involves(user))
            || self.queues.legs.values().any(|l| l.agent == user)
    }

    /// Whether `user` got on a call (or a queue offered them one) after `since`. Offers of
    /// parked calls do not count: one parked call ringing its owner must not make the next
    /// one ring as soon as it stops.
    pub(crate) fn user_busy_since(&self, user: &str, since: Instant) -> bool {
        self.calls
            .values()
            .any(|c| c.started > since && c.involves(user))
            || self.queues.legs.values().any(|l| {
                l.agent == user
                    && l.started > since
                    && self
                        .queues
                        .calls
                        .get(&l.call)
                        .is_some_and(|c| matches!(c.home, Home::Group(_)))
            })
    }

    /// Logged-in agents of queue `idx` who could take a call now, in member order.
    fn free_agents(&self, idx: usize, now: Instant) -> Vec<String> {
        let q = &self.queues.list[idx];
        let now_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
        q.def
            .members
            .iter()
            .filter(|m| q.logged_in.contains(*m))
            .filter(|m| !self.registrar.lookup(m, now).is_empty())
            .filter(|m| {
                self.dir.get(m).is_some_and(|u| {
                    self.acts
                        .effective(&u.activity, now_unix)
                        .is_none_or(|(def, _)| def.reachable)
                })
            })
            .filter(|m| !self.user_busy(m))
            .cloned()
            .collect()
    }

    /// A caller was answered by a queue (the local call exists already).
    pub(crate) fn queue_enqueue(&mut self, call_id: &str, call: QueueCall) {
        let queue = match &call.home {
            Home::Group(idx) => self.queues.list.get(*idx).map(|q| q.def.id.as_str()),
            Home::Personal(owner) => Some(owner.as_str()),
        };
        tracing::info!(?queue, caller = %call.caller, "caller queued");
        self.queues.calls.insert(call_id.to_string(), call);
    }

    /// Offers waiting calls to free agents and publishes changed counters. Runs after every
    /// input and tick, so it sees every change of registrations, activities and calls.
    pub(crate) fn queue_step(&mut self, now: Instant) {
        self.queue_dispatch(now);
        self.queue_publish(now);
        self.transfer_step(now);
        self.park_step(now);
        self.on_call_step(now);
    }

    fn queue_dispatch(&mut self, now: Instant) {
        for idx in 0..self.queues.list.len() {
            let mut waiting: Vec<(Instant, String)> = self
                .queues
                .calls
                .iter()
                .filter(|(_, c)| {
                    c.home == Home::Group(idx) && c.phase == Phase::Waiting && c.legs.is_empty()
                })
                .map(|(id, c)| (c.since, id.clone()))
                .collect();
            waiting.sort();
            for (_, call_id) in waiting {
                let free = self.free_agents(idx, now);
                let Some(picked) = self.pick_agents(idx, &free) else {
                    break;
                };
                for agent in picked {
                    let ring = self.queues.list[idx].def.agent_ring;
                    self.offer_to(&call_id, &agent, ring, Offer::Ring, now);
                }
            }
        }
    }

    /// Agents to ring for the next waiting call of queue `idx`, by its strategy.
    fn pick_agents(&mut self, idx: usize, free: &[String]) -> Option<Vec<String>> {
        if free.is_empty() {
            return None;
        }
        let q = &mut self.queues.list[idx];
        match q.def.strategy {
            Strategy::RingAll => Some(free.to_vec()),
            Strategy::RoundRobin => {
                let n = q.def.members.len();
                let start = q.rr_next;
                let i = (0..n)
                    .map(|i| (start + i) % n)
                    .find(|i| free.contains(&q.def.members[*i]))?;
                q.rr_next = (i + 1) % n;
                Some(vec![q.def.members[i].clone()])
            }
            Strategy::LongestIdle => free
                .iter()
                // Never idle-stamped (no queue call yet) counts as idle the longest.
                .min_by_key(|m| self.queues.last_idle.get(*m).copied())
                .map(|m| vec![m.clone()]),
        }
    }

    /// An agent's queue call ended: they are idle from now.
    pub(crate) fn agent_idle(&mut self, agent: &str, now: Instant) {
        self.queues.last_idle.insert(agent.to_string(), now);
    }

    /// A leg was answered: connects it, unless the caller is gone or someone else was faster.
    /// Returns whether the leg is now the call's connection.
    pub(crate) fn queue_answered(&mut self, call_id: &str, leg_id: &str) -> bool {
        let Some(call) = self.queues.calls.get_mut(call_id) else {
            return false;
        };
        if !matches!(
            call.phase,
            Phase::Waiting | Phase::Overflowed | Phase::Transferring
        ) {
            return false;
        }
        if let (Phase::Waiting, Home::Group(idx)) = (&call.phase, &call.home) {
            if let Some(q) = self.queues.list.get_mut(*idx) {
                q.answered = q.answered.saturating_add(1);
            }
        }
        call.phase = Phase::Bridged(leg_id.to_string());
        true
    }

    /// Whether leg `leg_id` is the agent connected to queued call `call_id`.
    pub(crate) fn queue_connected_by(&self, call_id: &str, leg_id: &str) -> bool {
        self.queues
            .calls
            .get(call_id)
            .is_some_and(|c| matches!(&c.phase, Phase::Bridged(l) if l == leg_id))
    }

    /// The caller of a queue call hung up, or the switch hung up on them; `reason` (RFC 3326)
    /// tells a connected agent why (a caller whose audio died: decision 0407).
    pub(crate) fn queue_caller_gone(&mut self, call_id: &str, reason: Option<&str>, now: Instant) {
        let Some(call) = self.queues.calls.remove(call_id) else {
            return;
        };
        if call.phase == Phase::Waiting {
            if let Home::Group(idx) = call.home {
                if let Some(q) = self.queues.list.get_mut(idx) {
                    q.abandoned = q.abandoned.saturating_add(1);
                }
            }
            tracing::info!(caller = %call.caller, "queued caller hung up");
        }
        for leg in call.legs {
            self.leg_caller_gone(&leg, reason, now);
        }
    }

    /// Applies max-wait overflow to calls that waited too long.
    pub(crate) fn queue_tick(&mut self, now: Instant) {
        let due: Vec<String> = self
            .queues
            .calls
            .iter()
            .filter(|(_, c)| {
                let Home::Group(idx) = c.home else {
                    return false;
                };
                c.phase == Phase::Waiting
                    && self.queues.list.get(idx).is_some_and(|q| {
                        now.saturating_duration_since(c.overflow_from) >= q.def.max_wait
                    })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for call_id in due {
            self.overflow(&call_id, now);
        }
        self.legs_tick(now);
    }

    fn overflow(&mut self, call_id: &str, now: Instant) {
        let Some(call) = self.queues.calls.get_mut(call_id) else {
            return;
        };
        let legs = std::mem::take(&mut call.legs);
        call.phase = Phase::Overflowed;
        let Home::Group(idx) = call.home else {
            return;
        };
        let Some(def) = self.queues.list.get(idx).map(|q| q.def.clone()) else {
            return;
        };
        tracing::info!(queue = %def.id, overflow = ?def.overflow, "max wait reached");
        for leg in legs {
            self.leg_hang_up(&leg, now);
        }
        match &def.overflow {
            Overflow::Busy => self.hang_up_local(call_id, now),
            Overflow::Voicemail(mailbox) => {
                if !self.cfg.calls.voicemail {
                    if let Some(c) = self.queues.calls.get_mut(call_id) {
                        c.phase = Phase::Voicemail;
                    }
                    self.hang_up_local(call_id, now);
                    return;
                }
                self.queue_to_voicemail(call_id, mailbox);
            }
            Overflow::Forward(target) => {
                let user = self.dir.find(target).map(|u| u.username.clone());
                let Some(user) = user.filter(|u| !self.registrar.lookup(u, now).is_empty()) else {
                    self.hang_up_local(call_id, now);
                    return;
                };
                if let Some(c) = self.queues.calls.get_mut(call_id) {
                    c.phase = Phase::Overflowed;
                }
                let ring = self.cfg.calls.ring_timeout(&user);
                self.offer_to(call_id, &user, ring, Offer::Ring, now);
                if self
                    .queues
                    .calls
                    .get(call_id)
                    .is_some_and(|c| c.legs.is_empty())
                {
                    self.hang_up_local(call_id, now);
                }
            }
        }
    }

    /// A waiting caller leaves `mailbox` a message: the hold audio gives way to the recording
    /// and the mailbox's user gets a missed call.
    pub(crate) fn queue_to_voicemail(&mut self, call_id: &str, mailbox: &str) {
        let Some(c) = self.queues.calls.get_mut(call_id) else {
            return;
        };
        c.phase = Phase::Voicemail;
        let (pt, caller) = (c.pt, c.caller.clone());
        self.media.queue_voicemail(call_id, pt, mailbox, &caller);
        self.events.push_back(CoreEvent::MissedCall {
            username: mailbox.to_string(),
            from: caller,
        });
    }

    /// A leg ended without connecting; a forwarded call with nobody left ringing is over, a
    /// transferred one waits in its queue again (at the front: it keeps its arrival time).
    pub(crate) fn queue_leg_failed(&mut self, call_id: &str, leg_id: &str, now: Instant) {
        let Some(call) = self.queues.calls.get_mut(call_id) else {
            return;
        };
        call.legs.retain(|l| l != leg_id);
        if !call.legs.is_empty() {
            return;
        }
        match call.phase {
            Phase::Overflowed => self.hang_up_local(call_id, now),
            Phase::Transferring => {
                tracing::info!(caller = %call.caller, "transfer not answered, caller back in the queue");
                call.phase = Phase::Waiting;
                call.overflow_from = now;
            }
            _ => {}
        }
    }

    /// Emits `QueueChanged` for queues whose counters differ from what was last published.
    fn queue_publish(&mut self, now: Instant) {
        let today = self.now_unix(now) / 86_400;
        for q in &mut self.queues.list {
            if q.day != today {
                q.day = today;
                q.answered = 0;
                q.abandoned = 0;
            }
        }
        for status in self.queue_statuses(now) {
            // The wait time grows every second; only real changes are news.
            let key = QueueStatus {
                longest_wait_secs: 0,
                ..status.clone()
            };
            if self.queues.published.get(&status.id) != Some(&key) {
                self.queues.published.insert(status.id.clone(), key);
                self.events.push_back(CoreEvent::QueueChanged(status));
            }
        }
    }

    pub(crate) fn queue_kind(&self, idx: usize) -> LocalKind {
        LocalKind::Queue {
            queue: idx,
            id: self.queues.list[idx].def.id.clone(),
        }
    }
}
