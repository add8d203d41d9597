//! Reception statistics (RFC 3550 A.1, A.3, A.8) feeding RTCP report blocks.

use std::time::Instant;

use super::rtcp::ReportBlock;

const MAX_DROPOUT: u16 = 3000;
const MAX_MISORDER: u16 = 100;

#[derive(Debug, Clone)]
pub struct ReceiveStats {
    clock_rate: u32,
    epoch: Instant,
    started: bool,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    transit: Option<i64>,
    jitter: f64,
    last_sr: u32,
    last_sr_at: Option<Instant>,
    pub duplicates_or_late: u32,
}

impl ReceiveStats {
    pub fn new(clock_rate: u32, epoch: Instant) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            epoch,
            started: false,
            base_seq: 0,
            max_seq: 0,
            cycles: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
            last_sr: 0,
            last_sr_at: None,
            duplicates_or_late: 0,
        }
    }

    pub fn on_packet(&mut self, seq: u16, rtp_ts: u32, arrival: Instant) {
        if !self.started {
            self.started = true;
            self.base_seq = u32::from(seq);
            self.max_seq = seq;
        } else {
            let delta = seq.wrapping_sub(self.max_seq);
            if delta == 0 {
                self.duplicates_or_late += 1;
                return;
            } else if delta < MAX_DROPOUT {
                if seq < self.max_seq {
                    self.cycles += 1 << 16;
                }
                self.max_seq = seq;
            } else if delta <= u16::MAX - MAX_MISORDER {
                // Huge jump: the peer restarted its sequence; resync.
                self.base_seq = u32::from(seq);
                self.max_seq = seq;
                self.cycles = 0;
                self.received = 0;
                self.expected_prior = 0;
                self.received_prior = 0;
            } else {
                self.duplicates_or_late += 1;
            }
        }
        self.received += 1;
        let arrival_ts = (arrival.saturating_duration_since(self.epoch).as_secs_f64()
            * f64::from(self.clock_rate)) as i64;
        let transit = arrival_ts - i64::from(rtp_ts);
        if let Some(prev) = self.transit {
            // Transit differences wrap with the 32-bit timestamp.
            let d = ((transit - prev) as i32).unsigned_abs();
            self.jitter += (f64::from(d) - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
    }

    pub fn on_sender_report(&mut self, ntp: u64, now: Instant) {
        self.last_sr = (ntp >> 16) as u32;
        self.last_sr_at = Some(now);
    }

    fn extended_max(&self) -> u32 {
        self.cycles + u32::from(self.max_seq)
    }

    pub fn expected(&self) -> u32 {
        if !self.started {
            return 0;
        }
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    pub fn received(&self) -> u32 {
        self.received
    }

    pub fn cumulative_lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// Jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter * 1000.0 / f64::from(self.clock_rate)
    }

    /// Report block for `ssrc`; also starts a new fraction-lost interval.
    pub fn report_block(&mut self, ssrc: u32, now: Instant) -> Option<ReportBlock> {
        if !self.started {
            return None;
        }
        let expected = self.expected();
        let exp_int = expected.wrapping_sub(self.expected_prior);
        let rec_int = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_int = i64::from(exp_int) - i64::from(rec_int);
        let fraction_lost = if exp_int == 0 || lost_int <= 0 {
            0
        } else {
            ((lost_int << 8) / i64::from(exp_int)).min(255) as u8
        };
        let dlsr = self.last_sr_at.map_or(0, |t| {
            (now.saturating_duration_since(t).as_secs_f64() * 65536.0) as u32
        });
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_seq: self.extended_max(),
            jitter: self.jitter as u32,
            last_sr: self.last_sr,
            delay_since_last_sr: dlsr,
        })
    }
}

/// NTP timestamp (RFC 3550 4) for the wall clock; only used in SRs.
pub fn ntp_now() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() + 2_208_988_800;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn loss_wrap_and_fraction() {
        let t0 = Instant::now();
        let mut s = ReceiveStats::new(8000, t0);
        // 65530..=65535, 0..=9 minus 3 losses.
        let seqs: Vec<u16> = (65530..=65535)
            .chain(0..10)
            .filter(|s| ![65533, 2, 3].contains(s))
            .collect();
        for (i, &q) in seqs.iter().enumerate() {
            s.on_packet(
                q,
                u32::from(q.wrapping_sub(65530)) * 160,
                t0 + Duration::from_millis(20 * i as u64),
            );
        }
        assert_eq!(s.expected(), 16);
        assert_eq!(s.cumulative_lost(), 3);
        let b = s.report_block(1, t0).unwrap();
        assert_eq!(b.highest_seq, (1 << 16) + 9);
        assert_eq!(b.fraction_lost, (3 * 256 / 16) as u8);
        // Next interval without loss.
        s.on_packet(10, 160 * 16, t0 + Duration::from_millis(400));
        assert_eq!(s.report_block(1, t0).unwrap().fraction_lost, 0);
        s.on_packet(10, 0, t0);
        assert_eq!(s.duplicates_or_late, 1);
    }

    #[test]
    fn jitter_tracks_arrival_variation() {
        let t0 = Instant::now();
        let mut steady = ReceiveStats::new(8000, t0);
        let mut shaky = ReceiveStats::new(8000, t0);
        for i in 0..200u32 {
            let ts = i * 160;
            steady.on_packet(i as u16, ts, t0 + Duration::from_millis(20 * u64::from(i)));
            let wobble = if i % 2 == 0 { 0 } else { 10 };
            shaky.on_packet(
                i as u16,
                ts,
                t0 + Duration::from_millis(20 * u64::from(i) + wobble),
            );
        }
        assert!(steady.jitter_ms() < 0.5, "{}", steady.jitter_ms());
        assert!(
            (shaky.jitter_ms() - 10.0).abs() < 1.5,
            "{}",
            shaky.jitter_ms()
        );
        assert!(ReceiveStats::new(8000, t0).report_block(1, t0).is_none());
        assert!(ntp_now() >> 32 > 3_900_000_000);
    }
}
