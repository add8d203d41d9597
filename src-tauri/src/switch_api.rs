//! A small typed client for the Koppla Växel client API (`crates/vaxel/openapi.json`): login,
//! the configured activities, my activity, call queues, and where the live event stream is.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::errors::UiError;

mod mailbox;
pub use mailbox::{GreetingInfo, VoicemailNotify, VoicemailNotifyInput};

/// The switch's own wire types, not copies of them.
pub use koppla_vaxel::model::{
    HeldState, MissedCall, ParkedCall, ParkedList, ServiceNumber, Voicemail,
};

const TIMEOUT: Duration = Duration::from_secs(10);
/// A directory of a large company is a few MB; anything far beyond is a broken server.
const MAX_DIRECTORY: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SwitchApiError {
    #[error("the switch address must use https:// (plain http only on 127.0.0.1): {0}")]
    InsecureAddress(String),
    #[error("cannot reach the switch: {0}")]
    Network(#[source] reqwest::Error),
    #[error("wrong user name or password")]
    BadLogin,
    #[error("the switch no longer accepts this login")]
    Unauthorized,
    #[error("the switch refused: {0}")]
    Rejected(String),
    #[error("not a member of queue {0}")]
    NotQueueMember(String),
    #[error("the switch has no queue {0}")]
    UnknownQueue(String),
    #[error("you may not pick up colleagues' parked calls")]
    PickupNotAllowed,
    #[error("the parked call {0} is no longer waiting")]
    ParkedGone(String),
    #[error("none of your devices is registered to take the call")]
    NoDeviceForPickup,
    #[error("no call is ringing for {0}")]
    NothingRinging(String),
    #[error("the voicemail message {0} is no longer there")]
    VoicemailGone(i64),
    #[error("there is no such greeting")]
    GreetingMissing,
    #[error("voicemail is not switched on on this switch")]
    VoicemailOff,
    #[error("the switch answered HTTP {0}")]
    Status(u16),
    #[error("the switch's answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("unexpected answer from the switch: {0}")]
    Decode(String),
}

impl From<SwitchApiError> for UiError {
    fn from(err: SwitchApiError) -> UiError {
        let code = match &err {
            SwitchApiError::InsecureAddress(_) => "invalid_server",
            SwitchApiError::Network(_) => "network",
            SwitchApiError::BadLogin => "wrong_password",
            SwitchApiError::Unauthorized => "session_expired",
            SwitchApiError::Rejected(_) => "rejected",
            SwitchApiError::NotQueueMember(_) => "not_queue_member",
            SwitchApiError::UnknownQueue(_) => "unknown_queue",
            SwitchApiError::PickupNotAllowed => "pickup_not_allowed",
            SwitchApiError::ParkedGone(_) => "parked_gone",
            SwitchApiError::NoDeviceForPickup => "call_failed",
            SwitchApiError::NothingRinging(_) => "nothing_ringing",
            SwitchApiError::VoicemailGone(_) => "voicemail_gone",
            SwitchApiError::GreetingMissing => "greeting_missing",
            SwitchApiError::VoicemailOff => "voicemail_off",
            SwitchApiError::Status(_) | SwitchApiError::TooLarge(_) | SwitchApiError::Decode(_) => {
                "switch"
            }
        };
        UiError::new(code, err)
    }
}

/// A user's activity as the switch reports it (`ActivityStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub label: String,
    pub color: String,
    pub reachable: bool,
    /// RFC 3339 UTC.
    pub until: Option<String>,
    pub note: Option<String>,
}

/// One entry of the configured activity list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivityOption {
    pub id: String,
    pub label: String,
    pub label_sv: Option<String>,
    pub color: String,
    pub reachable: bool,
}

/// The parts of my directory entry the app uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Me {
    pub username: String,
    #[serde(default)]
    pub name: String,
    pub activity: Activity,
}

/// A call queue's counters (`QueueStatus`), from the list or a `queue_changed` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QueueStatus {
    pub id: String,
    pub number: String,
    pub name: String,
    /// Users who may log in; empty from a switch that does not say (everyone may try).
    #[serde(default)]
    pub members: Vec<String>,
    pub waiting: u32,
    pub longest_wait_secs: u64,
    /// Unix seconds the longest-waiting caller arrived; lets the UI count up by itself.
    pub oldest_waiting_since: Option<i64>,
    /// User names of the members logged in now.
    pub logged_in: Vec<String>,
    pub agents_logged_in: u32,
    pub agents_free: u32,
    pub answered_today: u32,
    pub abandoned_today: u32,
}

#[derive(Deserialize)]
struct LoginResponse {
    token: String,
    user: Me,
}

#[derive(Serialize)]
struct SetActivity<'a> {
    id: &'a str,
    until: Option<&'a str>,
    note: Option<&'a str>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// A logged-in connection to one switch. Cheap to clone (the HTTP client is shared).
#[derive(Clone)]
pub struct SwitchClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for SwitchClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("SwitchClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Tokens and passwords travel in the clear over plain HTTP, so only the built-in switch on
/// this computer may use it.
fn checked_base(base: &str) -> Result<String, SwitchApiError> {
    let base = base.trim().trim_end_matches('/');
    if base.starts_with("https://") {
        return Ok(base.to_string());
    }
    let host = base
        .strip_prefix("http://")
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .map(|host| host.rsplit_once(':').map_or(host, |(h, _)| h));
    match host {
        Some("127.0.0.1" | "localhost" | "[::1]") => Ok(base.to_string()),
        _ => Err(SwitchApiError::InsecureAddress(base.to_string())),
    }
}

pub(crate) async fn checked(
    response: reqwest::Response,
) -> Result<reqwest::Response, SwitchApiError> {
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(response),
        401 | 403 => Err(SwitchApiError::Unauthorized),
        400 => {
            let body: Option<ErrorBody> = response.json().await.ok();
            Err(SwitchApiError::Rejected(
                body.map_or_else(|| "bad request".to_string(), |b| b.error),
            ))
        }
        _ => Err(SwitchApiError::Status(status)),
    }
}

/// The whole body, refused as soon as it grows past `limit` (a broken or hostile server must not
/// fill the memory).
pub(crate) async fn bounded_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, SwitchApiError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(SwitchApiError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(SwitchApiError::Network)? {
        if body.len() + chunk.len() > limit {
            return Err(SwitchApiError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, SwitchApiError> {
    response
        .json()
        .await
        .map_err(|err| SwitchApiError::Decode(err.to_string()))
}

impl SwitchClient {
    /// `POST /api/v1/login`; the answer carries the token and my directory entry.
    pub async fn login(
        base: &str,
        username: &str,
        password: &str,
    ) -> Result<(SwitchClient, Me), SwitchApiError> {
        let base = checked_base(base)?;
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(SwitchApiError::Network)?;
        let response = http
            .post(format!("{base}/api/v1/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(SwitchApiError::BadLogin);
        }
        let login: LoginResponse = decode(checked(response).await?).await?;
        let client = SwitchClient {
            base,
            token: login.token,
            http,
        };
        Ok((client, login.user))
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn me(&self) -> Result<Me, SwitchApiError> {
        self.get("me").await
    }

    pub async fn activities(&self) -> Result<Vec<ActivityOption>, SwitchApiError> {
        self.get("activities").await
    }

    /// `until` is RFC 3339; the switch checks it and the note and says why it refuses.
    pub async fn set_activity(
        &self,
        id: &str,
        until: Option<&str>,
        note: Option<&str>,
    ) -> Result<Activity, SwitchApiError> {
        let response = self
            .http
            .put(format!("{}/api/v1/me/activity", self.base))
            .bearer_auth(&self.token)
            .json(&SetActivity { id, until, note })
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        decode(checked(response).await?).await
    }

    pub async fn queues(&self) -> Result<Vec<QueueStatus>, SwitchApiError> {
        self.get("queues").await
    }

    /// Calls to me the switch could not put through (newest first), for the history.
    pub async fn missed_calls(&self) -> Result<Vec<MissedCall>, SwitchApiError> {
        self.get("me/missed-calls").await
    }

    /// Logs me in to or out of a queue; the switch refuses (403) when I am not a member.
    pub async fn queue_login(&self, id: &str, login: bool) -> Result<QueueStatus, SwitchApiError> {
        let response = self
            .http
            .post(self.queue_url(id, login)?)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        match response.status().as_u16() {
            403 => Err(SwitchApiError::NotQueueMember(id.to_string())),
            404 => Err(SwitchApiError::UnknownQueue(id.to_string())),
            _ => decode(checked(response).await?).await,
        }
    }

    /// `GET /api/v1/directory` as sent: the search reads its entries, and who is on a call.
    pub async fn directory(&self) -> Result<Vec<u8>, SwitchApiError> {
        let response = self
            .http
            .get(format!("{}/api/v1/directory", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        bounded_body(checked(response).await?, MAX_DIRECTORY).await
    }

    /// Every parked call, and whether I may pick up colleagues' ones.
    pub async fn parked(&self) -> Result<ParkedList, SwitchApiError> {
        self.get("parked").await
    }

    /// Asks the switch to ring my devices with a parked call (they answer by themselves).
    pub async fn pick_up_parked(&self, id: &str) -> Result<ParkedCall, SwitchApiError> {
        let response = self
            .pickup(&["parked", id, "pickup"], || {
                SwitchApiError::ParkedGone(id.to_string())
            })
            .await?;
        decode(response).await
    }

    /// Asks the switch to ring my devices with the call ringing `colleague` (user name or
    /// number); they answer by themselves and the colleague's phones stop.
    pub async fn pick_up_ringing(&self, colleague: &str) -> Result<(), SwitchApiError> {
        self.pickup(&["ringing", colleague, "pickup"], || {
            SwitchApiError::NothingRinging(colleague.to_string())
        })
        .await
        .map(|_| ())
    }

    /// POSTs a pickup request; the switch's refusals become their errors (`gone` for 404).
    async fn pickup(
        &self,
        segments: &[&str],
        gone: impl FnOnce() -> SwitchApiError,
    ) -> Result<reqwest::Response, SwitchApiError> {
        let response = self
            .http
            .post(self.api_url(segments)?)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        match response.status().as_u16() {
            403 => Err(SwitchApiError::PickupNotAllowed),
            404 => Err(gone()),
            409 => Err(SwitchApiError::NoDeviceForPickup),
            _ => checked(response).await,
        }
    }

    /// The id comes from the switch but still goes through URL escaping: a `/` or `?` in it
    /// must not reach another endpoint.
    fn queue_url(&self, id: &str, login: bool) -> Result<reqwest::Url, SwitchApiError> {
        self.api_url(&["queues", id, if login { "login" } else { "logout" }])
    }

    /// `<base>/api/v1/<segments>`, each segment escaped.
    pub(crate) fn api_url(&self, segments: &[&str]) -> Result<reqwest::Url, SwitchApiError> {
        let mut url = reqwest::Url::parse(&self.base)
            .map_err(|err| SwitchApiError::InsecureAddress(format!("{}: {err}", self.base)))?;
        url.path_segments_mut()
            .map_err(|()| SwitchApiError::InsecureAddress(self.base.clone()))?
            .pop_if_empty()
            .extend(["api", "v1"])
            .extend(segments);
        Ok(url)
    }

    /// Ends the token's session on the switch.
    pub async fn logout(&self) -> Result<(), SwitchApiError> {
        let response = self
            .http
            .post(format!("{}/api/v1/logout", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        checked(response).await.map(|_| ())
    }

    /// The WebSocket address of the event stream. The token goes in the query because the
    /// switch's stream takes it there (browsers cannot set headers on WebSockets).
    pub fn events_url(&self) -> String {
        let ws_base = match self.base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!(
                "ws://{}",
                self.base.strip_prefix("http://").unwrap_or(&self.base)
            ),
        };
        format!("{ws_base}/api/v1/events?token={}", self.token)
    }

    pub(crate) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, SwitchApiError> {
        let response = self
            .http
            .get(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        decode(checked(response).await?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_computer() {
        assert_eq!(
            checked_base("http://127.0.0.1:8080/").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert!(checked_base("https://vaxel.example.se").is_ok());
        assert!(matches!(
            checked_base("http://vaxel.example.se"),
            Err(SwitchApiError::InsecureAddress(_))
        ));
        assert!(matches!(
            checked_base("http://127.0.0.1.evil.example:80"),
            Err(SwitchApiError::InsecureAddress(_))
        ));
    }

    #[test]
    fn event_stream_address_follows_the_scheme() {
        let client = |base: &str| SwitchClient {
            base: base.into(),
            token: "abc".into(),
            http: reqwest::Client::new(),
        };
        assert_eq!(
            client("https://vaxel.example.se").events_url(),
            "wss://vaxel.example.se/api/v1/events?token=abc"
        );
        assert_eq!(
            client("http://127.0.0.1:4000").events_url(),
            "ws://127.0.0.1:4000/api/v1/events?token=abc"
        );
    }

    #[test]
    fn queue_ids_cannot_leave_their_path() {
        let client = SwitchClient {
            base: "https://vaxel.example.se/växel".into(),
            token: "abc".into(),
            http: reqwest::Client::new(),
        };
        let url = client.queue_url("support", true).map(String::from);
        assert_eq!(
            url.ok().as_deref(),
            Some("https://vaxel.example.se/v%C3%A4xel/api/v1/queues/support/login")
        );
        let url = client.queue_url("../me?x=1", false).map(String::from);
        assert_eq!(
            url.ok().as_deref(),
            Some("https://vaxel.example.se/v%C3%A4xel/api/v1/queues/..%2Fme%3Fx=1/logout")
        );
    }

    #[test]
    fn errors_have_codes_the_ui_translates() {
        assert_eq!(
            UiError::from(SwitchApiError::NothingRinging("202".into())).code,
            "nothing_ringing"
        );
        assert_eq!(
            UiError::from(SwitchApiError::BadLogin).code,
            "wrong_password"
        );
        assert_eq!(
            UiError::from(SwitchApiError::Unauthorized).code,
            "session_expired"
        );
        let refused = UiError::from(SwitchApiError::Rejected("end time is in the past".into()));
        assert_eq!(refused.code, "rejected");
        assert!(refused.message.contains("end time is in the past"));
    }
}
