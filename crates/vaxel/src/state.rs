//! State shared by the client API and the SIP side: storage, activity list, event bus, clock.

use crate::activity::{unix_now, Activities};
use crate::events::Event;
use crate::model::{ActivityChoice, ActivityStatus, DirectoryEntry, UserRecord};
use crate::model::{ParkedCall, QueueStatus};
use crate::sip::{ParkError, ParkPolicy, PickupError, QueueError};
use crate::sms::SmsLogin;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};

/// A queue login or logout for the SIP side, which owns queue state.
#[derive(Debug)]
pub struct QueueCommand {
    pub queue: String,
    pub user: String,
    pub login: bool,
    pub reply: oneshot::Sender<Result<QueueStatus, QueueError>>,
}

/// The API's view of the call queues: the counters as last published by the SIP side, and
/// the way to send it logins.
pub struct QueueBoard {
    pub statuses: std::sync::RwLock<Vec<QueueStatus>>,
    pub commands: mpsc::Sender<QueueCommand>,
}

impl QueueBoard {
    pub fn new(commands: mpsc::Sender<QueueCommand>) -> QueueBoard {
        QueueBoard {
            statuses: std::sync::RwLock::new(Vec::new()),
            commands,
        }
    }

    /// Replaces (or adds) one queue's counters; true when what the store keeps (logins,
    /// answered and abandoned counts) changed.
    pub fn update(&self, status: QueueStatus) -> bool {
        let Ok(mut list) = self.statuses.write() else {
            return false;
        };
        match list.iter_mut().find(|s| s.id == status.id) {
            Some(s) => {
                let changed = s.logged_in != status.logged_in
                    || s.members != status.members
                    || s.answered_today != status.answered_today
                    || s.abandoned_today != status.abandoned_today;
                *s = status;
                changed
            }
            None => {
                list.push(status);
                true
            }
        }
    }

    pub fn snapshot(&self) -> Vec<QueueStatus> {
        self.statuses.read().map(|l| l.clone()).unwrap_or_default()
    }
}

/// A pickup for the SIP side, which owns the personal queues and the ringing calls.
#[derive(Debug)]
pub enum ParkCommand {
    /// `user` takes held call `id` (parked, camped, recalled or a ringing transfer).
    Parked {
        id: String,
        user: String,
        reply: oneshot::Sender<Result<ParkedCall, ParkError>>,
    },
    /// `user` takes the call ringing colleague `colleague` (user name, number or name).
    Ringing {
        colleague: String,
        user: String,
        reply: oneshot::Sender<Result<(), PickupError>>,
    },
}

/// The API's view of the parked calls: the list as last published by the SIP side, who may
/// pick up colleagues' calls, and the way to ask for a pickup.
pub struct ParkBoard {
    pub calls: std::sync::RwLock<Vec<ParkedCall>>,
    pub policy: ParkPolicy,
    pub commands: mpsc::Sender<ParkCommand>,
}

impl ParkBoard {
    pub fn new(policy: ParkPolicy, commands: mpsc::Sender<ParkCommand>) -> ParkBoard {
        ParkBoard {
            calls: std::sync::RwLock::new(Vec::new()),
            policy,
            commands,
        }
    }

    pub fn replace(&self, calls: Vec<ParkedCall>) {
        if let Ok(mut list) = self.calls.write() {
            *list = calls;
        }
    }

    pub fn snapshot(&self) -> Vec<ParkedCall> {
        self.calls.read().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The API's view of who is on a call, as last published by the SIP side.
#[derive(Default)]
pub struct OnCallBoard {
    users: std::sync::RwLock<std::collections::HashSet<String>>,
}

impl OnCallBoard {
    pub fn set(&self, username: &str, on_call: bool) {
        if let Ok(mut users) = self.users.write() {
            if on_call {
                users.insert(username.to_string());
            } else {
                users.remove(username);
            }
        }
    }

    pub fn contains(&self, username: &str) -> bool {
        self.users.read().is_ok_and(|u| u.contains(username))
    }
}

/// What the client API asks of the SIP side, one channel per feature.
pub struct ApiCommands {
    pub queue: mpsc::Receiver<QueueCommand>,
    pub park: mpsc::Receiver<ParkCommand>,
}

/// Why a user could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user name {typed:?}: {reason}")]
    BadUsername {
        typed: String,
        reason: crate::model::UsernameError,
    },
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Wall-clock source in unix seconds, replaceable in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> i64 {
        unix_now()
    }
}

/// A settable clock for tests.
#[derive(Default)]
pub struct ManualClock(pub std::sync::atomic::AtomicI64);
impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub struct Shared {
    pub store: Store,
    pub activities: Activities,
    pub events: broadcast::Sender<Event>,
    pub sms: SmsLogin,
    pub clock: Arc<dyn Clock>,
    pub token_ttl_secs: i64,
    pub realm: String,
    pub queues: QueueBoard,
    pub parked: ParkBoard,
    pub on_call: OnCallBoard,
    /// Where voicemail and personal greetings are kept (none: no voicemail).
    pub voicemail_dir: Option<std::path::PathBuf>,
    /// Numbers the switch answers itself, for the app's search (decision 0509).
    pub services: Vec<crate::model::ServiceNumber>,
    /// Whether e-mail is configured, and the outbox worker's wake-up (decision 0510).
    pub mail: crate::mail::Mailer,
}

pub type AppState = Arc<Shared>;

pub fn entry(
    activities: &Activities,
    u: &UserRecord,
    choice: &ActivityChoice,
    now: i64,
    on_call: bool,
) -> DirectoryEntry {
    DirectoryEntry {
        id: u.id.to_string(),
        username: u.username.clone(),
        name: u.name.clone(),
        title: u.title.clone(),
        department: u.department.clone(),
        email: u.email.clone(),
        mobile: u.mobile.clone(),
        direct: u.direct.clone(),
        short_number: u.short_number.clone(),
        keywords: u.keywords.clone(),
        activity: activities.status(choice, now),
        on_call,
    }
}

impl Shared {
    pub async fn directory(&self) -> Result<Vec<DirectoryEntry>, StoreError> {
        let now = self.clock.now();
        Ok(self
            .store
            .users()
            .await?
            .iter()
            .map(|(u, _, a)| {
                let on_call = self.on_call.contains(&u.username);
                entry(&self.activities, u, a, now, on_call)
            })
            .collect())
    }

    pub async fn entry_for(&self, user_id: i64) -> Result<Option<DirectoryEntry>, StoreError> {
        let now = self.clock.now();
        Ok(self.store.user_by_id(user_id).await?.map(|(u, _, a)| {
            let on_call = self.on_call.contains(&u.username);
            entry(&self.activities, &u, &a, now, on_call)
        }))
    }

    /// Stores a new activity and tells every API client and SIP watcher.
    pub async fn set_activity(
        &self,
        user_id: i64,
        choice: &ActivityChoice,
    ) -> Result<Option<ActivityStatus>, StoreError> {
        let Some((u, _, _)) = self.store.user_by_id(user_id).await? else {
            return Ok(None);
        };
        self.store.set_activity(user_id, choice).await?;
        let status = self.activities.status(choice, self.clock.now());
        // No receivers is normal (nobody connected), so the send result is irrelevant.
        let _ = self.events.send(Event::ActivityChanged {
            username: u.username,
            activity: status.clone(),
        });
        Ok(Some(status))
    }

    /// Creates or updates a user (and, with a password, their credentials), then tells the SIP
    /// side and API clients. Argon2 runs on a blocking thread. The user name may be written as
    /// typed ("Anna Öberg"): it is stored normalised (anna.oberg), the display name as given.
    pub async fn upsert_user(
        &self,
        u: &UserRecord,
        password: Option<String>,
    ) -> Result<i64, UserError> {
        let username = crate::model::normalise_username(&u.username).map_err(|reason| {
            UserError::BadUsername {
                typed: u.username.clone(),
                reason,
            }
        })?;
        let u = &UserRecord {
            username,
            ..u.clone()
        };
        let creds = match password {
            Some(pw) => {
                let (user, realm) = (u.username.clone(), self.realm.clone());
                Some(
                    tokio::task::spawn_blocking(move || {
                        crate::credentials::hash_password(&user, &realm, &pw)
                    })
                    .await
                    .map_err(|e| UserError::Hash(e.to_string()))?
                    .map_err(|e| UserError::Hash(e.to_string()))?,
                )
            }
            None => None,
        };
        let id = self.store.upsert_user(u, creds.as_ref()).await?;
        self.publish(Event::DirectoryChanged {
            username: u.username.clone(),
        });
        Ok(id)
    }

    pub fn publish(&self, e: Event) {
        let _ = self.events.send(e);
    }

    /// Publishes a user's current voicemail counters (the SIP side turns it into MWI NOTIFYs).
    pub async fn publish_mwi(&self, user_id: i64, username: &str) -> Result<(), StoreError> {
        let (new_messages, old_messages) = self.store.voicemail_counts(user_id).await?;
        self.publish(Event::Mwi {
            username: username.to_string(),
            new_messages,
            old_messages,
        });
        Ok(())
    }
}
