//! Request handlers for `/api/v1`.

use super::{ApiError, AuthUser, ErrorBody};
use crate::credentials::{sha256_hex, verify_password};
use crate::model::{ActivityStatus, Contact, ContactKind, DirectoryEntry};
use crate::sms::SmsError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for later requests and the WebSocket.
    pub token: String,
    pub user: DirectoryEntry,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SmsRequest {
    /// Mobile number in international format, e.g. +46701234001.
    pub mobile: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SmsVerify {
    pub mobile: String,
    pub code: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SetActivity {
    /// One of the ids from `/api/v1/activities`.
    pub id: String,
    /// RFC 3339 end time; the activity reverts to the default afterwards.
    pub until: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ActivityOption {
    pub id: String,
    pub label: String,
    pub label_sv: Option<String>,
    pub color: String,
    pub reachable: bool,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ContactInput {
    pub kind: ContactKind,
    pub name: String,
    pub number: String,
    pub note: Option<String>,
}

async fn issue_token(state: &AppState, user_id: i64) -> Result<LoginResponse, ApiError> {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let expires = state.clock.now().saturating_add(state.token_ttl_secs);
    state
        .store
        .create_session(&sha256_hex(&token), user_id, expires)
        .await?;
    let user = state.entry_for(user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(LoginResponse { token, user })
}

/// Log in with username and password.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    // People type their name as they write it ("Anna Öberg"); the store has it normalised.
    // A name with no stored form cannot be anyone's: the same answer as a wrong password.
    let Ok(username) = crate::model::normalise_username(&req.username) else {
        return Err(ApiError::BadLogin);
    };
    let found = state.store.user_by_username(&username).await?;
    let Some((user, secrets, _)) = found else {
        return Err(ApiError::BadLogin);
    };
    let Some(stored) = secrets.password_hash else {
        return Err(ApiError::BadLogin);
    };
    // Argon2 is deliberately slow; keep it off the async workers.
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&stored, &password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !ok {
        tracing::info!(username = %user.username, "API login failed");
        return Err(ApiError::BadLogin);
    }
    Ok(Json(issue_token(&state, user.id).await?))
}

fn sms_error(e: SmsError) -> ApiError {
    match e {
        SmsError::Disabled => ApiError::Unavailable(e.to_string()),
        SmsError::BadNumber => ApiError::BadRequest(e.to_string()),
        SmsError::RateLimited { .. } => ApiError::TooMany(e.to_string()),
        SmsError::InvalidCode | SmsError::Expired | SmsError::TooManyAttempts => {
            ApiError::BadRequest(e.to_string())
        }
        SmsError::Delivery(_) => ApiError::Unavailable(e.to_string()),
        SmsError::Store(s) => ApiError::Internal(s.to_string()),
    }
}

/// Ask for an SMS login code. Always 202 for well-formed numbers (no account probing).
#[utoipa::path(post, path = "/api/v1/login/sms", request_body = SmsRequest,
    responses((status = 202), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn sms_request(
    State(state): State<AppState>,
    Json(req): Json<SmsRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .sms
        .request_code(&state.store, &req.mobile, state.clock.now())
        .await
        .map_err(sms_error)?;
    Ok(StatusCode::ACCEPTED)
}

/// Log in with an SMS code.
#[utoipa::path(post, path = "/api/v1/login/sms/verify", request_body = SmsVerify,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody)))]
pub async fn sms_verify(
    State(state): State<AppState>,
    Json(req): Json<SmsVerify>,
) -> Result<Json<LoginResponse>, ApiError> {
    let user_id = state
        .sms
        .verify(&state.store, &req.mobile, &req.code, state.clock.now())
        .await
        .map_err(sms_error)?;
    Ok(Json(issue_token(&state, user_id).await?))
}

/// End this token's session.
#[utoipa::path(post, path = "/api/v1/logout", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    state.store.delete_session(&auth.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everyone on the switch with their current activity.
#[utoipa::path(get, path = "/api/v1/directory",
    responses((status = 200, body = Vec<DirectoryEntry>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn directory(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Result<Json<Vec<DirectoryEntry>>, ApiError> {
    Ok(Json(state.directory().await?))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = DirectoryEntry)), security(("bearer" = [])))]
pub async fn me(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<DirectoryEntry>, ApiError> {
    Ok(Json(
        state
            .entry_for(auth.user_id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}

/// The configured activity list.
#[utoipa::path(get, path = "/api/v1/activities", responses((status = 200, body = Vec<ActivityOption>)), security(("bearer" = [])))]
pub async fn activities(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Json<Vec<ActivityOption>> {
    Json(
        state
            .activities
            .defs()
            .iter()
            .map(|d| ActivityOption {
                id: d.id.clone(),
                label: d.label.clone(),
                label_sv: d.label_sv.clone(),
                color: d.color.clone(),
                reachable: d.reachable,
            })
            .collect(),
    )
}

/// Set my activity; everyone watching sees it at once.
#[utoipa::path(put, path = "/api/v1/me/activity", request_body = SetActivity,
    responses((status = 200, body = ActivityStatus), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_activity(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<SetActivity>,
) -> Result<Json<ActivityStatus>, ApiError> {
    let choice = state
        .activities
        .choose(
            &req.id,
            req.until.as_deref(),
            req.note.as_deref(),
            state.clock.now(),
        )
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let status = state
        .set_activity(auth.user_id, &choice)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(status))
}

/// Shared contacts plus my own.
#[utoipa::path(get, path = "/api/v1/contacts", responses((status = 200, body = Vec<Contact>)), security(("bearer" = [])))]
pub async fn contacts(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<Contact>>, ApiError> {
    Ok(Json(state.store.contacts_for(auth.user_id).await?))
}

/// Add a personal contact.
#[utoipa::path(post, path = "/api/v1/contacts", request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_contact(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let name = req.name.trim();
    let number = req.number.trim();
    if name.is_empty() || number.is_empty() || name.len() > 200 || number.len() > 100 {
        return Err(ApiError::BadRequest(
            "name and number are required (max 200/100 chars)".into(),
        ));
    }
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let id = state
        .store
        .add_contact(Some(auth.user_id), req.kind, name, number, note)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Contact {
            id,
            shared: false,
            kind: req.kind,
            name: name.into(),
            number: number.into(),
            note: note.map(String::from),
        }),
    ))
}

/// Delete one of my contacts.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_contact(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_contact(auth.user_id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
