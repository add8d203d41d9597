//! `/api/v1/events`: a WebSocket that streams [`Event`]s as JSON text frames.

use super::{resolve_token, ApiError, ErrorBody};
use crate::events::Event;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Token from login (browsers cannot set headers on WebSockets).
    pub token: String,
}

/// Live events (WebSocket upgrade). Each text frame is one `Event` JSON object.
#[utoipa::path(get, path = "/api/v1/events", params(EventsQuery),
    responses((status = 101, description = "Switching to WebSocket; frames carry Event objects", body = Event),
              (status = 401, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let auth = resolve_token(&state, &q.token).await?;
    let (user, _, _) = state
        .store
        .user_by_id(auth.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // Subscribe before upgrading so no event between the two is lost.
    let rx = state.events.subscribe();
    Ok(upgrade.on_upgrade(move |socket| stream(socket, rx, user.username)))
}

async fn stream(
    socket: WebSocket,
    mut rx: tokio::sync::broadcast::Receiver<Event>,
    viewer: String,
) {
    let (mut tx, mut incoming) = socket.split();
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) if ev.visible_to(&viewer) => {
                    let Ok(text) = serde_json::to_string(&ev) else { continue };
                    if tx.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    // A slow client missed events; tell it to refetch rather than dropping it.
                    let text = serde_json::json!({"type": "resync", "missed": n}).to_string();
                    if tx.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}
