#![no_main]
use libfuzzer_sys::fuzz_target;

// A greeting upload (PUT /api/v1/me/greetings/{kind}) decoded as WAV.
fuzz_target!(|data: &[u8]| koppla_vaxel::fuzzing::greeting_wav(data));
