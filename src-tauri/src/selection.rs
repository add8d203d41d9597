//! Reads the text the user has highlighted in another application.
//!
//! Linux has a PRIMARY selection that holds highlighted text without copying. Windows and macOS
//! do not, so there we simulate the copy shortcut and put the user's clipboard back afterwards.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SelectionError {
    #[error("no text is highlighted")]
    Empty,
    #[error("the selection could not be read: {0}")]
    Clipboard(String),
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    #[error("the copy shortcut could not be sent: {0}")]
    Input(String),
}

#[cfg(target_os = "linux")]
pub fn read_selected_text() -> Result<String, SelectionError> {
    use arboard::{GetExtLinux, LinuxClipboardKind};
    let mut clipboard =
        arboard::Clipboard::new().map_err(|err| SelectionError::Clipboard(err.to_string()))?;
    let text = clipboard
        .get()
        .clipboard(LinuxClipboardKind::Primary)
        .text()
        .map_err(|err| match err {
            arboard::Error::ContentNotAvailable => SelectionError::Empty,
            other => SelectionError::Clipboard(other.to_string()),
        })?;
    non_empty(text)
}

#[cfg(any(windows, target_os = "macos"))]
pub fn read_selected_text() -> Result<String, SelectionError> {
    use std::time::{Duration, Instant};

    use enigo::{Direction, Enigo, Key, Keyboard, Settings};

    let mut clipboard =
        arboard::Clipboard::new().map_err(|err| SelectionError::Clipboard(err.to_string()))?;
    let saved = clipboard.get_text().ok();
    // A marker tells a fresh copy apart from text that was already on the clipboard.
    let marker = format!("koppla-selection-probe-{}", std::process::id());
    clipboard
        .set_text(marker.clone())
        .map_err(|err| SelectionError::Clipboard(err.to_string()))?;

    let mut enigo =
        Enigo::new(&Settings::default()).map_err(|err| SelectionError::Input(err.to_string()))?;
    let modifier = if cfg!(target_os = "macos") {
        Key::Meta
    } else {
        Key::Control
    };
    let send = |enigo: &mut Enigo| -> Result<(), enigo::InputError> {
        enigo.key(modifier, Direction::Press)?;
        enigo.key(Key::Unicode('c'), Direction::Click)?;
        enigo.key(modifier, Direction::Release)
    };
    send(&mut enigo).map_err(|err| SelectionError::Input(err.to_string()))?;

    let deadline = Instant::now() + Duration::from_millis(400);
    let mut copied = None;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        if let Ok(text) = clipboard.get_text() {
            if text != marker {
                copied = Some(text);
                break;
            }
        }
    }
    match saved {
        Some(previous) => {
            let _ = clipboard.set_text(previous);
        }
        None => {
            let _ = clipboard.clear();
        }
    }
    non_empty(copied.ok_or(SelectionError::Empty)?)
}

fn non_empty(text: String) -> Result<String, SelectionError> {
    if text.trim().is_empty() {
        Err(SelectionError::Empty)
    } else {
        Ok(text)
    }
}
