//! RMS / peak levels in dBFS for the UI meter.

/// Floor used for digital silence instead of -inf, so the UI can render it.
pub const SILENCE_DBFS: f32 = -96.0;

/// Level of one block of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub rms_dbfs: f32,
    pub peak_dbfs: f32,
}

impl Level {
    pub fn of(samples: &[i16]) -> Self {
        if samples.is_empty() {
            return Self {
                rms_dbfs: SILENCE_DBFS,
                peak_dbfs: SILENCE_DBFS,
            };
        }
        let mut sum_sq = 0f64;
        let mut peak = 0u16;
        for &s in samples {
            let f = f64::from(s);
            sum_sq += f * f;
            peak = peak.max(s.unsigned_abs());
        }
        let rms = (sum_sq / samples.len() as f64).sqrt() / 32768.0;
        Self {
            rms_dbfs: to_dbfs(rms),
            peak_dbfs: to_dbfs(f64::from(peak) / 32768.0),
        }
    }
}

fn to_dbfs(linear: f64) -> f32 {
    if linear <= 0.0 {
        return SILENCE_DBFS;
    }
    ((20.0 * linear.log10()) as f32).max(SILENCE_DBFS)
}

/// Meter with peak hold and exponential decay, fed one frame at a time.
/// Decay is per frame so it is deterministic in tests (no wall clock).
#[derive(Debug, Clone)]
pub struct LevelMeter {
    decay_db_per_frame: f32,
    held_peak: f32,
    last: Level,
}

impl Default for LevelMeter {
    fn default() -> Self {
        // ~20 dB/s at 50 frames/s: the usual PPM-like fall-back.
        Self::new(0.4)
    }
}

impl LevelMeter {
    pub fn new(decay_db_per_frame: f32) -> Self {
        Self {
            decay_db_per_frame,
            held_peak: SILENCE_DBFS,
            last: Level {
                rms_dbfs: SILENCE_DBFS,
                peak_dbfs: SILENCE_DBFS,
            },
        }
    }

    pub fn feed(&mut self, frame: &[i16]) -> Level {
        let l = Level::of(frame);
        self.held_peak = (self.held_peak - self.decay_db_per_frame)
            .max(l.peak_dbfs)
            .max(SILENCE_DBFS);
        self.last = l;
        l
    }

    /// Peak with hold/decay, for the meter's needle.
    pub fn held_peak_dbfs(&self) -> f32 {
        self.held_peak
    }

    pub fn last(&self) -> Level {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_square_is_zero_dbfs() {
        let buf: Vec<i16> = (0..960)
            .map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        let l = Level::of(&buf);
        assert!(l.rms_dbfs.abs() < 0.01, "{l:?}");
        assert!(l.peak_dbfs.abs() < 0.01, "{l:?}");
    }

    #[test]
    fn sine_rms_is_minus_3_db_of_peak() {
        let buf: Vec<i16> = (0..960)
            .map(|i| {
                ((i as f64 * 2.0 * std::f64::consts::PI * 1000.0 / 48000.0).sin() * 16384.0) as i16
            })
            .collect();
        let l = Level::of(&buf);
        assert!((l.peak_dbfs - -6.02).abs() < 0.1, "{l:?}");
        assert!((l.rms_dbfs - -9.03).abs() < 0.1, "{l:?}");
    }

    #[test]
    fn silence_and_empty_are_floor() {
        assert_eq!(Level::of(&[0; 10]).rms_dbfs, SILENCE_DBFS);
        assert_eq!(Level::of(&[]).peak_dbfs, SILENCE_DBFS);
    }

    #[test]
    fn meter_holds_then_decays() {
        let mut m = LevelMeter::new(1.0);
        m.feed(&[i16::MAX; 960]);
        assert!(m.held_peak_dbfs() > -0.1);
        m.feed(&[0; 960]);
        assert!((m.held_peak_dbfs() - -1.0).abs() < 0.1);
        assert_eq!(m.last().peak_dbfs, SILENCE_DBFS);
    }
}
