//! Colleagues on a call, so search results can say so and offer camp-on on a colleague who is
//! on the phone (rather than one at lunch). The switch directory says who is on a call when it
//! is fetched (at login, and again whenever events may have been missed); `on_call_changed`
//! events keep it live in between.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use koppla_search::{ContactSource, LoadFuture, SearchEntry, SourceError};
use serde::Deserialize;

use crate::ipc_types::SearchResultsView;
use crate::switch_api::{SwitchApiError, SwitchClient};

/// Who of the switch's users is on a call, and which search entry is whose.
#[derive(Debug, Default)]
pub struct ColleaguesOnCall {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Search entry id (`switch:<id>`) -> user name.
    users: HashMap<String, String>,
    on_call: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(i64),
}

/// The parts of a directory entry this module reads.
#[derive(Deserialize)]
struct Row {
    id: Id,
    #[serde(default)]
    username: Option<String>,
    /// Missing from a switch that does not know: nobody is on a call then.
    #[serde(default)]
    on_call: bool,
}

impl ColleaguesOnCall {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Takes who is on a call from a fetched directory (`GET /api/v1/directory`).
    pub fn replace_from_directory(&self, body: &[u8]) {
        let rows: Vec<Row> = match serde_json::from_slice(body) {
            Ok(rows) => rows,
            Err(err) => {
                tracing::debug!(%err, "directory without readable on-call states");
                Vec::new()
            }
        };
        let mut users = HashMap::new();
        let mut on_call = HashSet::new();
        for row in rows {
            let Some(username) = row
                .username
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
            else {
                continue;
            };
            let id = match row.id {
                Id::Text(s) => s,
                Id::Number(n) => n.to_string(),
            };
            if row.on_call {
                on_call.insert(username.clone());
            }
            users.insert(format!("switch:{id}"), username);
        }
        self.with(|inner| *inner = Inner { users, on_call });
    }

    /// A colleague started or stopped being on a call; true when that changes anything.
    pub fn set(&self, username: &str, on_call: bool) -> bool {
        self.with(|inner| {
            if on_call {
                inner.on_call.insert(username.to_string())
            } else {
                inner.on_call.remove(username)
            }
        })
    }

    pub fn is_on_call(&self, username: &str) -> bool {
        self.with(|inner| inner.on_call.contains(username))
    }

    /// Marks the colleagues among `results` who are on a call.
    pub fn mark(&self, results: &mut SearchResultsView) {
        self.with(|inner| {
            for hit in results.hits.iter_mut() {
                let Some(presence) = hit.presence.as_mut() else {
                    continue;
                };
                presence.on_call = hit.source == "colleague"
                    && inner
                        .users
                        .get(&hit.entry_id)
                        .is_some_and(|user| inner.on_call.contains(user));
            }
        });
    }
}

/// The switch directory as a search source that also notes who is on a call: one fetch for
/// both, so the two always agree.
pub struct ColleagueSource {
    client: SwitchClient,
    on_call: Arc<ColleaguesOnCall>,
}

impl ColleagueSource {
    pub fn new(client: SwitchClient, on_call: Arc<ColleaguesOnCall>) -> ColleagueSource {
        ColleagueSource { client, on_call }
    }

    async fn fetch(&self) -> Result<Vec<SearchEntry>, SourceError> {
        let url = format!("{}/api/v1/directory", self.client.base());
        let body = self.client.directory().await.map_err(|err| match err {
            SwitchApiError::Unauthorized => SourceError::Unauthorized,
            SwitchApiError::Status(status) => SourceError::Status { url, status },
            SwitchApiError::TooLarge(limit) => SourceError::TooLarge { limit },
            other => SourceError::Connect {
                url,
                detail: other.to_string(),
            },
        })?;
        let entries = koppla_search::sources::parse_directory(&body)?;
        self.on_call.replace_from_directory(&body);
        Ok(entries)
    }
}

impl ContactSource for ColleagueSource {
    fn name(&self) -> &str {
        "Switch directory"
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc_types::{PresenceView, SearchHitView};

    fn hit(entry_id: &str, source: &str) -> SearchHitView {
        SearchHitView {
            entry_id: entry_id.into(),
            name: "Bo Ek".into(),
            subtitle: String::new(),
            source: source.into(),
            kind: "normal".into(),
            field: "name".into(),
            field_text: "Bo Ek".into(),
            spans: Vec::new(),
            number: Some("1002".into()),
            emails: Vec::new(),
            presence: Some(PresenceView {
                label: "Available".into(),
                color: Some("#2e7d32".into()),
                reachable: true,
                until: None,
                note: None,
                on_call: false,
            }),
        }
    }

    fn marked(board: &ColleaguesOnCall, hits: Vec<SearchHitView>) -> Vec<bool> {
        let mut results = SearchResultsView {
            query: "b".into(),
            total: u32::try_from(hits.len()).unwrap_or(0),
            hits,
        };
        board.mark(&mut results);
        results
            .hits
            .iter()
            .map(|h| h.presence.as_ref().is_some_and(|p| p.on_call))
            .collect()
    }

    /// As the switch serialises its directory (its own type, so the two cannot drift apart).
    fn directory(bo_on_call: bool) -> Vec<u8> {
        let entry = |id: &str, username: &str, on_call: bool| koppla_vaxel::model::DirectoryEntry {
            id: id.into(),
            username: username.into(),
            name: format!("{username} N"),
            title: String::new(),
            department: String::new(),
            email: String::new(),
            mobile: None,
            direct: None,
            short_number: None,
            keywords: Vec::new(),
            activity: koppla_vaxel::model::ActivityStatus {
                id: "available".into(),
                label: "Available".into(),
                color: "#2e7d32".into(),
                reachable: true,
                until: None,
                note: None,
            },
            on_call,
        };
        serde_json::to_vec(&[entry("7", "bo", bo_on_call), entry("8", "cia", false)])
            .expect("directory serialises")
    }

    #[test]
    fn the_directory_says_who_is_on_a_call_and_events_keep_it_live() {
        let board = ColleaguesOnCall::default();
        board.replace_from_directory(&directory(true));
        assert!(board.is_on_call("bo"));
        let hits = || {
            vec![
                hit("switch:7", "colleague"),
                hit("switch:8", "colleague"),
                hit("contact:7", "contact"),
            ]
        };
        assert_eq!(marked(&board, hits()), [true, false, false]);

        assert!(board.set("cia", true), "cia's phone rings");
        assert!(!board.set("cia", true), "nothing new");
        assert_eq!(marked(&board, hits()), [true, true, false]);
        assert!(board.set("bo", false));
        assert_eq!(marked(&board, hits()), [false, true, false]);

        // A fresh fetch (resync) replaces what the events said.
        board.replace_from_directory(&directory(false));
        assert_eq!(marked(&board, hits()), [false, false, false]);
    }

    #[test]
    fn an_older_switch_without_on_call_marks_nobody() {
        let board = ColleaguesOnCall::default();
        board.replace_from_directory(
            br#"[{"id": 7, "username": "bo", "name": "Bo"}, {"id": "8", "name": "No User"}]"#,
        );
        assert!(!board.is_on_call("bo"));
        board.set("bo", true);
        assert_eq!(marked(&board, vec![hit("switch:7", "colleague")]), [true]);
        board.replace_from_directory(b"not json");
        assert_eq!(marked(&board, vec![hit("switch:7", "colleague")]), [false]);
    }
}
