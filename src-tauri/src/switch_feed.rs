//! What the app does with the switch's live event stream, as a state machine fed frames and
//! `now`: my own activity, queue counters, parked calls and colleagues on a call are shown at once; colleagues' changes are gathered into one
//! directory reload (at 08:00 many people change activity within seconds); a lost stream is
//! reconnected with growing pauses, and after a reconnect everything is fetched again because
//! events may have been missed.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::switch_api::{Activity, ParkedCall, QueueStatus};

/// How long colleagues' changes are gathered before the directory is reloaded once.
pub const DIRECTORY_SETTLE: Duration = Duration::from_millis(300);
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// The switch reverts an expired activity when asked, not by an event; ask a little after.
const EXPIRY_SLACK: Duration = Duration::from_secs(1);

/// The events the app reacts to; the stream also carries others it ignores.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SwitchEvent {
    ActivityChanged {
        username: String,
        activity: Activity,
    },
    DirectoryChanged {
        username: String,
    },
    QueueChanged {
        queue: QueueStatus,
    },
    ParkedChanged {
        calls: Vec<ParkedCall>,
    },
    /// A colleague started or stopped being on a call.
    OnCallChanged {
        username: String,
        on_call: bool,
    },
    /// My message-waiting counts changed (a message was left, heard or deleted).
    Mwi,
    /// The switch dropped events for this (slow) client.
    Resync,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedAction {
    /// My activity changed (possibly in another client).
    ShowOwn(Activity),
    /// Fetch my activity: the stream may have missed a change.
    ReloadOwn,
    /// Reload the directory so search results show colleagues' activities.
    ReloadDirectory,
    /// A queue's counters or logged-in agents changed.
    ShowQueue(QueueStatus),
    /// Fetch every queue: the stream may have missed changes.
    ReloadQueues,
    /// The parked calls changed (the whole list).
    ShowParked(Vec<ParkedCall>),
    /// Fetch the parked calls: at login and whenever events may have been lost.
    ReloadParked,
    /// A colleague started or stopped being on a call (search results show it at once; the
    /// directory reload after a gap brings everyone's state).
    ShowOnCall { username: String, on_call: bool },
    /// Fetch the calls the switch could not put through to me, to merge them into the history:
    /// at login (the app may have been closed) and whenever events may have been lost.
    FetchMissed,
    /// Fetch my voicemail messages: at login, when my message-waiting counts change, and
    /// whenever events may have been lost.
    ReloadVoicemail,
}

#[derive(Debug)]
pub struct Feed {
    me: String,
    reload_directory_at: Option<Instant>,
    reload_own_at: Option<Instant>,
    failures: u32,
}

impl Feed {
    pub fn new(me: impl Into<String>) -> Feed {
        Feed {
            me: me.into(),
            reload_directory_at: None,
            reload_own_at: None,
            failures: 0,
        }
    }

    /// The stream is (re)connected: anything may have changed while it was down.
    pub fn connected(&mut self, now: Instant) -> Vec<FeedAction> {
        let reconnect = self.failures > 0;
        self.failures = 0;
        if reconnect {
            self.reload_directory_at = Some(now);
            vec![
                FeedAction::ReloadOwn,
                FeedAction::ReloadQueues,
                FeedAction::FetchMissed,
                FeedAction::ReloadParked,
                FeedAction::ReloadVoicemail,
            ]
        } else {
            vec![
                FeedAction::FetchMissed,
                FeedAction::ReloadParked,
                FeedAction::ReloadVoicemail,
            ]
        }
    }

    /// One text frame. Frames that are not JSON events are ignored: a newer switch may send
    /// kinds this app does not know.
    pub fn frame(&mut self, text: &str, now: Instant) -> Vec<FeedAction> {
        let Ok(event) = serde_json::from_str::<SwitchEvent>(text) else {
            tracing::debug!("ignoring an unreadable frame from the switch");
            return Vec::new();
        };
        match event {
            SwitchEvent::ActivityChanged { username, activity } => {
                self.reload_directory_soon(now);
                if username == self.me {
                    vec![FeedAction::ShowOwn(activity)]
                } else {
                    Vec::new()
                }
            }
            SwitchEvent::DirectoryChanged { .. } => {
                self.reload_directory_soon(now);
                Vec::new()
            }
            SwitchEvent::Resync => {
                self.reload_directory_soon(now);
                vec![
                    FeedAction::ReloadOwn,
                    FeedAction::ReloadQueues,
                    FeedAction::FetchMissed,
                    FeedAction::ReloadParked,
                    FeedAction::ReloadVoicemail,
                ]
            }
            // The counts say something changed; the list says what (and names the caller).
            SwitchEvent::Mwi => vec![FeedAction::ReloadVoicemail],
            SwitchEvent::QueueChanged { queue } => vec![FeedAction::ShowQueue(queue)],
            SwitchEvent::ParkedChanged { calls } => vec![FeedAction::ShowParked(calls)],
            SwitchEvent::OnCallChanged { username, on_call } => {
                vec![FeedAction::ShowOnCall { username, on_call }]
            }
            SwitchEvent::Other => Vec::new(),
        }
    }

    /// The stream failed or closed; returns when to try again.
    pub fn disconnected(&mut self, now: Instant) -> Instant {
        let shift = self.failures.min(5);
        self.failures = self.failures.saturating_add(1);
        now + (FIRST_RETRY * 2u32.pow(shift)).min(MAX_RETRY)
    }

    /// My activity now shown ends in `expires_in` (none: it does not end).
    pub fn own_expires(&mut self, expires_in: Option<Duration>, now: Instant) {
        self.reload_own_at = expires_in.map(|left| now + left + EXPIRY_SLACK);
    }

    /// When `poll` has something to do next.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.reload_directory_at, self.reload_own_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next due action; call until it answers `None`.
    pub fn poll(&mut self, now: Instant) -> Option<FeedAction> {
        if self.reload_own_at.is_some_and(|at| at <= now) {
            self.reload_own_at = None;
            // The expired activity reverts for everyone, so the directory changes too.
            self.reload_directory_soon(now);
            return Some(FeedAction::ReloadOwn);
        }
        match self.reload_directory_at {
            Some(at) if at <= now => {
                self.reload_directory_at = None;
                Some(FeedAction::ReloadDirectory)
            }
            _ => None,
        }
    }

    fn reload_directory_soon(&mut self, now: Instant) {
        // The first change sets the time; later ones ride along, so a burst is one reload.
        if self.reload_directory_at.is_none() {
            self.reload_directory_at = Some(now + DIRECTORY_SETTLE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity_frame(username: &str, id: &str) -> String {
        serde_json::json!({
            "type": "activity_changed",
            "username": username,
            "activity": {"id": id, "label": "Lunch", "color": "#f9a825", "reachable": false,
                         "until": "2026-11-25T12:00:00Z", "note": "Tillbaka 13"}
        })
        .to_string()
    }

    #[test]
    fn own_change_is_shown_at_once() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        let actions = feed.frame(&activity_frame("anna", "lunch"), now);
        let [FeedAction::ShowOwn(activity)] = actions.as_slice() else {
            panic!("expected ShowOwn, got {actions:?}");
        };
        assert_eq!(activity.id, "lunch");
        assert_eq!(activity.note.as_deref(), Some("Tillbaka 13"));
        assert_eq!(activity.until.as_deref(), Some("2026-11-25T12:00:00Z"));
    }

    #[test]
    fn a_burst_of_colleague_changes_is_one_directory_reload() {
        let start = Instant::now();
        let mut feed = Feed::new("anna");
        for (i, who) in ["bo", "cecilia", "david"].iter().enumerate() {
            let at = start + Duration::from_millis(50 * i as u64);
            assert!(feed.frame(&activity_frame(who, "meeting"), at).is_empty());
        }
        assert_eq!(feed.deadline(), Some(start + DIRECTORY_SETTLE));
        assert_eq!(feed.poll(start + Duration::from_millis(299)), None);
        assert_eq!(
            feed.poll(start + DIRECTORY_SETTLE),
            Some(FeedAction::ReloadDirectory)
        );
        assert_eq!(feed.poll(start + Duration::from_secs(5)), None);
        assert_eq!(feed.deadline(), None);
    }

    #[test]
    fn queue_changes_are_shown_at_once() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        // As the switch sends it (crates/vaxel events.rs, QueueStatus).
        let frame = serde_json::json!({
            "type": "queue_changed",
            "queue": {"id": "support", "number": "800", "name": "Support", "waiting": 2,
                      "longest_wait_secs": 45, "oldest_waiting_since": 1_795_000_000_i64,
                      "logged_in": ["anna", "bo"], "agents_logged_in": 2, "agents_free": 1,
                      "answered_today": 17, "abandoned_today": 3}
        });
        let actions = feed.frame(&frame.to_string(), now);
        let [FeedAction::ShowQueue(queue)] = actions.as_slice() else {
            panic!("expected ShowQueue, got {actions:?}");
        };
        assert_eq!(queue.id, "support");
        assert_eq!(queue.waiting, 2);
        assert_eq!(queue.oldest_waiting_since, Some(1_795_000_000));
        assert_eq!(queue.logged_in, ["anna", "bo"]);
        assert_eq!((queue.answered_today, queue.abandoned_today), (17, 3));
        assert_eq!(feed.deadline(), None, "queues do not touch the directory");

        let idle = r#"{"type":"queue_changed","queue":{"id":"q","number":"1","name":"Q",
            "waiting":0,"longest_wait_secs":0,"oldest_waiting_since":null,"logged_in":[],
            "agents_logged_in":0,"agents_free":0,"answered_today":0,"abandoned_today":0}}"#;
        let actions = feed.frame(idle, now);
        assert!(matches!(
            actions.as_slice(),
            [FeedAction::ShowQueue(QueueStatus {
                oldest_waiting_since: None,
                ..
            })]
        ));
        let torn = r#"{"type":"queue_changed","queue":{"id":"q","waiting":"many"}}"#;
        assert!(feed.frame(torn, now).is_empty());
    }

    #[test]
    fn parked_calls_are_shown_as_the_switch_serialises_them() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        // Serialised by the switch's own type, so the two cannot drift apart.
        let event = koppla_vaxel::events::Event::ParkedChanged {
            calls: vec![ParkedCall {
                id: "p1".into(),
                owner: "anna".into(),
                owner_name: "Anna".into(),
                caller: "0701234567".into(),
                caller_name: None,
                since: 1_800_000_000,
                state: koppla_vaxel::model::HeldState::Recalled,
                by: Some("anna".into()),
                target: Some("bo".into()),
                target_name: Some("Bo Ek".into()),
            }],
        };
        let frame = serde_json::to_string(&event).expect("event serialises");
        let actions = feed.frame(&frame, now);
        let [FeedAction::ShowParked(calls)] = actions.as_slice() else {
            panic!("expected ShowParked, got {actions:?}");
        };
        assert_eq!(calls[0].id, "p1");
        assert_eq!(calls[0].state, koppla_vaxel::model::HeldState::Recalled);
        assert_eq!(calls[0].by.as_deref(), Some("anna"));
        assert_eq!(calls[0].target_name.as_deref(), Some("Bo Ek"));
        assert_eq!(feed.deadline(), None);
    }

    #[test]
    fn colleagues_on_a_call_are_shown_at_once_without_a_directory_reload() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        // Serialised by the switch's own type, so the two cannot drift apart.
        let frame = |username: &str, on_call: bool| {
            serde_json::to_string(&koppla_vaxel::events::Event::OnCallChanged {
                username: username.into(),
                on_call,
            })
            .expect("event serialises")
        };
        assert_eq!(
            feed.frame(&frame("bo", true), now),
            vec![FeedAction::ShowOnCall {
                username: "bo".into(),
                on_call: true
            }]
        );
        assert_eq!(
            feed.frame(&frame("bo", false), now),
            vec![FeedAction::ShowOnCall {
                username: "bo".into(),
                on_call: false
            }]
        );
        assert_eq!(
            feed.deadline(),
            None,
            "calls come and go too often to reload"
        );
        let torn = r#"{"type":"on_call_changed","username":"bo"}"#;
        assert!(feed.frame(torn, now).is_empty());
    }

    #[test]
    fn unknown_and_broken_frames_are_ignored() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        let queue = r#"{"type":"some_future_event","queue":"support","waiting":1}"#;
        assert!(feed.frame(queue, now).is_empty());
        assert!(feed.frame("not json", now).is_empty());
        assert!(feed.frame(r#"{"type":"activity_changed"}"#, now).is_empty());
        assert_eq!(feed.deadline(), None);
    }

    #[test]
    fn an_ending_activity_is_fetched_again_after_its_end() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        feed.own_expires(Some(Duration::from_secs(60)), now);
        let due = now + Duration::from_secs(60) + EXPIRY_SLACK;
        assert_eq!(feed.deadline(), Some(due));
        assert_eq!(feed.poll(due - Duration::from_millis(1)), None);
        assert_eq!(feed.poll(due), Some(FeedAction::ReloadOwn));
        assert_eq!(
            feed.poll(due),
            None,
            "the directory waits for its settle time"
        );
        assert_eq!(
            feed.poll(due + DIRECTORY_SETTLE),
            Some(FeedAction::ReloadDirectory)
        );
        feed.own_expires(Some(Duration::from_secs(60)), now);
        feed.own_expires(None, now);
        assert_eq!(
            feed.deadline(),
            None,
            "a new activity without end cancels the reload"
        );
    }

    #[test]
    fn resync_refetches_everything() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        let actions = feed.frame(r#"{"type":"resync","missed":12}"#, now);
        assert_eq!(
            actions,
            vec![
                FeedAction::ReloadOwn,
                FeedAction::ReloadQueues,
                FeedAction::FetchMissed,
                FeedAction::ReloadParked,
                FeedAction::ReloadVoicemail,
            ]
        );
        assert_eq!(feed.deadline(), Some(now + DIRECTORY_SETTLE));
    }

    #[test]
    fn changed_message_counts_reload_the_voicemail_list() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        // As the switch sends it (crates/vaxel events.rs, Event::Mwi).
        let frame = serde_json::json!({
            "type": "mwi", "username": "anna", "new_messages": 2, "old_messages": 5
        });
        assert_eq!(
            feed.frame(&frame.to_string(), now),
            vec![FeedAction::ReloadVoicemail]
        );
        assert_eq!(feed.deadline(), None, "the directory is not touched");
    }

    #[test]
    fn reconnects_back_off_and_reload_after_the_gap() {
        let now = Instant::now();
        let mut feed = Feed::new("anna");
        assert_eq!(
            feed.connected(now),
            vec![
                FeedAction::FetchMissed,
                FeedAction::ReloadParked,
                FeedAction::ReloadVoicemail
            ],
            "the first connect follows a fresh login: calls missed while away, what is parked, \
             and my voicemail"
        );
        let waits: Vec<Duration> = (0..8).map(|_| feed.disconnected(now) - now).collect();
        assert_eq!(waits[0], Duration::from_secs(1));
        assert_eq!(waits[1], Duration::from_secs(2));
        assert_eq!(waits[2], Duration::from_secs(4));
        assert!(waits.iter().all(|wait| *wait <= MAX_RETRY));
        assert_eq!(waits[7], MAX_RETRY);
        assert_eq!(
            feed.connected(now),
            vec![
                FeedAction::ReloadOwn,
                FeedAction::ReloadQueues,
                FeedAction::FetchMissed,
                FeedAction::ReloadParked,
                FeedAction::ReloadVoicemail,
            ]
        );
        assert_eq!(feed.poll(now), Some(FeedAction::ReloadDirectory));
        assert_eq!(
            feed.disconnected(now) - now,
            Duration::from_secs(1),
            "a good connection resets the pause"
        );
    }
}
