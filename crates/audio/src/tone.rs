use crate::{AudioError, AudioSource, SAMPLE_RATE};

/// Sine tone generator at 48 kHz; phase is continuous across frames so there are no clicks.
#[derive(Debug, Clone)]
pub struct ToneSource {
    freq_hz: f64,
    amplitude: f64,
    phase: f64,
    /// Remaining samples before end of input; `None` = endless.
    remaining: Option<u64>,
}

impl ToneSource {
    /// `amplitude` is linear full-scale (0.0..=1.0), clamped.
    pub fn new(freq_hz: f64, amplitude: f64) -> Self {
        Self {
            freq_hz,
            amplitude: amplitude.clamp(0.0, 1.0),
            phase: 0.0,
            remaining: None,
        }
    }

    /// Stops (returns `false`) after `ms` milliseconds.
    pub fn with_duration_ms(mut self, ms: u64) -> Self {
        self.remaining = Some(ms * u64::from(SAMPLE_RATE) / 1000);
        self
    }
}

impl AudioSource for ToneSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        let step = 2.0 * std::f64::consts::PI * self.freq_hz / f64::from(SAMPLE_RATE);
        if self.remaining == Some(0) {
            out.fill(0);
            return Ok(false);
        }
        for s in out.iter_mut() {
            match self.remaining.as_mut() {
                Some(0) => {
                    *s = 0;
                    continue;
                }
                Some(r) => *r -= 1,
                None => {}
            }
            *s = (self.phase.sin() * self.amplitude * 32767.0) as i16;
            self.phase = (self.phase + step) % (2.0 * std::f64::consts::PI);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_has_expected_zero_crossings() {
        let mut t = ToneSource::new(1000.0, 0.5);
        let mut buf = vec![0i16; 960];
        t.read_frame(&mut buf).unwrap();
        let crossings = buf.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        // 1 kHz over 20 ms = 20 periods = 40 crossings (±1 at the edges).
        assert!((39..=41).contains(&crossings), "{crossings}");
        let peak = buf.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((16_000..=16_384).contains(&peak), "{peak}");
    }

    #[test]
    fn tone_with_duration_ends() {
        let mut t = ToneSource::new(440.0, 1.0).with_duration_ms(30);
        let mut buf = vec![0i16; 960];
        assert!(t.read_frame(&mut buf).unwrap());
        assert!(t.read_frame(&mut buf).unwrap());
        assert!(
            buf[480..].iter().all(|&s| s == 0),
            "second half past 30 ms is silent"
        );
        assert!(!t.read_frame(&mut buf).unwrap());
    }
}
