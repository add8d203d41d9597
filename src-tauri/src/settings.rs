//! Client settings: loaded once at start, saved on every change, applied where they take effect.

use koppla_ua::runtime::Command;
use tauri::{AppHandle, Manager, State};

use crate::errors::UiResult;
use crate::ipc_types::AppSettings;
use crate::AppState;

const SETTINGS_KEY: &str = "app.settings";
pub const MIN_SEARCH_DELAY_MS: u32 = 50;
const MAX_SEARCH_DELAY_MS: u32 = 2_000;
/// The camp-on reminder is off at 0 and at most hourly.
pub const MAX_CAMP_ON_REMINDER_SECS: u32 = 3_600;
/// An ended card that stays longer than a minute only squeezes the next calls.
pub const MAX_ENDED_CARD_SECS: u32 = 60;

/// Brings values a user could not have chosen back into range.
pub fn normalise(mut settings: AppSettings) -> AppSettings {
    settings.search_delay_ms = settings
        .search_delay_ms
        .clamp(MIN_SEARCH_DELAY_MS, MAX_SEARCH_DELAY_MS);
    if settings.language != "en" {
        settings.language = "sv".into();
    }
    if settings.hotkey.trim().is_empty() {
        settings.hotkey = crate::hotkey::DEFAULT_ACCELERATOR.into();
    }
    settings.volume = settings.volume.min(100);
    if let Some(agc) = settings.legacy_agc.take() {
        // A file from before the three voice-processing switches: its AGC choice stands.
        settings.gain_control = agc;
    }
    settings.camp_on_reminder_secs = settings
        .camp_on_reminder_secs
        .min(MAX_CAMP_ON_REMINDER_SECS);
    settings.ended_card_secs = settings.ended_card_secs.min(MAX_ENDED_CARD_SECS);
    settings.external_app_url = settings
        .external_app_url
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
    // Dialled through the same parser as typed numbers; here it only has to be a short text.
    settings.voicemail_number = settings
        .voicemail_number
        .map(|n| n.trim().chars().take(64).collect::<String>())
        .filter(|n| !n.is_empty());
    settings.call_keys = crate::call_keys::normalise(settings.call_keys, &settings.hotkey);
    settings.message_templates = tidy_templates(settings.message_templates);
    settings
}

const MAX_TEMPLATES: usize = 20;
const MAX_TEMPLATE_CHARS: usize = 300;

/// Trimmed, non-empty, each once, and few and short enough to fit a subject line and a menu.
fn tidy_templates(templates: Vec<String>) -> Vec<String> {
    let mut tidy: Vec<String> = Vec::new();
    for template in templates {
        let text: String = template
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_TEMPLATE_CHARS)
            .collect();
        if !text.is_empty() && !tidy.contains(&text) && tidy.len() < MAX_TEMPLATES {
            tidy.push(text);
        }
    }
    tidy
}

pub async fn load(store: &koppla_store::Store) -> AppSettings {
    match store.get_setting::<AppSettings>(SETTINGS_KEY).await {
        Ok(Some(settings)) => normalise(settings),
        Ok(None) => AppSettings::default(),
        Err(err) => {
            tracing::warn!(%err, "settings unreadable; using defaults");
            AppSettings::default()
        }
    }
}

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>) -> AppSettings {
    state.settings()
}

#[tauri::command]
pub async fn settings_set(app: AppHandle, settings: AppSettings) -> UiResult<AppSettings> {
    let state = app.state::<AppState>();
    let mut settings = normalise(settings);
    let previous = state.settings();
    if settings.hotkey != previous.hotkey {
        let status = crate::hotkey::rebind(&app, &settings.hotkey);
        if !status.registered {
            // Keep the working key rather than saving one that does nothing.
            settings.hotkey = previous.hotkey.clone();
        }
    }
    let mut refused = None;
    if settings.autostart != previous.autostart {
        if let Err(err) = crate::autostart::apply(&app, settings.autostart) {
            // Save the other changes, but do not claim a login item the OS did not take.
            settings.autostart = previous.autostart;
            refused = Some(err);
        }
    }
    let saved = save(&state, settings).await?;
    if (&saved.audio_input, &saved.audio_output) != (&previous.audio_input, &previous.audio_output)
    {
        // A call in progress moves to the new headset or speaker at once.
        state.audio.use_devices(&saved);
    } else {
        state.audio.set_volume(saved.volume);
    }
    // A call in progress switches its voice processing from its next frame.
    state.audio.use_voice_processing(&saved);
    if saved.view_mode != previous.view_mode {
        crate::main_window::apply_view_mode(&app, saved.view_mode);
        if saved.view_mode == crate::ipc_types::ViewMode::Operator {
            crate::main_window::widen_for_console(&app);
        }
    }
    if saved.language != previous.language {
        crate::tray::refresh(&app);
    }
    if saved.language != previous.language || saved.call_keys != previous.call_keys {
        // The menu bar's labels and the call keys it shows.
        crate::menu::refresh(&app);
    }
    if saved.voicemail_number != previous.voicemail_number {
        // "Call voicemail" dials the new number at once.
        crate::voicemail::show(&app);
    }
    let changed = engine_commands(&previous, &saved);
    if !changed.is_empty() {
        // The running session follows at once; the next login reads the settings anyway.
        if let Ok((commands, _)) = crate::session::commands_and_domain(&state).await {
            for command in changed {
                let _ = commands.send(command).await;
            }
        }
    }
    match refused {
        Some(err) => Err(err),
        None => Ok(saved),
    }
}

/// What the running call engine must be told of a change: it copied these settings when the
/// session started, and would otherwise follow them only after the next login.
fn engine_commands(previous: &AppSettings, saved: &AppSettings) -> Vec<Command> {
    let mut commands = Vec::new();
    if saved.accept_direct_calls != previous.accept_direct_calls {
        commands.push(Command::AcceptDirectRequests(saved.accept_direct_calls));
    }
    if saved.auto_answer != previous.auto_answer {
        commands.push(Command::AutoAnswer(saved.auto_answer));
    }
    commands
}

pub async fn save(state: &AppState, settings: AppSettings) -> UiResult<AppSettings> {
    let settings = normalise(settings);
    state.store.set_setting(SETTINGS_KEY, &settings).await?;
    state.replace_settings(settings.clone());
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_delay_never_below_fifty_ms() {
        let settings = normalise(AppSettings {
            search_delay_ms: 5,
            ..AppSettings::default()
        });
        assert_eq!(settings.search_delay_ms, MIN_SEARCH_DELAY_MS);
    }

    #[test]
    fn camp_on_reminder_is_capped_and_may_be_off() {
        assert_eq!(AppSettings::default().camp_on_reminder_secs, 30);
        let settings = normalise(AppSettings {
            camp_on_reminder_secs: 1_000_000,
            ..AppSettings::default()
        });
        assert_eq!(settings.camp_on_reminder_secs, MAX_CAMP_ON_REMINDER_SECS);
        let off = normalise(AppSettings {
            camp_on_reminder_secs: 0,
            ..AppSettings::default()
        });
        assert_eq!(off.camp_on_reminder_secs, 0);
    }

    #[test]
    fn ended_card_stays_three_seconds_by_default_at_most_a_minute() {
        assert_eq!(AppSettings::default().ended_card_secs, 3);
        let long = normalise(AppSettings {
            ended_card_secs: 86_400,
            ..AppSettings::default()
        });
        assert_eq!(long.ended_card_secs, MAX_ENDED_CARD_SECS);
        let at_once = normalise(AppSettings {
            ended_card_secs: 0,
            ..AppSettings::default()
        });
        assert_eq!(at_once.ended_card_secs, 0);
    }

    #[test]
    fn direct_calls_are_off_by_default_and_kept_when_on() {
        assert!(!AppSettings::default().accept_direct_calls);
        let on = normalise(AppSettings {
            accept_direct_calls: true,
            ..AppSettings::default()
        });
        assert!(on.accept_direct_calls);
        let old: AppSettings = serde_json::from_str(r#"{"language":"en"}"#).expect("old settings");
        assert!(
            !old.accept_direct_calls,
            "settings saved before the option keep it off"
        );
    }

    #[test]
    fn unknown_language_falls_back_to_swedish() {
        let settings = normalise(AppSettings {
            language: "de".into(),
            ..AppSettings::default()
        });
        assert_eq!(settings.language, "sv");
    }

    #[test]
    fn external_app_must_be_a_web_address() {
        let settings = normalise(AppSettings {
            external_app_url: Some("file:///etc/passwd?{number}".into()),
            ..AppSettings::default()
        });
        assert_eq!(settings.external_app_url, None);
        let settings = normalise(AppSettings {
            external_app_url: Some("https://example.com/?q={number}".into()),
            ..AppSettings::default()
        });
        assert!(settings.external_app_url.is_some());
    }

    #[test]
    fn the_voicemail_number_is_trimmed_and_blank_means_none() {
        let with = |n: &str| {
            normalise(AppSettings {
                voicemail_number: Some(n.into()),
                ..AppSettings::default()
            })
            .voicemail_number
        };
        assert_eq!(with(" *97 ").as_deref(), Some("*97"));
        assert_eq!(with("   "), None);
        assert_eq!(with(&"9".repeat(200)).map(|n| n.len()), Some(64));
    }

    #[test]
    fn message_templates_are_tidied() {
        let settings = normalise(AppSettings {
            message_templates: vec![
                "  Ring mig\nnär du kan ".into(),
                "".into(),
                "Ring mig när du kan".into(),
                "x".repeat(400),
            ],
            ..AppSettings::default()
        });
        assert_eq!(
            settings.message_templates,
            vec!["Ring mig när du kan".to_string(), "x".repeat(300)]
        );
        let many = normalise(AppSettings {
            message_templates: (0..30).map(|n| format!("Mall {n}")).collect(),
            ..AppSettings::default()
        });
        assert_eq!(many.message_templates.len(), MAX_TEMPLATES);
    }

    #[test]
    fn call_keys_are_checked_against_the_dial_hotkey() {
        let settings = normalise(AppSettings {
            hotkey: "F9".into(),
            call_keys: crate::ipc_types::CallKeys {
                answer: "f9".into(),
                hangup: "ctrl+shift+e".into(),
                ..Default::default()
            },
            ..AppSettings::default()
        });
        assert_eq!(settings.call_keys.answer, "");
        assert_eq!(settings.call_keys.hangup, "Ctrl+Shift+E");
    }

    #[test]
    fn settings_saved_before_these_fields_existed_still_load() {
        let old: AppSettings =
            serde_json::from_str(r#"{"language":"en","hotkey":"F8"}"#).expect("old settings");
        assert_eq!(old.language, "en");
        assert_eq!(old.call_keys, crate::ipc_types::CallKeys::default());
        assert_eq!(
            old.external_app_open,
            crate::ipc_types::ExternalAppOpen::Off
        );
        assert_eq!(
            old.email_separator,
            crate::ipc_types::EmailSeparator::Semicolon
        );
        assert_eq!(old.message_templates.len(), 2);
    }

    #[test]
    fn settings_the_engine_copied_at_login_are_pushed_when_they_change() {
        let before = AppSettings::default();
        assert!(engine_commands(&before, &before.clone()).is_empty());
        let unrelated = AppSettings {
            volume: 40,
            notifications: false,
            ..before.clone()
        };
        assert!(
            engine_commands(&before, &unrelated).is_empty(),
            "settings read at their moment of use need no push"
        );
        let auto = AppSettings {
            auto_answer: true,
            ..before.clone()
        };
        let pushed = engine_commands(&before, &auto);
        assert!(
            matches!(pushed.as_slice(), [Command::AutoAnswer(true)]),
            "auto-answer on reaches the running session"
        );
        let pushed = engine_commands(&auto, &before);
        assert!(matches!(pushed.as_slice(), [Command::AutoAnswer(false)]));
        let both = AppSettings {
            auto_answer: true,
            accept_direct_calls: true,
            ..before.clone()
        };
        let pushed = engine_commands(&before, &both);
        assert!(matches!(
            pushed.as_slice(),
            [
                Command::AcceptDirectRequests(true),
                Command::AutoAnswer(true)
            ]
        ));
    }

    #[test]
    fn defaults_ask_before_dialling_links() {
        assert_eq!(
            AppSettings::default().link_action,
            crate::ipc_types::LinkAction::Ask
        );
    }
}
