//! IPC commands the UI may invoke. Each is a thin adapter over a library crate.

use tauri::{AppHandle, Manager, State};

use crate::dial_request::Pending;
use crate::errors::UiResult;
use crate::hotkey::{self, HotkeyState};
use crate::ipc_types::{DialRequest, HotkeyStatus};

/// Hands the UI every dial request that arrived since it last asked.
#[tauri::command]
pub fn take_pending_dial_requests(pending: State<'_, Pending>) -> Vec<DialRequest> {
    pending.take_all()
}

#[tauri::command]
pub fn hotkey_get(state: State<'_, HotkeyState>) -> String {
    state.current()
}

/// Rebinds the hotkey and, when that worked, saves it in the settings.
#[tauri::command]
pub async fn hotkey_set(app: AppHandle, accelerator: String) -> UiResult<HotkeyStatus> {
    let status = hotkey::rebind(&app, accelerator.trim());
    if status.registered {
        let state = app.state::<crate::AppState>();
        let mut settings = state.settings();
        settings.hotkey = status.accelerator.clone();
        crate::settings::save(&state, settings).await?;
    }
    Ok(status)
}
