//! The `Reason` header (RFC 3326): why a request such as CANCEL or BYE was sent.
//!
//! Its one use that matters to a softphone is telling a ring that stopped because a colleague (or
//! another device of the same user) answered apart from one the caller gave up on: switches put
//! `Reason: SIP;cause=200;text="Call completed elsewhere"` on the CANCEL of the losing forks
//! (Koppla Växel, Asterisk and FreeSWITCH all do), and ISDN gateways say the same with Q.850
//! cause 26, "non-selected user clearing". Such a call was not missed.

use crate::message::{header_values_in, split_list};
use rsip::Headers;

/// The value Koppla Växel sends on the CANCEL of a fork that lost to an answer elsewhere.
pub const COMPLETED_ELSEWHERE: &str = "SIP;cause=200;text=\"Call completed elsewhere\"";

/// The protocol a `Reason` cause is counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonProtocol {
    /// SIP status codes.
    Sip,
    /// ITU-T Q.850 (ISDN) cause values.
    Q850,
    /// Anything else (`preemption`, vendor tokens): kept so it can be logged, never acted on.
    Other(String),
}

/// One `reason-value` of a `Reason` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub protocol: ReasonProtocol,
    pub cause: Option<u16>,
    pub text: Option<String>,
}

impl Reason {
    /// Parses one `protocol *(; reason-params)` value. `None` for an empty protocol token;
    /// a malformed cause is dropped rather than failing the whole value (the header is advisory).
    pub fn parse(value: &str) -> Option<Reason> {
        let mut parts = split_params(value).into_iter();
        let first = parts.next()?;
        let protocol = first.trim();
        if protocol.is_empty() || !protocol.bytes().all(is_token_byte) {
            return None;
        }
        let protocol = if protocol.eq_ignore_ascii_case("SIP") {
            ReasonProtocol::Sip
        } else if protocol.eq_ignore_ascii_case("Q.850") {
            ReasonProtocol::Q850
        } else {
            ReasonProtocol::Other(protocol.to_string())
        };
        let mut reason = Reason {
            protocol,
            cause: None,
            text: None,
        };
        for param in parts {
            let (name, val) = param.split_once('=').unwrap_or((param.as_str(), ""));
            let (name, val) = (name.trim(), val.trim());
            if name.eq_ignore_ascii_case("cause") {
                reason.cause = val.parse().ok();
            } else if name.eq_ignore_ascii_case("text") {
                reason.text = Some(unquote(val));
            }
        }
        Some(reason)
    }

    /// The ring stopped because the call was answered by another device or colleague.
    pub fn is_completed_elsewhere(&self) -> bool {
        match self.protocol {
            ReasonProtocol::Sip => self.cause == Some(200),
            // Q.850 cause 26: non-selected user clearing.
            ReasonProtocol::Q850 => self.cause == Some(26),
            ReasonProtocol::Other(_) => false,
        }
    }
}

/// Every `Reason` value in `headers` (the header may repeat and may hold a comma list).
pub fn reasons(headers: &Headers) -> Vec<Reason> {
    header_values_in(headers, "Reason")
        .iter()
        .flat_map(|v| split_list(v).into_iter().filter_map(Reason::parse))
        .collect()
}

/// True when any `Reason` in `headers` says the call was answered elsewhere.
pub fn completed_elsewhere(headers: &Headers) -> bool {
    reasons(headers).iter().any(Reason::is_completed_elsewhere)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Splits at ';' except inside a quoted string (where `\"` does not end the quote).
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            out.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    out.push(current);
    out
}

fn unquote(value: &str) -> String {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::make_header;

    fn headers(values: &[&str]) -> Headers {
        let mut h = Headers::default();
        for v in values {
            h.push(make_header("Reason", v));
        }
        h
    }

    #[test]
    fn parses_the_switch_value() {
        let r = Reason::parse(COMPLETED_ELSEWHERE).unwrap();
        assert_eq!(r.protocol, ReasonProtocol::Sip);
        assert_eq!(r.cause, Some(200));
        assert_eq!(r.text.as_deref(), Some("Call completed elsewhere"));
        assert!(r.is_completed_elsewhere());
    }

    #[test]
    fn asterisk_freeswitch_and_isdn_forms_count_as_elsewhere() {
        assert!(completed_elsewhere(&headers(&[
            "SIP ;cause=200 ;text=\"Call completed elsewhere\""
        ])));
        assert!(completed_elsewhere(&headers(&["Q.850;cause=26"])));
        assert!(completed_elsewhere(&headers(&[
            "Q.850;cause=16;text=\"Normal\", SIP;cause=200"
        ])));
    }

    #[test]
    fn other_causes_are_not_elsewhere() {
        assert!(!completed_elsewhere(&headers(&["SIP;cause=487"])));
        assert!(!completed_elsewhere(&headers(&["Q.850;cause=16"])));
        assert!(!completed_elsewhere(&headers(&["preemption;cause=1"])));
        assert!(!completed_elsewhere(&Headers::default()));
    }

    #[test]
    fn quoted_text_may_hold_separators_and_escapes() {
        let r = Reason::parse("SIP;cause=200;text=\"a;b, \\\"c\\\"\"").unwrap();
        assert_eq!(r.text.as_deref(), Some("a;b, \"c\""));
        assert_eq!(reasons(&headers(&["SIP;text=\"x,y\";cause=200"])).len(), 1);
    }

    #[test]
    fn hostile_values_never_panic_and_never_count() {
        for v in [
            "",
            ";",
            ";;cause=200",
            "SIP;cause=",
            "SIP;cause=99999999",
            "SIP;cause=2ÿ0",
            "\"",
            "SIP;text=\"unterminated",
            "S I P;cause=200",
            "ÅÄÖ;cause=200",
        ] {
            let found = reasons(&headers(&[v]));
            assert!(!found.iter().any(Reason::is_completed_elsewhere), "{v:?}");
        }
    }
}
