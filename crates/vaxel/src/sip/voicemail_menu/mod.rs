//! Dialling in to voicemail (decision 0509): the voicemail number is a local call the switch
//! answers itself, with RFC 4733 telephone-event in its SDP answer so the caller's keys
//! arrive as digits. Who the caller is decides the login — a user's own authenticated phone
//! opens their mailbox, anyone else (the trunk) gives mailbox and PIN. The menu itself is the
//! sans-IO [`Menu`] in `machine.rs`, driven by `media/voicemail_menu.rs`.

mod machine;
#[cfg(test)]
mod tests;

pub use machine::{
    Action, Audio, Input, Login, Mailbox, Menu, LOGIN_ATTEMPTS, MAX_GREETING, SILENCE,
    SILENT_LIMIT, WELCOME_PAUSE,
};

use super::core::SipCore;
use crate::model::normalize_number;

impl SipCore {
    /// How a call to `dialled` logs into voicemail, when it is the voicemail number and the
    /// switch keeps voicemail. `caller` is the authenticated user, or — for a call from the
    /// trunk, `authenticated` false — only what its From claims, which opens nothing.
    pub(crate) fn voicemail_menu_login(
        &self,
        dialled: &str,
        caller: &str,
        authenticated: bool,
    ) -> Option<Login> {
        let number = &self.cfg.calls.voicemail_number;
        let wanted = normalize_number(number);
        if !self.cfg.calls.voicemail || wanted.is_empty() {
            return None;
        }
        if dialled != number && normalize_number(dialled) != wanted {
            return None;
        }
        Some(if authenticated && self.dir.get(caller).is_some() {
            Login::Owner(caller.to_string())
        } else {
            Login::Ask
        })
    }
}

/// The payload type the offer maps to `telephone-event/8000` (RFC 4733), if any. Only the
/// 8 kHz clock is taken: the menu's audio is G.711, and an event's timestamps run on the
/// audio's clock.
pub fn telephone_event_pt(offer: &str) -> Option<u8> {
    offer.lines().find_map(|l| {
        let rest = l.trim_end_matches('\r').strip_prefix("a=rtpmap:")?;
        let (pt, enc) = rest.split_once(' ')?;
        enc.trim()
            .eq_ignore_ascii_case("telephone-event/8000")
            .then(|| pt.parse().ok())
            .flatten()
    })
}

/// Adds telephone-event payload type `pt` (keys 0-15) to a local answer's audio line, so the
/// caller sends its keys as RFC 4733 events (RFC 3264: an answer may only list payload types
/// the offer had, which the caller of [`telephone_event_pt`] guarantees).
pub fn with_telephone_event(answer: &str, pt: u8) -> String {
    let mut out = String::with_capacity(answer.len() + 64);
    for line in answer.split_inclusive("\r\n") {
        let bare = line.trim_end_matches("\r\n");
        if bare.starts_with("m=audio ") {
            out.push_str(&format!("{bare} {pt}\r\n"));
        } else if bare == "a=sendrecv" {
            out.push_str(&format!(
                "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-15\r\n"
            ));
            out.push_str(line);
        } else {
            out.push_str(line);
        }
    }
    out
}
