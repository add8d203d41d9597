//! The logged-in user's voicemail greetings: which exist, download, upload (any common WAV;
//! stored as 8 kHz mono) and delete, one per kind (default, busy, no answer). Callers hear them
//! at once: the media job reads the file when it answers.

use super::{ApiError, AuthUser, ErrorBody};
use crate::greetings::{self, GreetingError, GreetingKind};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;

/// Largest upload accepted: two minutes of 48 kHz stereo 32-bit audio plus headers. Larger
/// bodies get 413 before any decoding; shorter-but-too-long audio gets 400 from the decoder.
pub const MAX_UPLOAD: usize = 48 * 1024 * 1024;

/// One stored greeting.
#[derive(Debug, Serialize, utoipa::ToSchema, PartialEq)]
pub struct GreetingInfo {
    pub kind: GreetingKind,
    /// Length in milliseconds; none when the stored file cannot be read (replace or delete it).
    pub duration_ms: Option<u64>,
}

/// Where this user's greetings live: the voicemail directory and their username.
async fn mailbox(state: &AppState, user_id: i64) -> Result<(std::path::PathBuf, String), ApiError> {
    let dir = state
        .voicemail_dir
        .clone()
        .ok_or_else(|| ApiError::Unavailable("voicemail is not enabled on this switch".into()))?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .0;
    Ok((dir, user.username))
}

fn kind(s: &str) -> Result<GreetingKind, ApiError> {
    GreetingKind::parse(s).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown greeting kind {s:?}; use default, busy or no_answer"
        ))
    })
}

impl From<GreetingError> for ApiError {
    fn from(e: GreetingError) -> Self {
        match e {
            GreetingError::Io(e) => ApiError::Internal(format!("greeting file: {e}")),
            // Everything else is about the uploaded audio (or a name that cannot be a path).
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, GreetingError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// Which of my greetings exist, with their lengths.
#[utoipa::path(get, path = "/api/v1/me/greetings",
    responses((status = 200, body = Vec<GreetingInfo>), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<GreetingInfo>>, ApiError> {
    let (dir, user) = mailbox(&state, auth.user_id).await?;
    let found = blocking(move || greetings::list(&dir, &user)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|(kind, len)| GreetingInfo {
                kind,
                duration_ms: len.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            })
            .collect(),
    ))
}

/// One of my greetings as WAV (8 kHz mono 16-bit).
#[utoipa::path(get, path = "/api/v1/me/greetings/{kind}",
    params(("kind" = GreetingKind, Path)),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(k): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind(&k)?;
    let (dir, user) = mailbox(&state, auth.user_id).await?;
    let wav = blocking(move || greetings::read_wav(&dir, &user, kind))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], wav))
}

/// Upload one of my greetings: a WAV file of any common rate, channel count and bit depth, at
/// most two minutes long. Returns what was stored.
#[utoipa::path(put, path = "/api/v1/me/greetings/{kind}",
    params(("kind" = GreetingKind, Path)),
    request_body(content = Vec<u8>, content_type = "audio/wav"),
    responses((status = 200, body = GreetingInfo), (status = 400, body = ErrorBody),
        (status = 413, description = "larger than 48 MiB")),
    security(("bearer" = [])))]
pub async fn put_one(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(k): Path<String>,
    body: Bytes,
) -> Result<Json<GreetingInfo>, ApiError> {
    let kind = kind(&k)?;
    let (dir, user) = mailbox(&state, auth.user_id).await?;
    let len = blocking(move || greetings::save_wav(&dir, &user, kind, &body)).await?;
    Ok(Json(GreetingInfo {
        kind,
        duration_ms: Some(u64::try_from(len.as_millis()).unwrap_or(u64::MAX)),
    }))
}

/// Delete one of my greetings (callers then hear the next one in line: the default greeting,
/// the company's, or the spoken default).
#[utoipa::path(delete, path = "/api/v1/me/greetings/{kind}",
    params(("kind" = GreetingKind, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_one(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(k): Path<String>,
) -> Result<StatusCode, ApiError> {
    let kind = kind(&k)?;
    let (dir, user) = mailbox(&state, auth.user_id).await?;
    if blocking(move || greetings::delete(&dir, &user, kind)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, UserConfig};
    use crate::Vaxel;
    use serde_json::{json, Value};

    const PW: &str = "greeting-secret";

    /// A 44.1 kHz stereo 16-bit WAV of `secs` seconds: larger than the API's usual 64 KiB body
    /// limit from one second on.
    fn cd_wav(secs: f64) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
        for i in 0..(44_100.0 * secs) as usize {
            let v = ((i as f64 * 2.0 * std::f64::consts::PI * 440.0 / 44_100.0).sin() * 10_000.0)
                as i16;
            w.write_sample(v).unwrap();
            w.write_sample(v).unwrap();
        }
        w.finalize().unwrap();
        buf.into_inner()
    }

    #[tokio::test]
    async fn upload_list_download_delete() {
        std::env::set_var("VAXEL_GREETING_API_PW", PW);
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::ephemeral();
        cfg.server.voicemail_dir = Some(dir.path().to_path_buf());
        cfg.users.push(UserConfig {
            username: "bob".into(),
            name: "Bob".into(),
            password_env: Some("VAXEL_GREETING_API_PW".into()),
            ..Default::default()
        });
        let h = Vaxel::start(cfg).await.expect("switch starts");
        let api = format!("http://{}/api/v1", h.api_addr);
        let http = reqwest::Client::new();
        let login: Value = http
            .post(format!("{api}/login"))
            .json(&json!({"username": "bob", "password": PW}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_string();
        let url = |k: &str| format!("{api}/me/greetings/{k}");

        let list = |t: String| {
            let (http, api) = (http.clone(), api.clone());
            async move {
                let r = http
                    .get(format!("{api}/me/greetings"))
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            }
        };
        assert_eq!(list(token.clone()).await, json!([]));
        let r = http
            .get(url("busy"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);

        // Garbage and unknown kinds are refused with a reason.
        let r = http
            .put(url("busy"))
            .bearer_auth(&token)
            .body("definitely not a wav")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains("WAV"), "{v}");
        let r = http
            .put(url("holiday"))
            .bearer_auth(&token)
            .body(cd_wav(0.1))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = http
            .put(url("busy"))
            .body(cd_wav(0.1))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // 1.5 s of CD audio (265 KB, over the API's 64 KiB default) becomes 8 kHz mono.
        let r = http
            .put(url("busy"))
            .bearer_auth(&token)
            .body(cd_wav(1.5))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"kind": "busy", "duration_ms": 1500})
        );
        assert_eq!(
            list(token.clone()).await,
            json!([{"kind": "busy", "duration_ms": 1500}])
        );
        let r = http
            .get(url("busy"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "audio/wav");
        let wav = r.bytes().await.unwrap();
        let back = hound::WavReader::new(std::io::Cursor::new(wav.to_vec())).unwrap();
        assert_eq!(
            (
                back.spec().sample_rate,
                back.spec().channels,
                back.duration()
            ),
            (8000, 1, 12_000)
        );
        assert!(dir.path().join("bob/greeting-busy.wav").exists());

        let r = http
            .delete(url("busy"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = http
            .delete(url("busy"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(list(token).await, json!([]));
        h.shutdown().await;
    }
}
