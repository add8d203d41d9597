//! Adaptive jitter buffer (sans-IO). Fed packets with their arrival time, polled once per
//! 20 ms for the next frame to decode, or told to conceal.
//!
//! Adaptation: the interarrival jitter (RFC 3550 estimator, in ms) sets a target depth
//! of `max(MIN, 3 * jitter + one frame)`. Depth grows when the buffer runs dry (we
//! conceal without advancing, i.e. wait for the late packet) and shrinks by dropping one
//! frame when the buffer holds more than the target plus two frames.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A decision for one 20 ms playout slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Decode this payload.
    Frame { payload: Vec<u8>, timestamp: u32 },
    /// The packet for this slot is missing: conceal. `next` is the following packet if
    /// already here (Opus can rebuild the lost frame from its FEC data).
    Lost { next: Option<Vec<u8>> },
    /// Not playing (buffering, or the stream paused): play silence, no concealment.
    Silence,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    pub received: u64,
    pub played: u64,
    pub concealed: u64,
    pub late: u64,
    pub duplicates: u64,
    pub dropped_for_latency: u64,
    pub resets: u64,
    pub jitter_ms: f64,
    pub target_ms: u32,
    pub depth_ms: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct JitterConfig {
    pub min_delay_ms: u32,
    pub max_delay_ms: u32,
    /// Bound on stored packets (memory guard against floods).
    pub capacity: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            min_delay_ms: 40,
            max_delay_ms: 400,
            capacity: 100,
        }
    }
}

/// Consecutive empty slots after which we stop concealing and re-buffer (DTX, hold).
const MAX_EMPTY_SLOTS: u32 = 5;
/// A timestamp further than this (seconds) from the playout point means a new stream.
const JUMP_SECS: u32 = 10;

pub struct JitterBuffer {
    cfg: JitterConfig,
    clock_rate: u32,
    step: u32,
    /// Keyed by timestamp relative to `origin` (unwrapped, i64).
    packets: BTreeMap<i64, Vec<u8>>,
    origin: Option<u32>,
    /// Next relative timestamp to play; `None` while buffering.
    next: Option<i64>,
    first_arrival: Option<Instant>,
    transit: Option<f64>,
    jitter_ms: f64,
    empty_slots: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// `clock_rate` is the RTP clock (8000 for G.711/G.722, 48000 for Opus).
    pub fn new(clock_rate: u32, cfg: JitterConfig) -> Self {
        let clock_rate = clock_rate.max(1000);
        Self {
            cfg,
            clock_rate,
            step: clock_rate / 50,
            packets: BTreeMap::new(),
            origin: None,
            next: None,
            first_arrival: None,
            transit: None,
            jitter_ms: 0.0,
            empty_slots: 0,
            stats: JitterStats::default(),
        }
    }

    fn rel(&self, ts: u32) -> i64 {
        let origin = self.origin.unwrap_or(ts);
        // Signed distance handles the 32-bit wrap.
        i64::from(ts.wrapping_sub(origin) as i32)
    }

    fn ms_to_ts(&self, ms: u32) -> i64 {
        i64::from(ms) * i64::from(self.clock_rate) / 1000
    }

    fn target_ms(&self) -> u32 {
        let t = (3.0 * self.jitter_ms) as u32 + 20;
        t.clamp(self.cfg.min_delay_ms, self.cfg.max_delay_ms)
    }

    fn reset(&mut self) {
        self.packets.clear();
        self.origin = None;
        self.next = None;
        self.first_arrival = None;
        self.transit = None;
        self.empty_slots = 0;
        self.stats.resets += 1;
    }

    pub fn push(&mut self, timestamp: u32, payload: Vec<u8>, now: Instant) {
        if self.origin.is_none() {
            self.origin = Some(timestamp);
        }
        let mut rel = self.rel(timestamp);
        let anchor = self
            .next
            .or_else(|| self.packets.keys().next().copied())
            .unwrap_or(rel);
        if (rel - anchor).unsigned_abs() > u64::from(JUMP_SECS * self.clock_rate) {
            self.reset();
            self.origin = Some(timestamp);
            rel = 0;
        }
        // The origin sits near the start of the stream and rel is signed-32 relative to it,
        // so long calls would wrap: re-base once we are far from it.
        if rel > i64::from(i32::MAX / 2) {
            self.rebase(rel);
            rel = 0;
        }
        self.stats.received += 1;
        self.update_jitter(rel, now);
        if self.first_arrival.is_none() {
            self.first_arrival = Some(now);
        }
        if self.next.is_some_and(|n| rel < n) {
            self.stats.late += 1;
            return;
        }
        if self.packets.contains_key(&rel) {
            self.stats.duplicates += 1;
            return;
        }
        if self.packets.len() >= self.cfg.capacity {
            // Flooded: keep the newest audio.
            self.packets.pop_first();
        }
        self.packets.insert(rel, payload);
    }

    fn rebase(&mut self, by: i64) {
        let Some(origin) = self.origin else { return };
        self.origin = Some(origin.wrapping_add(by as u32));
        self.packets = std::mem::take(&mut self.packets)
            .into_iter()
            .map(|(k, v)| (k - by, v))
            .collect();
        self.next = self.next.map(|n| n - by);
        self.transit = self.transit.map(|t| t - by as f64);
    }

    fn update_jitter(&mut self, rel: i64, now: Instant) {
        let epoch = *self.first_arrival.get_or_insert(now);
        let arrival =
            now.saturating_duration_since(epoch).as_secs_f64() * f64::from(self.clock_rate);
        let transit = arrival - rel as f64;
        if let Some(prev) = self.transit {
            let d_ms = (transit - prev).abs() * 1000.0 / f64::from(self.clock_rate);
            self.jitter_ms += (d_ms.min(1000.0) - self.jitter_ms) / 16.0;
        }
        self.transit = Some(transit);
    }

    /// Next playout decision; call exactly once per 20 ms.
    pub fn pop_frame(&mut self, now: Instant) -> Playout {
        let Some(next) = self.next else {
            let Some(first) = self.first_arrival else {
                return Playout::Silence;
            };
            let Some(&oldest) = self.packets.keys().next() else {
                return Playout::Silence;
            };
            if now.saturating_duration_since(first)
                < Duration::from_millis(u64::from(self.target_ms()))
            {
                return Playout::Silence;
            }
            self.next = Some(oldest);
            return self.pop_frame(now);
        };
        self.refresh_depth(next);
        if self.packets.is_empty() {
            self.empty_slots += 1;
            if self.empty_slots > MAX_EMPTY_SLOTS {
                // Peer went quiet (DTX/hold): re-buffer when it resumes.
                self.next = None;
                self.first_arrival = None;
                self.transit = None;
                return Playout::Silence;
            }
            // Probably late, not lost: conceal and wait (this grows the delay).
            self.stats.concealed += 1;
            return Playout::Lost { next: None };
        }
        self.empty_slots = 0;
        // Too deep: drop one frame to cut latency.
        let depth = self.depth_ts(next);
        if depth > self.ms_to_ts(self.target_ms() + 40) {
            if let Some((k, _)) = self.packets.pop_first() {
                self.stats.dropped_for_latency += 1;
                self.next = Some(k + i64::from(self.step));
                return self.pop_frame(now);
            }
        }
        let step = i64::from(self.step);
        self.next = Some(next + step);
        match self.packets.remove(&next) {
            Some(payload) => {
                self.stats.played += 1;
                let ts = self.origin.unwrap_or(0).wrapping_add(next as u32);
                Playout::Frame {
                    payload,
                    timestamp: ts,
                }
            }
            None => {
                self.stats.concealed += 1;
                Playout::Lost {
                    next: self.packets.get(&(next + step)).cloned(),
                }
            }
        }
    }

    /// A decoded packet held more than one frame: skip the extra slots it covered.
    pub fn skip_frames(&mut self, frames: u32) {
        if let Some(n) = self.next.as_mut() {
            *n += i64::from(frames) * i64::from(self.step);
            let limit = *n;
            self.packets.retain(|&k, _| k >= limit);
        }
    }

    fn depth_ts(&self, next: i64) -> i64 {
        self.packets
            .keys()
            .next_back()
            .map_or(0, |&last| last - next + i64::from(self.step))
    }

    fn refresh_depth(&mut self, next: i64) {
        self.stats.depth_ms =
            (self.depth_ts(next).max(0) * 1000 / i64::from(self.clock_rate)) as u32;
    }

    pub fn stats(&self) -> JitterStats {
        JitterStats {
            jitter_ms: self.jitter_ms,
            target_ms: self.target_ms(),
            ..self.stats
        }
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
