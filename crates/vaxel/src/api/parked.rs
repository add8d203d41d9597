//! Parked calls: everyone sees the list; picking a colleague's call up needs the pickup
//! permission, which the SIP side checks.

use super::{ApiError, AuthUser, ErrorBody};
use crate::model::{ParkedCall, ParkedList};
use crate::sip::{ParkError, PickupError};
use crate::state::{AppState, ParkCommand};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tokio::sync::oneshot;

async fn username(state: &AppState, auth: &AuthUser) -> Result<String, ApiError> {
    Ok(state
        .store
        .user_by_id(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?
        .0
        .username)
}

/// Sends the SIP side a command made with `reply` and waits for its answer.
async fn ask_sip<T>(
    state: &AppState,
    command: impl FnOnce(oneshot::Sender<T>) -> ParkCommand,
) -> Result<T, ApiError> {
    let gone = || ApiError::Unavailable("the SIP side is not running".into());
    let (reply, answer) = oneshot::channel();
    state
        .parked
        .commands
        .send(command(reply))
        .await
        .map_err(|_| gone())?;
    answer.await.map_err(|_| gone())
}

/// Every parked call, oldest first, and whether I may pick up colleagues' ones.
#[utoipa::path(get, path = "/api/v1/parked",
    responses((status = 200, body = ParkedList)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<ParkedList>, ApiError> {
    let me = username(&state, &auth).await?;
    let policy = &state.parked.policy;
    Ok(Json(ParkedList {
        may_pick_up: policy.may_pick_up(&me),
        park_code: policy.code.clone(),
        limit: u32::try_from(policy.limit).unwrap_or(u32::MAX),
        calls: state.parked.snapshot(),
    }))
}

/// Rings my devices with a parked call, asking them to answer at once (RFC 5373
/// `Answer-Mode: Auto`); the call leaves the list when one answers.
#[utoipa::path(post, path = "/api/v1/parked/{id}/pickup", params(("id" = String, Path)),
    responses((status = 200, body = ParkedCall), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pick_up(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ParkedCall>, ApiError> {
    let user = username(&state, &auth).await?;
    let answer = ask_sip(&state, |reply| ParkCommand::Parked { id, user, reply }).await?;
    match answer {
        Ok(call) => Ok(Json(call)),
        Err(ParkError::NotFound(_)) => Err(ApiError::NotFound),
        Err(e @ ParkError::NotAllowed(_)) => Err(ApiError::Forbidden(e.to_string())),
        Err(e @ ParkError::NoDevice(_)) => Err(ApiError::Conflict(e.to_string())),
    }
}

/// Takes the call ringing a colleague (user name or number): my devices ring with it, asking
/// to answer at once (RFC 5373), and the colleague's phones stop when one does.
#[utoipa::path(post, path = "/api/v1/ringing/{colleague}/pickup",
    params(("colleague" = String, Path, description = "User name or number of the colleague whose phone rings")),
    responses((status = 204), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pick_up_ringing(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(colleague): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = username(&state, &auth).await?;
    let answer = ask_sip(&state, |reply| ParkCommand::Ringing {
        colleague,
        user,
        reply,
    })
    .await?;
    match answer {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(PickupError::NothingRinging(_)) => Err(ApiError::NotFound),
        Err(e @ PickupError::NotAllowed(_)) => Err(ApiError::Forbidden(e.to_string())),
        Err(e @ PickupError::NoDevice(_)) => Err(ApiError::Conflict(e.to_string())),
    }
}
