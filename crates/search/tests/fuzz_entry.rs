//! Runs the fuzz targets' entry functions on stable: the seeds in fuzz/seeds/<target> (also
//! the seed corpus for cargo-fuzz:
//! `cargo fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>`), then
//! random mutations of them.

use std::path::Path;

use koppla_search::fuzzing;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|f| std::fs::read(f.ok()?.path()).ok())
        .collect();
    assert!(!out.is_empty(), "empty seed corpus for {target}");
    out.sort();
    out
}

/// Random mutations of seeds (byte flips, inserts from an interesting alphabet, truncation).
fn mutants(seeds: &[Vec<u8>], count: usize, seed: u64) -> Vec<Vec<u8>> {
    const ALPHABET: &[u8] = b"0123456789+-() |\n\"{}[]:,aeoAZ\xc3\xa5\xc3\xb6\xcc\x88\xff";
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut data = seeds[rng.random_range(0..seeds.len())].clone();
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..=data.len());
                match rng.random_range(0..4) {
                    0 if at < data.len() => data[at] ^= 1 << rng.random_range(0..8),
                    1 => data.insert(at, ALPHABET[rng.random_range(0..ALPHABET.len())]),
                    2 => data.truncate(at),
                    _ if at < data.len() => {
                        data.remove(at);
                    }
                    _ => {}
                }
            }
            data
        })
        .collect()
}

#[test]
fn directory_target_survives_corpus_and_random_inputs() {
    let seeds = corpus("directory");
    for input in seeds.iter().chain(&mutants(&seeds, 3000, 1)) {
        fuzzing::directory(input);
    }
}

#[test]
fn index_and_query_target_survives_corpus_and_random_inputs() {
    let seeds = corpus("index_and_query");
    for input in seeds.iter().chain(&mutants(&seeds, 2000, 2)) {
        fuzzing::index_and_query(input);
    }
}

#[test]
fn carddav_target_survives_corpus_and_random_inputs() {
    let seeds = corpus("carddav");
    for input in seeds.iter().chain(&mutants(&seeds, 3000, 3)) {
        fuzzing::carddav(input);
    }
}
