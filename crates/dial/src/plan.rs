//! The user's dial plan: how numbers without a country are read and what is
//! sent to the switch.

use serde::{Deserialize, Serialize};

/// What [`crate::PhoneNumber::dial_string`] looks like for public numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialStyle {
    /// `+46812345678` for every validated public number (RFC 3966 global
    /// number; what a standards-based switch routes best).
    #[default]
    E164,
    /// Domestic numbers as the national digits (`0812345678`), foreign ones
    /// with the international prefix (`004930123456`), for switches whose
    /// dial plan expects what a desk phone user would key in.
    National,
}

/// How to interpret numbers. `Default` is the Swedish plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialPlan {
    /// ISO 3166-1 alpha-2 region used for numbers written without a country
    /// code, e.g. `"SE"`.
    pub default_country: String,
    /// Numbers with at most this many digits (and no `+`) are internal short
    /// numbers and are dialled exactly as written (`3267` stays `3267`).
    pub max_short_len: usize,
    /// Prefix that replaces `+` when dialling abroad, e.g. `"00"`. A number
    /// written with it (`0049 30 ...`) is read as international.
    pub international_prefix: String,
    /// Convert letters to keypad digits (`1-800-FLOWERS`). Off by default so
    /// stray words are never dialled.
    pub allow_letters: bool,
    /// Format of the dial string for public numbers.
    pub dial_style: DialStyle,
}

impl Default for DialPlan {
    fn default() -> Self {
        DialPlan {
            default_country: "SE".to_owned(),
            max_short_len: 6,
            international_prefix: "00".to_owned(),
            allow_letters: false,
            dial_style: DialStyle::E164,
        }
    }
}

impl DialPlan {
    /// The default plan for another country, with that country's
    /// international prefix (`"011"` for `"US"`) when the metadata has a
    /// single one; otherwise `"00"`.
    pub fn for_country(iso: &str) -> Self {
        let iso = iso.trim().to_ascii_uppercase();
        let international_prefix = phonenumber::metadata::DATABASE
            .by_id(iso.as_str())
            .and_then(|m| {
                m.preferred_international_prefix()
                    .or_else(|| m.international_prefix().map(|r| r.as_str()))
                    .map(str::to_owned)
            })
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| "00".to_owned());
        DialPlan {
            default_country: iso,
            international_prefix,
            ..DialPlan::default()
        }
    }

    /// The international prefix as digits, or `None` if it is empty or not
    /// made of digits (then only `+` marks international numbers).
    pub(crate) fn idd(&self) -> Option<&str> {
        let p = self.international_prefix.as_str();
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_swedish() {
        let p = DialPlan::default();
        assert_eq!(p.default_country, "SE");
        assert_eq!(p.max_short_len, 6);
        assert_eq!(p.idd(), Some("00"));
        assert!(!p.allow_letters);
    }

    #[test]
    fn non_digit_idd_is_ignored() {
        let mut p = DialPlan::for_country("us");
        assert_eq!(p.default_country, "US");
        assert_eq!(p.idd(), Some("011"));
        assert_eq!(DialPlan::for_country("SE"), DialPlan::default());
        assert_eq!(DialPlan::for_country("DE").idd(), Some("00"));
        p.international_prefix = "+".into();
        assert_eq!(p.idd(), None);
        p.international_prefix = String::new();
        assert_eq!(p.idd(), None);
    }

    #[test]
    fn deserialises_partial_settings() {
        let p: DialPlan =
            serde_json::from_str(r#"{"default_country":"NO","dial_style":"national"}"#).unwrap();
        assert_eq!(p.default_country, "NO");
        assert_eq!(p.dial_style, DialStyle::National);
        assert_eq!(p.max_short_len, 6);
    }
}
