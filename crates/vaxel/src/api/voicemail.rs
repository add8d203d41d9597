//! Missed calls and voicemail for the logged-in user: list, download, mark heard, delete;
//! the PIN for dialling in from other phones and the service numbers (decision 0509).
//! Changes to the mailbox publish fresh MWI counters.

use super::{ApiError, AuthUser, ErrorBody};
use crate::model::{MissedCall, ServiceNumber, Voicemail};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

/// How many missed calls the list returns.
const MISSED_LIMIT: i64 = 100;

async fn username(state: &AppState, user_id: i64) -> Result<String, ApiError> {
    Ok(state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .0
        .username)
}

/// My missed calls, newest first.
#[utoipa::path(get, path = "/api/v1/me/missed-calls",
    responses((status = 200, body = Vec<MissedCall>)), security(("bearer" = [])))]
pub async fn missed_calls(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<MissedCall>>, ApiError> {
    Ok(Json(
        state.store.missed_calls(auth.user_id, MISSED_LIMIT).await?,
    ))
}

/// My voicemail messages, newest first.
#[utoipa::path(get, path = "/api/v1/voicemails",
    responses((status = 200, body = Vec<Voicemail>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<Voicemail>>, ApiError> {
    Ok(Json(state.store.voicemails(auth.user_id).await?))
}

/// One message's audio (WAV, 8 kHz mono).
#[utoipa::path(get, path = "/api/v1/voicemails/{id}/audio", params(("id" = i64, Path)),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn audio(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let file = state
        .store
        .voicemail_file(auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let bytes = tokio::fs::read(&file).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::NotFound,
        _ => ApiError::Internal(format!("{file}: {e}")),
    })?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], bytes))
}

/// Mark a message as heard.
#[utoipa::path(post, path = "/api/v1/voicemails/{id}/heard", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mark_heard(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if !state.store.mark_voicemail_heard(auth.user_id, id).await? {
        return Err(ApiError::NotFound);
    }
    let name = username(&state, auth.user_id).await?;
    state.publish_mwi(auth.user_id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a message and its audio.
#[utoipa::path(delete, path = "/api/v1/voicemails/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let file = state
        .store
        .delete_voicemail(auth.user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Err(e) = tokio::fs::remove_file(&file).await {
        // The row is gone either way; a missing file only leaves nothing to clean up.
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(%file, error = %e, "cannot remove voicemail file");
        }
    }
    let name = username(&state, auth.user_id).await?;
    state.publish_mwi(auth.user_id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new PIN for dialling in to my mailbox from other phones.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct SetPin {
    /// 4 to 10 digits.
    pub pin: String,
}

/// Whether my mailbox has a PIN (without one it opens only from my own phones).
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PinStatus {
    pub set: bool,
}

/// Set my voicemail PIN (replaces the old one and lifts a lockout). Only its argon2 hash is
/// stored.
#[utoipa::path(put, path = "/api/v1/me/voicemail/pin", request_body = SetPin,
    responses((status = 204), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_pin(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<SetPin>,
) -> Result<StatusCode, ApiError> {
    if !crate::store::valid_pin(&body.pin) {
        return Err(ApiError::BadRequest(
            "the PIN must be 4 to 10 digits".into(),
        ));
    }
    let pin = body.pin;
    // argon2 takes tens of milliseconds of CPU: not on the async workers.
    let hash = tokio::task::spawn_blocking(move || crate::store::hash_pin(&pin))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.set_voicemail_pin(auth.user_id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether my voicemail PIN is set.
#[utoipa::path(get, path = "/api/v1/me/voicemail/pin",
    responses((status = 200, body = PinStatus)), security(("bearer" = [])))]
pub async fn pin_status(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<PinStatus>, ApiError> {
    Ok(Json(PinStatus {
        set: state.store.has_voicemail_pin(auth.user_id).await?,
    }))
}

/// Numbers the switch answers itself (the voicemail menu), for the app's search next to the
/// directory's people.
#[utoipa::path(get, path = "/api/v1/services",
    responses((status = 200, body = Vec<ServiceNumber>)), security(("bearer" = [])))]
pub async fn services(State(state): State<AppState>, _auth: AuthUser) -> Json<Vec<ServiceNumber>> {
    Json(state.services.clone())
}
