//! Public numbers against the libphonenumber metadata (`phonenumber`
//! crate): validation, E.164 and national formatting, and the plausibility
//! rules for numbers the metadata does not know.
//!
//! Only compact strings (`+` and ASCII digits) are handed to `phonenumber`:
//! its own RFC 3966 / free-text front end has had panics on crafted input
//! (GHSA-whhr-7f2w-qqj2, GHSA-mjw4-jj88-v687), and we never need it.

use std::fmt::Write as _;

use phonenumber::metadata::DATABASE;
use phonenumber::{country, Mode};

use crate::number::{NumberKind, PhoneNumber};
use crate::{DialError, DialPlan, DialStyle};

/// E.164 allows at most 15 digits including the country code.
const MAX_E164_DIGITS: usize = 15;
/// National numbers may carry a trunk prefix on top of that.
pub(crate) const MAX_NATIONAL_DIGITS: usize = 17;
/// Below this a non-short public number cannot be real in any plan.
const MIN_PUBLIC_DIGITS: usize = 7;

pub(crate) struct HomeCountry {
    id: country::Id,
    code: u16,
    trunk: Option<String>,
}

impl HomeCountry {
    pub(crate) fn resolve(plan: &DialPlan) -> Result<Self, DialError> {
        let iso = plan.default_country.trim().to_ascii_uppercase();
        let unknown = || DialError::UnknownCountry(plan.default_country.chars().take(8).collect());
        let id: country::Id = iso.parse().map_err(|_| unknown())?;
        let meta = DATABASE.by_id(iso.as_str()).ok_or_else(unknown)?;
        Ok(HomeCountry {
            id,
            code: meta.country_code(),
            trunk: meta.national_prefix().map(str::to_owned),
        })
    }
}

pub(crate) fn international(
    digits: &str,
    plan: &DialPlan,
    home: &HomeCountry,
) -> Result<PhoneNumber, DialError> {
    if digits.len() > MAX_E164_DIGITS {
        return Err(DialError::InvalidNumber("more than 15 digits"));
    }
    if digits.len() < MIN_PUBLIC_DIGITS {
        return Err(DialError::InvalidNumber(
            "too short for an international number",
        ));
    }
    if digits.starts_with('0') {
        return Err(DialError::InvalidNumber("country codes never start with 0"));
    }
    let parsed = phonenumber::parse(None, format!("+{digits}"))
        .map_err(|_| DialError::InvalidNumber("unknown country code"))?;
    if parsed.is_valid() {
        return validated(&parsed, plan, home);
    }
    // "+46 08 ..." : a trunk prefix written after the country code.
    let cc = parsed.code().value().to_string();
    if let Some(after_cc) = digits.strip_prefix(cc.as_str()) {
        let trunk = DATABASE.by_code(&parsed.code().value()).and_then(|metas| {
            metas
                .first()
                .and_then(|m| m.national_prefix().map(str::to_owned))
        });
        if let Some(rest) = trunk.as_deref().and_then(|t| after_cc.strip_prefix(t)) {
            if let Ok(retry) = phonenumber::parse(None, format!("+{cc}{rest}")) {
                if retry.is_valid() {
                    return validated(&retry, plan, home);
                }
            }
        }
    }
    // Known country code and a possible length, but not in the metadata's
    // ranges (new ranges appear faster than metadata updates): dial as is.
    let cc = parsed.code().value();
    let nsn_len = digits.len().saturating_sub(cc.to_string().len());
    if !possible_length(cc, nsn_len) {
        return Err(DialError::InvalidNumber("wrong length for its country"));
    }
    let kind = if parsed.code().value() == home.code {
        NumberKind::National
    } else {
        NumberKind::International
    };
    let e164_like = format!("+{digits}");
    let dial_string = match (plan.dial_style, plan.idd()) {
        (DialStyle::National, Some(idd)) if kind == NumberKind::International => {
            format!("{idd}{digits}")
        }
        _ => e164_like.clone(),
    };
    Ok(PhoneNumber {
        e164: None,
        dial_string,
        display: e164_like,
        ext: None,
        isub: None,
        kind,
        country: None,
    })
}

pub(crate) fn national(
    digits: &str,
    plan: &DialPlan,
    home: &HomeCountry,
) -> Result<PhoneNumber, DialError> {
    if digits.len() > MAX_NATIONAL_DIGITS {
        return Err(DialError::InvalidNumber("too many digits"));
    }
    if let Ok(parsed) = phonenumber::parse(Some(home.id), digits) {
        if parsed.is_valid() {
            if missing_trunk_prefix(&parsed, digits, home) {
                return Err(DialError::InvalidNumber(
                    "a national number must start with the trunk prefix (0)",
                ));
            }
            return validated(&parsed, plan, home);
        }
    }
    // Written with the trunk prefix and of plausible length: a domestic
    // number the metadata does not know yet. Anything else (dates, order
    // numbers) is refused rather than dialled.
    let after_trunk = home.trunk.as_deref().and_then(|t| digits.strip_prefix(t));
    if after_trunk.is_some_and(|nsn| possible_length(home.code, nsn.len())) {
        return Ok(PhoneNumber {
            e164: None,
            dial_string: digits.to_owned(),
            display: digits.to_owned(),
            ext: None,
            isub: None,
            kind: NumberKind::National,
            country: None,
        });
    }
    Err(DialError::InvalidNumber(
        "not a valid number for the default country",
    ))
}

/// Whether some region with country code `cc` has national numbers of
/// `nsn_len` digits (libphonenumber's "possible length"). The crate leaves
/// the general descriptor's lengths empty, so take the union of the types.
fn possible_length(cc: u16, nsn_len: usize) -> bool {
    DATABASE.by_code(&cc).is_some_and(|metas| {
        metas.iter().any(|m| {
            let d = m.descriptors();
            [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            .any(|desc| {
                desc.possible_length()
                    .iter()
                    .any(|&l| usize::from(l) == nsn_len)
            })
        })
    })
}

/// True when the country writes this number with a trunk prefix but the
/// text lacks it: "20240501" is a date, not Swedish 020-24 05 01. Countries
/// whose national format has no prefix (US "(555) 123-4567") are unaffected.
fn missing_trunk_prefix(
    parsed: &phonenumber::PhoneNumber,
    digits: &str,
    home: &HomeCountry,
) -> bool {
    let Some(trunk) = home.trunk.as_deref() else {
        return false;
    };
    let national: String = format_mode(parsed, Mode::National)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    national.starts_with(trunk) && national.strip_prefix(trunk) == Some(digits)
}

fn validated(
    parsed: &phonenumber::PhoneNumber,
    plan: &DialPlan,
    home: &HomeCountry,
) -> Result<PhoneNumber, DialError> {
    let broken = || DialError::InvalidNumber("cannot be formatted");
    let e164 = format_mode(parsed, Mode::E164).ok_or_else(broken)?;
    let domestic = parsed.code().value() == home.code;
    let display = if domestic {
        format_mode(parsed, Mode::National)
    } else {
        format_mode(parsed, Mode::International)
    }
    .ok_or_else(broken)?;
    let dial_string = match plan.dial_style {
        DialStyle::E164 => e164.clone(),
        DialStyle::National if domestic => {
            let national = format_mode(parsed, Mode::National).ok_or_else(broken)?;
            national.chars().filter(char::is_ascii_digit).collect()
        }
        DialStyle::National => match plan.idd() {
            Some(idd) => format!("{idd}{}", e164.trim_start_matches('+')),
            None => e164.clone(),
        },
    };
    Ok(PhoneNumber {
        e164: Some(e164),
        dial_string,
        display,
        ext: None,
        isub: None,
        kind: if domestic {
            NumberKind::National
        } else {
            NumberKind::International
        },
        country: parsed.country().id().map(|id| id.as_ref().to_owned()),
    })
}

/// The formatter reports unknown metadata as `fmt::Error`; `to_string()`
/// would panic on that, writing into a `String` does not.
fn format_mode(parsed: &phonenumber::PhoneNumber, mode: Mode) -> Option<String> {
    let mut s = String::new();
    write!(s, "{}", parsed.format().mode(mode)).ok()?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise_number;

    fn se() -> DialPlan {
        DialPlan::default()
    }

    #[test]
    fn swedish_mobile_national_and_e164() {
        let n = normalise_number("070-123 45 67", &se()).unwrap();
        assert_eq!(n.e164.as_deref(), Some("+46701234567"));
        assert_eq!(n.dial_string, "+46701234567");
        assert_eq!(n.display, "070-123 45 67");
        assert_eq!(n.kind, NumberKind::National);
        assert_eq!(n.country.as_deref(), Some("SE"));
    }

    #[test]
    fn trunk_prefix_in_parentheses_after_country_code() {
        let a = normalise_number("+46 (0)8 123 456 78", &se()).unwrap();
        let b = normalise_number("08-123 456 78", &se()).unwrap();
        assert_eq!(a.e164.as_deref(), Some("+46812345678"));
        assert_eq!(a, b);
    }

    #[test]
    fn trunk_prefix_written_after_country_code_is_dropped() {
        let n = normalise_number("+46 070 123 45 67", &se()).unwrap();
        assert_eq!(n.e164.as_deref(), Some("+46701234567"));
    }

    #[test]
    fn international_prefix_and_foreign_numbers() {
        let n = normalise_number("0049 30 1234567", &se()).unwrap();
        assert_eq!(n.e164.as_deref(), Some("+49301234567"));
        assert_eq!(n.kind, NumberKind::International);
        assert_eq!(n.country.as_deref(), Some("DE"));
        assert!(n.display.starts_with("+49 30"), "{}", n.display);
    }

    #[test]
    fn national_dial_style() {
        let plan = DialPlan {
            dial_style: DialStyle::National,
            ..se()
        };
        assert_eq!(
            normalise_number("+46701234567", &plan).unwrap().dial_string,
            "0701234567"
        );
        assert_eq!(
            normalise_number("+49 30 1234567", &plan)
                .unwrap()
                .dial_string,
            "0049301234567"
        );
    }

    #[test]
    fn unvalidated_but_plausible_domestic_number_is_kept() {
        // 0 + area code range not (yet) in the metadata.
        let n = normalise_number("010-000 00 00", &se()).unwrap();
        assert_eq!(n.e164, None);
        assert_eq!(n.dial_string, "0100000000");
        assert_eq!(n.kind, NumberKind::National);
        // Without the trunk prefix it is not plausible.
        assert_eq!(
            normalise_number("100 00 00 00", &se()).unwrap_err().code(),
            "invalid_number"
        );
    }

    #[test]
    fn unknown_country_in_plan() {
        let plan = DialPlan::for_country("XQ");
        assert_eq!(
            normalise_number("070-123 45 67", &plan),
            Err(DialError::UnknownCountry("XQ".into()))
        );
    }

    #[test]
    fn unknown_ranges_abroad_need_a_possible_length() {
        let n = normalise_number("+46 10 000 00 00", &se()).unwrap();
        assert_eq!((n.e164, n.dial_string.as_str()), (None, "+46100000000"));
        assert_eq!(
            normalise_number("+46 70123", &se()),
            Err(DialError::InvalidNumber("wrong length for its country"))
        );
        let plan = DialPlan {
            max_short_len: 4,
            ..se()
        };
        assert_eq!(
            normalise_number("0701 23", &plan),
            Err(DialError::InvalidNumber(
                "not a valid number for the default country"
            ))
        );
    }
}
