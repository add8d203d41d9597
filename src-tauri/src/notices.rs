//! Desktop notifications for calls: what they say, in the user's language. Rust sends them
//! (not the webview) so they also appear while the window is hidden in the tray.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// "Anna Lindqvist (1001)", or just the number when the caller sent no name.
fn caller(name: Option<&str>, number: &str) -> String {
    match name
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != number)
    {
        Some(name) => format!("{name} ({number})"),
        None => number.to_string(),
    }
}

fn swedish(language: &str) -> bool {
    language != "en"
}

pub fn incoming(language: &str, name: Option<&str>, number: &str) -> Notice {
    Notice {
        title: if swedish(language) {
            "Inkommande samtal"
        } else {
            "Incoming call"
        }
        .into(),
        body: caller(name, number),
    }
}

pub fn missed(language: &str, name: Option<&str>, number: &str) -> Notice {
    let who = caller(name, number);
    Notice {
        title: if swedish(language) {
            "Missat samtal"
        } else {
            "Missed call"
        }
        .into(),
        body: if swedish(language) {
            format!("Från {who}")
        } else {
            format!("From {who}")
        },
    }
}

/// A call ended because its connection died (no audio from the other side, or its session
/// expired unrefreshed): the user hears silence and must learn it is over, and that nobody hung
/// up on them.
pub fn connection_lost(language: &str, name: Option<&str>, number: &str) -> Notice {
    let who = caller(name, number);
    Notice {
        title: if swedish(language) {
            "Förbindelsen bröts"
        } else {
            "Connection lost"
        }
        .into(),
        body: if swedish(language) {
            format!("Samtalet med {who} bröts – ingen ljudförbindelse")
        } else {
            format!("The call with {who} was cut off – no audio connection")
        },
    }
}

/// Several calls missed while the app was closed or offline, told in one notice.
pub fn missed_while_away(language: &str, count: usize) -> Notice {
    Notice {
        title: if swedish(language) {
            "Missade samtal"
        } else {
            "Missed calls"
        }
        .into(),
        body: if swedish(language) {
            format!("{count} samtal medan du var borta")
        } else {
            format!("{count} calls while you were away")
        },
    }
}

/// A voicemail message was just left.
pub fn voicemail_new(language: &str, name: Option<&str>, number: &str) -> Notice {
    let who = caller(name, number);
    Notice {
        title: if swedish(language) {
            "Nytt röstmeddelande"
        } else {
            "New voice message"
        }
        .into(),
        body: if swedish(language) {
            format!("Från {who}")
        } else {
            format!("From {who}")
        },
    }
}

/// Voicemail messages wait (at login, or several at once, or a server that only counts).
pub fn voicemail_waiting(language: &str, count: usize) -> Notice {
    let (title, body) = match (swedish(language), count) {
        (true, 1) => (
            "Nytt röstmeddelande",
            "1 nytt meddelande i röstbrevlådan".into(),
        ),
        (true, n) => (
            "Nya röstmeddelanden",
            format!("{n} nya meddelanden i röstbrevlådan"),
        ),
        (false, 1) => (
            "New voice message",
            "1 new message in your voicemail".into(),
        ),
        (false, n) => (
            "New voice messages",
            format!("{n} new messages in your voicemail"),
        ),
    };
    Notice {
        title: title.into(),
        body,
    }
}

/// A call is missed when it came in and was never answered; one the user turned down here
/// was seen, so it gets no notice (history still lists it as missed), and one a colleague or
/// another device of the user's answered (the switch said so, RFC 3326) was taken care of.
pub fn is_missed(incoming: bool, answered: bool, rejected_here: bool, end_reason: &str) -> bool {
    incoming && !answered && !rejected_here && end_reason != koppla_ua::events::ANSWERED_ELSEWHERE
}

pub fn show(app: &AppHandle, notice: Notice) {
    let shown = app
        .notification()
        .builder()
        .title(notice.title)
        .body(notice.body)
        .show();
    if let Err(err) = shown {
        // No notification service (e.g. a bare X session): the window and tray still show calls.
        tracing::info!(%err, "could not show a notification");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_names_the_caller_in_the_users_language() {
        assert_eq!(
            incoming("sv", Some("Anna Lindqvist"), "1001"),
            Notice {
                title: "Inkommande samtal".into(),
                body: "Anna Lindqvist (1001)".into()
            }
        );
        assert_eq!(incoming("en", None, "1001").title, "Incoming call");
        assert_eq!(incoming("en", Some("  "), "1001").body, "1001");
        assert_eq!(incoming("sv", Some("1001"), "1001").body, "1001");
    }

    #[test]
    fn missed_says_from_whom() {
        assert_eq!(
            missed("sv", Some("Bo Ek"), "3267"),
            Notice {
                title: "Missat samtal".into(),
                body: "Från Bo Ek (3267)".into()
            }
        );
        assert_eq!(missed("en", None, "3267").body, "From 3267");
    }

    #[test]
    fn a_lost_connection_says_with_whom_and_why() {
        assert_eq!(
            connection_lost("sv", Some("Bo Ek"), "3267"),
            Notice {
                title: "Förbindelsen bröts".into(),
                body: "Samtalet med Bo Ek (3267) bröts – ingen ljudförbindelse".into()
            }
        );
        assert_eq!(
            connection_lost("en", None, "3267"),
            Notice {
                title: "Connection lost".into(),
                body: "The call with 3267 was cut off – no audio connection".into()
            }
        );
    }

    #[test]
    fn voicemail_notices_name_the_caller_or_the_count() {
        assert_eq!(
            voicemail_new("sv", Some("Bo Ek"), "3267"),
            Notice {
                title: "Nytt röstmeddelande".into(),
                body: "Från Bo Ek (3267)".into()
            }
        );
        assert_eq!(voicemail_new("en", None, "3267").title, "New voice message");
        assert_eq!(
            voicemail_waiting("sv", 1).body,
            "1 nytt meddelande i röstbrevlådan"
        );
        assert_eq!(
            voicemail_waiting("en", 3),
            Notice {
                title: "New voice messages".into(),
                body: "3 new messages in your voicemail".into()
            }
        );
    }

    #[test]
    fn only_unanswered_incoming_calls_not_turned_down_here_are_missed() {
        assert!(is_missed(true, false, false, "cancelled"));
        assert!(!is_missed(true, true, false, "bye"));
        assert!(!is_missed(true, false, true, "cancelled"));
        assert!(!is_missed(false, false, false, "cancelled"));
        assert!(
            !is_missed(true, false, false, "answered_elsewhere"),
            "a colleague or another device answered"
        );
    }
}
