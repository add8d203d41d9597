//! My mailbox's settings on Koppla Växel, edited in the voicemail tab: the PIN that opens it
//! from other phones, my greetings (uploaded here or recorded by phone on the voicemail menu,
//! listened to here) and the e-mail notice of new messages. The switch checks everything again.

use koppla_vaxel::greetings::GreetingKind;
use tauri::{AppHandle, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{
    GreetingKindView, GreetingView, VoicemailNotifyView, VoicemailSettingsView,
};
use crate::switch_api::{GreetingInfo, VoicemailNotify, VoicemailNotifyInput};
use crate::AppState;

const KINDS: [GreetingKindView; 3] = [
    GreetingKindView::Default,
    GreetingKindView::Busy,
    GreetingKindView::NoAnswer,
];

fn switch_kind(kind: GreetingKindView) -> GreetingKind {
    match kind {
        GreetingKindView::Default => GreetingKind::Default,
        GreetingKindView::Busy => GreetingKind::Busy,
        GreetingKindView::NoAnswer => GreetingKind::NoAnswer,
    }
}

/// The player id a greeting plays under: below zero, so it is never taken for a message.
pub fn player_id(kind: GreetingKindView) -> i64 {
    match kind {
        GreetingKindView::Default => -1,
        GreetingKindView::Busy => -2,
        GreetingKindView::NoAnswer => -3,
    }
}

/// Every kind in a fixed order, stored or not.
pub fn greeting_views(stored: &[GreetingInfo]) -> Vec<GreetingView> {
    KINDS
        .iter()
        .map(|&kind| {
            let found = stored.iter().find(|g| g.kind == switch_kind(kind));
            GreetingView {
                kind,
                stored: found.is_some(),
                duration_ms: found.and_then(|g| g.duration_ms),
            }
        })
        .collect()
}

fn notify_view(n: VoicemailNotify) -> VoicemailNotifyView {
    VoicemailNotifyView {
        enabled: n.enabled,
        address: n.address,
        directory_email: n.directory_email,
        attach_audio: n.attach_audio,
        mail_configured: n.mail_configured,
    }
}

/// 4 to 10 digits, as the switch wants them; said here first so a typo gets a clear message.
pub fn check_pin(pin: &str) -> UiResult<&str> {
    let pin = pin.trim();
    if (4..=10).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(pin)
    } else {
        Err(UiError::new(
            "invalid_pin",
            "the PIN must be 4 to 10 digits",
        ))
    }
}

/// My mailbox settings; greetings and the e-mail notice are left out where the switch has
/// none (voicemail off, an older switch).
#[tauri::command]
pub async fn voicemail_settings_get(app: AppHandle) -> UiResult<VoicemailSettingsView> {
    let client = app.state::<AppState>().switch.client()?;
    let pin_set = client.voicemail_pin_set().await?;
    let greetings = match client.greetings().await {
        Ok(stored) => greeting_views(&stored),
        Err(err) => {
            tracing::info!(%err, "no greetings on this switch");
            Vec::new()
        }
    };
    let notify = match client.voicemail_notify().await {
        Ok(n) => Some(notify_view(n)),
        Err(err) => {
            tracing::info!(%err, "no e-mail notice on this switch");
            None
        }
    };
    Ok(VoicemailSettingsView {
        pin_set,
        greetings,
        notify,
    })
}

#[tauri::command]
pub async fn voicemail_pin_set(app: AppHandle, pin: String) -> UiResult<()> {
    let pin = check_pin(&pin)?;
    let client = app.state::<AppState>().switch.client()?;
    client.set_voicemail_pin(pin).await?;
    Ok(())
}

/// Stores a WAV file (any common format, at most two minutes) as one of my greetings.
#[tauri::command]
pub async fn greeting_upload(
    app: AppHandle,
    kind: GreetingKindView,
    wav: Vec<u8>,
) -> UiResult<GreetingView> {
    let wav = checked_greeting(wav).await?;
    let client = app.state::<AppState>().switch.client()?;
    let info = client.upload_greeting(switch_kind(kind), wav).await?;
    Ok(GreetingView {
        kind,
        stored: true,
        duration_ms: info.duration_ms,
    })
}

/// The switch takes at most two minutes.
const MAX_GREETING_SAMPLES: usize = koppla_audio::SAMPLE_RATE as usize * 120;

/// Reads the file here first, so a picture or a song gets a clear refusal in the user's
/// language before anything is sent (the switch checks it again).
async fn checked_greeting(wav: Vec<u8>) -> UiResult<Vec<u8>> {
    if wav.is_empty() {
        return Err(UiError::new("empty", "the file is empty"));
    }
    tauri::async_runtime::spawn_blocking(move || {
        let decoded = koppla_audio::WavSource::from_bytes(
            &wav,
            "greeting",
            koppla_audio::EndBehavior::Finish,
        )
        .map_err(|err| UiError::new("greeting_not_wav", err))?;
        if decoded.len_samples() > MAX_GREETING_SAMPLES {
            return Err(UiError::new(
                "greeting_too_long",
                "a greeting may be at most two minutes long",
            ));
        }
        Ok(wav)
    })
    .await
    .map_err(|err| UiError::new("storage", err))?
}

#[tauri::command]
pub async fn greeting_delete(app: AppHandle, kind: GreetingKindView) -> UiResult<()> {
    let client = app.state::<AppState>().switch.client()?;
    client.delete_greeting(switch_kind(kind)).await?;
    Ok(())
}

/// Plays one of my greetings on the chosen output, in the voicemail player.
#[tauri::command]
pub async fn greeting_play(app: AppHandle, kind: GreetingKindView) -> UiResult<()> {
    let client = app.state::<AppState>().switch.client()?;
    let wav = client.greeting_audio(switch_kind(kind)).await?;
    crate::voicemail::play_audio(&app, player_id(kind), wav).await
}

#[tauri::command]
pub async fn voicemail_notify_set(
    app: AppHandle,
    enabled: bool,
    address: Option<String>,
    attach_audio: bool,
) -> UiResult<VoicemailNotifyView> {
    let address = address
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let client = app.state::<AppState>().switch.client()?;
    let saved = client
        .set_voicemail_notify(&VoicemailNotifyInput {
            enabled,
            address,
            attach_audio,
        })
        .await?;
    Ok(notify_view(saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_greeting_kind_is_listed_whether_stored_or_not() {
        let views = greeting_views(&[GreetingInfo {
            kind: GreetingKind::Busy,
            duration_ms: Some(3500),
        }]);
        assert_eq!(
            views,
            vec![
                GreetingView {
                    kind: GreetingKindView::Default,
                    stored: false,
                    duration_ms: None
                },
                GreetingView {
                    kind: GreetingKindView::Busy,
                    stored: true,
                    duration_ms: Some(3500)
                },
                GreetingView {
                    kind: GreetingKindView::NoAnswer,
                    stored: false,
                    duration_ms: None
                },
            ]
        );
        assert!(KINDS.iter().all(|&k| player_id(k) < 0));
    }

    /// `seconds` of 8 kHz mono 16-bit PCM as a WAV file, header written by hand.
    fn wav(seconds: u32) -> Vec<u8> {
        let data = 8000 * 2 * seconds;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&8000u32.to_le_bytes());
        out.extend_from_slice(&16000u32.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data.to_le_bytes());
        out.resize(out.len() + data as usize, 0);
        out
    }

    #[tokio::test]
    async fn a_greeting_must_be_a_readable_wav_of_at_most_two_minutes() {
        assert!(checked_greeting(wav(3)).await.is_ok());
        let code = |r: UiResult<Vec<u8>>| r.err().map(|e| e.code);
        assert_eq!(
            code(checked_greeting(wav(121)).await).as_deref(),
            Some("greeting_too_long")
        );
        assert_eq!(
            code(checked_greeting(b"\x89PNG\r\n\x1a\n not audio".to_vec()).await).as_deref(),
            Some("greeting_not_wav")
        );
        assert_eq!(
            code(checked_greeting(Vec::new()).await).as_deref(),
            Some("empty")
        );
    }

    #[test]
    fn a_pin_is_four_to_ten_digits() {
        assert_eq!(check_pin(" 1234 ").ok(), Some("1234"));
        assert!(check_pin("1234567890").is_ok());
        for bad in ["123", "12345678901", "12a4", "", "１２３４"] {
            assert_eq!(
                check_pin(bad).err().map(|e| e.code),
                Some("invalid_pin".into())
            );
        }
    }
}
