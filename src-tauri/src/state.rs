//! Everything the commands share, managed by Tauri.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, RwLock};

use crate::calls::CallBook;
use crate::ipc_types::AppSettings;
use crate::search::SearchService;
use crate::session::Session;

pub struct AppState {
    pub store: koppla_store::Store,
    pub search: SearchService,
    pub session: Session,
    /// Koppla Växel's client API for this session, when the account has one.
    pub switch: crate::activity::SwitchLink,
    /// Volume and microphone level, shared with the call engine.
    pub audio: crate::audio::AudioControls,
    pub ringer: crate::ringtone::Ringer,
    /// Calls this app placed, by the id the call engine gave them.
    pub placements: crate::placements::Placements,
    /// Colleagues on a call, for search results (from the switch directory and its events).
    pub on_call: std::sync::Arc<crate::on_call::ColleaguesOnCall>,
    /// Where the built-in switch and recordings live.
    pub data_dir: PathBuf,
    settings: RwLock<AppSettings>,
    calls: Mutex<CallBook>,
}

impl AppState {
    pub fn new(store: koppla_store::Store, settings: AppSettings, data_dir: PathBuf) -> AppState {
        AppState {
            search: SearchService::new(store.clone()),
            store,
            session: Session::default(),
            switch: Default::default(),
            audio: Default::default(),
            ringer: Default::default(),
            placements: Default::default(),
            on_call: Default::default(),
            data_dir,
            settings: RwLock::new(settings),
            calls: Mutex::new(CallBook::default()),
        }
    }

    pub fn settings(&self) -> AppSettings {
        self.settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn replace_settings(&self, settings: AppSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = settings;
    }

    pub fn calls(&self) -> MutexGuard<'_, CallBook> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
