//! `[[queues]]` in the switch configuration: call queues (hunt groups) the switch answers
//! itself and offers to logged-in agents.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How waiting calls are offered to free agents.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every free agent rings at once; the first to answer gets the call.
    #[default]
    RingAll,
    /// One agent at a time, taking turns in member order.
    RoundRobin,
    /// One agent at a time, the one whose last queue call ended longest ago first.
    LongestIdle,
}

/// What happens to a caller who waited `max_wait_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Overflow {
    /// The switch hangs up (the caller was answered, so a busy response is no longer possible).
    Busy,
    /// The caller leaves a message in this user's mailbox.
    Voicemail(String),
    /// The call is offered to this user (username or number) instead of the agents.
    Forward(String),
}

impl TryFrom<String> for Overflow {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let s = s.trim();
        if s == "busy" {
            return Ok(Overflow::Busy);
        }
        if let Some(user) = s.strip_prefix("voicemail:") {
            return if user.is_empty() {
                Err("overflow \"voicemail:\" needs a username".into())
            } else {
                Ok(Overflow::Voicemail(user.to_string()))
            };
        }
        if s.is_empty() {
            return Err("overflow must be \"busy\", \"voicemail:<user>\" or a number".into());
        }
        Ok(Overflow::Forward(s.to_string()))
    }
}

impl From<Overflow> for String {
    fn from(o: Overflow) -> String {
        match o {
            Overflow::Busy => "busy".into(),
            Overflow::Voicemail(u) => format!("voicemail:{u}"),
            Overflow::Forward(n) => n,
        }
    }
}

fn default_agent_ring() -> u32 {
    15
}
fn default_max_wait() -> u32 {
    300
}
fn default_overflow() -> Overflow {
    Overflow::Busy
}

/// One queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Stable id used in API paths (`/api/v1/queues/{id}/login`).
    pub id: String,
    /// Number callers dial.
    pub number: String,
    pub name: String,
    /// Usernames of the agents. They start logged in and can log out through the API.
    pub members: Vec<String>,
    #[serde(default)]
    pub strategy: Strategy,
    /// Seconds one offer rings an agent before the switch tries again (or the next agent).
    #[serde(default = "default_agent_ring")]
    pub agent_ring_secs: u32,
    /// Seconds a caller waits before `overflow` applies.
    #[serde(default = "default_max_wait")]
    pub max_wait_secs: u32,
    /// `busy` (hang up), `voicemail:<user>` or a number/username to forward to.
    #[serde(default = "default_overflow")]
    pub overflow: Overflow,
    /// Played once when the caller is answered (WAV, any rate).
    #[serde(default)]
    pub announcement: Option<PathBuf>,
    /// Played in a loop while waiting (WAV); without it a generated tone melody plays.
    #[serde(default)]
    pub hold_music: Option<PathBuf>,
}

impl QueueConfig {
    /// Checks one queue; `users` are the configured usernames.
    pub fn validate(&self, users: &[&str]) -> Result<(), String> {
        if !crate::model::valid_username(&self.id) {
            return Err(format!(
                "queue id {:?} must look like a username (lowercase letters, digits, . _ -)",
                self.id
            ));
        }
        if crate::model::normalize_number(&self.number).is_empty() {
            return Err(format!(
                "queue {}: number {:?} is empty",
                self.id, self.number
            ));
        }
        if users.contains(&self.id.as_str()) {
            // Dialling a queue by its id would shadow the user.
            return Err(format!("queue id {:?} is also a username", self.id));
        }
        if self.members.is_empty() {
            return Err(format!("queue {}: needs at least one member", self.id));
        }
        if let Some(m) = self.members.iter().find(|m| !users.contains(&m.as_str())) {
            return Err(format!("queue {}: member {m:?} is not a user", self.id));
        }
        if self.agent_ring_secs == 0 || self.max_wait_secs == 0 {
            return Err(format!(
                "queue {}: agent_ring_secs and max_wait_secs must be at least 1",
                self.id
            ));
        }
        if let Overflow::Voicemail(u) = &self.overflow {
            if !users.contains(&u.as_str()) {
                return Err(format!(
                    "queue {}: voicemail user {u:?} is not a user",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_defaults_and_overflow_forms() {
        let q: QueueConfig = toml::from_str(
            "id = \"support\"\nnumber = \"7000\"\nname = \"Support\"\nmembers = [\"alice\"]\n",
        )
        .unwrap();
        assert_eq!(q.strategy, Strategy::RingAll);
        assert_eq!(q.overflow, Overflow::Busy);
        assert_eq!((q.agent_ring_secs, q.max_wait_secs), (15, 300));
        assert!(q.validate(&["alice"]).is_ok());
        assert!(q.validate(&["bob"]).is_err(), "unknown member");
        assert!(
            q.validate(&["alice", "support"]).is_err(),
            "id shadows a user"
        );
        let o = |s: &str| Overflow::try_from(s.to_string());
        assert_eq!(o("voicemail:bob"), Ok(Overflow::Voicemail("bob".into())));
        assert_eq!(o("1003"), Ok(Overflow::Forward("1003".into())));
        assert!(o("voicemail:").is_err());
        assert!(o(" ").is_err());
        let bad: Result<QueueConfig, _> = toml::from_str(
            "id = \"s\"\nnumber = \"7\"\nname = \"S\"\nmembers = []\nstrategy = \"random\"\n",
        );
        assert!(bad.is_err());
    }
}
