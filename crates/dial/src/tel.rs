//! RFC 3966 `tel:` URIs.
//!
//! Strict where it matters for safety (controls, encoded controls, duplicate
//! or malformed parameters, global numbers with a context) and lenient where
//! real web pages deviate harmlessly: spaces as separators (`tel:070 123 45
//! 67`), `tel://`, and local numbers without `phone-context`, which are read
//! with the user's dial plan.

use crate::chars::percent_decode;
use crate::number::{compact, from_compact, NumberKind, PhoneNumber};
use crate::{DialError, DialPlan};

const MAX_EXT_DIGITS: usize = 16;
const MAX_ISUB_LEN: usize = 32;

#[derive(Default)]
struct Params {
    ext: Option<String>,
    isub: Option<String>,
    context: Option<Context>,
}

enum Context {
    /// `phone-context=+46-8`: the local number continues these digits.
    Digits(String),
    /// `phone-context=example.com`: private to that domain.
    Domain,
}

/// Parses what follows `tel:` (scheme already removed).
pub(crate) fn parse_tel(rest: &str, plan: &DialPlan) -> Result<PhoneNumber, DialError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let mut parts = rest.split(';');
    let raw_number = parts.next().unwrap_or_default();
    let number_text = percent_decode(raw_number)?;
    let number_text = number_text.trim_matches(' ');
    if number_text.is_empty() {
        return Err(DialError::InvalidTelUri("no number"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || " +*#-.()/".contains(c);
    if !number_text.chars().map(crate::chars::fold).all(allowed) {
        return Err(DialError::InvalidTelUri(
            "unexpected character in the number",
        ));
    }
    let params = parse_params(parts, plan)?;
    let compact_number = compact(number_text, plan)?;
    let global = compact_number.starts_with('+');
    let mut number = match (&params.context, global) {
        (Some(_), true) => {
            return Err(DialError::InvalidTelUri(
                "a global number must not have a phone-context",
            ))
        }
        (Some(Context::Digits(prefix)), false) if !compact_number.contains(['*', '#']) => {
            from_compact(&format!("{prefix}{compact_number}"), plan)?
        }
        _ => from_compact(&compact_number, plan)?,
    };
    if number.kind == NumberKind::Short && (params.ext.is_some() || params.isub.is_some()) {
        // An extension on an extension is meaningless; refuse rather than guess.
        return Err(DialError::InvalidTelUri(
            "a short number cannot have ext or isub",
        ));
    }
    number.ext = params.ext;
    number.isub = params.isub;
    Ok(number)
}

fn parse_params<'a>(
    parts: impl Iterator<Item = &'a str>,
    plan: &DialPlan,
) -> Result<Params, DialError> {
    let mut params = Params::default();
    let mut seen: Vec<String> = Vec::new();
    for part in parts {
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (part, None),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(DialError::InvalidTelUri("malformed parameter"));
        }
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(DialError::InvalidTelUri("duplicate parameter"));
        }
        let value = value.map(percent_decode).transpose()?;
        match (name.as_str(), value) {
            ("ext", Some(v)) => params.ext = Some(parse_ext(&v)?),
            ("isub", Some(v)) => params.isub = Some(parse_isub(&v)?),
            ("phone-context", Some(v)) => params.context = Some(parse_context(&v, plan)?),
            ("ext" | "isub" | "phone-context", None) => {
                return Err(DialError::InvalidTelUri("parameter without a value"))
            }
            // Unknown parameters are allowed by RFC 3966 and carry nothing we dial.
            _ => {}
        }
        seen.push(name);
    }
    Ok(params)
}

/// Extension digits, visual separators allowed (`ext=12-34`).
pub(crate) fn parse_ext(v: &str) -> Result<String, DialError> {
    let mut digits = String::new();
    for c in v.chars().map(crate::chars::fold) {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '.' | '(' | ')' | ' ' => {}
            _ => return Err(DialError::InvalidTelUri("extension must be digits")),
        }
    }
    if digits.is_empty() || digits.len() > MAX_EXT_DIGITS {
        return Err(DialError::InvalidTelUri("extension must be 1 to 16 digits"));
    }
    Ok(digits)
}

fn parse_isub(v: &str) -> Result<String, DialError> {
    let ok = !v.is_empty()
        && v.chars().count() <= MAX_ISUB_LEN
        && v.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(v.to_owned())
    } else {
        Err(DialError::InvalidTelUri(
            "isub must be 1 to 32 printable characters",
        ))
    }
}

fn parse_context(v: &str, plan: &DialPlan) -> Result<Context, DialError> {
    if v.starts_with('+') {
        let digits = compact(v, plan).ok().filter(|d| {
            d.strip_prefix('+').is_some_and(|digits| {
                (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            })
        });
        return digits.map(Context::Digits).ok_or(DialError::InvalidTelUri(
            "phone-context must be +digits or a domain",
        ));
    }
    let domain_ok = !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && v.bytes().any(|b| b.is_ascii_alphabetic());
    if domain_ok {
        Ok(Context::Domain)
    } else {
        Err(DialError::InvalidTelUri(
            "phone-context must be +digits or a domain",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tel(s: &str) -> Result<PhoneNumber, DialError> {
        parse_tel(s, &DialPlan::default())
    }

    #[test]
    fn global_number_with_visual_separators() {
        let n = tel("+46-8-123.456.78").unwrap();
        assert_eq!(n.e164.as_deref(), Some("+46812345678"));
        assert_eq!(n.display, "08-123 456 78");
    }

    #[test]
    fn percent_encoded_spaces_and_double_slash() {
        assert_eq!(
            tel("//070%20123%2045%2067").unwrap().e164.as_deref(),
            Some("+46701234567")
        );
    }

    #[test]
    fn ext_and_isub() {
        let n = tel("+46-8-123-456-78;ext=12;isub=abc").unwrap();
        assert_eq!(n.ext.as_deref(), Some("12"));
        assert_eq!(n.isub.as_deref(), Some("abc"));
        assert_eq!(n.dial_string, "+46812345678");
        assert_eq!(
            tel("+46812345678;EXT=1-2").unwrap().ext.as_deref(),
            Some("12")
        );
    }

    #[test]
    fn local_number_with_digit_context() {
        let n = tel("123-456-78;phone-context=+46-8").unwrap();
        assert_eq!(n.e164.as_deref(), Some("+46812345678"));
    }

    #[test]
    fn local_number_with_domain_context_is_read_with_plan() {
        let n = tel("3267;phone-context=example.com").unwrap();
        assert_eq!(n.kind, NumberKind::Short);
        assert_eq!(n.dial_string, "3267");
        let n = tel("*21#;phone-context=+46").unwrap();
        assert_eq!(n.dial_string, "*21#");
    }

    #[test]
    fn refusals() {
        let code = |s: &str| tel(s).unwrap_err().code();
        assert_eq!(code(""), "invalid_tel_uri");
        assert_eq!(code(";ext=1"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;phone-context=+46"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;ext=1;ext=2"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;ext=abc"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;ext"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;e x=1"), "invalid_tel_uri");
        assert_eq!(code("+46812345678;isub=%20"), "invalid_tel_uri");
        assert_eq!(code("1234;phone-context=+"), "invalid_tel_uri");
        assert_eq!(code("1234;phone-context=@@"), "invalid_tel_uri");
        assert_eq!(code("3267;ext=1"), "invalid_tel_uri");
        assert_eq!(code("+46812345678%00"), "control_character");
        assert_eq!(code("+46812345678;ext=1%0A"), "control_character");
        assert_eq!(code("+4681234%zz"), "invalid_percent_encoding");
        assert_eq!(code("javascript:alert(1)"), "invalid_tel_uri");
        assert_eq!(code("1-800-FLOWERS"), "letters_not_allowed");
        assert_eq!(code("0701234567?x=1"), "invalid_tel_uri");
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let n = tel("+46812345678;tsp=example.com;foo").unwrap();
        assert_eq!(n.e164.as_deref(), Some("+46812345678"));
    }
}
