//! Who is on a call, published to every client so colleagues see it live (and the app can
//! offer camp-on on a colleague who is on the phone rather than one at lunch).
//!
//! A user is on a call while a proxied call involves them (ringing counts: the INVITE was
//! routed to or from them), while a queue or a personal queue rings or bridges them (an agent
//! leg), and while they wait in a queue themselves as a caller. After every step the set is
//! compared with the one last published and each change becomes one
//! [`CoreEvent::OnCallChanged`].

use super::core::{CoreEvent, SipCore};
use std::collections::BTreeSet;
use std::time::Instant;

/// The users last published as being on a call.
#[derive(Default)]
pub(crate) struct OnCall {
    published: BTreeSet<String>,
}

impl SipCore {
    /// The switch's users on a call now (borrowed: this runs after every input, and with
    /// many calls cloning every name each time would cost more than the rest of the step).
    fn users_on_call_now(&self) -> BTreeSet<&str> {
        let proxied = self
            .calls
            .values()
            .flat_map(|c| c.users.iter().map(String::as_str));
        let offered = self.queues.legs.values().map(|l| l.agent.as_str());
        // A user's call answered by the switch (a queue or a personal queue) is theirs too.
        let queued = self
            .queues
            .calls
            .values()
            .filter(|c| self.dir.get(&c.caller).is_some())
            .map(|c| c.caller.as_str());
        proxied.chain(offered).chain(queued).collect()
    }

    /// Publishes who started or stopped being on a call since the last step.
    pub(crate) fn on_call_step(&mut self, _now: Instant) {
        let now_on = self.users_on_call_now();
        if now_on
            .iter()
            .copied()
            .eq(self.on_call.published.iter().map(String::as_str))
        {
            return;
        }
        let ended: Vec<String> = self
            .on_call
            .published
            .iter()
            .filter(|u| !now_on.contains(u.as_str()))
            .cloned()
            .collect();
        let started: Vec<String> = now_on
            .iter()
            .filter(|u| !self.on_call.published.contains(**u))
            .map(|u| u.to_string())
            .collect();
        let now_on: BTreeSet<String> = now_on.into_iter().map(str::to_string).collect();
        for (username, on_call) in ended
            .into_iter()
            .map(|u| (u, false))
            .chain(started.into_iter().map(|u| (u, true)))
        {
            tracing::debug!(%username, on_call, "on-call state changed");
            self.events
                .push_back(CoreEvent::OnCallChanged { username, on_call });
        }
        self.on_call.published = now_on;
    }

    /// Whether `user` is on a call, as last published.
    pub fn on_call(&self, user: &str) -> bool {
        self.on_call.published.contains(user)
    }

    /// Every user on a call, as last published (sorted).
    pub fn users_on_call(&self) -> Vec<String> {
        self.on_call.published.iter().cloned().collect()
    }
}
