//! `tel:`, `callto:` and `sip:` links arriving from the OS, at launch or from a second instance.
//! A second instance's link reaches us through the deep-link plugin: single-instance is built with
//! its `deep-link` feature, which replays the forwarded URL as an open-url event here.

use tauri::AppHandle;

use crate::dial_request;
use crate::ipc_types::DialOrigin;

/// Handles a URL the deep-link plugin delivered. It is never dialled without the user seeing it,
/// see [`dial_request::submit`].
pub fn handle_url(app: &AppHandle, url: &str) {
    dial_request::submit(app, DialOrigin::Link, url);
}
