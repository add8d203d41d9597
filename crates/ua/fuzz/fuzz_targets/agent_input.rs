#![no_main]
use libfuzzer_sys::fuzz_target;

// A registered agent with a call ringing out, fed NUL-separated datagrams (see koppla_ua::fuzzing).
fuzz_target!(|data: &[u8]| koppla_ua::fuzzing::agent_input(data));
