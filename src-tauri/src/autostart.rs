//! "Start with the computer": the autostart plugin registers Koppla with the OS (a LaunchAgent,
//! the registry's Run key, or an XDG autostart entry); the setting decides which way.

use tauri::AppHandle;
use tauri_plugin_autostart::{MacosLauncher, ManagerExt};

use crate::errors::UiError;

pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, None)
}

/// Registers or removes Koppla as a login item; does nothing when the OS already agrees.
pub fn apply(app: &AppHandle, enabled: bool) -> Result<(), UiError> {
    let manager = app.autolaunch();
    let current = manager
        .is_enabled()
        .map_err(|err| UiError::new("autostart", err))?;
    if current == enabled {
        return Ok(());
    }
    let changed = if enabled {
        manager.enable()
    } else {
        manager.disable()
    };
    changed.map_err(|err| UiError::new("autostart", err))
}

/// At start the OS's list of login items wins over the saved setting: the user may have
/// removed Koppla there (Task Manager, System Settings), and the settings view must say so.
pub async fn adopt_os_choice(app: &AppHandle) {
    use tauri::Manager;
    let Ok(registered) = app.autolaunch().is_enabled() else {
        return;
    };
    let state = app.state::<crate::AppState>();
    let mut settings = state.settings();
    if settings.autostart != registered {
        settings.autostart = registered;
        if let Err(err) = crate::settings::save(&state, settings).await {
            tracing::warn!(code = %err.code, "could not save the autostart setting");
        }
    }
}
