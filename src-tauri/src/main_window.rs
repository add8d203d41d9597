//! The main window's desktop behaviour: raised for incoming calls, kept on top in the Operator
//! and ACD views, and its position and size remembered between runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
///
/// Always on the main thread: the plugin holds its cache lock while it reads the window, and
/// reading a window from another thread waits for the main thread — whose resize handler (the
/// plugin's too) wants that same lock. Saved from a command while the window was resizing, the
/// app froze for good (the operator view widening the window did it on a busy machine).
pub fn save_state(app: &AppHandle) {
    let handle = app.clone();
    let queued = app.run_on_main_thread(move || {
        if let Err(err) = handle.save_window_state(remembered()) {
            tracing::info!(%err, "could not save the window's position");
        }
    });
    if let Err(err) = queued {
        tracing::info!(%err, "could not save the window's position");
    }
}

/// How long the window must stay still before its new size or place is written: a drag sends
/// dozens of events, and the file should be written once, at the end.
const SETTLE: Duration = Duration::from_millis(800);

/// Counts moves and resizes; a save waits until no newer one came.
#[derive(Default)]
pub struct SaveWhenSettled(AtomicU64);

/// The plugin writes the file only when the app exits cleanly; a user who resizes the console
/// and is then logged out of the OS, or whose machine crashes, would lose the size. So every
/// move or resize is saved once the window has been still for [`SETTLE`].
pub fn save_when_settled(app: &AppHandle) {
    let Some(pending) = app.try_state::<SaveWhenSettled>() else {
        return;
    };
    let ticket = pending.0.fetch_add(1, Ordering::Relaxed) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SETTLE).await;
        let latest = app
            .try_state::<SaveWhenSettled>()
            .map(|pending| pending.0.load(Ordering::Relaxed));
        if latest == Some(ticket) {
            save_state(&app);
        }
    });
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
