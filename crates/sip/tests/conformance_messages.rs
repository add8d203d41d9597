//! The message layer against the conformance suite (tests/conformance): every RFC 4475 /
//! RFC 5118 torture message is parsed or refused by `koppla_sip::message::parse` as
//! expected.toml's `parse` says, a refused request is refused with the status both elements
//! must answer, and what parses serializes back into something that parses again (the switch
//! forwards and the UA answers from the parsed form). Fast: no sockets, no processes.

#[path = "../../../tests/conformance/suite.rs"]
mod suite;

use koppla_sip::message::{parse, serialize};
use suite::Outcome;

/// What went wrong with one message, or None.
fn check(case: &suite::Case) -> Option<String> {
    let bytes = case.bytes("parsecheck1");
    let is_request = !bytes.starts_with(b"SIP/");
    match (parse(&bytes), case.parses) {
        (Ok(msg), true) => {
            let again = serialize(&msg);
            parse(&again).err().map(|e| {
                format!(
                    "parses, but its serialized form does not ({e}):\n{}",
                    String::from_utf8_lossy(&again)
                )
            })
        }
        (Ok(_), false) => Some("parses, expected a refusal".into()),
        (Err(e), true) => Some(format!("refused ({e}), expected to parse")),
        (Err(e), false) => {
            // A refusal at parse time is what both elements answer (their expectations agree
            // for every message the grammar refuses); responses are never answered.
            let answer = match (case.switch, case.ua) {
                (Outcome::Status(s), Outcome::Status(u)) if s == u => Some(s),
                _ => None,
            };
            match answer {
                Some(code) if is_request && e.status() != code => Some(format!(
                    "refused ({e}) with status {}, expected {code}",
                    e.status()
                )),
                _ => None,
            }
        }
    }
}

#[test]
fn every_torture_message_parses_or_is_refused_as_expected() {
    let cases = suite::load(&suite::dir(env!("CARGO_MANIFEST_DIR")));
    assert!(
        cases.len() >= 60,
        "the suite holds RFC 4475's and RFC 5118's messages: {}",
        cases.len()
    );
    let mut wrong = Vec::new();
    for case in &cases {
        let verdict = check(case);
        println!(
            "{:<30} parse {:<5} {}",
            case.name,
            if case.parses { "ok" } else { "error" },
            verdict.as_deref().unwrap_or("as expected")
        );
        if let Some(v) = verdict {
            wrong.push(format!("{} ({}): {v}", case.name, case.rfc));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} messages parse against expectation:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_run_mark_is_replaced_everywhere() {
    let cases = suite::load(&suite::dir(env!("CARGO_MANIFEST_DIR")));
    for case in &cases {
        let bytes = case.bytes("zz9");
        assert!(
            !bytes
                .windows(suite::RUN_MARK.len())
                .any(|w| w == suite::RUN_MARK),
            "{}",
            case.name
        );
        assert!(
            bytes.windows(3).any(|w| w == b"zz9"),
            "{}: the run tag must reach the message",
            case.name
        );
    }
}

#[test]
fn accept_means_processed_and_silent_means_no_answer() {
    assert!(Outcome::Accept.fits(Some(407)));
    assert!(Outcome::Accept.fits(Some(180)));
    assert!(Outcome::Accept.fits(Some(481)));
    for refusal in suite::SYNTAX_REFUSALS {
        assert!(!Outcome::Accept.fits(Some(refusal)), "{refusal}");
    }
    assert!(!Outcome::Accept.fits(Some(100)), "100 Trying says nothing");
    assert!(!Outcome::Accept.fits(None));
    assert!(Outcome::Silent.fits(None));
    assert!(!Outcome::Silent.fits(Some(200)));
    assert!(Outcome::Status(420).fits(Some(420)));
    assert!(!Outcome::Status(420).fits(Some(400)));
}
