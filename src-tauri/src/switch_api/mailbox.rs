//! My mailbox on the switch: voicemail messages, the PIN for dialling in from other phones,
//! my greetings and the e-mail notice of new messages (`crates/vaxel/openapi.json`).

use koppla_vaxel::greetings::GreetingKind;
use serde::{Deserialize, Serialize};

use super::{
    bounded_body, checked, decode, ServiceNumber, SwitchApiError, SwitchClient, Voicemail,
};

/// A voicemail message is 8 kHz 16-bit mono (16 kB/s); the switch caps messages at minutes,
/// so an hour's worth is far beyond any real one.
const MAX_VOICEMAIL_AUDIO: usize = 64 * 1024 * 1024;

/// One of my stored greetings (`GreetingInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GreetingInfo {
    pub kind: GreetingKind,
    /// None when the stored file cannot be read.
    pub duration_ms: Option<u64>,
}

/// My e-mail notice of new voicemail (`VoicemailNotify`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VoicemailNotify {
    pub enabled: bool,
    pub address: Option<String>,
    pub directory_email: String,
    pub sends_to: Option<String>,
    pub attach_audio: bool,
    pub mail_configured: bool,
}

/// A new e-mail notice setting (`VoicemailNotifyInput`); no address means the directory's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoicemailNotifyInput {
    pub enabled: bool,
    pub address: Option<String>,
    pub attach_audio: bool,
}

#[derive(Deserialize)]
struct PinStatus {
    set: bool,
}

fn kind_segment(kind: GreetingKind) -> &'static str {
    match kind {
        GreetingKind::Default => "default",
        GreetingKind::Busy => "busy",
        GreetingKind::NoAnswer => "no_answer",
    }
}

impl SwitchClient {
    /// `method` on `<base>/api/v1/<segments>` with my token; `with` adds a body.
    async fn send(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        with: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, SwitchApiError> {
        with(self.http.request(method, self.api_url(segments)?))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)
    }

    /// The numbers the switch answers itself (its voicemail menu); none from a switch that
    /// predates the list.
    pub async fn services(&self) -> Result<Vec<ServiceNumber>, SwitchApiError> {
        match self.get("services").await {
            Err(SwitchApiError::Status(404)) => Ok(Vec::new()),
            other => other,
        }
    }

    /// My voicemail messages, newest first.
    pub async fn voicemails(&self) -> Result<Vec<Voicemail>, SwitchApiError> {
        self.get("voicemails").await
    }

    /// One message's audio as the switch stores it (a WAV file).
    pub async fn voicemail_audio(&self, id: i64) -> Result<Vec<u8>, SwitchApiError> {
        let response = self
            .send(
                reqwest::Method::GET,
                &["voicemails", &id.to_string(), "audio"],
                |r| r,
            )
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(SwitchApiError::VoicemailGone(id));
        }
        bounded_body(checked(response).await?, MAX_VOICEMAIL_AUDIO).await
    }

    /// Marks a message heard; the switch then sends new message-waiting counts.
    pub async fn voicemail_heard(&self, id: i64) -> Result<(), SwitchApiError> {
        let id_text = id.to_string();
        let segments = ["voicemails", id_text.as_str(), "heard"];
        self.voicemail_change(reqwest::Method::POST, &segments, id)
            .await
    }

    /// Deletes a message and its audio on the switch.
    pub async fn voicemail_delete(&self, id: i64) -> Result<(), SwitchApiError> {
        let id_text = id.to_string();
        self.voicemail_change(reqwest::Method::DELETE, &["voicemails", &id_text], id)
            .await
    }

    async fn voicemail_change(
        &self,
        method: reqwest::Method,
        segments: &[&str],
        id: i64,
    ) -> Result<(), SwitchApiError> {
        let response = self.send(method, segments, |r| r).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(SwitchApiError::VoicemailGone(id));
        }
        checked(response).await.map(|_| ())
    }

    /// Whether my mailbox has a PIN.
    pub async fn voicemail_pin_set(&self) -> Result<bool, SwitchApiError> {
        Ok(self.get::<PinStatus>("me/voicemail/pin").await?.set)
    }

    /// Sets my PIN (4-10 digits; the switch says why it refuses one).
    pub async fn set_voicemail_pin(&self, pin: &str) -> Result<(), SwitchApiError> {
        let response = self
            .send(reqwest::Method::PUT, &["me", "voicemail", "pin"], |r| {
                r.json(&serde_json::json!({ "pin": pin }))
            })
            .await?;
        checked(response).await.map(|_| ())
    }

    /// Which of my greetings exist; none when voicemail is off on the switch.
    pub async fn greetings(&self) -> Result<Vec<GreetingInfo>, SwitchApiError> {
        match self.get("me/greetings").await {
            Err(SwitchApiError::Status(503)) => Err(SwitchApiError::VoicemailOff),
            other => other,
        }
    }

    /// One of my greetings as WAV.
    pub async fn greeting_audio(&self, kind: GreetingKind) -> Result<Vec<u8>, SwitchApiError> {
        let response = self
            .send(
                reqwest::Method::GET,
                &["me", "greetings", kind_segment(kind)],
                |r| r,
            )
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(SwitchApiError::GreetingMissing);
        }
        bounded_body(checked(response).await?, MAX_VOICEMAIL_AUDIO).await
    }

    /// Replaces one of my greetings with a WAV file (the switch converts and checks it).
    pub async fn upload_greeting(
        &self,
        kind: GreetingKind,
        wav: Vec<u8>,
    ) -> Result<GreetingInfo, SwitchApiError> {
        let response = self
            .send(
                reqwest::Method::PUT,
                &["me", "greetings", kind_segment(kind)],
                |r| {
                    r.header(reqwest::header::CONTENT_TYPE, "audio/wav")
                        .body(wav)
                },
            )
            .await?;
        match response.status().as_u16() {
            413 => Err(SwitchApiError::Rejected("the file is too large".into())),
            503 => Err(SwitchApiError::VoicemailOff),
            _ => decode(checked(response).await?).await,
        }
    }

    /// Deletes one of my greetings (callers then hear the next in line).
    pub async fn delete_greeting(&self, kind: GreetingKind) -> Result<(), SwitchApiError> {
        let response = self
            .send(
                reqwest::Method::DELETE,
                &["me", "greetings", kind_segment(kind)],
                |r| r,
            )
            .await?;
        match response.status().as_u16() {
            // Already gone: what the user wanted.
            404 => Ok(()),
            _ => checked(response).await.map(|_| ()),
        }
    }

    pub async fn voicemail_notify(&self) -> Result<VoicemailNotify, SwitchApiError> {
        self.get("me/voicemail/notify").await
    }

    pub async fn set_voicemail_notify(
        &self,
        input: &VoicemailNotifyInput,
    ) -> Result<VoicemailNotify, SwitchApiError> {
        let response = self
            .send(reqwest::Method::PUT, &["me", "voicemail", "notify"], |r| {
                r.json(input)
            })
            .await?;
        decode(checked(response).await?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_kinds_name_the_switchs_paths() {
        let client = SwitchClient {
            base: "https://vaxel.example.se".into(),
            token: "abc".into(),
            http: reqwest::Client::new(),
        };
        let url = client
            .api_url(&["me", "greetings", kind_segment(GreetingKind::NoAnswer)])
            .map(String::from);
        assert_eq!(
            url.ok().as_deref(),
            Some("https://vaxel.example.se/api/v1/me/greetings/no_answer")
        );
        let info: GreetingInfo =
            serde_json::from_str(r#"{"kind":"busy","duration_ms":4200}"#).unwrap();
        assert_eq!(info.kind, GreetingKind::Busy);
        assert_eq!(info.duration_ms, Some(4200));
    }
}
