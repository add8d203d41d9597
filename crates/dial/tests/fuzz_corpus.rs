//! Runs the cargo-fuzz entry points on stable: the checked-in seeds (plus
//! anything the fuzzer found locally) and random byte strings.

use std::fs;
use std::path::Path;

use koppla_dial::fuzzing::{fuzz_link, fuzz_selection};
use proptest::prelude::*;

/// Runs the checked-in seeds (`fuzz/seeds/<dir>`) and, when present, the
/// local fuzzer corpus (`fuzz/corpus/<dir>`, not in git). Returns the
/// number of seeds run.
fn run_corpus(dir: &str, entry: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut seeds = 0;
    for file in fs::read_dir(fuzz.join("seeds").join(dir)).expect("seed directory exists") {
        let data = fs::read(file.expect("readable entry").path()).expect("readable seed");
        entry(&data);
        seeds += 1;
    }
    if let Ok(found) = fs::read_dir(fuzz.join("corpus").join(dir)) {
        for file in found.flatten() {
            if let Ok(data) = fs::read(file.path()) {
                entry(&data);
            }
        }
    }
    seeds
}

#[test]
fn link_seed_corpus() {
    assert!(run_corpus("link", fuzz_link) >= 40);
}

#[test]
fn selection_seed_corpus() {
    assert!(run_corpus("selection", fuzz_selection) >= 25);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_as_link(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        fuzz_link(&data);
    }

    #[test]
    fn random_bytes_as_selection(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        fuzz_selection(&data);
    }

    /// Digit-heavy input goes all the way into the `phonenumber` crate.
    #[test]
    fn digit_strings(s in "(\\+|00)?[0-9 ()*#-]{0,24}") {
        fuzz_selection(s.as_bytes());
        fuzz_link(format!("tel:{s}").as_bytes());
        fuzz_link(format!("callto:{s}").as_bytes());
    }

    /// Random strings shaped like our inputs reach deeper than raw bytes.
    #[test]
    fn link_shaped_strings(
        scheme in "(tel|TEL|callto|callto://|sip|sips|javascript|)",
        body in r"[0-9+\-.() ;=%a-fA-FxX@:/?#*\[\]\u{00A0}\u{2013}\u{202E}\u{0}]{0,60}",
    ) {
        fuzz_link(format!("{scheme}:{body}").as_bytes());
        fuzz_selection(format!("{scheme}:{body}").as_bytes());
    }
}
