//! RFC 4733 telephone-event digits in from the caller: one digit per event, taken from its end
//! packet. A sender repeats the end packet (usually three times) and may reorder or lose some,
//! so events are told apart by SSRC and RTP timestamp (all packets of one event share the
//! timestamp of its start, RFC 4733 2.5.1.3) and each is reported once. The payload codec and
//! the event-to-digit table are koppla-media's.

use koppla_media::rtp::dtmf::{event_to_digit, DtmfPayload};
use koppla_media::rtp::RtpPacket;
use std::collections::VecDeque;

/// Events remembered against late duplicates; a few seconds of keying at human speed.
const REMEMBERED: usize = 16;

#[derive(Debug)]
pub struct DtmfDecoder {
    /// The telephone-event payload type the caller offered.
    pt: u8,
    reported: VecDeque<(u32, u32)>,
}

impl DtmfDecoder {
    pub fn new(pt: u8) -> DtmfDecoder {
        DtmfDecoder {
            pt,
            reported: VecDeque::new(),
        }
    }

    /// Whether `pkt` is a telephone-event packet (not audio).
    pub fn is_event(&self, pkt: &RtpPacket) -> bool {
        pkt.header.payload_type == self.pt
    }

    /// The digit an event ended with, once per event; none for audio, start/continuation
    /// packets, repeated end packets, malformed payloads and events that are not keys
    /// (e.g. fax tones).
    pub fn packet(&mut self, pkt: &RtpPacket) -> Option<char> {
        if !self.is_event(pkt) {
            return None;
        }
        let ev = DtmfPayload::parse(&pkt.payload).ok()?;
        if !ev.end {
            return None;
        }
        let key = (pkt.header.ssrc, pkt.header.timestamp);
        if self.reported.contains(&key) {
            return None;
        }
        self.reported.push_back(key);
        if self.reported.len() > REMEMBERED {
            self.reported.pop_front();
        }
        event_to_digit(ev.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_media::rtp::RtpHeader;

    fn pkt(pt: u8, ssrc: u32, ts: u32, event: u8, end: bool) -> RtpPacket {
        RtpPacket {
            header: RtpHeader {
                marker: false,
                payload_type: pt,
                sequence: 0,
                timestamp: ts,
                ssrc,
            },
            payload: DtmfPayload {
                event,
                end,
                volume: 10,
                duration: 800,
            }
            .to_bytes()
            .to_vec(),
        }
    }

    #[test]
    fn one_digit_per_event_from_its_end_packets() {
        let mut d = DtmfDecoder::new(101);
        // Start and continuation packets say nothing yet.
        assert_eq!(d.packet(&pkt(101, 7, 1000, 5, false)), None);
        assert_eq!(d.packet(&pkt(101, 7, 1000, 5, false)), None);
        // The end packet, sent three times, counts once.
        assert_eq!(d.packet(&pkt(101, 7, 1000, 5, true)), Some('5'));
        assert_eq!(d.packet(&pkt(101, 7, 1000, 5, true)), None);
        assert_eq!(d.packet(&pkt(101, 7, 1000, 5, true)), None);
        // The same key pressed again is a new event (new timestamp).
        assert_eq!(d.packet(&pkt(101, 7, 3000, 5, true)), Some('5'));
        // Only the end packets of '#' and '*' survived.
        assert_eq!(d.packet(&pkt(101, 7, 5000, 11, true)), Some('#'));
        assert_eq!(d.packet(&pkt(101, 7, 7000, 10, true)), Some('*'));
        // A late repeat of an earlier end after a newer event still counts once.
        assert_eq!(d.packet(&pkt(101, 7, 5000, 11, true)), None);
        // Another stream (e.g. after a re-INVITE) with a colliding timestamp is its own event.
        assert_eq!(d.packet(&pkt(101, 8, 1000, 0, true)), Some('0'));
    }

    #[test]
    fn audio_garbage_and_non_key_events_give_nothing() {
        let mut d = DtmfDecoder::new(101);
        assert_eq!(d.packet(&pkt(0, 7, 1000, 5, true)), None, "PCMU audio");
        let mut short = pkt(101, 7, 2000, 5, true);
        short.payload.truncate(2);
        assert_eq!(d.packet(&short), None);
        // Event 36 is a fax tone (RFC 4734), not a key.
        assert_eq!(d.packet(&pkt(101, 7, 3000, 36, true)), None);
        assert_eq!(d.packet(&pkt(101, 7, 4000, 12, true)), Some('A'));
    }

    #[test]
    fn remembers_only_recent_events() {
        let mut d = DtmfDecoder::new(96);
        for i in 0..100u32 {
            assert_eq!(d.packet(&pkt(96, 1, i * 1000, 1, true)), Some('1'));
        }
        assert!(d.reported.len() <= REMEMBERED);
    }
}
