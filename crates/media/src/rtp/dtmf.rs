//! RFC 4733 telephone-events: payload codec, a sender that paces one event per
//! 20 ms tick (end packet sent three times) and a receiver that dedupes by timestamp.

use std::collections::VecDeque;

use super::RtpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPayload {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl DtmfPayload {
    pub fn parse(b: &[u8]) -> Result<Self, RtpError> {
        if b.len() < 4 {
            return Err(RtpError::Dtmf);
        }
        Ok(Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

pub fn digit_to_event(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

pub fn event_to_digit(e: u8) -> Option<char> {
    match e {
        0..=9 => Some((b'0' + e) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + e - 12) as char),
        _ => None,
    }
}

/// One packet the sender wants on the wire at this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfOut {
    pub payload: DtmfPayload,
    /// RTP timestamp of the event start (constant over the event).
    pub timestamp: u32,
    /// Marker bit: set on the first packet of an event.
    pub marker: bool,
}

/// Sends queued digits. Call [`DtmfSender::tick`] once per 20 ms frame with the audio
/// timestamp that frame would have; while it returns `Some`, send that instead of audio.
#[derive(Debug)]
pub struct DtmfSender {
    queue: VecDeque<u8>,
    current: Option<Current>,
    /// Tone length and pause in 20 ms ticks.
    tone_ticks: u16,
    gap_ticks: u16,
    gap_left: u16,
    step: u16,
}

#[derive(Debug)]
struct Current {
    event: u8,
    timestamp: u32,
    ticks: u16,
    ends_sent: u8,
}

impl DtmfSender {
    /// `clock_rate` of the telephone-event payload type.
    pub fn new(clock_rate: u32) -> Self {
        // 100 ms tones with 60 ms pause: reliable for IVRs, still fast to dial.
        Self {
            queue: VecDeque::new(),
            current: None,
            tone_ticks: 5,
            gap_ticks: 3,
            gap_left: 0,
            step: (clock_rate / 50).min(u32::from(u16::MAX)) as u16,
        }
    }

    /// Queues a digit; returns false for characters that are not DTMF.
    pub fn push(&mut self, c: char) -> bool {
        match digit_to_event(c) {
            Some(e) if self.queue.len() < 64 => {
                self.queue.push_back(e);
                true
            }
            _ => false,
        }
    }

    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    pub fn tick(&mut self, audio_timestamp: u32) -> Option<DtmfOut> {
        if self.current.is_none() {
            if self.gap_left > 0 {
                self.gap_left -= 1;
                return None;
            }
            let event = self.queue.pop_front()?;
            self.current = Some(Current {
                event,
                timestamp: audio_timestamp,
                ticks: 0,
                ends_sent: 0,
            });
        }
        let cur = self.current.as_mut()?;
        let marker = cur.ticks == 0;
        let ended = cur.ticks >= self.tone_ticks;
        if !ended {
            cur.ticks += 1;
        }
        let duration = cur.ticks.saturating_mul(self.step);
        if ended {
            cur.ends_sent += 1;
        }
        let out = DtmfOut {
            payload: DtmfPayload {
                event: cur.event,
                end: ended,
                volume: 10,
                duration,
            },
            timestamp: cur.timestamp,
            marker,
        };
        if cur.ends_sent >= 3 {
            self.current = None;
            self.gap_left = self.gap_ticks;
        }
        Some(out)
    }
}

/// Turns telephone-event packets into digits, once per event (keyed by RTP timestamp),
/// whether or not the start packets survived.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    seen: VecDeque<u32>,
}

impl DtmfReceiver {
    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> Result<Option<char>, RtpError> {
        let p = DtmfPayload::parse(payload)?;
        if self.seen.contains(&timestamp) {
            return Ok(None);
        }
        self.seen.push_back(timestamp);
        if self.seen.len() > 16 {
            self.seen.pop_front();
        }
        Ok(event_to_digit(p.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_paces_and_repeats_end_three_times() {
        let mut s = DtmfSender::new(8000);
        assert!(s.push('5') && s.push('#') && !s.push('x'));
        let mut ts = 1000u32;
        let mut pkts = Vec::new();
        for _ in 0..30 {
            if let Some(p) = s.tick(ts) {
                pkts.push(p);
            }
            ts += 160;
        }
        assert!(s.is_idle());
        let five: Vec<_> = pkts.iter().filter(|p| p.payload.event == 5).collect();
        assert_eq!(five.len(), 5 + 3);
        assert!(five[0].marker && five[1..].iter().all(|p| !p.marker));
        assert!(five.iter().all(|p| p.timestamp == 1000));
        assert_eq!(five[4].payload.duration, 800);
        let ends: Vec<_> = five.iter().filter(|p| p.payload.end).collect();
        assert_eq!(ends.len(), 3);
        assert!(ends.iter().all(|p| p.payload.duration == 800));
        let hash: Vec<_> = pkts.iter().filter(|p| p.payload.event == 11).collect();
        assert_eq!(hash.len(), 8);
        // 8 ticks of '5' then a 3-tick gap.
        assert_eq!(hash[0].timestamp, 1000 + 160 * 11);
    }

    #[test]
    fn receiver_dedupes_and_survives_lost_start() {
        let mut r = DtmfReceiver::default();
        let p = |e, end| {
            DtmfPayload {
                event: e,
                end,
                volume: 10,
                duration: 160,
            }
            .to_bytes()
        };
        assert_eq!(r.on_packet(100, &p(1, false)).unwrap(), Some('1'));
        assert_eq!(r.on_packet(100, &p(1, false)).unwrap(), None);
        assert_eq!(r.on_packet(100, &p(1, true)).unwrap(), None);
        // Only the end packet of the next event arrives.
        assert_eq!(r.on_packet(900, &p(11, true)).unwrap(), Some('#'));
        assert_eq!(r.on_packet(1700, &p(15, true)).unwrap(), Some('D'));
        assert!(r.on_packet(1, &[1, 2]).is_err());
    }

    #[test]
    fn digit_mapping_roundtrip() {
        for c in "0123456789*#ABCD".chars() {
            assert_eq!(event_to_digit(digit_to_event(c).unwrap()), Some(c));
        }
        assert_eq!(digit_to_event('a'), Some(12));
        assert_eq!(event_to_digit(16), None);
    }
}
