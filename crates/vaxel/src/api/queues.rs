//! Call queues: counters for everyone, and agents logging themselves in and out.

use super::{ApiError, AuthUser, ErrorBody};
use crate::model::QueueStatus;
use crate::sip::QueueError;
use crate::state::{AppState, QueueCommand};
use axum::extract::{Path, State};
use axum::Json;
use tokio::sync::oneshot;

/// All queues with their counters (waiting callers, agents, answered/abandoned today).
#[utoipa::path(get, path = "/api/v1/queues",
    responses((status = 200, body = Vec<QueueStatus>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Result<Json<Vec<QueueStatus>>, ApiError> {
    let now = state.clock.now();
    let mut list = state.queues.snapshot();
    // The stored wait time is from the last change; the arrival time gives today's value.
    for q in &mut list {
        q.longest_wait_secs = q
            .oldest_waiting_since
            .map(|t| u64::try_from(now.saturating_sub(t)).unwrap_or(0))
            .unwrap_or(0);
    }
    Ok(Json(list))
}

async fn set_login(
    state: &AppState,
    auth: &AuthUser,
    queue: String,
    login: bool,
) -> Result<Json<QueueStatus>, ApiError> {
    let user = state
        .store
        .user_by_id(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .0
        .username;
    let (reply, answer) = oneshot::channel();
    state
        .queues
        .commands
        .send(QueueCommand {
            queue,
            user,
            login,
            reply,
        })
        .await
        .map_err(|_| ApiError::Unavailable("the SIP side is not running".into()))?;
    match answer
        .await
        .map_err(|_| ApiError::Unavailable("the SIP side is not running".into()))?
    {
        Ok(status) => Ok(Json(status)),
        Err(QueueError::UnknownQueue(_)) => Err(ApiError::NotFound),
        Err(e @ QueueError::NotMember { .. }) => Err(ApiError::Forbidden(e.to_string())),
    }
}

/// Log me in to a queue (I must be a member); calls are offered to me while I am free.
#[utoipa::path(post, path = "/api/v1/queues/{id}/login", params(("id" = String, Path)),
    responses((status = 200, body = QueueStatus), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn login(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<QueueStatus>, ApiError> {
    set_login(&state, &auth, id, true).await
}

/// Log me out of a queue; no more calls are offered to me from it.
#[utoipa::path(post, path = "/api/v1/queues/{id}/logout", params(("id" = String, Path)),
    responses((status = 200, body = QueueStatus), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<QueueStatus>, ApiError> {
    set_login(&state, &auth, id, false).await
}
