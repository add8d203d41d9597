//! Call recordings: where the files go (the app data folder's `recordings/`), and what the
//! engine's recording events change (the call's flag, its history row, a notice on failure).

use std::path::{Path, PathBuf};

use koppla_ua::CallId;
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::UiError;
use crate::AppState;

/// Problems the engine reports outside a command's answer (a recording that failed mid-call).
pub const NOTICE_EVENT: &str = "engine-notice";

pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("recordings")
}

/// `2026-11-25T10-15-02Z_call-3_0701234567.wav`: sorts by time, and says whom it was with.
/// Only characters safe in file names on every OS are kept from the remote party.
pub fn file_for(folder: &Path, call: CallId, remote: &str, now_ms: i64) -> PathBuf {
    let stamp = koppla_vaxel::activity::format_unix(now_ms.div_euclid(1000)).replace(':', "-");
    let who: String = remote
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '.'))
        .take(40)
        .collect();
    let who = who.trim_matches('.');
    let name = if who.is_empty() {
        format!("{stamp}_call-{call}.wav")
    } else {
        format!("{stamp}_call-{call}_{who}.wav")
    };
    folder.join(name)
}

/// The path for a new recording of `call`, with its folder created.
pub fn prepare(app: &AppHandle, call: CallId) -> Result<PathBuf, UiError> {
    let state = app.state::<AppState>();
    let remote = state.calls().remote_of(call).unwrap_or_default();
    let folder = folder(&state.data_dir);
    std::fs::create_dir_all(&folder).map_err(|err| {
        UiError::new(
            "storage",
            format!("cannot create {}: {err}", folder.display()),
        )
    })?;
    Ok(file_for(
        &folder,
        call,
        &remote,
        koppla_store::unix_millis_now(),
    ))
}

/// The engine began writing `path` for `call`.
pub async fn started(app: &AppHandle, call: CallId, path: PathBuf) {
    let state = app.state::<AppState>();
    let history = state.calls().set_recording(call, true);
    if let Some(history) = history {
        if let Err(err) = state.store.set_recording(history, &path).await {
            tracing::warn!(%err, call, "could not link the recording to the call history");
        }
    }
    crate::calls::emit_calls(app, &state.calls());
    let _ = app.emit(crate::calls::HISTORY_EVENT, ());
}

/// The recording of `call` ended; the file is complete.
pub fn stopped(app: &AppHandle, call: CallId) {
    let state = app.state::<AppState>();
    let mut book = state.calls();
    book.set_recording(call, false);
    crate::calls::emit_calls(app, &book);
}

pub fn failed(app: &AppHandle, call: CallId, reason: String) {
    tracing::warn!(call, %reason, "recording failed");
    stopped(app, call);
    let _ = app.emit(NOTICE_EVENT, UiError::new("recording_failed", reason));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_sort_by_time_and_keep_only_safe_characters() {
        let folder = Path::new("/data/recordings");
        // 2026-11-25 10:15:02 UTC
        let at = 1_795_601_702_000;
        assert_eq!(
            file_for(folder, 3, "070-123 45 67", at),
            folder.join("2026-11-25T10-15-02Z_call-3_070-1234567.wav")
        );
        assert_eq!(
            file_for(folder, 4, "../../etc/passwd", at),
            folder.join("2026-11-25T10-15-02Z_call-4_etcpasswd.wav")
        );
        assert_eq!(
            file_for(folder, 5, "", at),
            folder.join("2026-11-25T10-15-02Z_call-5.wav")
        );
        let long = "9".repeat(200);
        let name = file_for(folder, 6, &long, at);
        assert!(name.to_string_lossy().len() < 120);
        assert!(name.starts_with(folder));
    }
}
