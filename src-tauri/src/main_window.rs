//! The main window's desktop behaviour: raised for incoming calls, kept on top in the Operator
//! and ACD views, and its position and size remembered between runs.

use tauri::{AppHandle, Manager};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

use crate::ipc_types::ViewMode;

pub const MAIN: &str = "main";

/// Visibility is not restored: Koppla may have been quit from the tray while hidden, and must
/// still open visibly next time.
pub fn remembered() -> StateFlags {
    StateFlags::POSITION | StateFlags::SIZE | StateFlags::MAXIMIZED
}

pub fn state_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_window_state::Builder::default()
        .with_state_flags(remembered())
        .build()
}

/// The plugin saves on exit; hiding to the tray saves too, since a logout or crash may follow.
pub fn save_state(app: &AppHandle) {
    if let Err(err) = app.save_window_state(remembered()) {
        tracing::info!(%err, "could not save the window's position");
    }
}

/// Operator and ACD views sit beside other programs all day, so they stay on top.
pub fn always_on_top(mode: ViewMode) -> bool {
    mode != ViewMode::Normal
}

pub fn apply_view_mode(app: &AppHandle, mode: ViewMode) {
    if let Some(window) = app.get_webview_window(MAIN) {
        if let Err(err) = window.set_always_on_top(always_on_top(mode)) {
            tracing::warn!(%err, "could not change always-on-top");
        }
    }
}

/// Shows, unminimises and focuses the window (tray "show", second launch, incoming call).
pub fn raise(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_normal_view_may_go_behind_other_windows() {
        assert!(!always_on_top(ViewMode::Normal));
        assert!(always_on_top(ViewMode::Operator));
        assert!(always_on_top(ViewMode::Acd));
    }

    #[test]
    fn visibility_is_never_restored() {
        assert!(!remembered().contains(StateFlags::VISIBLE));
        assert!(remembered().contains(StateFlags::POSITION | StateFlags::SIZE));
    }
}
