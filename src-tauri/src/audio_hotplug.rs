//! Moves calls to other sound devices when the system's devices change during a call: the
//! default the settings follow changed, or the chosen headset was plugged in or out. Which
//! changes matter is decided by `koppla_audio::hotplug::must_reopen` (tested there); this is
//! the thread that polls. It looks at the device lists once a second only while a call has
//! the devices open, so an idle app never touches the sound system.

use std::time::Duration;

use koppla_audio::hotplug::{must_reopen, Direction, HotplugTracker};
use tauri::{AppHandle, Manager};

use crate::audio::choice;
use crate::AppState;

const POLL: Duration = Duration::from_secs(1);

pub fn spawn(app: AppHandle) {
    let started = std::thread::Builder::new()
        .name("koppla-hotplug".into())
        .spawn(move || watch(&app));
    if let Err(err) = started {
        tracing::warn!(%err, "no hot-plug watcher: calls keep their devices until the next call");
    }
}

fn watch(app: &AppHandle) {
    let mut tracker = HotplugTracker::default();
    loop {
        std::thread::sleep(POLL);
        let Some(state) = app.try_state::<AppState>() else {
            continue;
        };
        let bridge = state.audio.bridge();
        if bridge.devices_open() == (false, false) {
            // The next call starts on the devices as they are then: a fresh baseline.
            tracker = HotplugTracker::default();
            continue;
        }
        let snapshot = match koppla_audio::devices::snapshot() {
            Ok(snapshot) => snapshot,
            Err(err) => {
                tracing::debug!(%err, "device poll failed");
                continue;
            }
        };
        let events = tracker.update(snapshot.clone());
        if events.is_empty() {
            continue;
        }
        let settings = state.settings();
        let input = choice(&settings.audio_input);
        let output = choice(&settings.audio_output);
        if must_reopen(&input, Direction::Input, &events, &snapshot)
            || must_reopen(&output, Direction::Output, &events, &snapshot)
        {
            tracing::info!(
                ?events,
                "sound devices changed during a call; moving the call"
            );
            bridge.reopen();
        }
    }
}
