#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| koppla_sip::fuzzing::fuzz_refusal(data));
