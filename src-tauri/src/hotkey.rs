//! The global dial hotkey (F8 by default): dials the number highlighted in any application.

use std::sync::Mutex;

use tauri::{AppHandle, Manager};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

use crate::dial_request;
use crate::ipc_types::{DialOrigin, HotkeyStatus};
use crate::selection;

pub const DEFAULT_ACCELERATOR: &str = "F8";

/// The accelerator currently bound to "dial selection".
pub struct HotkeyState {
    accelerator: Mutex<String>,
}

impl Default for HotkeyState {
    fn default() -> Self {
        Self {
            accelerator: Mutex::new(DEFAULT_ACCELERATOR.to_string()),
        }
    }
}

impl HotkeyState {
    pub fn current(&self) -> String {
        self.accelerator
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn replace(&self, accelerator: &str) {
        *self
            .accelerator
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = accelerator.to_string();
    }
}

pub fn plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _shortcut, event| {
            if event.state() == ShortcutState::Pressed {
                let handle = app.clone();
                // Reading the selection may wait on the X server or a simulated copy.
                std::thread::spawn(move || dial_selection(&handle));
            }
        })
        .build()
}

fn dial_selection(app: &AppHandle) {
    match selection::read_selected_text() {
        Ok(text) => dial_request::submit(app, DialOrigin::Hotkey, &text),
        Err(err) => {
            tracing::info!(%err, "hotkey pressed but no selection could be read");
            // An empty request still reaches the UI so the user learns why nothing was dialled.
            dial_request::submit(app, DialOrigin::Hotkey, "");
        }
    }
}

/// Binds the hotkey from the settings at start, falling back to F8 if it cannot be bound.
pub fn register_default(app: &AppHandle) {
    let wanted = app.state::<crate::AppState>().settings().hotkey;
    let mut status = bind(app, None, &wanted);
    if !status.registered && wanted != DEFAULT_ACCELERATOR {
        status = bind(app, None, DEFAULT_ACCELERATOR);
    }
    let accelerator = status.accelerator.clone();
    match status.error {
        None => {
            app.state::<HotkeyState>().replace(&accelerator);
            tracing::info!(%accelerator, "dial hotkey registered")
        }
        Some(err) => tracing::warn!(%err, %accelerator, "dial hotkey is not active"),
    }
}

/// Moves the hotkey to `accelerator`, keeping the old one if the new one cannot be bound.
pub fn rebind(app: &AppHandle, accelerator: &str) -> HotkeyStatus {
    let state = app.state::<HotkeyState>();
    let old = state.current();
    let status = bind(app, Some(&old), accelerator);
    if status.registered {
        state.replace(accelerator);
        status
    } else {
        let _ = bind(app, None, &old);
        status
    }
}

fn bind(app: &AppHandle, previous: Option<&str>, accelerator: &str) -> HotkeyStatus {
    let shortcuts = app.global_shortcut();
    let parsed: Result<Shortcut, _> = accelerator.parse();
    let shortcut = match parsed {
        Ok(shortcut) => shortcut,
        Err(err) => {
            return HotkeyStatus {
                accelerator: accelerator.to_string(),
                registered: false,
                error: Some(format!("not a valid key combination: {err}")),
            }
        }
    };
    if let Some(previous) = previous {
        if let Ok(old) = previous.parse::<Shortcut>() {
            let _ = shortcuts.unregister(old);
        }
    }
    match shortcuts.register(shortcut) {
        Ok(()) => HotkeyStatus {
            accelerator: accelerator.to_string(),
            registered: true,
            error: None,
        },
        Err(err) => HotkeyStatus {
            accelerator: accelerator.to_string(),
            registered: false,
            error: Some(err.to_string()),
        },
    }
}
