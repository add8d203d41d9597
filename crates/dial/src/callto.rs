//! `callto:` links (Microsoft NetMeeting / Skype era, still emitted by many
//! CRMs), with or without `//`. They may carry a phone number, a SIP address
//! or a name on some other service; names are refused, never guessed at.

use crate::chars::percent_decode;
use crate::number::{compact, from_compact};
use crate::sip::{parse_sip, SipScheme};
use crate::{DialError, DialPlan, DialTarget};

/// Parses what follows `callto:`.
pub(crate) fn parse_callto(rest: &str, plan: &DialPlan) -> Result<DialTarget, DialError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    // Skype-style `?call` / `?chat` actions carry nothing we dial.
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let decoded = percent_decode(rest)?;
    let text = decoded.trim_matches(' ');
    if text.is_empty() {
        return Err(DialError::NotANumber);
    }
    let lower: String = text
        .chars()
        .take(5)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("sip:") {
        return parse_sip(SipScheme::Sip, text.get(4..).unwrap_or_default()).map(DialTarget::Sip);
    }
    if lower == "sips:" {
        return parse_sip(SipScheme::Sips, text.get(5..).unwrap_or_default()).map(DialTarget::Sip);
    }
    if text.contains('@') {
        return parse_sip(SipScheme::Sip, text).map(DialTarget::Sip);
    }
    // A number starts with a digit, '+' or '(' ; anything else is a name
    // such as `callto:echo123`.
    let looks_numeric = text
        .chars()
        .next()
        .map(crate::chars::fold)
        .is_some_and(|c| c.is_ascii_digit() || c == '+' || c == '(');
    if !looks_numeric {
        return Err(DialError::CalltoName);
    }
    let compact_number = compact(text, plan).map_err(|e| match e {
        DialError::NotANumber => DialError::CalltoName,
        other => other,
    })?;
    from_compact(&compact_number, plan).map(DialTarget::Phone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callto(s: &str) -> Result<DialTarget, DialError> {
        parse_callto(s, &DialPlan::default())
    }

    #[test]
    fn numbers_with_and_without_slashes() {
        for s in [
            "+46701234567",
            "//+46701234567",
            "//070-123%2045%2067/",
            "+46701234567?call",
        ] {
            match callto(s).unwrap() {
                DialTarget::Phone(p) => assert_eq!(p.e164.as_deref(), Some("+46701234567"), "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        match callto("3267").unwrap() {
            DialTarget::Phone(p) => assert_eq!(p.dial_string, "3267"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sip_addresses() {
        for s in [
            "sip:alice@example.com",
            "//SIP:alice@example.com",
            "alice@example.com",
        ] {
            match callto(s).unwrap() {
                DialTarget::Sip(a) => assert_eq!(a.to_uri(), "sip:alice@example.com", "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
        match callto("sips:bob@example.com").unwrap() {
            DialTarget::Sip(a) => assert_eq!(a.to_uri(), "sips:bob@example.com"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_are_refused() {
        assert_eq!(callto("echo123"), Err(DialError::CalltoName));
        assert_eq!(callto("//live:john.doe?call"), Err(DialError::CalltoName));
        assert_eq!(callto("+46 bob"), Err(DialError::LettersNotAllowed));
        assert_eq!(callto("070;drop"), Err(DialError::CalltoName));
        assert_eq!(callto("//"), Err(DialError::NotANumber));
        assert_eq!(callto("%0a070"), Err(DialError::ControlCharacter(10)));
    }
}
