#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // One core across inputs, so state built by earlier inputs (registrations, calls) is fuzzed too.
    static CORE: RefCell<koppla_vaxel::sip::SipCore> = RefCell::new(koppla_vaxel::fuzzing::fuzz_core());
}

fuzz_target!(|data: &[u8]| {
    CORE.with(|c| koppla_vaxel::fuzzing::sip_input(&mut c.borrow_mut(), data));
});
