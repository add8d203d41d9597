//! Entry points shared by the cargo-fuzz targets in `tests/interop/fuzz` and by the stable test
//! below, which runs them over a seed corpus plus random inputs (CI has no nightly).
//!
//! Everything here parses output of processes the harness does not control (baresip's ctrl_tcp
//! stream, the koppla CLI's stdout, /proc files), so it must never panic.

use crate::netstring::Decoder;

/// Feed bytes through the ctrl_tcp netstring decoder and JSON classifier, in two chunks split at
/// the first byte's value (exercises incremental decoding).
pub fn fuzz_ctrl_stream(data: &[u8]) {
    let split = data
        .first()
        .map(|b| usize::from(*b))
        .unwrap_or(0)
        .min(data.len());
    let (a, b) = data.split_at(split);
    let mut d = Decoder::default();
    for chunk in [a, b] {
        d.push(chunk);
        // Each iteration consumes a frame or stops, so this terminates.
        while let Ok(Some(frame)) = d.next_frame() {
            let _ = crate::ctrl_tcp::classify_frame(&frame);
        }
    }
}

/// One line of `koppla agent` stdout, and the /proc parsers.
pub fn fuzz_text_parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let _ = crate::koppla_event::parse_line(line);
    }
    let _ = crate::sysstat::parse_cpu_ticks(&text);
    let _ = crate::sysstat::parse_rss_kb(&text);
    let _ = crate::sip_probe::response_status(data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seeds() -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/harness_parsers");
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    #[test]
    fn seed_corpus_does_not_panic() {
        let seeds = seeds();
        assert!(seeds.len() >= 4, "seed corpus present");
        for s in &seeds {
            fuzz_ctrl_stream(s);
            fuzz_text_parsers(s);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn random_inputs_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            fuzz_ctrl_stream(&data);
            fuzz_text_parsers(&data);
        }

        #[test]
        fn mutated_seeds_do_not_panic(idx in 0usize..64, pos in 0usize..512, byte in any::<u8>()) {
            let seeds = seeds();
            if let Some(seed) = seeds.get(idx % seeds.len().max(1)) {
                let mut s = seed.clone();
                if !s.is_empty() {
                    let p = pos % s.len();
                    s[p] = byte;
                }
                fuzz_ctrl_stream(&s);
                fuzz_text_parsers(&s);
            }
        }
    }
}
