//! Turning a written number into a [`PhoneNumber`]: separator removal and
//! short-number detection here; public numbers are checked against the
//! libphonenumber metadata in [`crate::metadata`].

use serde::{Deserialize, Serialize};

use crate::chars::{fold, is_invisible, keypad_digit};
use crate::metadata::{international, national, HomeCountry, MAX_NATIONAL_DIGITS};
use crate::{DialError, DialPlan};

/// How a number relates to the dial plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// Internal/short number (extension, service code): dialled as written.
    Short,
    /// A public number in the plan's default country (country code equal).
    National,
    /// A public number in another country.
    International,
}

/// A dialable telephone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// `+46812345678` when the number is valid according to the metadata.
    pub e164: Option<String>,
    /// What is sent to the switch (digits, optional leading `+`, and `*`/`#`
    /// for short service codes only).
    pub dial_string: String,
    /// For humans: national format for domestic numbers (`08-123 456 78`),
    /// international format for foreign ones (`+49 30 1234567`).
    pub display: String,
    /// Extension to key in after the call is answered (digits only).
    pub ext: Option<String>,
    /// ISDN subaddress from a `tel:` link (kept for completeness; not dialled).
    pub isub: Option<String>,
    pub kind: NumberKind,
    /// ISO 3166 region of a validated number, e.g. `"SE"`.
    pub country: Option<String>,
}

/// Parses a number written on its own (`070-123 45 67`, `+46 (0)8 123 456`,
/// `0046 8 123 456`, `3267`, `*21#`) into a [`PhoneNumber`]. The whole text
/// must be the number; use [`crate::clean_selection`] for surrounding text.
pub fn normalise_number(text: &str, plan: &DialPlan) -> Result<PhoneNumber, DialError> {
    crate::chars::check_len(text, crate::MAX_LINK_LEN)?;
    crate::chars::check_link_chars(text)?;
    let compact = compact(text, plan)?;
    from_compact(&compact, plan)
}

/// National or international number in any written form → E.164
/// (`08-123 456 78` → `+46812345678` with the Swedish plan).
pub fn to_e164(text: &str, plan: &DialPlan) -> Result<String, DialError> {
    normalise_number(text, plan)?
        .e164
        .ok_or(DialError::InvalidNumber("it cannot be expressed in E.164"))
}

/// Reduces a written number to `+` and digits (`*`/`#` kept). Visual
/// separators go, `(0)` after a country code goes, letters become keypad
/// digits only when the plan allows them.
pub(crate) fn compact(text: &str, plan: &DialPlan) -> Result<String, DialError> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold)
        .collect();
    let mut out = String::with_capacity(chars.len());
    let mut seen_digit = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            '0'..='9' => {
                seen_digit = true;
                out.push(c);
            }
            '+' if out.is_empty() => out.push('+'),
            '+' => return Err(DialError::InvalidNumber("'+' is only allowed first")),
            // "+46 (0)8 ..." : the trunk prefix is not dialled from abroad.
            '(' if out.starts_with('+')
                && out.len() > 1
                && chars.get(i) == Some(&'0')
                && chars.get(i + 1) == Some(&')') =>
            {
                i += 2;
            }
            ' ' | '-' | '.' | '/' | '(' | ')' => {}
            '*' | '#' => out.push(c),
            c if c.is_ascii_alphabetic() => {
                if !plan.allow_letters {
                    return Err(DialError::LettersNotAllowed);
                }
                if let Some(d) = keypad_digit(c) {
                    out.push(d);
                }
            }
            _ => return Err(DialError::NotANumber),
        }
        if out.len() > MAX_NATIONAL_DIGITS + 4 {
            return Err(DialError::InvalidNumber("too many digits"));
        }
    }
    // Letters alone ("FLOWERS") are a word, not a number.
    if !seen_digit {
        return Err(DialError::NotANumber);
    }
    Ok(out)
}

/// `compact` is `+`/digits/`*`/`#` as produced by [`compact`].
pub(crate) fn from_compact(compact: &str, plan: &DialPlan) -> Result<PhoneNumber, DialError> {
    let home = HomeCountry::resolve(plan)?;
    let (intl, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, compact),
    };
    if digits.is_empty() {
        return Err(DialError::NotANumber);
    }
    if digits.contains(['+', '*', '#']) {
        if intl || digits.len() > plan.max_short_len || digits.contains('+') {
            return Err(DialError::InvalidNumber(
                "'*' and '#' are only allowed in short service codes",
            ));
        }
        return Ok(short(digits));
    }
    if !intl && digits.len() <= plan.max_short_len {
        return Ok(short(digits));
    }
    if intl {
        return international(digits, plan, &home);
    }
    if let Some(rest) = plan.idd().and_then(|idd| digits.strip_prefix(idd)) {
        return international(rest, plan, &home);
    }
    national(digits, plan, &home)
}

fn short(digits: &str) -> PhoneNumber {
    PhoneNumber {
        e164: None,
        dial_string: digits.to_owned(),
        display: digits.to_owned(),
        ext: None,
        isub: None,
        kind: NumberKind::Short,
        country: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn se() -> DialPlan {
        DialPlan::default()
    }

    #[test]
    fn short_numbers_stay_as_written() {
        for s in ["3267", "112", "0", "*21#", "#31#"] {
            let n = normalise_number(s, &se()).unwrap();
            assert_eq!(n.kind, NumberKind::Short);
            assert_eq!(n.dial_string, s);
            assert_eq!(n.e164, None);
        }
        let plan = DialPlan {
            max_short_len: 4,
            ..se()
        };
        assert_eq!(
            normalise_number("32671", &plan),
            Err(DialError::InvalidNumber(
                "not a valid number for the default country"
            ))
        );
    }

    #[test]
    fn service_codes_only_short() {
        assert!(matches!(
            normalise_number("+46*70123", &se()),
            Err(DialError::InvalidNumber(_))
        ));
        assert!(matches!(
            normalise_number("070123456#", &se()),
            Err(DialError::InvalidNumber(_))
        ));
    }

    #[test]
    fn refuses_dates_and_garbage() {
        assert_eq!(
            normalise_number("2024-05-01", &se()),
            Err(DialError::InvalidNumber(
                "a national number must start with the trunk prefix (0)"
            ))
        );
        // Countries that write numbers without a prefix keep working.
        let us = DialPlan::for_country("US");
        assert_eq!(to_e164("(201) 555-0123", &us).unwrap(), "+12015550123");
        assert_eq!(to_e164("1 201 555 0123", &us).unwrap(), "+12015550123");
        assert_eq!(
            normalise_number("abc", &se()),
            Err(DialError::LettersNotAllowed)
        );
        assert_eq!(normalise_number("--", &se()), Err(DialError::NotANumber));
        assert_eq!(
            normalise_number("12+3", &se()).unwrap_err().code(),
            "invalid_number"
        );
        assert_eq!(
            normalise_number("+1234567890123456", &se()),
            Err(DialError::InvalidNumber("more than 15 digits"))
        );
        assert_eq!(
            normalise_number("+0123456789", &se()),
            Err(DialError::InvalidNumber("country codes never start with 0"))
        );
        assert_eq!(
            normalise_number("07012€", &se()),
            Err(DialError::NotANumber)
        );
    }

    #[test]
    fn vanity_letters_only_when_allowed() {
        let us = DialPlan {
            allow_letters: true,
            ..DialPlan::for_country("US")
        };
        let n = normalise_number("1-800-FLOWERS", &us).unwrap();
        assert_eq!(n.e164.as_deref(), Some("+18003569377"));
        assert_eq!(
            normalise_number("1-800-FLOWERS", &DialPlan::for_country("US")),
            Err(DialError::LettersNotAllowed)
        );
        assert_eq!(normalise_number("FLOWERS", &us), Err(DialError::NotANumber));
    }

    #[test]
    fn to_e164_helper() {
        assert_eq!(to_e164("08-123 456 78", &se()).unwrap(), "+46812345678");
        assert!(to_e164("3267", &se()).is_err());
    }
}
