//! Property tests for normalisation: round trips and separator invariance.

use koppla_dial::{
    clean_selection, normalise_number, parse_link, to_e164, DialPlan, DialTarget, NumberKind,
};
use proptest::prelude::*;

/// Valid Swedish numbers: mobile (07x + 7 digits) and Stockholm (08 + 7 digits).
fn swedish_national() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("070"),
            Just("072"),
            Just("073"),
            Just("076"),
            Just("081"),
            Just("087")
        ],
        "[0-9]{7}",
    )
        .prop_map(|(prefix, rest)| format!("{prefix}{rest}"))
}

/// Writes the digits with random separators between them.
fn decorate(digits: &str, seps: &[usize]) -> String {
    const SEPARATORS: [&str; 8] = ["", " ", "-", ".", "\u{00A0}", "\u{2013}", " - ", "/"];
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 {
            out.push_str(SEPARATORS[seps.get(i).copied().unwrap_or(0) % SEPARATORS.len()]);
        }
        out.push(d);
    }
    out
}

fn phone(t: DialTarget) -> koppla_dial::PhoneNumber {
    match t {
        DialTarget::Phone(p) => p,
        other => panic!("expected a phone number, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn national_round_trips_through_e164(national in swedish_national()) {
        let plan = DialPlan::default();
        let a = normalise_number(&national, &plan).unwrap();
        let e164 = a.e164.clone().expect("generated numbers are valid");
        prop_assert_eq!(&e164, &format!("+46{}", &national[1..]));
        prop_assert_eq!(a.kind, NumberKind::National);
        let b = normalise_number(&e164, &plan).unwrap();
        let back: String = b.display.chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(back, national);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(to_e164(&format!("0046{}", &e164[3..]), &plan).unwrap(), e164);
    }

    #[test]
    fn separators_do_not_change_the_dial_string(
        national in swedish_national(),
        seps in proptest::collection::vec(0usize..8, 12),
        label in "(|Tel: |Mobil: |Ring |Telefon\t)",
    ) {
        let plan = DialPlan::default();
        let plain = normalise_number(&national, &plan).unwrap().dial_string;
        let written = decorate(&national, &seps);
        prop_assert_eq!(&phone(clean_selection(&format!("{label}{written} "), &plan).unwrap()).dial_string, &plain);
        let intl = decorate(&format!("+46{}", &national[1..]), &seps);
        prop_assert_eq!(&phone(clean_selection(&intl, &plan).unwrap()).dial_string, &plain);
        let tel = format!("tel:{}", written.replace(' ', "%20").replace('\u{00A0}', "-").replace('\u{2013}', "."));
        prop_assert_eq!(&phone(parse_link(&tel, &plan).unwrap()).dial_string, &plain);
    }

    #[test]
    fn short_numbers_are_kept_verbatim(n in "[1-9][0-9]{1,5}") {
        let p = phone(clean_selection(&format!("anknytning {n}"), &DialPlan::default()).unwrap());
        prop_assert_eq!(p.kind, NumberKind::Short);
        prop_assert_eq!(p.dial_string, n);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        for plan in [DialPlan::default(), DialPlan { allow_letters: true, ..DialPlan::for_country("US") }] {
            koppla_dial::fuzzing::check(&parse_link(&s, &plan), &plan);
            koppla_dial::fuzzing::check(&clean_selection(&s, &plan), &plan);
        }
    }
}
