//! Call commands from the UI: list, place, and act on calls (answer, hold, record, ...). Each
//! goes to the running call engine of the session.

use koppla_dial::DialTarget;
use koppla_ua::runtime::{CallReply, Command};
use koppla_ua::CallId;
use tauri::{AppHandle, Manager, State};

use crate::dial_request::Pending;
use crate::errors::{UiError, UiResult};
use crate::ipc_types::{CallAction, CallView};
use crate::placements::PlacedCall;
use crate::session::commands_and_domain;
use crate::AppState;

#[tauri::command]
pub fn calls_list(state: State<'_, AppState>) -> Vec<CallView> {
    state.calls().views()
}

/// Calls what the user typed or picked in the search box; answers the new call's id.
#[tauri::command]
pub async fn call_place(app: AppHandle, target: String) -> UiResult<CallId> {
    let target = crate::dial_request::parse_typed(&target)?;
    place(&app, &target).await
}

/// Calls the number a link or the hotkey brought, exactly as it was shown under `id`.
#[tauri::command]
pub async fn dial_request_call(app: AppHandle, id: u32) -> UiResult<CallId> {
    let target = app.state::<Pending>().target(id)?;
    place(&app, &target).await
}

fn engine_stopped() -> UiError {
    UiError::new("not_logged_in", "the call engine has stopped")
}

/// Places a call to `target` and records what was dialled under the id the engine gave it.
pub async fn place(app: &AppHandle, target: &DialTarget) -> UiResult<CallId> {
    let state = app.state::<AppState>();
    let (commands, domain) = commands_and_domain(&state).await?;
    let call = PlacedCall::new(target, &domain);
    let (reply, answer) = CallReply::new();
    // Begun before sending, so the event reader knows to wait for this call's id.
    let placing = state.placements.begin();
    commands
        .send(Command::Place {
            target: call.uri.clone(),
            reply,
        })
        .await
        .map_err(|_| engine_stopped())?;
    match answer.await {
        Ok(Ok(id)) => {
            placing.placed(id, call);
            Ok(id)
        }
        Ok(Err(err)) => Err(UiError::new("call_failed", err)),
        Err(_) => Err(engine_stopped()),
    }
}

#[tauri::command]
pub async fn call_action(app: AppHandle, id: u32, action: CallAction) -> UiResult<()> {
    let muted = match action {
        CallAction::Mute => Some(true),
        CallAction::Unmute => Some(false),
        _ => None,
    };
    if let Some(muted) = muted {
        // In the bridge, not the media session: muting the session would also silence the
        // conference partners it forwards.
        let state = app.state::<AppState>();
        state.audio.bridge().set_mic_muted(id, muted);
        let mut book = state.calls();
        if book.set_muted(id, muted) {
            crate::calls::emit_calls(&app, &book);
        }
        return Ok(());
    }
    match &action {
        CallAction::Park => return crate::parking::park(&app, id).await,
        CallAction::CampOn { user } => return crate::parking::camp_on(&app, id, user).await,
        _ => {}
    }
    let rejecting = action == CallAction::Reject;
    // Answering or resuming a call puts the one the user was talking to on hold.
    let takes_over = matches!(action, CallAction::Answer | CallAction::Resume);
    let recording = match action {
        CallAction::StartRecording => Some(crate::recordings::prepare(&app, id)?),
        _ => None,
    };
    let command = crate::calls::command_for(id, action, recording)?;
    let state = app.state::<AppState>();
    let (commands, _) = commands_and_domain(&state).await?;
    if rejecting {
        // Before the command: the call may end before this function runs again.
        state.calls().mark_rejected(id);
    }
    if takes_over {
        crate::conference::hold_others(&state, &commands, id).await?;
    }
    commands.send(command).await.map_err(|_| engine_stopped())?;
    Ok(())
}
