//! Turns raw input from links and the hotkey into [`DialRequest`]s and queues them for the UI.
//!
//! Requests are queued rather than only emitted because a link that launches the app arrives
//! before the webview listens; the UI drains the queue on start and whenever it is told to.

use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Manager};

use crate::ipc_types::{DialCandidate, DialOrigin, DialOutcome, DialRequest, LinkAction};

/// Event that tells the UI to call `take_pending_dial_requests`.
pub const DIAL_REQUEST_EVENT: &str = "dial-request-ready";
const RAW_DISPLAY_LIMIT: usize = 120;

#[derive(Default)]
pub struct Pending {
    inner: Mutex<PendingInner>,
}

#[derive(Default)]
struct PendingInner {
    next_id: u32,
    queue: Vec<DialRequest>,
}

impl Pending {
    pub fn take_all(&self) -> Vec<DialRequest> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::take(&mut inner.queue)
    }

    fn push(
        &self,
        origin: DialOrigin,
        raw: &str,
        outcome: DialOutcome,
        auto_dial: bool,
    ) -> DialRequest {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.next_id = inner.next_id.wrapping_add(1);
        let request = DialRequest {
            id: inner.next_id,
            origin,
            raw: shorten(raw),
            outcome,
            auto_dial,
        };
        inner.queue.push(request.clone());
        request
    }
}

/// Checks `raw` and hands the result to the UI. Links never dial silently unless the user chose
/// "call at once"; the hotkey dials at once because the user highlighted the number themselves.
pub fn submit(app: &AppHandle, origin: DialOrigin, raw: &str) {
    let outcome = match origin {
        DialOrigin::Link => outcome_for_link(raw),
        DialOrigin::Hotkey | DialOrigin::Typed => outcome_for_text(raw),
    };
    let call_links_at_once = app
        .try_state::<crate::AppState>()
        .is_some_and(|state| state.settings().link_action == LinkAction::CallAtOnce);
    let auto_dial = matches!(outcome, DialOutcome::Dialable { .. })
        && (origin == DialOrigin::Hotkey || (origin == DialOrigin::Link && call_links_at_once));
    let request = app.state::<Pending>().push(origin, raw, outcome, auto_dial);
    match &request.outcome {
        DialOutcome::Dialable { candidate } => tracing::info!(
            origin = ?request.origin,
            dial_string = %candidate.dial_string,
            auto_dial,
            "dial request accepted"
        ),
        DialOutcome::Refused { code, .. } => {
            tracing::info!(origin = ?request.origin, %code, "dial request refused")
        }
    }
    crate::main_window::raise(app);
    if let Err(err) = app.emit(DIAL_REQUEST_EVENT, request.id) {
        tracing::warn!(%err, "could not notify the UI of a dial request");
    }
}

pub fn outcome_for_link(raw: &str) -> DialOutcome {
    to_outcome(koppla_dial::parse_link(
        raw,
        &koppla_dial::DialPlan::default(),
    ))
}

pub fn outcome_for_text(raw: &str) -> DialOutcome {
    to_outcome(koppla_dial::clean_selection(
        raw,
        &koppla_dial::DialPlan::default(),
    ))
}

fn to_outcome(parsed: Result<koppla_dial::DialTarget, koppla_dial::DialError>) -> DialOutcome {
    match parsed {
        Ok(target) => DialOutcome::Dialable {
            candidate: candidate_from(&target),
        },
        Err(err) => DialOutcome::Refused {
            code: err.code().to_string(),
            message: err.to_string(),
        },
    }
}

fn candidate_from(target: &koppla_dial::DialTarget) -> DialCandidate {
    match target {
        koppla_dial::DialTarget::Phone(number) => DialCandidate {
            display: number.display.clone(),
            dial_string: number.dial_string.clone(),
            e164: number.e164.clone(),
            extension: number.ext.clone(),
            is_sip_address: false,
        },
        koppla_dial::DialTarget::Sip(address) => DialCandidate {
            display: address.display.clone(),
            dial_string: address.to_uri(),
            e164: None,
            extension: None,
            is_sip_address: true,
        },
    }
}

fn shorten(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(RAW_DISPLAY_LIMIT)
        .collect();
    if raw.chars().count() > RAW_DISPLAY_LIMIT {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_strips_controls_and_marks_cut() {
        let long = format!("tel:\u{7}{}", "1".repeat(300));
        let short = shorten(&long);
        assert!(!short.contains('\u{7}'));
        assert!(short.ends_with('…'));
        assert_eq!(short.chars().count(), RAW_DISPLAY_LIMIT + 1);
    }

    #[test]
    fn javascript_link_is_refused() {
        match outcome_for_link("javascript:alert(1)") {
            DialOutcome::Refused { code, .. } => assert!(!code.is_empty()),
            other => panic!("expected refusal, got {other:?}"),
        }
    }

    #[test]
    fn tel_link_is_dialable() {
        match outcome_for_link("tel:+46-70-123-45-67") {
            DialOutcome::Dialable { candidate } => {
                assert_eq!(candidate.e164.as_deref(), Some("+46701234567"));
                assert!(!candidate.is_sip_address);
            }
            other => panic!("expected a number, got {other:?}"),
        }
    }
}
