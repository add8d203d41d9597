//! Callers the user saved as Blocked never ring (checklist 16): the call is refused with 603
//! Decline at once — no ringtone, card, pop-up or notification — and history keeps the attempt,
//! marked blocked and not missed. Koppla Växel applies its own block list before this; a plain
//! SIP server does not know the app's contacts, so the app must.

use koppla_store::{Direction, EndReason, NewCall};
use koppla_ua::runtime::Command;
use koppla_ua::CallId;
use tauri::{AppHandle, Emitter, Manager};

use crate::AppState;

/// True when `number` (the caller's user part) belongs to a contact marked Blocked.
pub fn is_blocked(state: &AppState, number: &str) -> bool {
    state.search.index().is_blocked_caller(number)
}

/// Refuses the ringing `call` and logs it. The engine's later events for it are ignored
/// (`CallBook::refused`), so it never shows as a call.
pub async fn refuse(app: &AppHandle, call: CallId, from: &str, number: &str, name: Option<String>) {
    let state = app.state::<AppState>();
    state.calls().refuse(call);
    match crate::session::commands_and_domain(&state).await {
        Ok((commands, _)) => {
            if commands.send(Command::Reject(Some(call))).await.is_err() {
                tracing::warn!("the call engine stopped before a blocked caller could be refused");
            }
        }
        Err(err) => tracing::warn!(code = %err.code, "no call engine to refuse a blocked caller"),
    }
    // The number stays out of the log (as for every call); that it happened is logged.
    tracing::info!("a blocked caller was refused without ringing");
    let now = koppla_store::unix_millis_now();
    let logged = async {
        let id = state
            .store
            .start_call(&NewCall {
                direction: Direction::Incoming,
                remote_uri: from.to_string(),
                remote_number: number.to_string(),
                display_name: name.unwrap_or_default(),
                started_at_ms: now,
            })
            .await?;
        state.store.call_ended(id, now, &EndReason::Blocked).await
    };
    match logged.await {
        Ok(()) => {
            let _ = app.emit(crate::calls::HISTORY_EVENT, ());
        }
        Err(err) => tracing::warn!(%err, "could not log a blocked caller"),
    }
}
