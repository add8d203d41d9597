//! Call commands from the UI: list, place, and act on calls (answer, hold, record, ...). Each
//! goes to the running call engine of the session.

use koppla_ua::runtime::Command;
use tauri::{AppHandle, Manager, State};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{CallAction, CallView, DialOutcome};
use crate::session::commands_and_domain;
use crate::AppState;

#[tauri::command]
pub fn calls_list(state: State<'_, AppState>) -> Vec<CallView> {
    state.calls().views()
}

/// Dials a number or SIP address after the same checks as links and the hotkey.
#[tauri::command]
pub async fn call_place(app: AppHandle, target: String) -> UiResult<()> {
    let candidate = match crate::dial_request::outcome_for_text(&target) {
        DialOutcome::Dialable { candidate } => candidate,
        DialOutcome::Refused { code, message } => return Err(UiError { code, message }),
    };
    let state = app.state::<AppState>();
    let (commands, domain) = commands_and_domain(&state).await?;
    let uri = if candidate.is_sip_address {
        candidate.dial_string.clone()
    } else {
        format!("sip:{}@{domain}", candidate.dial_string)
    };
    crate::calls::expect_outgoing(&app, &uri);
    commands
        .send(Command::Call(uri))
        .await
        .map_err(|_| UiError::new("not_logged_in", "the call engine has stopped"))
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
    commands
        .send(command)
        .await
        .map_err(|_| UiError::new("not_logged_in", "the call engine has stopped"))?;
    Ok(())
}
