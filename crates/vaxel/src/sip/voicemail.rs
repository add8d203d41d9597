//! Unanswered calls: the per-user ring timeout, sending a caller to voicemail when the callee
//! is unreachable or does not answer, and message-waiting indication (RFC 3842
//! `message-summary` NOTIFYs) from the mailbox counters the driver reports.

use super::core::{CoreEvent, SipCore};
use super::flow::Flow;
use super::local::LocalKind;
use koppla_sip::rsip::Request;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Why a call went to voicemail, which decides the greeting the caller hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoicemailReason {
    /// Nobody answered in time, no phone is registered, or the caller chose voicemail.
    #[default]
    NoAnswer,
    /// Every phone declined with 486 Busy Here / 600 Busy Everywhere, or the user is already
    /// on another call.
    Busy,
}

/// Per-user overrides of [`CallPolicy`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserCallSettings {
    pub ring_timeout: Option<Duration>,
    /// `Some(false)` opts the user out of voicemail.
    pub voicemail: Option<bool>,
}

/// How long calls ring and whether unanswered ones go to voicemail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPolicy {
    pub ring_timeout: Duration,
    /// Voicemail is available at all (the server has somewhere to store messages).
    pub voicemail: bool,
    pub users: HashMap<String, UserCallSettings>,
    /// Parking and pickup.
    pub park: super::park::ParkPolicy,
    /// Supervised blind transfers.
    pub transfer: super::transfer::TransferPolicy,
    /// The number that answers with the dial-in voicemail menu (decision 0509).
    pub voicemail_number: String,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            ring_timeout: Duration::from_secs(25),
            voicemail: false,
            users: HashMap::new(),
            park: Default::default(),
            transfer: Default::default(),
            voicemail_number: "8000".into(),
        }
    }
}

impl CallPolicy {
    pub fn ring_timeout(&self, user: &str) -> Duration {
        self.users
            .get(user)
            .and_then(|u| u.ring_timeout)
            .unwrap_or(self.ring_timeout)
    }

    pub fn voicemail(&self, user: &str) -> bool {
        self.voicemail
            && self
                .users
                .get(user)
                .and_then(|u| u.voicemail)
                .unwrap_or(true)
    }
}

/// The `application/simple-message-summary` body (RFC 3842 section 5).
pub fn message_summary(account: &str, new: u32, old: u32) -> String {
    format!(
        "Messages-Waiting: {}\r\nMessage-Account: {account}\r\nVoice-Message: {new}/{old}\r\n",
        if new > 0 { "yes" } else { "no" }
    )
}

impl SipCore {
    /// Answers `req` with the callee's voicemail when they have it; records the missed call
    /// either way. Returns whether voicemail took the call. The caller hears the busy greeting
    /// when the callee is on another call, else the no-answer one.
    pub(crate) fn missed_to_voicemail(
        &mut self,
        req: Request,
        upstream: Flow,
        callee: &str,
        caller: &str,
        now: Instant,
    ) -> bool {
        self.missed_to_voicemail_for(req, upstream, callee, caller, false, now)
    }

    /// [`Self::missed_to_voicemail`] for a call every phone of the callee declined as busy
    /// (`declined_busy`).
    pub(crate) fn missed_to_voicemail_for(
        &mut self,
        req: Request,
        upstream: Flow,
        callee: &str,
        caller: &str,
        declined_busy: bool,
        now: Instant,
    ) -> bool {
        self.events.push_back(CoreEvent::MissedCall {
            username: callee.to_string(),
            from: caller.to_string(),
        });
        if !self.cfg.calls.voicemail(callee) {
            return false;
        }
        let call_id = super::core::hv(&req.headers, "Call-ID").unwrap_or_default();
        let reason = if declined_busy || self.on_another_call(callee, &call_id) {
            VoicemailReason::Busy
        } else {
            VoicemailReason::NoAnswer
        };
        tracing::info!(%callee, %caller, ?reason, "call goes to voicemail");
        self.local_invite(
            req,
            upstream,
            now,
            LocalKind::Voicemail {
                mailbox: callee.to_string(),
                caller: caller.to_string(),
                reason,
            },
        );
        true
    }

    /// Whether `user` is in a call other than `call_id`: a proxied call they make or take, or a
    /// queue call offered to them. (The published on-call set cannot be used: it includes the
    /// very call that is now going to voicemail while it rang.)
    fn on_another_call(&self, user: &str, call_id: &str) -> bool {
        self.calls
            .iter()
            .any(|(id, c)| id != call_id && c.involves(user))
            || self.queues.legs.values().any(|l| l.agent == user)
    }

    /// The driver reports a mailbox's (new, old) message counts; message-summary watchers of
    /// that mailbox get a NOTIFY when they changed.
    pub fn mwi_changed(&mut self, user: &str, new: u32, old: u32, now: Instant) {
        if self.mwi.insert(user.to_string(), (new, old)) == Some((new, old)) {
            return;
        }
        self.notify_package(user, super::presence::Package::MessageSummary, now);
    }

    pub(crate) fn mwi_of(&self, user: &str) -> (u32, u32) {
        self.mwi.get(user).copied().unwrap_or((0, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_defaults_and_overrides() {
        let mut p = CallPolicy::default();
        assert_eq!(p.ring_timeout("bob"), Duration::from_secs(25));
        assert!(!p.voicemail("bob"), "off without a voicemail store");
        p.voicemail = true;
        p.users.insert(
            "bob".into(),
            UserCallSettings {
                ring_timeout: Some(Duration::from_secs(5)),
                voicemail: Some(false),
            },
        );
        assert_eq!(p.ring_timeout("bob"), Duration::from_secs(5));
        assert!(!p.voicemail("bob"));
        assert!(p.voicemail("alice"));
    }

    #[test]
    fn summary_body() {
        assert_eq!(
            message_summary("sip:bob@koppla", 2, 1),
            "Messages-Waiting: yes\r\nMessage-Account: sip:bob@koppla\r\nVoice-Message: 2/1\r\n"
        );
        assert!(message_summary("sip:bob@koppla", 0, 3).starts_with("Messages-Waiting: no\r\n"));
    }
}
