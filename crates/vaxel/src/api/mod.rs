//! Client API: JSON over HTTP(S) under `/api/v1` plus a WebSocket event stream.

mod greetings;
mod handlers;
mod mail;
mod parked;
mod queues;
mod voicemail;
mod ws;

use crate::credentials::sha256_hex;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;

pub use handlers::{
    ActivityOption, ContactInput, LoginRequest, LoginResponse, SetActivity, SmsRequest, SmsVerify,
};

/// API failures, mapped to HTTP status codes with a JSON `{"error": ...}` body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("wrong username or password")]
    BadLogin,
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized | ApiError::BadLogin => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "API internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// The logged-in user behind a bearer token.
pub struct AuthUser {
    pub user_id: i64,
    pub token_hash: String,
}

pub(crate) async fn resolve_token(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::Unauthorized);
    }
    let token_hash = sha256_hex(token);
    let user_id = state
        .store
        .session_user(&token_hash, state.clock.now())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(AuthUser {
        user_id,
        token_hash,
    })
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(ApiError::Unauthorized)?;
        resolve_token(state, token.trim()).await
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Koppla Växel client API", description = "Directory, activity (presence), contacts, missed calls, voicemail, call queues, parked calls and login for Koppla clients."),
    paths(
        handlers::login,
        handlers::sms_request,
        handlers::sms_verify,
        handlers::logout,
        handlers::directory,
        handlers::me,
        handlers::activities,
        handlers::set_activity,
        handlers::contacts,
        handlers::add_contact,
        handlers::delete_contact,
        voicemail::missed_calls,
        voicemail::list,
        voicemail::audio,
        voicemail::mark_heard,
        voicemail::delete,
        mail::get_notify,
        mail::set_notify,
        voicemail::set_pin,
        voicemail::pin_status,
        voicemail::services,
        greetings::list,
        greetings::get_one,
        greetings::put_one,
        greetings::delete_one,
        queues::list,
        queues::login,
        queues::logout,
        parked::list,
        parked::pick_up,
        parked::pick_up_ringing,
        ws::events,
    ),
    components(schemas(crate::events::Event)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The OpenAPI document as pretty JSON (what `openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

async fn openapi_doc() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_json(),
    )
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/login", post(handlers::login))
        .route("/api/v1/login/sms", post(handlers::sms_request))
        .route("/api/v1/login/sms/verify", post(handlers::sms_verify))
        .route("/api/v1/logout", post(handlers::logout))
        .route("/api/v1/directory", get(handlers::directory))
        .route("/api/v1/me", get(handlers::me))
        .route("/api/v1/activities", get(handlers::activities))
        .route("/api/v1/me/activity", put(handlers::set_activity))
        .route(
            "/api/v1/contacts",
            get(handlers::contacts).post(handlers::add_contact),
        )
        .route("/api/v1/contacts/{id}", delete(handlers::delete_contact))
        .route("/api/v1/me/missed-calls", get(voicemail::missed_calls))
        .route("/api/v1/voicemails", get(voicemail::list))
        .route("/api/v1/voicemails/{id}", delete(voicemail::delete))
        .route("/api/v1/voicemails/{id}/audio", get(voicemail::audio))
        .route("/api/v1/voicemails/{id}/heard", post(voicemail::mark_heard))
        .route(
            "/api/v1/me/voicemail/notify",
            get(mail::get_notify).put(mail::set_notify),
        )
        .route(
            "/api/v1/me/voicemail/pin",
            get(voicemail::pin_status).put(voicemail::set_pin),
        )
        .route("/api/v1/services", get(voicemail::services))
        .route("/api/v1/me/greetings", get(greetings::list))
        .route(
            "/api/v1/me/greetings/{kind}",
            get(greetings::get_one)
                .put(greetings::put_one)
                .delete(greetings::delete_one)
                // Uploads are audio files; this route alone takes more than the 64 KiB below.
                .layer(axum::extract::DefaultBodyLimit::max(greetings::MAX_UPLOAD)),
        )
        .route("/api/v1/queues", get(queues::list))
        .route("/api/v1/queues/{id}/login", post(queues::login))
        .route("/api/v1/queues/{id}/logout", post(queues::logout))
        .route("/api/v1/parked", get(parked::list))
        .route("/api/v1/parked/{id}/pickup", post(parked::pick_up))
        .route(
            "/api/v1/ringing/{colleague}/pickup",
            post(parked::pick_up_ringing),
        )
        .route("/api/v1/events", get(ws::events))
        .route("/api/v1/openapi.json", get(openapi_doc))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_queues;
