//! RTP (RFC 3550) and RTCP packets, SRTP (RFC 3711), RFC 4733 DTMF events and
//! reception statistics. Hand-written: see docs/decisions/0404-rtp-srtp.md.

pub mod dtmf;
mod packet;
pub mod rtcp;
pub mod srtp;
pub mod stats;

pub use packet::{is_rtcp, RtpError, RtpHeader, RtpPacket};

/// Fuzz/property entry for every packet parser in this module.
pub fn parse_fuzz_entry(data: &[u8]) {
    if let Ok(p) = RtpPacket::parse(data) {
        let again = RtpPacket::parse(&p.to_bytes()).expect("serialised RTP re-parses");
        assert_eq!(again.header.sequence, p.header.sequence);
        assert_eq!(again.payload, p.payload);
    }
    let _ = rtcp::parse_compound(data);
    let _ = dtmf::DtmfPayload::parse(data);
    let keys = crate::sdp::SrtpKeyMaterial([7; 30]);
    let mut ctx = srtp::SrtpContext::new(crate::sdp::CryptoSuite::AesCm128HmacSha1_80, &keys);
    let _ = ctx.unprotect_rtp(data);
    let _ = ctx.unprotect_rtcp(data);
}

#[cfg(test)]
mod fuzz_tests {
    use proptest::prelude::*;

    #[test]
    fn seeds() {
        let seeds: [&[u8]; 4] = [
            &[0x80, 0x08, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xd5, 0xd5],
            &[
                0x90, 0x08, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 9,
            ],
            &[
                0x81, 200, 0, 12, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0,
            ],
            &[0xa0, 0x08, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff],
        ];
        for s in seeds {
            super::parse_fuzz_entry(s);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            super::parse_fuzz_entry(&data);
        }

        #[test]
        fn rtp_like_never_panics(mut data in proptest::collection::vec(any::<u8>(), 12..120), first in 0x80u8..0xc0) {
            data[0] = first;
            super::parse_fuzz_entry(&data);
        }
    }
}
