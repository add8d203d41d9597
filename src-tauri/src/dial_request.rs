//! Turns raw input from links and the hotkey into [`DialRequest`]s for the UI. Each input is
//! parsed once, here, by the dial crate; a dialable target stays in Rust under the request's id
//! (see `pending_dials.rs`) and the UI answers with that id. Typed text goes through the same
//! parser ([`parse_typed`]).
//!
//! Requests are queued rather than only emitted because a link that launches the app arrives
//! before the webview listens; the UI drains the queue on start and whenever it is told to.

use std::sync::Mutex;
use std::time::Instant;

use koppla_dial::{DialError, DialPlan, DialTarget};
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::UiError;
use crate::ipc_types::{DialCandidate, DialOrigin, DialOutcome, DialRequest, LinkAction};
use crate::pending_dials::{DialId, PendingDials};

/// Event that tells the UI to call `take_pending_dial_requests`.
pub const DIAL_REQUEST_EVENT: &str = "dial-request-ready";
const RAW_DISPLAY_LIMIT: usize = 120;

#[derive(Default)]
pub struct Pending {
    inner: Mutex<PendingInner>,
}

#[derive(Default)]
struct PendingInner {
    queue: Vec<DialRequest>,
    dials: PendingDials,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, PendingInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn take_all(&self) -> Vec<DialRequest> {
        std::mem::take(&mut self.lock().queue)
    }

    /// The target shown to the user under `id`.
    pub fn target(&self, id: DialId) -> Result<DialTarget, UiError> {
        self.lock()
            .dials
            .get(id, Instant::now())
            .map_err(|err| UiError::new(err.code(), err))
    }

    fn push(
        &self,
        origin: DialOrigin,
        raw: &str,
        parsed: &Result<DialTarget, DialError>,
        auto_dial: bool,
        company_host: Option<&str>,
    ) -> DialRequest {
        let mut inner = self.lock();
        let id = inner
            .dials
            .add(parsed.as_ref().ok().cloned(), Instant::now());
        let request = DialRequest {
            id,
            origin,
            raw: shorten(raw),
            outcome: to_outcome(parsed, company_host),
            auto_dial,
        };
        inner.queue.push(request.clone());
        request
    }
}

/// Checks `raw` and hands the result to the UI. Links never dial unless the user chose "call
/// at once"; the hotkey dials at once because the user highlighted the number themselves. Both
/// dial here, in Rust: the UI is only told, so it can show the call's start page.
pub fn submit(app: &AppHandle, origin: DialOrigin, raw: &str) {
    let parsed = match origin {
        DialOrigin::Link => koppla_dial::parse_link(raw, &DialPlan::default()),
        DialOrigin::Hotkey | DialOrigin::Typed => {
            koppla_dial::clean_selection(raw, &DialPlan::default())
        }
    };
    let call_links_at_once = app
        .try_state::<crate::AppState>()
        .is_some_and(|state| state.settings().link_action == LinkAction::CallAtOnce);
    let auto_dial = parsed.is_ok()
        && (origin == DialOrigin::Hotkey || (origin == DialOrigin::Link && call_links_at_once));
    let company_host = app
        .try_state::<crate::AppState>()
        .and_then(|state| state.session.company_host());
    let request =
        app.state::<Pending>()
            .push(origin, raw, &parsed, auto_dial, company_host.as_deref());
    match &parsed {
        Ok(target) => tracing::info!(
            origin = ?request.origin,
            dial_string = %dial_string(target),
            auto_dial,
            "dial request accepted"
        ),
        Err(err) => {
            tracing::info!(origin = ?request.origin, code = %err.code(), "dial request refused")
        }
    }
    if let (true, Ok(target)) = (auto_dial, parsed) {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(err) = crate::call_commands::place(&app, &target).await {
                tracing::info!(code = %err.code, "automatic dial failed");
                // The user did not press anything in the window, so say why nothing rings.
                let _ = app.emit(crate::recordings::NOTICE_EVENT, err);
            }
        });
    }
    crate::main_window::raise(app);
    if let Err(err) = app.emit(DIAL_REQUEST_EVENT, request.id) {
        tracing::warn!(%err, "could not notify the UI of a dial request");
    }
}

/// What the user typed or picked in the search box, read by the same parser as a selection.
pub fn parse_typed(text: &str) -> Result<DialTarget, UiError> {
    koppla_dial::clean_selection(text, &DialPlan::default())
        .map_err(|err| UiError::new(err.code(), err))
}

/// What the log shows of a target: digits for numbers, the address for SIP.
fn dial_string(target: &DialTarget) -> String {
    match target {
        DialTarget::Phone(number) => number.dial_string.clone(),
        DialTarget::Sip(address) => address.to_uri(),
    }
}

fn to_outcome(parsed: &Result<DialTarget, DialError>, company_host: Option<&str>) -> DialOutcome {
    match parsed {
        Ok(target) => DialOutcome::Dialable {
            candidate: candidate_from(target, company_host),
        },
        Err(err) => DialOutcome::Refused {
            code: err.code().to_string(),
            message: err.to_string(),
        },
    }
}

fn candidate_from(target: &DialTarget, company_host: Option<&str>) -> DialCandidate {
    match target {
        DialTarget::Phone(number) => DialCandidate {
            display: number.display.clone(),
            e164: number.e164.clone(),
            extension: number.ext.clone(),
            is_sip_address: false,
            outside_host: None,
        },
        DialTarget::Sip(address) => DialCandidate {
            display: address.display.clone(),
            e164: None,
            extension: None,
            is_sip_address: true,
            outside_host: outside_host(&address.host, company_host),
        },
    }
}

/// `host` when it is not the company's domain nor a name under it (`sip.example.com` is inside
/// `example.com`; an IP address only matches itself). Unknown before login: nothing is claimed.
fn outside_host(host: &str, company_host: Option<&str>) -> Option<String> {
    let company = company_host?.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let is_address = company.starts_with('[') || company.parse::<std::net::Ipv4Addr>().is_ok();
    let under = !is_address && host.ends_with(&format!(".{company}"));
    (host != company && !under).then_some(host)
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
    fn a_sip_link_outside_the_company_says_where_it_goes() {
        let outside = |link: &str, company: Option<&str>| {
            let parsed = koppla_dial::parse_link(link, &DialPlan::default());
            match to_outcome(&parsed, company) {
                DialOutcome::Dialable { candidate } => candidate.outside_host,
                other => panic!("{link}: expected dialable, got {other:?}"),
            }
        };
        assert_eq!(
            outside("sip:reception@evil.example", Some("example.com")).as_deref(),
            Some("evil.example")
        );
        assert_eq!(outside("sip:anna@example.com", Some("example.com")), None);
        assert_eq!(outside("sip:anna@EXAMPLE.com", Some("example.com")), None);
        assert_eq!(
            outside("sip:anna@sip.example.com", Some("example.com")),
            None
        );
        // A look-alike ending is not a name under the company's domain.
        assert_eq!(
            outside("sip:anna@notexample.com", Some("example.com")).as_deref(),
            Some("notexample.com")
        );
        // The built-in switch's domain is an address: only that address is inside.
        assert_eq!(outside("sip:bertil@127.0.0.1", Some("127.0.0.1")), None);
        assert_eq!(
            outside("sip:bertil@192.168.1.5", Some("127.0.0.1")).as_deref(),
            Some("192.168.1.5")
        );
        // Numbers never go "outside" by host, and before login nothing is claimed.
        assert_eq!(outside("tel:+46701234567", Some("example.com")), None);
        assert_eq!(outside("sip:reception@evil.example", None), None);
    }

    #[test]
    fn javascript_link_is_refused() {
        let parsed = koppla_dial::parse_link("javascript:alert(1)", &DialPlan::default());
        match to_outcome(&parsed, None) {
            DialOutcome::Refused { code, .. } => assert_eq!(code, "unsupported_scheme"),
            other => panic!("expected refusal, got {other:?}"),
        }
    }

    #[test]
    fn tel_link_is_dialable_and_kept_under_its_id() {
        let pending = Pending::default();
        let parsed = koppla_dial::parse_link("tel:+46-70-123-45-67", &DialPlan::default());
        let request = pending.push(
            DialOrigin::Link,
            "tel:+46-70-123-45-67",
            &parsed,
            false,
            Some("example.com"),
        );
        match &request.outcome {
            DialOutcome::Dialable { candidate } => {
                assert_eq!(candidate.e164.as_deref(), Some("+46701234567"));
                assert_eq!(candidate.display, "070-123 45 67");
                assert!(!candidate.is_sip_address);
            }
            other => panic!("expected a number, got {other:?}"),
        }
        assert_eq!(pending.target(request.id).ok(), parsed.ok());
        assert_eq!(pending.take_all(), vec![request]);
        assert!(pending.take_all().is_empty());
    }

    #[test]
    fn a_refused_link_leaves_nothing_to_call() {
        let pending = Pending::default();
        let parsed = koppla_dial::parse_link("tel:javascript:alert(1)", &DialPlan::default());
        let request = pending.push(
            DialOrigin::Link,
            "tel:javascript:alert(1)",
            &parsed,
            false,
            None,
        );
        let err = pending.target(request.id).unwrap_err();
        assert_eq!(err.code, "dial_unknown");
    }

    #[test]
    fn typed_text_uses_the_selection_parser() {
        let target = parse_typed("Ring 08-123 456 78 ankn. 12").unwrap();
        assert_eq!(target.dtmf_after_answer(), Some("12"));
        assert_eq!(parse_typed("hej").unwrap_err().code, "not_a_number");
    }
}
