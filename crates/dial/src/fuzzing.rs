//! Shared entry for the cargo-fuzz targets (`crates/dial/fuzz`) and the
//! stable test that runs the same checks over a seed corpus and random
//! input. Each function panics only when an invariant of the public API is
//! broken, which is what the fuzzer looks for.

use crate::{
    clean_selection, normalise_number, parse_link, DialError, DialPlan, DialStyle, DialTarget,
};

/// The plans every input is tried with: the Swedish default and a permissive
/// one (letters on, national dial style, longer short numbers).
fn plans() -> [DialPlan; 2] {
    [
        DialPlan::default(),
        DialPlan {
            default_country: "US".into(),
            max_short_len: 8,
            allow_letters: true,
            dial_style: DialStyle::National,
            ..DialPlan::default()
        },
    ]
}

/// Fuzz entry for `parse_link`.
pub fn fuzz_link(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    for plan in plans() {
        check(&parse_link(&input, &plan), &plan);
    }
}

/// Fuzz entry for `clean_selection` and `normalise_number`.
pub fn fuzz_selection(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    for plan in plans() {
        check(&clean_selection(&input, &plan), &plan);
        check(
            &normalise_number(&input, &plan).map(DialTarget::Phone),
            &plan,
        );
    }
}

/// Asserts the invariants callers rely on.
pub fn check(result: &Result<DialTarget, DialError>, plan: &DialPlan) {
    match result {
        Err(e) => {
            assert!(DialError::ALL_CODES.contains(&e.code()));
            let msg = e.to_string();
            assert!(!msg.is_empty() && msg.len() < 200, "message: {msg:?}");
            assert!(!msg.chars().any(char::is_control), "message: {msg:?}");
        }
        Ok(DialTarget::Phone(p)) => {
            let d = &p.dial_string;
            assert!(!d.is_empty() && d.len() <= 24, "dial string {d:?}");
            let body = d.strip_prefix('+').unwrap_or(d);
            assert!(
                !body.is_empty()
                    && body
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#'),
                "dial string {d:?}"
            );
            if let Some(e164) = &p.e164 {
                let digits = e164.strip_prefix('+').unwrap_or_default();
                assert!(
                    (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()),
                    "e164 {e164:?}"
                );
                assert!(!digits.starts_with('0'), "e164 {e164:?}");
            }
            if let Some(ext) = &p.ext {
                assert!(!ext.is_empty() && ext.chars().all(|c| c.is_ascii_digit()));
            }
            assert!(!p.display.chars().any(char::is_control));
            let uri = result
                .as_ref()
                .map(|t| t.to_request_uri("example.com"))
                .unwrap_or_default();
            assert!(
                matches!(parse_link(&uri, plan), Ok(DialTarget::Sip(_))),
                "request uri {uri:?} does not parse"
            );
        }
        Ok(DialTarget::Sip(a)) => {
            let uri = a.to_uri();
            assert!(
                !uri.chars().any(|c| c.is_control() || c.is_whitespace()),
                "uri {uri:?}"
            );
            match parse_link(&uri, plan) {
                Ok(DialTarget::Sip(b)) => assert_eq!(b.to_uri(), uri, "uri not stable"),
                other => panic!("uri {uri:?} reparsed as {other:?}"),
            }
        }
    }
}
