#![no_main]
use libfuzzer_sys::fuzz_target;

// RTP, RTCP compound, RFC 4733 payload and SRTP/SRTCP unprotect.
fuzz_target!(|data: &[u8]| koppla_media::rtp::parse_fuzz_entry(data));
