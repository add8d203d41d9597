//! Runs the fuzz entry points on stable: the committed seeds (`fuzz/seeds`, also the starting
//! corpus for `cargo fuzz run parse fuzz/seeds`), mutations of them, and random input.

use koppla_sip::fuzzing::{fuzz_auth, fuzz_parse, fuzz_stream};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .collect();
    out.sort();
    assert!(out.len() >= 5, "seed corpus present");
    out
}

fn run_all(data: &[u8]) {
    fuzz_parse(data);
    fuzz_stream(data);
    fuzz_auth(data);
}

#[test]
fn seed_corpus_and_every_truncation() {
    for seed in corpus() {
        for cut in 0..=seed.len() {
            run_all(&seed[..cut]);
        }
    }
}

#[test]
fn seeds_parse() {
    let parsed = corpus()
        .iter()
        .filter(|s| koppla_sip::parse(s).is_ok())
        .count();
    assert!(parsed >= 4, "real-world seeds parse: {parsed}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        run_all(&data);
    }

    #[test]
    fn mutated_seeds_never_panic(
        idx in 0usize..5,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let seeds = corpus();
        let mut s = seeds[idx % seeds.len()].clone();
        for (pos, b) in edits {
            if !s.is_empty() {
                let p = pos % s.len();
                s[p] = b;
            }
        }
        run_all(&s);
    }

    #[test]
    fn sip_shaped_text_never_panics(
        line in "(INVITE|SIP/2\\.0|ACK|BYE) [ -~]{0,40}",
        headers in proptest::collection::vec("(Via|From|To|Call-ID|CSeq|Contact|l|v|Content-Length): [ -~]{0,60}", 0..10),
        body in "[ -~\r\n]{0,40}",
    ) {
        let text = format!("{line}\r\n{}\r\n\r\n{body}", headers.join("\r\n"));
        run_all(text.as_bytes());
    }
}
