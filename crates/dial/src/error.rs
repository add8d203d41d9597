//! Errors returned to the UI. Every variant has a stable [`DialError::code`]
//! so the UI can show its own Swedish or English text; `Display` is English.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// Why an input was not accepted as something to dial.
///
/// Messages never echo more than a short, sanitised fragment of the input,
/// so a hostile link cannot smuggle text into logs or dialogs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// Nothing (or only whitespace) was given.
    #[error("nothing to dial: the input is empty")]
    Empty,

    /// The input is longer than the limit for its kind; it is never truncated.
    #[error("input is too long ({len} characters, at most {max} allowed)")]
    TooLong { len: usize, max: usize },

    /// A control or bidirectional-override character was found (raw or
    /// percent-encoded).
    #[error("input contains a control character (U+{0:04X})")]
    ControlCharacter(u32),

    /// A `%` escape is malformed or decodes to invalid UTF-8.
    #[error("malformed percent-encoding")]
    InvalidPercentEncoding,

    /// The input is a link with a scheme we never dial (`javascript:`,
    /// `http:`, ...).
    #[error("unsupported link type \"{0}:\" (only tel:, callto:, sip: and sips: can be dialled)")]
    UnsupportedScheme(String),

    /// The input passed to `parse_link` has no scheme at all.
    #[error("not a tel:, callto:, sip: or sips: link")]
    NotALink,

    /// No phone number could be found in the text.
    #[error("no phone number found")]
    NotANumber,

    /// Something phone-like was found, but it is not a valid number.
    #[error("not a valid phone number: {0}")]
    InvalidNumber(&'static str),

    /// Letters in a number (vanity numbers) while the dial plan forbids them.
    #[error("the number contains letters; enable letter dialling to convert them to digits")]
    LettersNotAllowed,

    /// A `tel:` URI that violates RFC 3966.
    #[error("invalid tel: link: {0}")]
    InvalidTelUri(&'static str),

    /// A `sip:`/`sips:` URI that violates RFC 3261.
    #[error("invalid SIP address: {0}")]
    InvalidSipUri(&'static str),

    /// `callto:` carrying a name (Skype-style) rather than a number or SIP address.
    #[error("callto: link names a contact on another service, not a phone number or SIP address")]
    CalltoName,

    /// The dial plan names a country the number metadata does not know.
    #[error("unknown default country \"{0}\" in the dial plan")]
    UnknownCountry(String),
}

impl DialError {
    /// Stable machine-readable identifier, for translation in the UI.
    pub fn code(&self) -> &'static str {
        match self {
            DialError::Empty => "empty",
            DialError::TooLong { .. } => "too_long",
            DialError::ControlCharacter(_) => "control_character",
            DialError::InvalidPercentEncoding => "invalid_percent_encoding",
            DialError::UnsupportedScheme(_) => "unsupported_scheme",
            DialError::NotALink => "not_a_link",
            DialError::NotANumber => "not_a_number",
            DialError::InvalidNumber(_) => "invalid_number",
            DialError::LettersNotAllowed => "letters_not_allowed",
            DialError::InvalidTelUri(_) => "invalid_tel_uri",
            DialError::InvalidSipUri(_) => "invalid_sip_uri",
            DialError::CalltoName => "callto_name",
            DialError::UnknownCountry(_) => "unknown_country",
        }
    }

    /// Every code [`DialError::code`] can return, for UI translation tables.
    pub const ALL_CODES: &'static [&'static str] = &[
        "empty",
        "too_long",
        "control_character",
        "invalid_percent_encoding",
        "unsupported_scheme",
        "not_a_link",
        "not_a_number",
        "invalid_number",
        "letters_not_allowed",
        "invalid_tel_uri",
        "invalid_sip_uri",
        "callto_name",
        "unknown_country",
    ];

    /// Builds `UnsupportedScheme` from untrusted text: keeps at most 32 ASCII
    /// scheme characters so the message stays short and printable.
    pub(crate) fn unsupported_scheme(scheme: &str) -> Self {
        let clean: String = scheme
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .take(32)
            .collect::<String>()
            .to_ascii_lowercase();
        DialError::UnsupportedScheme(clean)
    }
}

/// Serialised as `{"code": "...", "message": "..."}` for the UI.
impl Serialize for DialError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("DialError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_listed() {
        let samples = [
            DialError::Empty,
            DialError::TooLong { len: 300, max: 256 },
            DialError::ControlCharacter(0),
            DialError::InvalidPercentEncoding,
            DialError::UnsupportedScheme("http".into()),
            DialError::NotALink,
            DialError::NotANumber,
            DialError::InvalidNumber("x"),
            DialError::LettersNotAllowed,
            DialError::InvalidTelUri("x"),
            DialError::InvalidSipUri("x"),
            DialError::CalltoName,
            DialError::UnknownCountry("XX".into()),
        ];
        let codes: Vec<_> = samples.iter().map(DialError::code).collect();
        assert_eq!(codes, DialError::ALL_CODES);
    }

    #[test]
    fn scheme_in_message_is_sanitised() {
        let e = DialError::unsupported_scheme("JavaScript\u{202e}<b>");
        assert_eq!(e, DialError::UnsupportedScheme("javascriptb".into()));
        let long = "a".repeat(100);
        match DialError::unsupported_scheme(&long) {
            DialError::UnsupportedScheme(s) => assert_eq!(s.len(), 32),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn serialises_code_and_message() {
        let json = serde_json::to_value(DialError::TooLong { len: 300, max: 256 }).unwrap();
        assert_eq!(json["code"], "too_long");
        assert_eq!(
            json["message"],
            "input is too long (300 characters, at most 256 allowed)"
        );
    }
}
