#![no_main]
use libfuzzer_sys::fuzz_target;

// JSON bodies of the HTTP API and the checks the handlers run on them.
fuzz_target!(|data: &[u8]| koppla_vaxel::fuzzing::api_json(data));
