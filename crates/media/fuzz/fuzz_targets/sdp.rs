#![no_main]
use libfuzzer_sys::fuzz_target;

// Same entry `cargo test` runs over its seed corpus and proptest inputs.
fuzz_target!(|data: &[u8]| koppla_media::sdp::parse_fuzz_entry(data));
