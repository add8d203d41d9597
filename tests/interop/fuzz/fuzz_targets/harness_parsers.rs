#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    koppla_interop::fuzz_entry::fuzz_ctrl_stream(data);
    koppla_interop::fuzz_entry::fuzz_text_parsers(data);
});
