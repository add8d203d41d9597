//! The calls the user sees: built from the user agent's events, written to history as they
//! happen (a row exists from the first ring, so a killed app loses nothing), and pushed to the UI.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use koppla_store::{Direction, EndReason, NewCall};
use koppla_ua::runtime::Command;
use koppla_ua::{CallId, CallState};
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{CallAction, CallDirection, CallPhase, CallView};
use crate::AppState;

pub const CALLS_EVENT: &str = "calls-changed";
pub const HISTORY_EVENT: &str = "history-changed";

struct TrackedCall {
    view: CallView,
    history: Option<koppla_store::CallId>,
    /// The user turned the call down here, so it needs no missed-call notice.
    rejected_here: bool,
}

/// Calls in progress. What was dialled for an outgoing call is recorded under its id by the
/// command that placed it (`placements.rs`).
#[derive(Default)]
pub struct CallBook {
    calls: HashMap<CallId, TrackedCall>,
    /// The calls joined in the local conference (see `conference.rs`).
    conference: Vec<CallId>,
    /// Blocked callers refused without ringing (`blocked.rs`): their events are not calls.
    refused: HashSet<CallId>,
}

impl CallBook {
    pub fn views(&self) -> Vec<CallView> {
        let mut views: Vec<CallView> = self.calls.values().map(|c| c.view.clone()).collect();
        views.sort_by_key(|view| view.id);
        crate::conference::annotate(&mut views, &self.conference);
        views
    }

    pub fn conference(&self) -> &[CallId] {
        &self.conference
    }

    pub fn set_conference(&mut self, members: Vec<CallId>) {
        self.conference = members;
    }

    /// Records that the microphone of `call` is (un)muted; false when there is no such call.
    pub fn set_muted(&mut self, call: CallId, muted: bool) -> bool {
        match self.calls.get_mut(&call) {
            Some(tracked) => {
                tracked.view.muted = muted;
                true
            }
            None => false,
        }
    }

    pub fn remote_of(&self, call: CallId) -> Option<String> {
        self.calls
            .get(&call)
            .map(|tracked| tracked.view.remote.clone())
    }

    /// Flags `call` as being recorded or not; answers its history row, when it has one.
    pub fn set_recording(&mut self, call: CallId, recording: bool) -> Option<koppla_store::CallId> {
        let tracked = self.calls.get_mut(&call)?;
        tracked.view.recording = recording;
        tracked.history
    }

    /// Records that the user rejected `call` in this app.
    pub fn mark_rejected(&mut self, call: CallId) {
        if let Some(tracked) = self.calls.get_mut(&call) {
            tracked.rejected_here = true;
        }
    }

    pub fn clear(&mut self) {
        self.calls.clear();
        self.conference.clear();
        self.refused.clear();
    }

    /// `call` is a blocked caller being refused: it is never shown or recorded as a call.
    pub fn refuse(&mut self, call: CallId) {
        self.refused.insert(call);
    }
}

fn phase(state: CallState) -> CallPhase {
    match state {
        CallState::Calling => CallPhase::Calling,
        CallState::Ringing => CallPhase::Ringing,
        CallState::Early => CallPhase::Early,
        CallState::Established => CallPhase::Established,
        CallState::Held => CallPhase::Held,
        CallState::RemoteHeld => CallPhase::RemoteHeld,
        CallState::Ended => CallPhase::Ended,
    }
}

fn end_reason(reason: Option<&str>) -> EndReason {
    match reason {
        None => EndReason::Bye,
        // The call's path died (no audio, or its session expired): history and the card say
        // "Förbindelsen bröts", as for a call the app itself lost.
        Some(koppla_ua::events::CONNECTION_LOST) => EndReason::Interrupted,
        Some(text) => EndReason::parse(text),
    }
}

/// The user part of a SIP URI ("sip:3267@host" → "3267"), which is what people recognise.
pub fn remote_number(uri: &str) -> String {
    let without_name = uri
        .rsplit_once('<')
        .map_or(uri, |(_, rest)| rest.trim_end_matches('>'));
    let rest = without_name
        .strip_prefix("sips:")
        .or_else(|| without_name.strip_prefix("sip:"))
        .or_else(|| without_name.strip_prefix("tel:"))
        .unwrap_or(without_name);
    rest.split(['@', ';', '>'])
        .next()
        .unwrap_or(rest)
        .to_string()
}

/// Pushes the call list to the UI and lets the ringtone follow it.
pub fn emit_calls(app: &AppHandle, book: &CallBook) {
    let views = book.views();
    let state = app.state::<AppState>();
    state.ringer.update(&views, &state.settings());
    let _ = app.emit(CALLS_EVENT, views);
}

/// The name the user knows this number or colleague by (contacts, the switch directory,
/// address books), which beats whatever display name the other side sent.
pub(crate) fn known_name(state: &AppState, number: &str) -> Option<String> {
    let index = state.search.index();
    index
        .lookup_caller(number)
        .map(|entry| entry.name.clone())
        .filter(|name| !name.trim().is_empty())
}

/// A call rings: the name is the one the user knows the number by, else the caller's own.
pub async fn incoming(
    app: &AppHandle,
    call: CallId,
    from: String,
    caller_name: Option<String>,
    via: Option<String>,
    recall: bool,
) {
    let state = app.state::<AppState>();
    let started = koppla_store::unix_millis_now();
    let number = remote_number(&from);
    let name = known_name(&state, &number).or(caller_name);
    if crate::blocked::is_blocked(&state, &number) {
        crate::blocked::refuse(app, call, &from, &number, name).await;
        return;
    }
    let history = state
        .store
        .start_call(&NewCall {
            direction: Direction::Incoming,
            remote_uri: from.clone(),
            remote_number: number.clone(),
            display_name: name.clone().unwrap_or_default(),
            started_at_ms: started,
        })
        .await
        .map_err(|err| tracing::warn!(%err, "could not record the incoming call"))
        .ok();
    let settings = state.settings();
    if settings.notifications {
        let notice = crate::notices::incoming(&settings.language, name.as_deref(), &number);
        crate::notices::show(app, notice);
    }
    let mut book = state.calls();
    book.calls.insert(
        call,
        TrackedCall {
            view: CallView {
                id: call,
                direction: CallDirection::Incoming,
                remote: number,
                remote_name: name,
                // A recall names my own queue as where it came from: say "recall" instead.
                via: via.filter(|_| !recall),
                phase: CallPhase::Ringing,
                end_reason: None,
                started_at: started,
                answered_at: None,
                muted: false,
                recording: false,
                conference: None,
                recall: recall.then_some(true),
            },
            history,
            rejected_here: false,
        },
    );
    emit_calls(app, &book);
    drop(book);
    let _ = app.emit(HISTORY_EVENT, ());
    if settings.incoming_popup {
        crate::main_window::raise(app);
    }
    crate::external::on_call(
        app,
        &settings,
        CallDirection::Incoming,
        crate::external::CallMoment::Ringing,
        &remote_number(&from),
    );
}

pub async fn state_changed(
    app: &AppHandle,
    call: CallId,
    state: CallState,
    reason: Option<String>,
) {
    let app_state = app.state::<AppState>();
    {
        let mut book = app_state.calls();
        if book.refused.contains(&call) {
            // A blocked caller refused in `incoming`: already in history, never a call here.
            if state == CallState::Ended {
                book.refused.remove(&call);
            }
            return;
        }
    }
    crate::conference::on_call_state(&app_state, call, state);
    let now = koppla_store::unix_millis_now();
    let is_new = !app_state.calls().calls.contains_key(&call);
    if is_new {
        // Ours when this app placed it; a call the engine placed by itself (a transfer the far
        // end asked for) has no record and shows without a number.
        let placed = app_state
            .placements
            .claim(call, crate::placements::CLAIM_PATIENCE)
            .await;
        let (target, number) = placed
            .map(|placed| (placed.uri, placed.number))
            .unwrap_or_default();
        let name = known_name(&app_state, &number);
        let history = app_state
            .store
            .start_call(&NewCall {
                direction: Direction::Outgoing,
                remote_uri: target.clone(),
                remote_number: number.clone(),
                display_name: name.clone().unwrap_or_default(),
                started_at_ms: now,
            })
            .await
            .map_err(|err| tracing::warn!(%err, "could not record the outgoing call"))
            .ok();
        app_state.calls().calls.insert(
            call,
            TrackedCall {
                view: CallView {
                    id: call,
                    direction: CallDirection::Outgoing,
                    remote: number,
                    remote_name: name,
                    via: None,
                    phase: CallPhase::Calling,
                    end_reason: None,
                    started_at: now,
                    answered_at: None,
                    muted: false,
                    recording: false,
                    conference: None,
                    recall: None,
                },
                history,
                rejected_here: false,
            },
        );
    }
    let (history, first_answer) = {
        let mut book = app_state.calls();
        let Some(tracked) = book.calls.get_mut(&call) else {
            return;
        };
        let missed = state == CallState::Ended
            && crate::notices::is_missed(
                tracked.view.direction == CallDirection::Incoming,
                tracked.view.answered_at.is_some(),
                tracked.rejected_here,
                reason.as_deref().unwrap_or_default(),
            );
        tracked.view.phase = phase(state);
        let first_answer = state == CallState::Established && tracked.view.answered_at.is_none();
        if first_answer {
            tracked.view.answered_at = Some(now);
        }
        if state == CallState::Ended {
            tracked.view.end_reason = Some(end_reason(reason.as_deref()).as_str().to_string());
        }
        if missed {
            let settings = app_state.settings();
            if settings.notifications {
                let view = &tracked.view;
                let notice = crate::notices::missed(
                    &settings.language,
                    view.remote_name.as_deref(),
                    &view.remote,
                );
                crate::notices::show(app, notice);
            }
        }
        if state == CallState::Ended
            && reason.as_deref() == Some(koppla_ua::events::CONNECTION_LOST)
        {
            // The user may not be looking (headset on, window hidden): say it went, and why.
            let settings = app_state.settings();
            if settings.notifications {
                let view = &tracked.view;
                let notice = crate::notices::connection_lost(
                    &settings.language,
                    view.remote_name.as_deref(),
                    &view.remote,
                );
                crate::notices::show(app, notice);
            }
        }
        if first_answer {
            crate::external::on_call(
                app,
                &app_state.settings(),
                tracked.view.direction,
                crate::external::CallMoment::Answered,
                &tracked.view.remote,
            );
        }
        (tracked.history, first_answer)
    };
    if let Some(history) = history {
        let written = if first_answer {
            app_state.store.call_answered(history, now).await
        } else if state == CallState::Ended {
            app_state
                .store
                .call_ended(history, now, &end_reason(reason.as_deref()))
                .await
        } else {
            Ok(())
        };
        if let Err(err) = written {
            tracing::warn!(%err, call, "could not update call history");
        }
    }
    if let Some(digits) = app_state.placements.dtmf_for(call, state) {
        key_after_answer(&app_state, call, digits).await;
    }
    let mut book = app_state.calls();
    let linger = ended_card_linger(app_state.settings().ended_card_secs);
    if state == CallState::Ended && linger.is_zero() {
        // The user chose no ended cards: the list goes out without it straight away.
        book.calls.remove(&call);
        emit_calls(app, &book);
        drop(book);
        let _ = app.emit(HISTORY_EVENT, ());
        return;
    }
    emit_calls(app, &book);
    if state == CallState::Ended {
        // The UI has seen the final state; the call now lives in history only.
        book.calls.remove(&call);
        drop(book);
        let _ = app.emit(HISTORY_EVENT, ());
        // The card shows why the call ended for a moment, then goes (the list without it).
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(linger).await;
            let state = app.state::<AppState>();
            let book = state.calls();
            emit_calls(&app, &book);
        });
    }
}

/// How long an ended call's card stays to say how the call ended (Settings, default 3 s).
fn ended_card_linger(secs: u32) -> Duration {
    Duration::from_secs(u64::from(secs))
}

/// Keys the extension dialled after a number (`ankn. 12`) now that the call is answered.
async fn key_after_answer(state: &AppState, call: CallId, digits: String) {
    let sent = match crate::session::commands_and_domain(state).await {
        Ok((commands, _)) => commands
            .send(Command::Dtmf(digits, Some(call)))
            .await
            .is_ok(),
        Err(_) => false,
    };
    if !sent {
        tracing::warn!(
            call,
            "the extension could not be keyed: the call engine has stopped"
        );
    }
}

/// Maps a UI action to an agent command. `recording` is the file a `StartRecording` writes.
pub fn command_for(
    id: CallId,
    action: CallAction,
    recording: Option<std::path::PathBuf>,
) -> UiResult<Command> {
    let call = Some(id);
    Ok(match action {
        CallAction::Answer => Command::Answer(call),
        CallAction::Reject => Command::Reject(call),
        CallAction::Hangup => Command::Hangup(call),
        CallAction::Hold => Command::Hold(call),
        CallAction::Resume => Command::Resume(call),
        CallAction::Dtmf { digits } => {
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
            {
                return Err(UiError::new(
                    "invalid_dtmf",
                    "DTMF digits are 0-9, *, # and A-D",
                ));
            }
            Command::Dtmf(digits, call)
        }
        CallAction::BlindTransfer { target } => {
            if target.trim().is_empty() {
                return Err(UiError::new("invalid_input", "transfer target is empty"));
            }
            Command::Transfer(target, call)
        }
        CallAction::AttendedTransfer { other } => Command::Attended(id, other),
        CallAction::Mute => Command::Mute(true, call),
        CallAction::Unmute => Command::Mute(false, call),
        CallAction::StartRecording => match recording {
            Some(path) => Command::StartRecording(path, call),
            None => return Err(UiError::new("storage", "no file to record to")),
        },
        CallAction::StopRecording => Command::StopRecording(call),
        // Parking and camping need the switch's park code: `parking` does them.
        CallAction::Park | CallAction::CampOn { .. } => {
            return Err(UiError::new(
                "no_switch",
                "parking is a transfer to the switch",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_number_is_the_user_part() {
        assert_eq!(remote_number("sip:3267@127.0.0.1:5060"), "3267");
        assert_eq!(
            remote_number("\"Anna\" <sip:anna@vaxel.se;user=phone>"),
            "anna"
        );
        assert_eq!(remote_number("tel:+46701234567"), "+46701234567");
    }

    #[test]
    fn dtmf_is_checked_before_it_reaches_the_engine() {
        assert!(command_for(
            1,
            CallAction::Dtmf {
                digits: "12#".into()
            },
            None
        )
        .is_ok());
        let err = command_for(
            1,
            CallAction::Dtmf {
                digits: "1;rm".into(),
            },
            None,
        )
        .unwrap_err();
        assert_eq!(err.code, "invalid_dtmf");
    }

    #[test]
    fn recording_goes_to_the_given_file_of_that_call() {
        let path = std::path::PathBuf::from("/data/recordings/x.wav");
        assert_eq!(
            command_for(2, CallAction::StartRecording, Some(path.clone())).ok(),
            Some(Command::StartRecording(path, Some(2)))
        );
        assert_eq!(
            command_for(2, CallAction::StopRecording, None).ok(),
            Some(Command::StopRecording(Some(2)))
        );
        let err = command_for(2, CallAction::StartRecording, None).unwrap_err();
        assert_eq!(err.code, "storage");
    }

    #[test]
    fn the_recording_flag_follows_the_engine() {
        let mut book = CallBook::default();
        book.calls.insert(1, tracked(1));
        assert_eq!(book.set_recording(1, true), None);
        assert!(book.views()[0].recording);
        assert_eq!(book.remote_of(1).as_deref(), Some("9999"));
        book.set_recording(1, false);
        assert!(!book.views()[0].recording);
        assert_eq!(book.set_recording(9, true), None);
        assert_eq!(book.remote_of(9), None);
    }

    #[test]
    fn mute_reaches_the_engine_for_that_call() {
        assert_eq!(
            command_for(3, CallAction::Mute, None).ok(),
            Some(Command::Mute(true, Some(3)))
        );
        assert_eq!(
            command_for(3, CallAction::Unmute, None).ok(),
            Some(Command::Mute(false, Some(3)))
        );
    }

    fn tracked(id: CallId) -> TrackedCall {
        TrackedCall {
            view: CallView {
                id,
                direction: CallDirection::Outgoing,
                remote: "9999".into(),
                remote_name: None,
                via: None,
                phase: CallPhase::Established,
                end_reason: None,
                started_at: 0,
                answered_at: Some(1),
                muted: false,
                recording: false,
                conference: None,
                recall: None,
            },
            history: None,
            rejected_here: false,
        }
    }

    #[test]
    fn mute_flag_follows_the_action() {
        let mut book = CallBook::default();
        book.calls.insert(1, tracked(1));
        assert!(book.set_muted(1, true));
        assert!(book.views()[0].muted);
        assert!(!book.set_muted(7, true));
    }

    #[test]
    fn end_reasons_keep_the_engine_words() {
        assert_eq!(end_reason(Some("busy")), EndReason::Busy);
        assert_eq!(end_reason(None), EndReason::Bye);
        assert_eq!(
            end_reason(Some(koppla_ua::events::CONNECTION_LOST)),
            EndReason::Interrupted,
            "a dead call is stored as 'Förbindelsen bröts'"
        );
    }
}
