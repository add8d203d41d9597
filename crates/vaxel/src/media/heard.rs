//! When the caller of a leg the switch answers itself (queue, parking, voicemail, the dial-in
//! menu, echo, announcements) last sent audio. Those legs receive on sockets of their own, not
//! through the relay, so each media task marks a [`Heard`] for every valid RTP or RTCP packet
//! from the caller; the core reads it on its tick and hangs up a leg whose caller went silent
//! (decision 0407). Only RTP/RTCP counts: a stray datagram (a port scan, a STUN probe) must not
//! keep a dead call alive.

use koppla_media::rtp::{is_rtcp, rtcp, RtpPacket};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Shared between a call's media task (which marks) and the media backend (which reads).
#[derive(Debug, Clone, Default)]
pub(crate) struct Heard(Arc<Mutex<Option<Instant>>>);

impl Heard {
    /// A datagram arrived from the caller: remember when, if it is RTP or RTCP.
    pub(crate) fn datagram(&self, data: &[u8]) {
        if is_media(data) {
            self.mark(Instant::now());
        }
    }

    fn mark(&self, at: Instant) {
        if let Ok(mut last) = self.0.lock() {
            *last = Some(at);
        }
    }

    /// When the caller's last packet arrived (none yet: `None`).
    pub(crate) fn last(&self) -> Option<Instant> {
        self.0.lock().ok().and_then(|last| *last)
    }
}

/// Whether `data` is an RTP packet or an RTCP compound packet (RFC 5761 demultiplexing: a
/// caller may send both to one port).
fn is_media(data: &[u8]) -> bool {
    if is_rtcp(data) {
        rtcp::parse_compound(data).is_ok()
    } else {
        RtpPacket::parse(data).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_media::rtp::RtpHeader;

    fn rtp() -> Vec<u8> {
        RtpPacket {
            header: RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: 1,
                timestamp: 160,
                ssrc: 9,
            },
            payload: vec![0xff; 160],
        }
        .to_bytes()
    }

    #[test]
    fn rtp_and_rtcp_count_anything_else_does_not() {
        let h = Heard::default();
        assert_eq!(h.last(), None);
        // A STUN binding request, a short datagram and a wrong RTP version.
        h.datagram(&[0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
        h.datagram(b"x");
        let mut v1 = rtp();
        v1[0] = 0x40;
        h.datagram(&v1);
        assert_eq!(h.last(), None, "not media");
        let before = Instant::now();
        h.datagram(&rtp());
        let first = h.last().expect("RTP counts");
        assert!(first >= before);
        // An empty receiver report (RFC 3550 6.4.2): version 2, PT 201, length 1, SSRC.
        let rr = [0x80, 201, 0x00, 0x01, 0, 0, 0, 9];
        h.datagram(&rr);
        assert!(h.last().expect("RTCP counts") >= first);
        // A clone is the same clock: the task marks, the backend reads.
        let reader = h.clone();
        h.mark(first + std::time::Duration::from_secs(5));
        assert_eq!(
            reader.last(),
            Some(first + std::time::Duration::from_secs(5))
        );
    }
}
