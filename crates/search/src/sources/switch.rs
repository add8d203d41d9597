//! Colleagues from the Koppla Växel switch directory (`GET /api/v1/directory`, Bearer token).

use std::time::Duration;

use serde::Deserialize;

use crate::entry::{LabeledNumber, Presence, SearchEntry, SourceKind};
use crate::source::{ContactSource, LoadFuture, SourceError};

/// A directory of a large company is a few MB; anything far beyond is a broken server.
const MAX_BODY: usize = 32 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(i64),
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Activity {
    label: Option<String>,
    color: Option<String>,
    reachable: Option<bool>,
    until: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
struct DirectoryUser {
    id: Id,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    mobile: Option<String>,
    #[serde(default)]
    direct: Option<String>,
    #[serde(default)]
    short_number: Option<String>,
    #[serde(default)]
    keywords: Option<Vec<String>>,
    #[serde(default)]
    activity: Option<Activity>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl DirectoryUser {
    fn into_entry(self) -> Option<SearchEntry> {
        let id = match self.id {
            Id::Text(s) => s,
            Id::Number(n) => n.to_string(),
        };
        let username = non_empty(self.username);
        let name = non_empty(self.name).or_else(|| username.clone())?;
        // Extension first: calling a colleague through the switch is the usual case.
        let numbers = [
            ("extension", self.short_number),
            ("direct", self.direct),
            ("mobile", self.mobile),
        ]
        .into_iter()
        .filter_map(|(label, n)| non_empty(n).map(|n| LabeledNumber::new(label, n)))
        .collect();
        let mut keywords: Vec<String> = self
            .keywords
            .unwrap_or_default()
            .into_iter()
            .filter(|k| !k.trim().is_empty())
            .collect();
        keywords.extend(username);
        Some(SearchEntry {
            id: format!("switch:{id}"),
            source: SourceKind::Colleague,
            name,
            company: String::new(),
            title: non_empty(self.title).unwrap_or_default(),
            department: non_empty(self.department).unwrap_or_default(),
            emails: non_empty(self.email).into_iter().collect(),
            numbers,
            keywords,
            kind: Default::default(),
            presence: self.activity.map(|a| Presence {
                label: a.label.unwrap_or_default(),
                color: a.color,
                reachable: a.reachable.unwrap_or(true),
                until: a.until,
                note: a.note,
            }),
        })
    }
}

/// Parses a directory response body. Users without any name are skipped; other missing fields
/// are treated as empty. Public so the fuzz target can drive it.
pub fn parse_directory(body: &[u8]) -> Result<Vec<SearchEntry>, SourceError> {
    let users: Vec<DirectoryUser> =
        serde_json::from_slice(body).map_err(|e| SourceError::Parse(e.to_string()))?;
    Ok(users
        .into_iter()
        .filter_map(DirectoryUser::into_entry)
        .collect())
}

/// Reads the switch directory over HTTPS (plain HTTP only to a loopback address).
pub struct SwitchDirectorySource {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for SwitchDirectorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("SwitchDirectorySource")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

pub(crate) fn is_loopback_http(base: &str) -> bool {
    let Some(rest) = base.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

impl SwitchDirectorySource {
    /// `base_url` is the switch's address, e.g. `https://vaxel.example.se`; `token` comes from
    /// `POST /api/v1/login`.
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Self, SourceError> {
        let base = base_url.trim().trim_end_matches('/');
        if !(base.starts_with("https://") || is_loopback_http(base)) {
            return Err(SourceError::Config(format!(
                "switch address must use https:// (plain http only on 127.0.0.1): {base}"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| SourceError::Config(e.to_string()))?;
        Ok(SwitchDirectorySource {
            url: format!("{base}/api/v1/directory"),
            token: token.into(),
            client,
        })
    }

    async fn fetch(&self) -> Result<Vec<SearchEntry>, SourceError> {
        let connect = |e: reqwest::Error| SourceError::Connect {
            url: self.url.clone(),
            detail: e.to_string(),
        };
        let mut resp = self
            .client
            .get(&self.url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(connect)?;
        match resp.status().as_u16() {
            200 => {}
            401 | 403 => return Err(SourceError::Unauthorized),
            status => {
                return Err(SourceError::Status {
                    url: self.url.clone(),
                    status,
                })
            }
        }
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(SourceError::TooLarge { limit: MAX_BODY });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(connect)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(SourceError::TooLarge { limit: MAX_BODY });
            }
            body.extend_from_slice(&chunk);
        }
        parse_directory(&body)
    }
}

impl ContactSource for SwitchDirectorySource {
    fn name(&self) -> &str {
        "Switch directory"
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests;
