//! Opening things outside Koppla: the external application (a web address with the caller's
//! number, e.g. a CRM lookup) and `mailto:` links for message templates. Both go through the
//! official opener plugin to the user's browser and mail client, and only those schemes are let out.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{AppSettings, CallDirection, ExternalAppOpen};

/// What `encodeURIComponent` leaves alone, so Rust and the UI's call button build the same address.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// A moment in a call at which the external application may open by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMoment {
    Ringing,
    Answered,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("only http(s) and mailto addresses are opened")]
    Scheme,
    #[error("the address contains control characters")]
    Control,
}

/// Fills `{number}` with the URL-encoded number, so a caller ID cannot change which site opens.
/// None when there is no usable template.
pub fn fill_template(template: Option<&str>, number: &str) -> Option<String> {
    let template = template?.trim();
    if !template.contains("{number}") || !is_web(template) {
        return None;
    }
    let encoded = utf8_percent_encode(number, COMPONENT).to_string();
    Some(template.replace("{number}", &encoded))
}

fn is_web(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Whether `url` may be handed to the system: web pages and mail only, never files or programs.
pub fn check_url(url: &str) -> Result<(), OpenError> {
    if url.chars().any(char::is_control) {
        return Err(OpenError::Control);
    }
    if is_web(url) || url.to_ascii_lowercase().starts_with("mailto:") {
        Ok(())
    } else {
        Err(OpenError::Scheme)
    }
}

/// Whether the setting asks to open the external application at this moment of this call.
pub fn opens_at(setting: ExternalAppOpen, direction: CallDirection, moment: CallMoment) -> bool {
    direction == CallDirection::Incoming
        && matches!(
            (setting, moment),
            (ExternalAppOpen::WhenRinging, CallMoment::Ringing)
                | (ExternalAppOpen::WhenAnswered, CallMoment::Answered)
        )
}

fn open(app: &AppHandle, url: &str) -> UiResult<()> {
    check_url(url).map_err(|err| UiError::new("invalid_input", err.to_string()))?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|err| UiError::new("open_failed", err.to_string()))
}

/// Opens the external application for a call when the settings ask for it at this moment.
pub fn on_call(
    app: &AppHandle,
    settings: &AppSettings,
    direction: CallDirection,
    moment: CallMoment,
    number: &str,
) {
    if !opens_at(settings.external_app_open, direction, moment) {
        return;
    }
    let Some(url) = fill_template(settings.external_app_url.as_deref(), number) else {
        return;
    };
    if let Err(err) = open(app, &url) {
        // The call itself goes on; the button on the call can still open it.
        tracing::info!(message = %err.message, "could not open the external application");
    }
}

/// Opens a web page or a `mailto:` link from the UI (the external app button, "Send message").
#[tauri::command]
pub fn open_external(app: AppHandle, url: String) -> UiResult<()> {
    open(&app, &url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_is_encoded_into_the_template() {
        assert_eq!(
            fill_template(Some("https://www.hitta.se/sök?vad={number}"), "+46 70").as_deref(),
            Some("https://www.hitta.se/sök?vad=%2B46%2070")
        );
        assert_eq!(
            fill_template(Some("https://crm.example/?a={number}&b={number}"), "1&x=2").as_deref(),
            Some("https://crm.example/?a=1%26x%3D2&b=1%26x%3D2")
        );
        assert_eq!(fill_template(Some("https://example.com/"), "1"), None);
        assert_eq!(fill_template(Some("file:///bin/sh?{number}"), "1"), None);
        assert_eq!(fill_template(None, "1"), None);
    }

    #[test]
    fn only_web_and_mail_addresses_leave_the_app() {
        assert_eq!(check_url("https://example.com/?q=1"), Ok(()));
        assert_eq!(check_url("MAILTO:a@b.se?subject=Hej"), Ok(()));
        assert_eq!(check_url("file:///etc/passwd"), Err(OpenError::Scheme));
        assert_eq!(check_url("javascript:alert(1)"), Err(OpenError::Scheme));
        assert_eq!(check_url("/usr/bin/xterm"), Err(OpenError::Scheme));
        assert_eq!(
            check_url("https://example.com/\n--flag"),
            Err(OpenError::Control)
        );
    }

    #[test]
    fn opens_only_for_incoming_calls_at_the_chosen_moment() {
        use CallDirection::*;
        use CallMoment::*;
        use ExternalAppOpen::*;
        assert!(opens_at(WhenRinging, Incoming, Ringing));
        assert!(!opens_at(WhenRinging, Incoming, Answered));
        assert!(opens_at(WhenAnswered, Incoming, Answered));
        assert!(!opens_at(WhenAnswered, Incoming, Ringing));
        assert!(!opens_at(WhenAnswered, Outgoing, Answered));
        assert!(!opens_at(Off, Incoming, Ringing));
        assert!(!opens_at(Off, Incoming, Answered));
    }
}
