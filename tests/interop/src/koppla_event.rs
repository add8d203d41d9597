//! The JSON-lines events of `koppla agent` (Headless CLI contract).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AgentEvent {
    Registered {
        #[serde(default)]
        expires: Option<u64>,
    },
    Unregistered {},
    RegistrationFailed {
        #[serde(default)]
        reason: String,
    },
    Incoming {
        call: u64,
        #[serde(default)]
        from: String,
    },
    CallState {
        call: u64,
        state: String,
        #[serde(default)]
        reason: Option<String>,
    },
    Dtmf {
        call: u64,
        digit: String,
    },
    Transferred {
        call: u64,
    },
    Error {
        #[serde(default)]
        message: String,
    },
}

/// One stdout line: a known event, or anything else kept verbatim (future events, stray output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentLine {
    Event(AgentEvent),
    Other(String),
}

pub fn parse_line(line: &str) -> AgentLine {
    match serde_json::from_str::<AgentEvent>(line) {
        Ok(ev) => AgentLine::Event(ev),
        Err(_) => AgentLine::Other(line.to_string()),
    }
}

impl AgentEvent {
    pub fn call_id(&self) -> Option<u64> {
        match self {
            AgentEvent::Incoming { call, .. }
            | AgentEvent::CallState { call, .. }
            | AgentEvent::Dtmf { call, .. }
            | AgentEvent::Transferred { call } => Some(*call),
            _ => None,
        }
    }

    pub fn is_state(&self, wanted: &str) -> bool {
        matches!(self, AgentEvent::CallState { state, .. } if state == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contract_examples() {
        assert_eq!(
            parse_line(r#"{"event":"registered","expires":3600}"#),
            AgentLine::Event(AgentEvent::Registered {
                expires: Some(3600)
            })
        );
        assert_eq!(
            parse_line(r#"{"event":"registration_failed","reason":"wrong password (403)"}"#),
            AgentLine::Event(AgentEvent::RegistrationFailed {
                reason: "wrong password (403)".into()
            })
        );
        let ended =
            parse_line(r#"{"event":"call_state","call":1,"state":"ended","reason":"busy"}"#);
        match ended {
            AgentLine::Event(ev) => {
                assert!(ev.is_state("ended"));
                assert_eq!(ev.call_id(), Some(1));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_line(r##"{"event":"dtmf","call":2,"digit":"#"}"##),
            AgentLine::Event(AgentEvent::Dtmf {
                call: 2,
                digit: "#".into()
            })
        );
    }

    #[test]
    fn unknown_or_broken_lines_are_kept_not_fatal() {
        assert!(matches!(parse_line("hello"), AgentLine::Other(_)));
        assert!(matches!(
            parse_line(r#"{"event":"future_thing"}"#),
            AgentLine::Other(_)
        ));
        assert!(matches!(
            parse_line(r#"{"event":"dtmf","call":"x"}"#),
            AgentLine::Other(_)
        ));
    }
}
