//! My voicemail. With Koppla Växel the messages themselves: listed with the caller's known
//! name, played on the chosen output device with pause and seek, marked heard, deleted, saved
//! to a file. With any SIP server the message-waiting counts (RFC 3842) and a number to call.
//! New messages raise the tab's badge, the tray tooltip and a desktop notification.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use koppla_audio::{AudioSink, EndBehavior, PlaybackState, Player, WavSource};
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{MailboxView, PlaybackView, VoicemailView};
use crate::switch_api::Voicemail;
use crate::AppState;

/// The mailbox changed; the payload is the whole `MailboxView`.
pub const VOICEMAIL_EVENT: &str = "voicemail-changed";
/// The message playing moved on, paused or ended; the payload is a `PlaybackView`.
pub const PLAYBACK_EVENT: &str = "voicemail-playback";

/// What is known about my mailbox in this session.
#[derive(Default)]
pub struct Mailbox {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The switch's list (none without Koppla Växel, or before the first fetch).
    messages: Option<Vec<Voicemail>>,
    /// The switch's voicemail number (from its list of service numbers).
    service_number: Option<String>,
    /// Message-waiting counts (new, old) and account from the server's notifications.
    waiting: Option<(u32, u32)>,
    account: Option<String>,
    /// Ids already told about, so a reload notifies only messages that are really new.
    seen: HashSet<i64>,
    playing: Option<(i64, Player)>,
}

impl Mailbox {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// What a notification should say about a freshly fetched list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fresh {
    Nothing,
    /// Messages waiting at the first fetch of a session (left while the app was away).
    Waiting(usize),
    /// One message just left, by this caller.
    One {
        caller: String,
    },
    /// Several just left at once.
    Several(usize),
}

/// Compares a fetched list with the ids already seen. The first list of a session tells how
/// many unheard messages wait; later ones tell only about messages not seen before.
pub fn fresh(seen: &HashSet<i64>, first: bool, list: &[Voicemail]) -> Fresh {
    let unheard: Vec<&Voicemail> = list.iter().filter(|m| !m.heard).collect();
    if first {
        return match unheard.len() {
            0 => Fresh::Nothing,
            n => Fresh::Waiting(n),
        };
    }
    let new: Vec<&&Voicemail> = unheard.iter().filter(|m| !seen.contains(&m.id)).collect();
    match new.as_slice() {
        [] => Fresh::Nothing,
        [one] => Fresh::One {
            caller: one.caller.clone(),
        },
        many => Fresh::Several(many.len()),
    }
}

/// The mailbox as the UI shows it; counts come from the list when there is one.
pub fn view(
    messages: Option<&[Voicemail]>,
    waiting: Option<(u32, u32)>,
    call_target: Option<String>,
    name_of: impl Fn(&str) -> Option<String>,
) -> MailboxView {
    let Some(messages) = messages else {
        let (new, old) = waiting.unwrap_or((0, 0));
        return MailboxView {
            listed: false,
            messages: Vec::new(),
            new,
            old,
            call_target,
        };
    };
    let count = |heard: bool| {
        u32::try_from(messages.iter().filter(|m| m.heard == heard).count()).unwrap_or(u32::MAX)
    };
    MailboxView {
        listed: true,
        messages: messages
            .iter()
            .map(|m| VoicemailView {
                id: m.id,
                caller: m.caller.clone(),
                caller_name: name_of(&m.caller),
                at: m.created_at.clone(),
                duration_ms: u64::try_from(m.duration_ms).unwrap_or(0),
                heard: m.heard,
            })
            .collect(),
        new: count(false),
        old: count(true),
        call_target,
    }
}

/// What "Call voicemail" dials: the switch's voicemail number, else the account the server's
/// notifications named, else the number from the settings.
pub fn call_target(
    switch_number: Option<&str>,
    account: Option<&str>,
    configured: Option<&str>,
) -> Option<String> {
    let usable = |s: &&str| !s.trim().is_empty();
    switch_number
        .filter(usable)
        .or(account.filter(usable))
        .or(configured.filter(usable))
        .map(|s| s.trim().to_string())
}

fn current_view(app: &AppHandle) -> MailboxView {
    let state = app.state::<AppState>();
    let configured = state.settings().voicemail_number;
    app.state::<Mailbox>().with(|inner| {
        let target = call_target(
            inner.service_number.as_deref(),
            inner.account.as_deref(),
            configured.as_deref(),
        );
        view(inner.messages.as_deref(), inner.waiting, target, |caller| {
            crate::calls::known_name(&state, caller)
        })
    })
}

/// Tells the UI (and the tray) what the mailbox is now, e.g. after the settings changed.
pub fn show(app: &AppHandle) {
    let view = current_view(app);
    crate::tray::show_voicemail(app, view.new);
    let _ = app.emit(VOICEMAIL_EVENT, view);
}

/// The switch's list was fetched (at login, after its message-waiting event, after a gap).
pub fn replace(app: &AppHandle, list: Vec<Voicemail>) {
    let fresh = app.state::<Mailbox>().with(|inner| {
        let fresh = fresh(&inner.seen, inner.messages.is_none(), &list);
        inner.seen.extend(list.iter().map(|m| m.id));
        inner.messages = Some(list);
        fresh
    });
    show(app);
    notify(app, fresh);
}

/// The switch named its voicemail number (or none).
pub fn set_service_number(app: &AppHandle, number: Option<String>) {
    let changed = app
        .state::<Mailbox>()
        .with(|inner| std::mem::replace(&mut inner.service_number, number.clone()) != number);
    if changed {
        show(app);
    }
}

/// The server's message-waiting notification (RFC 3842, or the switch's `mwi` event).
pub fn waiting(app: &AppHandle, new: u32, old: u32, account: Option<String>) {
    let first_news = app.state::<Mailbox>().with(|inner| {
        let before = inner.waiting.map_or(0, |(n, _)| n);
        inner.waiting = Some((new, old));
        if account.is_some() {
            inner.account = account;
        }
        // With a list, its own reload tells what is new; without one only the count can.
        (inner.messages.is_none() && new > before).then_some(new)
    });
    show(app);
    if let Some(n) = first_news {
        notify(
            app,
            Fresh::Waiting(usize::try_from(n).unwrap_or(usize::MAX)),
        );
    }
}

/// Logged out: nothing of this mailbox stays, and playback stops.
pub fn clear(app: &AppHandle) {
    let player = app
        .state::<Mailbox>()
        .with(|inner| std::mem::take(inner).playing);
    drop(player);
    show(app);
}

fn notify(app: &AppHandle, fresh: Fresh) {
    let state = app.state::<AppState>();
    let settings = state.settings();
    if !settings.notifications {
        return;
    }
    let language = settings.language.as_str();
    let notice = match fresh {
        Fresh::Nothing => return,
        Fresh::Waiting(n) | Fresh::Several(n) => crate::notices::voicemail_waiting(language, n),
        Fresh::One { caller } => {
            let name = crate::calls::known_name(&state, &caller);
            crate::notices::voicemail_new(language, name.as_deref(), &caller)
        }
    };
    crate::notices::show(app, notice);
}

fn playback_view(id: i64, s: PlaybackState) -> PlaybackView {
    PlaybackView {
        id,
        position_ms: s.position_ms,
        duration_ms: s.duration_ms,
        playing: s.playing,
        finished: s.finished,
    }
}

fn is_unheard(app: &AppHandle, id: i64) -> bool {
    app.state::<Mailbox>().with(|inner| {
        inner
            .messages
            .as_ref()
            .and_then(|list| list.iter().find(|m| m.id == id))
            .is_some_and(|m| !m.heard)
    })
}

/// Marks `id` heard here and on the switch (the switch then sends new counts to every device).
async fn mark_heard(app: &AppHandle, id: i64) -> UiResult<()> {
    let client = app.state::<AppState>().switch.client()?;
    client.voicemail_heard(id).await?;
    app.state::<Mailbox>().with(|inner| {
        if let Some(m) = inner
            .messages
            .as_mut()
            .and_then(|list| list.iter_mut().find(|m| m.id == id))
        {
            m.heard = true;
        }
    });
    show(app);
    Ok(())
}

/// The mailbox now (the list is fetched when the switch keeps one and it is not loaded yet).
#[tauri::command]
pub async fn voicemail_get(app: AppHandle) -> UiResult<MailboxView> {
    let state = app.state::<AppState>();
    let loaded = app
        .state::<Mailbox>()
        .with(|inner| inner.messages.is_some());
    if !loaded && state.switch.username().is_some() {
        let list = state.switch.client()?.voicemails().await?;
        replace(&app, list);
    }
    Ok(current_view(&app))
}

/// Plays message `id` from the start, or on from where it was paused. A message played to the
/// end is marked heard.
#[tauri::command]
pub async fn voicemail_play(app: AppHandle, id: i64) -> UiResult<()> {
    let resumed = app.state::<Mailbox>().with(|inner| match &inner.playing {
        Some((playing, player)) if *playing == id => {
            player.resume();
            true
        }
        _ => false,
    });
    if resumed {
        return Ok(());
    }
    let client = app.state::<AppState>().switch.client()?;
    let bytes = client.voicemail_audio(id).await?;
    play_audio(&app, id, bytes).await
}

/// Plays a WAV under `id` in the one player (a message by its id; greetings use ids below
/// zero, which are never marked heard), replacing whatever played before.
pub async fn play_audio(app: &AppHandle, id: i64, bytes: Vec<u8>) -> UiResult<()> {
    let samples = tauri::async_runtime::spawn_blocking(move || {
        WavSource::from_bytes(&bytes, &format!("voicemail {id}"), EndBehavior::Finish)
            .map(WavSource::into_samples)
    })
    .await
    .map_err(|err| UiError::new("voicemail_unplayable", err))?
    .map_err(|err| UiError::new("voicemail_unplayable", err))?;
    let device = crate::audio::choice(&app.state::<AppState>().settings().audio_output);
    let reporter = app.clone();
    let player = Player::start(
        samples,
        move || {
            koppla_audio::devices::open_output(&device)
                .or_else(|_| {
                    koppla_audio::devices::open_output(
                        &koppla_audio::hotplug::DeviceChoice::SystemDefault,
                    )
                })
                .map(|sink| Box::new(sink) as Box<dyn AudioSink>)
        },
        move |s| {
            let _ = reporter.emit(PLAYBACK_EVENT, playback_view(id, s));
            if s.finished && is_unheard(&reporter, id) {
                let app = reporter.clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(err) = mark_heard(&app, id).await {
                        tracing::info!(code = %err.code, "could not mark a played message heard");
                    }
                });
            }
        },
    )
    .map_err(|err| UiError::new("voicemail_unplayable", err))?;
    // Replacing the old player stops it (its thread ends when it is dropped).
    let old = app
        .state::<Mailbox>()
        .with(|inner| inner.playing.replace((id, player)));
    drop(old);
    Ok(())
}

fn with_player(app: &AppHandle, f: impl FnOnce(i64, &Player)) {
    app.state::<Mailbox>().with(|inner| {
        if let Some((id, player)) = &inner.playing {
            f(*id, player);
        }
    });
}

#[tauri::command]
pub fn voicemail_pause(app: AppHandle) {
    with_player(&app, |_, player| player.pause());
}

/// Moves the playing (or paused) message to `position_ms`.
#[tauri::command]
pub fn voicemail_seek(app: AppHandle, position_ms: u64) {
    with_player(&app, |id, player| {
        player.seek_ms(position_ms);
        let _ = app.emit(PLAYBACK_EVENT, playback_view(id, player.state()));
    });
}

/// Stops playback and lets the device go.
#[tauri::command]
pub fn voicemail_stop(app: AppHandle) {
    let player = app.state::<Mailbox>().with(|inner| inner.playing.take());
    drop(player);
}

#[tauri::command]
pub async fn voicemail_mark_heard(app: AppHandle, id: i64) -> UiResult<()> {
    mark_heard(&app, id).await
}

/// Deletes message `id` and its audio on the switch. The UI offers undo by waiting a moment
/// before it calls this.
#[tauri::command]
pub async fn voicemail_delete(app: AppHandle, id: i64) -> UiResult<()> {
    let client = app.state::<AppState>().switch.client()?;
    match client.voicemail_delete(id).await {
        // Deleted elsewhere meanwhile (another device): it is gone either way.
        Ok(()) | Err(crate::switch_api::SwitchApiError::VoicemailGone(_)) => {}
        Err(err) => return Err(err.into()),
    }
    let player = app.state::<Mailbox>().with(|inner| {
        if let Some(list) = inner.messages.as_mut() {
            list.retain(|m| m.id != id);
        }
        match &inner.playing {
            Some((playing, _)) if *playing == id => inner.playing.take(),
            _ => None,
        }
    });
    drop(player);
    show(&app);
    Ok(())
}

/// A file name that says whose message it is and when, with nothing a file system refuses.
pub fn file_name(caller: &str, at: &str) -> String {
    let safe = |s: &str, max: usize| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || "+-_ ".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(max)
            .collect::<String>()
            .trim()
            .to_string()
    };
    let caller = match safe(caller, 40) {
        s if s.is_empty() => "okand".to_string(),
        s => s,
    };
    // "2026-12-07T16:08:00Z" → "2026-12-07 1608".
    let when = at
        .get(..16)
        .map(|s| s.replace('T', " ").replace(':', ""))
        .unwrap_or_default();
    match safe(&when, 20) {
        w if w.is_empty() => format!("{caller}.wav"),
        w => format!("{caller} {w}.wav"),
    }
}

/// `dir/name`, or `dir/name (2).wav` and so on when a file of that name exists: saving never
/// overwrites anything.
pub fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.strip_suffix(".wav").unwrap_or(name);
    (2..1000)
        .map(|n| dir.join(format!("{stem} ({n}).wav")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Saves message `id` as a WAV file in my Downloads folder; answers the file's path.
#[tauri::command]
pub async fn voicemail_save(app: AppHandle, id: i64) -> UiResult<String> {
    let client = app.state::<AppState>().switch.client()?;
    let (caller, at) = app
        .state::<Mailbox>()
        .with(|inner| {
            inner
                .messages
                .as_ref()
                .and_then(|list| list.iter().find(|m| m.id == id))
                .map(|m| (m.caller.clone(), m.created_at.clone()))
        })
        .ok_or_else(|| UiError::new("voicemail_gone", format!("no message {id}")))?;
    let bytes = client.voicemail_audio(id).await?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|err| UiError::new("storage", err))?;
    let path = tauri::async_runtime::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let path = free_path(&dir, &file_name(&caller, &at));
        std::fs::write(&path, &bytes).map(|()| path)
    })
    .await
    .map_err(|err| UiError::new("storage", err))?
    .map_err(|err| UiError::new("storage", err))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, caller: &str, heard: bool) -> Voicemail {
        Voicemail {
            id,
            caller: caller.into(),
            created_at: "2026-12-07T08:15:00Z".into(),
            duration_ms: 4200,
            heard,
        }
    }

    #[test]
    fn the_first_list_tells_how_many_wait_and_later_ones_only_whats_new() {
        let mut seen = HashSet::new();
        let morning = [message(1, "0701234567", false), message(2, "202", true)];
        assert_eq!(fresh(&seen, true, &morning), Fresh::Waiting(1));
        seen.extend([1, 2]);
        assert_eq!(fresh(&seen, false, &morning), Fresh::Nothing);
        let later = [message(3, "203", false), message(1, "0701234567", false)];
        assert_eq!(
            fresh(&seen, false, &later),
            Fresh::One {
                caller: "203".into()
            }
        );
        let burst = [message(4, "a", false), message(5, "b", false)];
        assert_eq!(fresh(&seen, false, &burst), Fresh::Several(2));
        assert_eq!(
            fresh(&seen, false, &[message(6, "c", true)]),
            Fresh::Nothing,
            "heard elsewhere already"
        );
        assert_eq!(fresh(&HashSet::new(), true, &[]), Fresh::Nothing);
    }

    #[test]
    fn counts_come_from_the_list_or_else_from_message_waiting() {
        let list = [message(1, "202", false), message(2, "0701234567", true)];
        let v = view(Some(&list), Some((7, 7)), Some("8000".into()), |c| {
            (c == "202").then(|| "Bertil Berg".to_string())
        });
        assert!(v.listed);
        assert_eq!((v.new, v.old), (1, 1), "the list wins over stale counts");
        assert_eq!(v.messages[0].caller_name.as_deref(), Some("Bertil Berg"));
        assert_eq!(v.messages[1].caller_name, None);
        assert_eq!(v.messages[0].duration_ms, 4200);
        let plain = view(None, Some((2, 1)), None, |_| None);
        assert!(!plain.listed && plain.messages.is_empty());
        assert_eq!((plain.new, plain.old), (2, 1));
        assert_eq!(view(None, None, None, |_| None).new, 0);
    }

    #[test]
    fn call_voicemail_prefers_the_switch_then_the_server_then_the_setting() {
        assert_eq!(
            call_target(Some("8000"), Some("sip:*97@pbx"), Some("*98")).as_deref(),
            Some("8000")
        );
        assert_eq!(
            call_target(None, Some("sip:*97@pbx"), Some("*98")).as_deref(),
            Some("sip:*97@pbx")
        );
        assert_eq!(
            call_target(None, None, Some(" *98 ")).as_deref(),
            Some("*98")
        );
        assert_eq!(call_target(Some(" "), None, Some("")), None);
    }

    #[test]
    fn saved_files_are_named_for_caller_and_time_and_never_overwrite() {
        assert_eq!(
            file_name("0701234567", "2026-12-07T16:08:00Z"),
            "0701234567 2026-12-07 1608.wav"
        );
        assert_eq!(file_name("../../etc/passwd", "x"), "------etc-passwd.wav");
        assert_eq!(file_name("", ""), "okand.wav");
        let dir = std::env::temp_dir().join(format!("koppla-vm-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = free_path(&dir, "a.wav");
        assert_eq!(first, dir.join("a.wav"));
        std::fs::write(&first, b"x").unwrap();
        assert_eq!(free_path(&dir, "a.wav"), dir.join("a (2).wav"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
