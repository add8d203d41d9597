//! Number and URI parsing for Koppla: what may be dialled, and how.
//!
//! * [`parse_link`] — `tel:` (RFC 3966), `callto:` / `callto://`, `sip:` /
//!   `sips:` links handed over by the OS or a web page.
//! * [`clean_selection`] — free text the user selected ("Tel: 08-12 34 56
//!   ext 12"), reduced to the first phone number in it.
//! * [`normalise_number`] / [`to_e164`] — a number on its own, national
//!   <-> E.164 with the [`DialPlan`]'s default country.
//!
//! Anything else is refused with a [`DialError`] whose [`DialError::code`]
//! the UI translates; nothing is ever truncated or guessed into a number.

mod callto;
mod chars;
mod error;
pub mod fuzzing;
mod metadata;
mod number;
mod plan;
mod selection;
mod sip;
mod target;
mod tel;

pub use error::DialError;
pub use number::{normalise_number, to_e164, NumberKind, PhoneNumber};
pub use plan::{DialPlan, DialStyle};
pub use selection::clean_selection;
pub use sip::{SipAddress, SipParam, SipScheme};
pub use target::DialTarget;

/// Longest link accepted by [`parse_link`], in characters.
pub const MAX_LINK_LEN: usize = 256;
/// Longest selection accepted by [`clean_selection`], in characters.
pub const MAX_SELECTION_LEN: usize = 1024;

/// Parses a `tel:`, `callto:`, `sip:` or `sips:` link (scheme
/// case-insensitive). Any other scheme, a control character (raw or
/// percent-encoded) or more than [`MAX_LINK_LEN`] characters is an error.
pub fn parse_link(input: &str, plan: &DialPlan) -> Result<DialTarget, DialError> {
    chars::check_len(input, MAX_LINK_LEN)?;
    chars::check_link_chars(input)?;
    let input = input.trim_matches(' ');
    if input.is_empty() {
        return Err(DialError::Empty);
    }
    let (scheme, rest) = input.split_once(':').ok_or(DialError::NotALink)?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(DialError::NotALink);
    }
    match scheme.to_ascii_lowercase().as_str() {
        "tel" => tel::parse_tel(rest, plan).map(DialTarget::Phone),
        "callto" => callto::parse_callto(rest, plan),
        "sip" => sip::parse_sip(SipScheme::Sip, rest).map(DialTarget::Sip),
        "sips" => sip::parse_sip(SipScheme::Sips, rest).map(DialTarget::Sip),
        _ => Err(DialError::unsupported_scheme(scheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> &'static str {
        parse_link(s, &DialPlan::default()).unwrap_err().code()
    }

    #[test]
    fn dispatches_on_case_insensitive_scheme() {
        let plan = DialPlan::default();
        assert!(matches!(
            parse_link("TEL:+46701234567", &plan),
            Ok(DialTarget::Phone(_))
        ));
        assert!(matches!(
            parse_link(" Sip:bob@example.com ", &plan),
            Ok(DialTarget::Sip(_))
        ));
        assert!(matches!(
            parse_link("SIPS:bob@example.com", &plan),
            Ok(DialTarget::Sip(_))
        ));
        assert!(matches!(
            parse_link("CallTo://+46701234567", &plan),
            Ok(DialTarget::Phone(_))
        ));
    }

    #[test]
    fn hostile_links_are_refused() {
        assert_eq!(code("javascript:alert(1)"), "unsupported_scheme");
        assert_eq!(
            code("JaVaScRiPt:alert(document.cookie)//tel:070"),
            "unsupported_scheme"
        );
        assert_eq!(code("data:text/html,<script>"), "unsupported_scheme");
        assert_eq!(code("http://evil.example/?tel:070"), "unsupported_scheme");
        assert_eq!(code("file:///etc/passwd"), "unsupported_scheme");
        assert_eq!(code("java\nscript:alert(1)"), "control_character");
        assert_eq!(code("tel:+4670\u{202E}1234567"), "control_character");
        assert_eq!(code("tel:+46701234567%0D%0AVia: x"), "control_character");
        assert_eq!(code("0701234567"), "not_a_link");
        assert_eq!(code(":070"), "not_a_link");
        assert_eq!(code("1tel:070"), "not_a_link");
        assert_eq!(code("   "), "empty");
        assert_eq!(code(""), "empty");
        assert_eq!(code(&format!("tel:+46{}", "1".repeat(300))), "too_long");
        assert_eq!(
            parse_link("javascript:alert(1)", &DialPlan::default()),
            Err(DialError::UnsupportedScheme("javascript".into()))
        );
    }
}
