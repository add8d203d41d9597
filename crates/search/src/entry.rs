//! What the search box shows: one person or number from any source.

use serde::{Deserialize, Serialize};

/// Where an entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum SourceKind {
    /// A user of the company switch (switch directory).
    Colleague,
    /// A contact saved in Koppla's local store.
    #[default]
    Contact,
    /// An external address book (CardDAV, LDAP, Outlook, macOS Contacts), by its display name.
    AddressBook(String),
}

/// How the user classified the entry; drives ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    #[default]
    Normal,
    Favourite,
    Vip,
    /// Ranked after everything else and flagged in hits.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledNumber {
    pub label: String,
    pub number: String,
}

impl LabeledNumber {
    pub fn new(label: impl Into<String>, number: impl Into<String>) -> Self {
        LabeledNumber {
            label: label.into(),
            number: number.into(),
        }
    }
}

/// A colleague's current activity from the switch ("In a meeting until 14:00").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Presence {
    pub label: String,
    pub color: Option<String>,
    pub reachable: bool,
    pub until: Option<String>,
    pub note: Option<String>,
}

/// One searchable person. `id` is unique within the whole index by convention
/// `"<source prefix>:<source id>"` (e.g. `contact:12`, `switch:anna`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchEntry {
    pub id: String,
    pub source: SourceKind,
    pub name: String,
    pub company: String,
    pub title: String,
    pub department: String,
    pub emails: Vec<String>,
    pub numbers: Vec<LabeledNumber>,
    pub keywords: Vec<String>,
    pub kind: EntryKind,
    pub presence: Option<Presence>,
}
