#![no_main]
use libfuzzer_sys::fuzz_target;

// vaxel.toml as the switch loads it at start (Config::from_toml), and its write-back.
fuzz_target!(|data: &[u8]| koppla_vaxel::fuzzing::config_input(data));
