//! Plain data types shared by the store, the client API and the SIP side.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A directory entry as the client API returns it (contract: see docs/briefs contracts).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DirectoryEntry {
    /// Stable numeric id as a string.
    pub id: String,
    pub username: String,
    pub name: String,
    pub title: String,
    pub department: String,
    pub email: String,
    pub mobile: Option<String>,
    pub direct: Option<String>,
    pub short_number: Option<String>,
    pub keywords: Vec<String>,
    pub activity: ActivityStatus,
    /// On a call now (ringing, talking, or waiting in a queue), as the switch last published.
    #[serde(default)]
    pub on_call: bool,
}

/// A number the switch itself answers (the voicemail menu, decision 0509, and the echo test),
/// listed for the app's search next to the directory's people.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ServiceNumber {
    /// Stable id, e.g. `voicemail`.
    pub id: String,
    /// What to dial.
    pub number: String,
    /// Swedish name, e.g. "Röstbrevlåda".
    pub name_sv: String,
    /// English name, e.g. "Voicemail".
    pub name_en: String,
    /// Extra search words.
    pub keywords: Vec<String>,
}

impl ServiceNumber {
    /// The voicemail menu's entry.
    pub fn voicemail(number: &str) -> ServiceNumber {
        ServiceNumber {
            id: "voicemail".into(),
            number: number.into(),
            name_sv: "Röstbrevlåda".into(),
            name_en: "Voicemail".into(),
            keywords: vec![
                "voicemail".into(),
                "röstbrevlåda".into(),
                "meddelanden".into(),
            ],
        }
    }

    /// The echo test: what a new user calls to hear their own voice, so the app can suggest it.
    pub fn echo_test(number: &str) -> ServiceNumber {
        ServiceNumber {
            id: "echo".into(),
            number: number.into(),
            name_sv: "Ljudtest".into(),
            name_en: "Echo test".into(),
            keywords: vec![
                "ljudtest".into(),
                "eko".into(),
                "echo".into(),
                "test".into(),
            ],
        }
    }
}

/// A user's current activity, resolved against the configured activity list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ActivityStatus {
    pub id: String,
    pub label: String,
    pub color: String,
    pub reachable: bool,
    /// RFC 3339 UTC end time, when set.
    pub until: Option<String>,
    pub note: Option<String>,
}

/// User fields without credentials.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub title: String,
    pub department: String,
    pub email: String,
    pub mobile: Option<String>,
    pub direct: Option<String>,
    pub short_number: Option<String>,
    pub keywords: Vec<String>,
}

/// The stored activity choice of one user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityChoice {
    pub activity_id: String,
    /// Unix seconds.
    pub until: Option<i64>,
    pub note: Option<String>,
}

/// Contact categories.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Favourite,
    Contact,
    Vip,
    Blocked,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Favourite => "favourite",
            ContactKind::Contact => "contact",
            ContactKind::Vip => "vip",
            ContactKind::Blocked => "blocked",
        }
    }

    pub fn parse(s: &str) -> Option<ContactKind> {
        Some(match s {
            "favourite" => ContactKind::Favourite,
            "contact" => ContactKind::Contact,
            "vip" => ContactKind::Vip,
            "blocked" => ContactKind::Blocked,
            _ => return None,
        })
    }
}

/// A shared (owner = none) or personal contact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Contact {
    pub id: i64,
    /// True when every user sees it.
    pub shared: bool,
    pub kind: ContactKind,
    pub name: String,
    pub number: String,
    pub note: Option<String>,
}

/// A call to the user that was not answered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct MissedCall {
    pub id: i64,
    /// Who called (user name or number).
    pub caller: String,
    /// RFC 3339 time of the call.
    pub at: String,
}

/// A voicemail message; its audio is at `/api/v1/voicemails/{id}/audio`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Voicemail {
    pub id: i64,
    pub caller: String,
    /// RFC 3339 time the message was left.
    pub created_at: String,
    pub duration_ms: i64,
    pub heard: bool,
}

/// User names: what is stored, and the one way a typed name becomes it.
pub use crate::username::{normalise_username, valid_username, UsernameError};

/// Reduces a dialled or stored number to `+` and digits so "+46 70-123 40 01" matches
/// "+46701234001". Swedish national format (leading 0) is not rewritten here: routing tries
/// both forms.
pub fn normalize_number(s: &str) -> String {
    let trimmed = s.trim();
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && i == 0) || c == '*' || c == '#' {
            out.push(c);
        }
    }
    if let Some(rest) = out.strip_prefix("00") {
        return format!("+{rest}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalise() {
        assert_eq!(normalize_number("+46 70-123 40 01"), "+46701234001");
        assert_eq!(normalize_number("0046701234001"), "+46701234001");
        assert_eq!(normalize_number(" 1001 "), "1001");
        assert_eq!(normalize_number("12+3"), "123");
        assert_eq!(normalize_number("*43"), "*43");
    }

    #[test]
    fn contact_kind_roundtrip() {
        for k in [
            ContactKind::Favourite,
            ContactKind::Contact,
            ContactKind::Vip,
            ContactKind::Blocked,
        ] {
            assert_eq!(ContactKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ContactKind::parse("friend"), None);
    }
}

/// Where a call the switch holds for a user stands.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeldState {
    /// Waiting in the owner's personal queue with hold audio (parked, or camped on the owner).
    #[default]
    Parked,
    /// Transferred by the owner and ringing `target`; it comes back to the owner unanswered.
    Ringing,
    /// A transfer was not answered (or the target was busy): back with the owner, waiting.
    Recalled,
}

/// A call the switch holds for a user: parked or camped in their personal queue, or blindly
/// transferred by them and not yet answered, as API clients see it (`GET /api/v1/parked`,
/// `parked_changed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ParkedCall {
    /// The switch's id for it (what `POST /api/v1/parked/{id}/pickup` takes).
    pub id: String,
    /// Whose personal queue it waits in: user name and display name.
    pub owner: String,
    pub owner_name: String,
    /// The waiting caller: number or user name, and a name when the switch knows one.
    pub caller: String,
    pub caller_name: Option<String>,
    /// Unix seconds it was parked.
    pub since: i64,
    #[serde(default)]
    pub state: HeldState,
    /// Who put it there (parked, camped or transferred it), when the switch knows.
    #[serde(default)]
    pub by: Option<String>,
    /// The user a transfer rings (state `ringing`): user name and display name.
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub target_name: Option<String>,
}

/// The parked calls and whether the asking user may pick up colleagues' ones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ParkedList {
    pub may_pick_up: bool,
    /// What a phone transfers a call to, followed by the user's number or name, to park it
    /// in that user's personal queue (e.g. `*6`).
    pub park_code: String,
    /// Most calls one personal queue holds.
    pub limit: u32,
    pub calls: Vec<ParkedCall>,
}

/// A call queue's counters as API clients see them (`GET /api/v1/queues`, `queue_changed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct QueueStatus {
    pub id: String,
    pub number: String,
    pub name: String,
    /// Users who may log in to the queue (its configured members).
    pub members: Vec<String>,
    /// Callers waiting for an agent (answered by the switch, hearing hold music).
    pub waiting: u32,
    /// How long the longest-waiting caller has waited, in seconds.
    pub longest_wait_secs: u64,
    /// Unix time the longest-waiting caller arrived (lets clients count up themselves).
    pub oldest_waiting_since: Option<i64>,
    /// Members currently logged in to the queue.
    pub logged_in: Vec<String>,
    pub agents_logged_in: u32,
    /// Logged-in agents who could take a call now (registered, reachable, not on a call).
    pub agents_free: u32,
    /// Calls an agent answered today (UTC).
    pub answered_today: u32,
    /// Callers who hung up while waiting today (UTC).
    pub abandoned_today: u32,
}
