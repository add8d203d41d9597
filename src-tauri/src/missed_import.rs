//! Calls the switch could not put through while this app was closed, offline or not ringing,
//! merged into the local history at login and after every reconnect (the feed asks for the list
//! then), each exactly once, with one notice for what is new.

use tauri::{AppHandle, Emitter, Manager};

use crate::notices::{self, Notice};
use crate::state::AppState;
use crate::switch_api::MissedCall;
use koppla_store::{ForeignMissed, Imported};

/// The history's form of one of the switch's missed calls. The key names the switch and the
/// account, since ids are only unique within one switch's list. `None` for an unreadable time.
pub fn to_foreign(switch: &str, username: &str, call: &MissedCall) -> Option<ForeignMissed> {
    let at_s = koppla_vaxel::activity::parse_rfc3339(&call.at)?;
    Some(ForeignMissed {
        key: format!("{}/{username}/{}", switch.trim_end_matches('/'), call.id),
        caller: call.caller.clone(),
        at_ms: at_s.checked_mul(1000)?,
    })
}

/// One notice for what was new: the caller when it is one call, the count when more.
pub fn notice(language: &str, added: &[ForeignMissed]) -> Option<Notice> {
    match added {
        [] => None,
        [one] => Some(notices::missed(language, None, &one.caller)),
        many => Some(notices::missed_while_away(language, many.len())),
    }
}

pub async fn merge(app: &AppHandle, calls: Vec<MissedCall>) {
    let state = app.state::<AppState>();
    let Some((switch, username)) = state.switch.account() else {
        return;
    };
    let mut added = Vec::new();
    let mut linked = false;
    for call in &calls {
        let Some(foreign) = to_foreign(&switch, &username, call) else {
            tracing::info!(
                id = call.id,
                "the switch sent a missed call without a readable time"
            );
            continue;
        };
        match state.store.import_missed(&foreign).await {
            Ok(Imported::Added(_)) => added.push(foreign),
            Ok(Imported::AlreadyKnown(_)) => linked = true,
            Ok(Imported::Seen) => {}
            Err(err) => tracing::warn!(%err, "could not add a missed call to the history"),
        }
    }
    if added.is_empty() && !linked {
        return;
    }
    tracing::info!(
        added = added.len(),
        "missed calls from the switch merged into the history"
    );
    let _ = app.emit(crate::calls::HISTORY_EVENT, ());
    let settings = state.settings();
    if settings.notifications {
        if let Some(notice) = notice(&settings.language, &added) {
            notices::show(app, notice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: i64, caller: &str, at: &str) -> MissedCall {
        MissedCall {
            id,
            caller: caller.into(),
            at: at.into(),
        }
    }

    #[test]
    fn keys_name_the_switch_and_account_and_times_become_milliseconds() {
        let f = to_foreign(
            "https://vaxel.example.se/",
            "anna",
            &call(42, "bo", "2026-12-02T08:15:00Z"),
        )
        .unwrap();
        assert_eq!(f.key, "https://vaxel.example.se/anna/42");
        assert_eq!(f.caller, "bo");
        assert_eq!(f.at_ms, 1_796_199_300_000);
        assert!(to_foreign("x", "anna", &call(1, "bo", "yesterday")).is_none());
    }

    #[test]
    fn one_notice_for_whatever_was_new() {
        let f = |n: i64| ForeignMissed {
            key: n.to_string(),
            caller: "1001".into(),
            at_ms: n,
        };
        assert_eq!(notice("sv", &[]), None);
        assert_eq!(notice("sv", &[f(1)]).unwrap().body, "Från 1001");
        let many = notice("en", &[f(1), f(2), f(3)]).unwrap();
        assert_eq!(many.body, "3 calls while you were away");
        assert_eq!(
            notice("sv", &[f(1), f(2)]).unwrap().body,
            "2 samtal medan du var borta"
        );
    }
}
