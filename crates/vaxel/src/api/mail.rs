//! The logged-in user's e-mail notice for new voicemail: on/off, address (default: the
//! directory e-mail), whether the WAV is attached, and the language of the mail.

use super::{ApiError, AuthUser, ErrorBody};
use crate::mail::{valid_address, Lang};
use crate::model::UserRecord;
use crate::state::AppState;
use crate::store::NotifySettings;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// My voicemail e-mail notice as stored, with what it depends on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct VoicemailNotify {
    pub enabled: bool,
    /// My own address; null means the directory e-mail.
    pub address: Option<String>,
    /// The directory e-mail (empty when the directory has none).
    pub directory_email: String,
    /// Where a notice would go now: `address`, else the directory e-mail; null when neither.
    pub sends_to: Option<String>,
    /// Attach the message as a WAV file.
    pub attach_audio: bool,
    /// Language of the mail, `sv` or `en` (until chosen: the user's language in the switch
    /// configuration, else Swedish).
    pub language: Lang,
    /// False when the switch has no `[mail]` section: nothing is sent whatever is set here.
    pub mail_configured: bool,
}

/// A new setting. An empty or missing `address` means the directory e-mail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailNotifyInput {
    pub enabled: bool,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default = "yes")]
    pub attach_audio: bool,
    /// Default: the user's language in the switch configuration (else Swedish).
    #[serde(default)]
    pub language: Option<Lang>,
}

fn yes() -> bool {
    true
}

async fn me(state: &AppState, user_id: i64) -> Result<UserRecord, ApiError> {
    Ok(state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .0)
}

fn view(state: &AppState, user: UserRecord, s: NotifySettings) -> VoicemailNotify {
    let sends_to = s
        .address
        .as_deref()
        .or(Some(user.email.as_str()))
        .and_then(valid_address)
        .map(|a| a.to_string());
    VoicemailNotify {
        enabled: s.enabled,
        address: s.address,
        directory_email: user.email,
        sends_to,
        attach_audio: s.attach_audio,
        language: s.language,
        mail_configured: state.mail.is_configured(),
    }
}

/// My e-mail notice for new voicemail.
#[utoipa::path(get, path = "/api/v1/me/voicemail/notify",
    responses((status = 200, body = VoicemailNotify)), security(("bearer" = [])))]
pub async fn get_notify(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<VoicemailNotify>, ApiError> {
    let user = me(&state, auth.user_id).await?;
    let s = match state.store.voicemail_notify(auth.user_id).await? {
        Some(s) => s,
        None => NotifySettings::off(state.mail.language_for(&user.username)),
    };
    Ok(Json(view(&state, user, s)))
}

/// Change my e-mail notice. 400 when the address is not an e-mail address, or when turning it
/// on with neither an address nor a directory e-mail.
#[utoipa::path(put, path = "/api/v1/me/voicemail/notify", request_body = VoicemailNotifyInput,
    responses((status = 200, body = VoicemailNotify), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_notify(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(input): Json<VoicemailNotifyInput>,
) -> Result<Json<VoicemailNotify>, ApiError> {
    let address = match input.address.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(
            valid_address(a)
                .ok_or_else(|| ApiError::BadRequest(format!("{a:?} is not an e-mail address")))?
                .to_string(),
        ),
    };
    let user = me(&state, auth.user_id).await?;
    let settings = NotifySettings {
        enabled: input.enabled,
        address,
        attach_audio: input.attach_audio,
        language: input
            .language
            .unwrap_or_else(|| state.mail.language_for(&user.username)),
    };
    let shown = view(&state, user, settings.clone());
    if shown.enabled && shown.sends_to.is_none() {
        return Err(ApiError::BadRequest(
            "no e-mail address: give one, or add one to your directory entry".into(),
        ));
    }
    state
        .store
        .set_voicemail_notify(auth.user_id, &settings)
        .await?;
    Ok(Json(shown))
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, UserConfig};
    use crate::mail::{MailConfig, Security};
    use crate::Vaxel;
    use serde_json::{json, Value};

    const PW: &str = "notify-secret";

    async fn start(mail: bool) -> (crate::VaxelHandle, String) {
        std::env::set_var("VAXEL_NOTIFY_API_PW", PW);
        let mut cfg = Config::ephemeral();
        if mail {
            cfg.mail = Some(MailConfig::new(
                "127.0.0.1",
                Security::None,
                "vaxel@example.se",
            ));
        }
        for (u, email, language) in [("bob", "bob@example.se", None), ("nomail", "", Some("en"))] {
            cfg.users.push(UserConfig {
                username: u.into(),
                name: u.into(),
                email: email.into(),
                password_env: Some("VAXEL_NOTIFY_API_PW".into()),
                language: language.map(Into::into),
                ..Default::default()
            });
        }
        let h = Vaxel::start(cfg).await.expect("switch starts");
        let api = format!("http://{}/api/v1", h.api_addr);
        (h, api)
    }

    async fn login(http: &reqwest::Client, api: &str, user: &str) -> String {
        let v: Value = http
            .post(format!("{api}/login"))
            .json(&json!({"username": user, "password": PW}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    async fn put(http: &reqwest::Client, api: &str, token: &str, body: Value) -> (u16, Value) {
        let r = http
            .put(format!("{api}/me/voicemail/notify"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn notify_setting_defaults_validates_and_persists() {
        let (h, api) = start(true).await;
        let http = reqwest::Client::new();
        let token = login(&http, &api, "bob").await;
        let get = || async {
            let v: Value = http
                .get(format!("{api}/me/voicemail/notify"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        };
        assert_eq!(
            get().await,
            json!({"enabled": false, "address": null, "directory_email": "bob@example.se",
                   "sends_to": "bob@example.se", "attach_audio": true, "language": "sv",
                   "mail_configured": true})
        );
        let (code, v) = put(
            &http,
            &api,
            &token,
            json!({"enabled": true, "address": "bob@@example"}),
        )
        .await;
        assert_eq!(code, 400, "{v}");
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("not an e-mail address"),
            "{v}"
        );
        let (code, v) = put(
            &http,
            &api,
            &token,
            json!({"enabled": true, "address": " bob.private@example.org ", "attach_audio": false, "language": "en"}),
        )
        .await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["sends_to"], "bob.private@example.org");
        assert_eq!(get().await, v, "stored as answered");
        // An empty address goes back to the directory e-mail.
        let (code, v) = put(&http, &api, &token, json!({"enabled": true, "address": ""})).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(
            (v["address"].clone(), v["sends_to"].clone()),
            (Value::Null, json!("bob@example.se"))
        );
        assert_eq!(v["language"], "sv");

        // Without any address there is nothing to turn on; turning it off is fine.
        let nomail = login(&http, &api, "nomail").await;
        let (code, v) = put(&http, &api, &nomail, json!({"enabled": true})).await;
        assert_eq!(code, 400, "{v}");
        assert!(
            v["error"].as_str().unwrap().contains("no e-mail address"),
            "{v}"
        );
        let (code, v) = put(&http, &api, &nomail, json!({"enabled": false})).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["language"], "en", "the user's configured language: {v}");
        let r = http
            .get(format!("{api}/me/voicemail/notify"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        h.shutdown().await;
    }

    #[tokio::test]
    async fn without_mail_section_the_api_says_so() {
        let (h, api) = start(false).await;
        let http = reqwest::Client::new();
        let token = login(&http, &api, "bob").await;
        let (code, v) = put(&http, &api, &token, json!({"enabled": true})).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["mail_configured"], false);
        h.shutdown().await;
    }
}
