//! koppla-cli: the stdin command language and the JSON event lines of `koppla agent`
//! (see the Headless CLI contract). The binary lives in `main.rs`.

use koppla_ua::runtime::Command;
use koppla_ua::{CallId, UaEvent};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("unknown command {0:?}")]
    Unknown(String),
    #[error("{0}: missing argument {1}")]
    Missing(&'static str, &'static str),
    #[error("{0}: {1:?} is not a call id")]
    BadId(&'static str, String),
    #[error("{0}: unexpected extra argument {1:?}")]
    Extra(&'static str, String),
    #[error("dtmf: {0:?} has characters other than 0-9 * # A-D")]
    BadDigits(String),
}

fn id(cmd: &'static str, s: Option<&str>) -> Result<Option<CallId>, CommandError> {
    s.map(|v| {
        v.parse::<CallId>()
            .map_err(|_| CommandError::BadId(cmd, v.to_string()))
    })
    .transpose()
}

/// Parse one stdin line. Blank lines and `#` comments give `Ok(None)`.
pub fn parse_command(line: &str) -> Result<Option<Command>, CommandError> {
    let mut it = line.split_whitespace();
    let Some(word) = it.next() else {
        return Ok(None);
    };
    if word.starts_with('#') {
        return Ok(None);
    }
    let a1 = it.next();
    let a2 = it.next();
    let no_more = |cmd: &'static str, extra: Option<&str>| match extra {
        Some(x) => Err(CommandError::Extra(cmd, x.to_string())),
        None => Ok(()),
    };
    if let Some(x) = it.next() {
        return Err(CommandError::Extra("command", x.to_string()));
    }
    let cmd = match word.to_ascii_lowercase().as_str() {
        "register" => {
            no_more("register", a1)?;
            Command::Register
        }
        "unregister" => {
            no_more("unregister", a1)?;
            Command::Unregister
        }
        "quit" | "exit" => Command::Quit,
        "voicemail" => {
            no_more("voicemail", a1)?;
            Command::Voicemail(None)
        }
        "call" => {
            no_more("call", a2)?;
            Command::Call(
                a1.ok_or(CommandError::Missing("call", "<uri>"))?
                    .to_string(),
            )
        }
        "answer" => {
            no_more("answer", a2)?;
            Command::Answer(id("answer", a1)?)
        }
        "reject" => {
            no_more("reject", a2)?;
            Command::Reject(id("reject", a1)?)
        }
        "hangup" | "bye" => {
            no_more("hangup", a2)?;
            Command::Hangup(id("hangup", a1)?)
        }
        "hold" => {
            no_more("hold", a2)?;
            Command::Hold(id("hold", a1)?)
        }
        "resume" | "unhold" => {
            no_more("resume", a2)?;
            Command::Resume(id("resume", a1)?)
        }
        "dtmf" => {
            let digits = a1.ok_or(CommandError::Missing("dtmf", "<digits>"))?;
            if !digits
                .chars()
                .all(|c| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D' | 'a'..='d'))
            {
                return Err(CommandError::BadDigits(digits.to_string()));
            }
            Command::Dtmf(digits.to_ascii_uppercase(), id("dtmf", a2)?)
        }
        "transfer" => {
            let uri = a1.ok_or(CommandError::Missing("transfer", "<uri>"))?;
            Command::Transfer(uri.to_string(), id("transfer", a2)?)
        }
        "attended" => {
            let a =
                id("attended", a1)?.ok_or(CommandError::Missing("attended", "<id_to_transfer>"))?;
            let b = id("attended", a2)?.ok_or(CommandError::Missing("attended", "<id_target>"))?;
            Command::Attended(a, b)
        }
        "mute" | "unmute" => {
            no_more("mute", a2)?;
            Command::Mute(word.eq_ignore_ascii_case("mute"), id("mute", a1)?)
        }
        "record" => {
            let path = a1.ok_or(CommandError::Missing("record", "<wav>"))?;
            Command::StartRecording(PathBuf::from(path), id("record", a2)?)
        }
        "stoprecord" => {
            no_more("stoprecord", a2)?;
            Command::StopRecording(id("stoprecord", a1)?)
        }
        other => return Err(CommandError::Unknown(other.to_string())),
    };
    Ok(Some(cmd))
}

/// The JSON line for an event, or None for internal events.
pub fn event_json(ev: &UaEvent) -> Option<Value> {
    Some(match ev {
        UaEvent::Registered { expires } => json!({"event": "registered", "expires": expires}),
        UaEvent::RegistrationFailed { reason } => {
            json!({"event": "registration_failed", "reason": reason})
        }
        UaEvent::Unregistered => json!({"event": "unregistered"}),
        UaEvent::Incoming {
            call,
            from,
            name,
            via,
            ..
        } => {
            let mut v = json!({"event": "incoming", "call": call, "from": from});
            if let Some(obj) = v.as_object_mut() {
                for (key, value) in [("name", name), ("via", via)] {
                    if let Some(value) = value {
                        obj.insert(key.into(), json!(value));
                    }
                }
            }
            v
        }
        UaEvent::CallState {
            call,
            state,
            reason,
        } => {
            let mut v = json!({"event": "call_state", "call": call, "state": state.as_str()});
            if let (Some(r), Some(obj)) = (reason, v.as_object_mut()) {
                obj.insert("reason".into(), Value::String(r.clone()));
            }
            v
        }
        UaEvent::Dtmf { call, digit } => {
            json!({"event": "dtmf", "call": call, "digit": digit.to_string()})
        }
        UaEvent::Transferred { call } => json!({"event": "transferred", "call": call}),
        UaEvent::TransferFailed { call, status } => {
            json!({"event": "transfer_failed", "call": call, "status": status})
        }
        UaEvent::RecordingStarted { call, path } => {
            json!({"event": "recording_started", "call": call, "path": path.display().to_string()})
        }
        UaEvent::RecordingStopped { call, path } => {
            json!({"event": "recording_stopped", "call": call, "path": path.display().to_string()})
        }
        UaEvent::RecordingFailed { call, reason } => {
            json!({"event": "recording_failed", "call": call, "reason": reason})
        }
        UaEvent::MessageWaiting {
            waiting,
            new,
            old,
            account,
        } => {
            let mut v =
                json!({"event": "message_waiting", "waiting": waiting, "new": new, "old": old});
            if let (Some(a), Some(obj)) = (account, v.as_object_mut()) {
                obj.insert("account".into(), Value::String(a.clone()));
            }
            v
        }
        UaEvent::Error { message } => json!({"event": "error", "message": message}),
        UaEvent::Media { .. } | UaEvent::MediaStop { .. } | UaEvent::TransferRequested { .. } => {
            return None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_ua::CallState;

    #[test]
    fn parses_every_contract_command() {
        let cases = [
            ("register", Command::Register),
            ("unregister", Command::Unregister),
            (
                "call sip:bob@127.0.0.1",
                Command::Call("sip:bob@127.0.0.1".into()),
            ),
            ("answer", Command::Answer(None)),
            ("answer 2", Command::Answer(Some(2))),
            ("reject 1", Command::Reject(Some(1))),
            ("hangup", Command::Hangup(None)),
            ("dtmf 12#* 3", Command::Dtmf("12#*".into(), Some(3))),
            ("hold", Command::Hold(None)),
            ("resume 1", Command::Resume(Some(1))),
            (
                "transfer sip:c@h 1",
                Command::Transfer("sip:c@h".into(), Some(1)),
            ),
            ("attended 1 2", Command::Attended(1, 2)),
            ("mute", Command::Mute(true, None)),
            ("unmute 2", Command::Mute(false, Some(2))),
            (
                "record /tmp/call.wav 2",
                Command::StartRecording("/tmp/call.wav".into(), Some(2)),
            ),
            ("stoprecord", Command::StopRecording(None)),
            ("voicemail", Command::Voicemail(None)),
            ("  quit  ", Command::Quit),
        ];
        for (line, want) in cases {
            assert_eq!(parse_command(line), Ok(Some(want)), "{line}");
        }
        assert_eq!(parse_command(""), Ok(None));
        assert_eq!(parse_command("# comment"), Ok(None));
    }

    #[test]
    fn rejects_bad_commands_with_reasons() {
        assert_eq!(
            parse_command("dial x"),
            Err(CommandError::Unknown("dial".into()))
        );
        assert_eq!(
            parse_command("call"),
            Err(CommandError::Missing("call", "<uri>"))
        );
        assert_eq!(
            parse_command("answer x"),
            Err(CommandError::BadId("answer", "x".into()))
        );
        assert_eq!(
            parse_command("dtmf 12x"),
            Err(CommandError::BadDigits("12x".into()))
        );
        assert!(matches!(
            parse_command("attended 1"),
            Err(CommandError::Missing(..))
        ));
        assert!(matches!(
            parse_command("hangup 1 2"),
            Err(CommandError::Extra(..))
        ));
        assert_eq!(
            parse_command("voicemail 5"),
            Err(CommandError::Extra("voicemail", "5".into()))
        );
    }

    #[test]
    fn events_serialize_per_contract() {
        let ev = UaEvent::CallState {
            call: 1,
            state: CallState::RemoteHeld,
            reason: None,
        };
        assert_eq!(
            event_json(&ev).unwrap().to_string(),
            r#"{"call":1,"event":"call_state","state":"remote_held"}"#
        );
        let ev = UaEvent::CallState {
            call: 2,
            state: CallState::Ended,
            reason: Some("busy".into()),
        };
        assert_eq!(event_json(&ev).unwrap()["reason"], "busy");
        let ev = UaEvent::RegistrationFailed {
            reason: "wrong password (403)".into(),
        };
        assert_eq!(
            event_json(&ev).unwrap().to_string(),
            r#"{"event":"registration_failed","reason":"wrong password (403)"}"#
        );
        assert_eq!(
            event_json(&UaEvent::Dtmf {
                call: 1,
                digit: '5'
            })
            .unwrap()["digit"],
            "5"
        );
        assert!(event_json(&UaEvent::MediaStop { call: 1 }).is_none());
        let ev = UaEvent::RecordingStopped {
            call: 1,
            path: "/tmp/a.wav".into(),
        };
        assert_eq!(
            event_json(&ev).unwrap().to_string(),
            r#"{"call":1,"event":"recording_stopped","path":"/tmp/a.wav"}"#
        );
        let ev = UaEvent::MessageWaiting {
            waiting: true,
            new: 2,
            old: 1,
            account: Some("sip:*97@pbx".into()),
        };
        assert_eq!(
            event_json(&ev).unwrap().to_string(),
            r#"{"account":"sip:*97@pbx","event":"message_waiting","new":2,"old":1,"waiting":true}"#
        );
        let ev = UaEvent::MessageWaiting {
            waiting: false,
            new: 0,
            old: 3,
            account: None,
        };
        assert_eq!(
            event_json(&ev).unwrap().to_string(),
            r#"{"event":"message_waiting","new":0,"old":3,"waiting":false}"#
        );
    }
}
