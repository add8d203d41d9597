//! Events pushed to API clients over the WebSocket and to SIP watchers.

use crate::model::{ActivityStatus, ParkedCall, QueueStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// One event on the `/api/v1/events` stream.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Someone's activity changed; everyone sees it.
    ActivityChanged {
        username: String,
        activity: ActivityStatus,
    },
    /// A call to `username` ended unanswered; only that user sees it.
    MissedCall {
        username: String,
        from: String,
        at: String,
    },
    /// Message-waiting counters for `username`.
    Mwi {
        username: String,
        new_messages: u32,
        old_messages: u32,
    },
    /// A call queue's counters changed (waiting callers, agents logged in and free, answered
    /// and abandoned today); everyone sees it.
    QueueChanged { queue: QueueStatus },
    /// The parked calls changed (the whole list); everyone sees it, pickup is checked by the
    /// switch.
    ParkedChanged { calls: Vec<ParkedCall> },
    /// A colleague started or stopped being on a call (ringing, talking, or waiting in a
    /// queue); everyone sees it, so clients can offer camp-on on colleagues on the phone.
    OnCallChanged { username: String, on_call: bool },
    /// The number of registered devices for a user changed; everyone sees it.
    Registration { username: String, devices: u32 },
    /// A user was added or their directory entry changed; clients refetch the directory.
    DirectoryChanged { username: String },
}

impl Event {
    /// Whether `viewer` should receive this event.
    pub fn visible_to(&self, viewer: &str) -> bool {
        match self {
            Event::MissedCall { username, .. } | Event::Mwi { username, .. } => username == viewer,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_type_tag_and_scopes_private_events() {
        let e = Event::MissedCall {
            username: "bob".into(),
            from: "sip:alice@x".into(),
            at: "t".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "missed_call");
        assert!(e.visible_to("bob"));
        assert!(!e.visible_to("alice"));
        let q = Event::QueueChanged {
            queue: QueueStatus {
                id: "support".into(),
                number: "7000".into(),
                name: "Support".into(),
                members: vec!["alice".into(), "bob".into()],
                waiting: 1,
                longest_wait_secs: 4,
                oldest_waiting_since: Some(1_800_000_000),
                logged_in: vec!["bob".into()],
                agents_logged_in: 1,
                agents_free: 0,
                answered_today: 3,
                abandoned_today: 1,
            },
        };
        assert!(q.visible_to("alice"));
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(v["type"], "queue_changed");
        assert_eq!(v["queue"]["waiting"], 1);
        let c = Event::OnCallChanged {
            username: "bob".into(),
            on_call: true,
        };
        assert!(c.visible_to("alice"), "everyone sees who is on a call");
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"type": "on_call_changed", "username": "bob", "on_call": true})
        );
    }
}
