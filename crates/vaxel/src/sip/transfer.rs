//! Supervised blind transfer with recall (checklist 23, 34, 82). A user blind-transfers a call
//! to a colleague (REFER); the transferred party's phone then calls the colleague with
//! `Referred-By` naming the user (RFC 3892). Instead of proxying that INVITE, the switch
//! answers it itself (the caller hears hold audio), rings the colleague for the recall time,
//! and bridges when they answer. When nobody answers, the colleague is busy or has no device,
//! the call comes back: it waits in the transferring user's personal queue and rings them with
//! a recall alert (`park.rs`). Until the colleague answers, the transfer is in the user's list
//! of held calls with its state, and can be taken back.
//!
//! The waiting and bridging are the queue's (`queue.rs`, `queue_legs.rs`); this module owns
//! which transfers are supervised, by whom, to whom, and since when.

use super::core::{hv, SipCore};
use super::directory::{Directory, Target};
use super::flow::Flow;
use super::park::ParkError;
use super::queue::Phase;
use super::queue_legs::Offer;
use super::sdp;
use super::util::uri_user;
use crate::model::{HeldState, ParkedCall};
use koppla_sip::message as m;
use koppla_sip::rsip::Request;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How supervised transfers behave (the `[transfer]` config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferPolicy {
    /// Whether the switch carries out users' blind transfers to colleagues itself.
    pub supervise: bool,
    /// How long the colleague rings before the call comes back.
    pub recall: Duration,
    /// Dialling (or transferring to) this followed by a user's number or name reaches their
    /// voicemail directly ("direct to user" for a caller who should not wait).
    pub voicemail_code: String,
}

impl Default for TransferPolicy {
    fn default() -> Self {
        TransferPolicy {
            supervise: true,
            recall: Duration::from_secs(30),
            voicemail_code: "*9".into(),
        }
    }
}

/// One transfer the switch carries out (the transferred caller's Call-ID is the key).
pub(crate) struct Supervised {
    id: String,
    /// The user who transferred the call; it comes back to them.
    by: String,
    /// The colleague being rung.
    target: String,
    since: Instant,
    since_unix: i64,
}

/// A blind-transfer REFER the switch relayed between two parties of a call: the INVITE that
/// carries it out comes from `to` soon after, with or without Referred-By (baresip, for one,
/// sends none).
struct Referral {
    by: String,
    to: SocketAddr,
    /// The Refer-To user part (a number or name).
    target: String,
    at: Instant,
}

/// How long after a relayed REFER its INVITE is expected.
const REFERRAL_LIFETIME: Duration = Duration::from_secs(32);

#[derive(Default)]
pub(crate) struct Transfers {
    calls: HashMap<String, Supervised>,
    next_id: u64,
    referrals: Vec<Referral>,
}

impl SipCore {
    /// The transferring user and the colleague when `req` carries out a blind transfer the
    /// switch should supervise: it names a user in Referred-By, rings another user, replaces
    /// no dialog (an attended transfer's INVITE is proxied as before) and offers G.711 (the
    /// switch bridges held calls without transcoding; other calls are proxied unsupervised).
    pub(crate) fn supervised_transfer(
        &mut self,
        req: &Request,
        src: Flow,
        target: &Target,
        now: Instant,
    ) -> Option<(String, String)> {
        let Target::User(colleague) = target else {
            return None;
        };
        if !self.cfg.calls.transfer.supervise || hv(&req.headers, "Replaces").is_some() {
            return None;
        }
        let offer = std::str::from_utf8(&req.body).unwrap_or("");
        if !sdp::audio_pts(offer).iter().any(|p| *p == 0 || *p == 8) {
            return None;
        }
        let by = self.referrer(req, src, now, |dir, t| {
            dir.find(t).is_some_and(|u| u.username == *colleague)
        })?;
        (by != *colleague).then(|| (by, colleague.clone()))
    }

    /// The user who transferred `req` here: its Referred-By when that names a user, else the
    /// sender of a REFER the switch relayed to this very address within 32 s whose Refer-To
    /// user part satisfies `names_target` (the phone sends no Referred-By).
    pub(crate) fn referrer(
        &mut self,
        req: &Request,
        src: Flow,
        now: Instant,
        names_target: impl Fn(&Directory, &str) -> bool,
    ) -> Option<String> {
        self.transfers
            .referrals
            .retain(|r| now.saturating_duration_since(r.at) < REFERRAL_LIFETIME);
        let now_known = hv(&req.headers, "Referred-By")
            .and_then(|r| uri_user(&m::addr_uri(&r)))
            .and_then(|u| self.dir.find(&u).map(|u| u.username.clone()));
        if now_known.is_some() {
            return now_known;
        }
        let dir = &self.dir;
        let i = self
            .transfers
            .referrals
            .iter()
            .position(|r| r.to == src.addr && names_target(dir, &r.target))?;
        Some(self.transfers.referrals.remove(i).by)
    }

    /// The user whose voicemail a dialled user part names (voicemail code + number or name).
    pub(crate) fn voicemail_direct(&self, dialled: &str) -> Option<String> {
        self.dir
            .find_after_code(&self.cfg.calls.transfer.voicemail_code, dialled)
            .map(|u| u.username.clone())
    }

    /// An in-dialog REFER is being relayed to `dest`: remember a blind transfer by one of the
    /// call's own users, to recognise the INVITE that carries it out.
    pub(crate) fn transfer_note_refer(&mut self, req: &Request, dest: Flow, now: Instant) {
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let Some(refer_to) = hv(&req.headers, "Refer-To") else {
            return;
        };
        let uri = m::addr_uri(&refer_to);
        if uri.to_ascii_lowercase().contains("replaces=") {
            return;
        }
        let by = hv(&req.headers, "From")
            .and_then(|f| uri_user(&m::addr_uri(&f)))
            .and_then(|u| self.dir.find(&u).map(|u| u.username.clone()));
        let Some(by) = by.filter(|b| self.calls.get(&call_id).is_some_and(|c| c.involves(b)))
        else {
            return;
        };
        let Some(target) = uri_user(&uri) else {
            return;
        };
        tracing::debug!(%by, %target, "blind transfer relayed");
        self.transfers.referrals.push(Referral {
            by,
            to: dest.addr,
            target,
            at: now,
        });
    }

    /// The switch answered the transferred caller (the queue call exists, homed with `by`):
    /// ring the colleague, or send the call back at once when they cannot take it.
    pub(crate) fn transfer_start(&mut self, call_id: &str, by: &str, target: &str, now: Instant) {
        self.transfers.next_id += 1;
        let id = format!("t{}", self.transfers.next_id);
        tracing::info!(%by, %target, transfer = %id, "supervising a blind transfer");
        let since_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
        self.transfers.calls.insert(
            call_id.to_string(),
            Supervised {
                id,
                by: by.to_string(),
                target: target.to_string(),
                since: now,
                since_unix,
            },
        );
        let busy = self.user_busy(target);
        let Some(call) = self.queues.calls.get_mut(call_id) else {
            return;
        };
        if busy {
            tracing::info!(%target, "transfer target busy: the call comes back");
            call.phase = Phase::Waiting;
            return;
        }
        call.phase = Phase::Transferring;
        let ring = self.cfg.calls.transfer.recall;
        self.offer_to(call_id, target, ring, Offer::Ring, now);
        if let Some(call) = self.queues.calls.get_mut(call_id) {
            if call.legs.is_empty() {
                tracing::info!(%target, "transfer target has no device: the call comes back");
                call.phase = Phase::Waiting;
            }
        }
    }

    /// Ends supervision of transfers the colleague answered or the caller left, and sends the
    /// ones nobody answered back to whoever transferred them. Runs before `park_step`.
    pub(crate) fn transfer_step(&mut self, now: Instant) {
        // The ring time is over once the switch cancelled the offer: the caller comes back at
        // once instead of when (or whether) the colleague's phone confirms the CANCEL. A late
        // answer still connects (any answer to a waiting call does).
        let rang_out: Vec<String> = self
            .transfers
            .calls
            .keys()
            .filter(|c| {
                self.queues
                    .calls
                    .get(*c)
                    .is_some_and(|q| q.phase == Phase::Transferring)
                    && !self.legs_alive(c)
            })
            .cloned()
            .collect();
        for call_id in rang_out {
            if let Some(call) = self.queues.calls.get_mut(&call_id) {
                call.phase = Phase::Waiting;
                call.legs.clear();
            }
        }
        let mut back = Vec::new();
        let queued = &self.queues.calls;
        self.transfers
            .calls
            .retain(|call_id, s| match queued.get(call_id).map(|c| &c.phase) {
                Some(Phase::Transferring) => true,
                Some(Phase::Waiting) => {
                    back.push((call_id.clone(), s.by.clone(), s.target.clone()));
                    false
                }
                // Answered (bridged), or the caller hung up.
                _ => false,
            });
        for (call_id, by, target) in back {
            self.park_recall(&call_id, &by, &target, now);
        }
    }

    /// Transfers still ringing, with when they started, for the held-calls list.
    pub(crate) fn transfer_views(&self) -> Vec<(Instant, ParkedCall)> {
        self.transfers
            .calls
            .iter()
            .filter_map(|(call_id, s)| {
                let mut view = self.held_view(call_id, &s.id, &s.by, s.since_unix)?;
                view.state = HeldState::Ringing;
                view.by = Some(s.by.clone());
                view.target = Some(s.target.clone());
                view.target_name = self.dir.get(&s.target).map(|u| u.name.clone());
                Some((s.since, view))
            })
            .collect()
    }

    /// Takes back ringing transfer `id` for `picker`: the colleague stops ringing and the call
    /// waits in its transferrer's personal queue under the returned park id. `Ok(None)` when
    /// `id` is no supervised transfer.
    pub(crate) fn transfer_take_back(
        &mut self,
        id: &str,
        picker: &str,
        now: Instant,
    ) -> Result<Option<String>, ParkError> {
        let Some(call_id) = self
            .transfers
            .calls
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(c, _)| c.clone())
        else {
            return Ok(None);
        };
        let by = self.transfers.calls[&call_id].by.clone();
        if picker != by && !self.cfg.calls.park.may_pick_up(picker) {
            return Err(ParkError::NotAllowed(picker.to_string()));
        }
        if self.registrar.lookup(picker, now).is_empty() {
            return Err(ParkError::NoDevice(picker.to_string()));
        }
        let Some(call) = self.queues.calls.get_mut(&call_id) else {
            return Err(ParkError::NotFound(id.to_string()));
        };
        if call.phase != Phase::Transferring {
            return Err(ParkError::NotFound(id.to_string()));
        }
        tracing::info!(%picker, transfer = %id, "transfer taken back");
        call.phase = Phase::Waiting;
        let ringing = std::mem::take(&mut call.legs);
        self.transfers.calls.remove(&call_id);
        for leg in ringing {
            self.leg_hang_up(&leg, now);
        }
        Ok(Some(self.park_add(&call_id, &by, Some(&by), now)))
    }
}
