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

/// The size "Operator console" asks for: calls, queues and parked calls beside the search and
/// the dialpad (ui styles.css switches to columns from 900 px).
pub const CONSOLE_SIZE: (f64, f64) = (1280.0, 800.0);

/// What the window becomes when the operator view is chosen: never smaller than it is, since a
/// user who already made it larger (or a second screen) keeps that.
pub fn console_size(current: (f64, f64)) -> (f64, f64) {
    (current.0.max(CONSOLE_SIZE.0), current.1.max(CONSOLE_SIZE.1))
}

/// Only when the user picks the operator view, not at every start: the size they leave it at
/// is what the window-state plugin restores next time.
pub fn widen_for_console(app: &AppHandle) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    if window.is_maximized().unwrap_or(false) {
        return;
    }
    let scale = window.scale_factor().unwrap_or(1.0);
    let Ok(inner) = window.inner_size() else {
        return;
    };
    let logical = inner.to_logical::<f64>(scale);
    let (width, height) = console_size((logical.width, logical.height));
    if let Err(err) = window.set_size(tauri::LogicalSize::new(width, height)) {
        tracing::warn!(%err, "could not widen the window for the operator view");
    }
    save_state(app);
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
    fn the_console_widens_a_small_window_and_keeps_a_larger_one() {
        assert_eq!(console_size((420.0, 680.0)), CONSOLE_SIZE);
        assert_eq!(console_size((1600.0, 700.0)), (1600.0, 800.0));
        assert_eq!(console_size((1920.0, 1080.0)), (1920.0, 1080.0));
    }

    #[test]
    fn visibility_is_never_restored() {
        assert!(!remembered().contains(StateFlags::VISIBLE));
        assert!(remembered().contains(StateFlags::POSITION | StateFlags::SIZE));
    }
}
