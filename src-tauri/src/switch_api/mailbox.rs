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
            .http
            .get(self.api_url(&["voicemails", &id.to_string(), "audio"])?)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Err(SwitchApiError::VoicemailGone(id));
        }
        bounded_body(checked(response).await?, MAX_VOICEMAIL_AUDIO).await
    }

    /// Marks a message heard; the switch then sends new message-waiting counts.
    pub async fn voicemail_heard(&self, id: i64) -> Result<(), SwitchApiError> {
        let url = self.api_url(&["voicemails", &id.to_string(), "heard"])?;
        self.voicemail_change(self.http.post(url), id).await
    }

    /// Deletes a message and its audio on the switch.
    pub async fn voicemail_delete(&self, id: i64) -> Result<(), SwitchApiError> {
        let url = self.api_url(&["voicemails", &id.to_string()])?;
        self.voicemail_change(self.http.delete(url), id).await
    }

    async fn voicemail_change(
        &self,
        request: reqwest::RequestBuilder,
        id: i64,
    ) -> Result<(), SwitchApiError> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
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
            .http
            .put(self.api_url(&["me", "voicemail", "pin"])?)
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "pin": pin }))
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
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
            .http
            .get(self.api_url(&["me", "greetings", kind_segment(kind)])?)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
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
            .http
            .put(self.api_url(&["me", "greetings", kind_segment(kind)])?)
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "audio/wav")
            .body(wav)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
        match response.status().as_u16() {
            413 => Err(SwitchApiError::Rejected("the file is too large".into())),
            503 => Err(SwitchApiError::VoicemailOff),
            _ => decode(checked(response).await?).await,
        }
    }

    /// Deletes one of my greetings (callers then hear the next in line).
    pub async fn delete_greeting(&self, kind: GreetingKind) -> Result<(), SwitchApiError> {
        let response = self
            .http
            .delete(self.api_url(&["me", "greetings", kind_segment(kind)])?)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(SwitchApiError::Network)?;
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
            .http
            .put(self.api_url(&["me", "voicemail", "notify"])?)
            .bearer_auth(&self.token)
            .json(input)
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
