//! Normalised cross-correlation (via FFT) between a known signal and a recording.

use std::fmt;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use super::wav::{resample_linear, Wav};

/// Searches one recording ("haystack") for many short needles, reusing the haystack's spectrum.
pub struct Correlator {
    len: usize,
    hay_len: usize,
    hay_spectrum: Vec<Complex<f32>>,
    /// prefix[i] = sum of hay[..i]^2, for the per-lag normalisation.
    prefix: Vec<f64>,
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
    max_needle: usize,
}

/// Best position of a needle in the haystack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Haystack sample index where the needle starts.
    pub lag: usize,
    /// Normalised cross-correlation at that lag, -1..1 (1 = identical up to gain).
    pub ncc: f32,
}

impl Correlator {
    /// Prepare for needles of up to `max_needle` samples.
    pub fn new(hay: &[f32], max_needle: usize) -> Self {
        let len = (hay.len() + max_needle).max(2).next_power_of_two();
        let mut planner = FftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(len);
        let inverse = planner.plan_fft_inverse(len);
        let mut hay_spectrum: Vec<Complex<f32>> = hay
            .iter()
            .map(|&v| Complex::new(v, 0.0))
            .chain(std::iter::repeat(Complex::new(0.0, 0.0)))
            .take(len)
            .collect();
        forward.process(&mut hay_spectrum);
        let mut prefix = Vec::with_capacity(hay.len() + 1);
        prefix.push(0.0f64);
        let mut acc = 0.0f64;
        for &v in hay {
            acc += f64::from(v) * f64::from(v);
            prefix.push(acc);
        }
        Correlator {
            len,
            hay_len: hay.len(),
            hay_spectrum,
            prefix,
            forward,
            inverse,
            max_needle,
        }
    }

    /// Best match of `needle` (`None` if it is longer than allowed/the haystack, or silent).
    pub fn best(&self, needle: &[f32]) -> Option<Match> {
        let n = needle.len();
        if n == 0 || n > self.max_needle || n > self.hay_len {
            return None;
        }
        let needle_energy: f64 = needle.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        if needle_energy <= f64::EPSILON {
            return None;
        }
        let mut spec: Vec<Complex<f32>> = needle
            .iter()
            .map(|&v| Complex::new(v, 0.0))
            .chain(std::iter::repeat(Complex::new(0.0, 0.0)))
            .take(self.len)
            .collect();
        self.forward.process(&mut spec);
        for (s, h) in spec.iter_mut().zip(self.hay_spectrum.iter()) {
            *s = h * s.conj();
        }
        self.inverse.process(&mut spec);
        let scale = 1.0 / self.len as f64;
        let mut best: Option<Match> = None;
        for lag in 0..=(self.hay_len - n) {
            let hay_energy = self.prefix.get(lag + n).copied().unwrap_or(0.0)
                - self.prefix.get(lag).copied().unwrap_or(0.0);
            // Silence (or digital near-silence) in the recording must not produce a match.
            if hay_energy <= needle_energy * 1e-6 {
                continue;
            }
            let c = f64::from(spec.get(lag).map(|c| c.re).unwrap_or(0.0)) * scale;
            let ncc = (c / (needle_energy * hay_energy).sqrt()) as f32;
            if best.is_none_or(|b| ncc > b.ncc) {
                best = Some(Match { lag, ncc });
            }
        }
        best
    }
}

/// One-shot convenience: best match of `needle` in `hay`.
pub fn find_best_match(needle: &[f32], hay: &[f32]) -> Option<Match> {
    Correlator::new(hay, needle.len()).best(needle)
}

/// Match of one window of the reference in the recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowMatch {
    /// Start of the window in the reference, seconds.
    pub ref_start_s: f64,
    /// Recording position minus reference position, seconds.
    pub delay_s: f64,
    pub ncc: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransmissionReport {
    pub windows: Vec<WindowMatch>,
    pub recording_s: f64,
}

/// Two windows that really came through the same call agree on the delay within this.
const DELAY_TOLERANCE_S: f64 = 0.03;

impl TransmissionReport {
    /// Windows reaching `threshold` whose delays agree (within 30 ms) with their median delay.
    pub fn consistent_matches(&self, threshold: f32) -> Vec<WindowMatch> {
        let good: Vec<WindowMatch> = self
            .windows
            .iter()
            .copied()
            .filter(|w| w.ncc >= threshold)
            .collect();
        let Some(median) = median(good.iter().map(|w| w.delay_s).collect()) else {
            return Vec::new();
        };
        good.into_iter()
            .filter(|w| (w.delay_s - median).abs() <= DELAY_TOLERANCE_S)
            .collect()
    }

    /// The signal got through: at least `min_windows` windows correlate at ≥ `threshold`, at one
    /// consistent delay.
    pub fn passes(&self, threshold: f32, min_windows: usize) -> bool {
        self.consistent_matches(threshold).len() >= min_windows
    }

    pub fn best_ncc(&self) -> f32 {
        self.windows.iter().map(|w| w.ncc).fold(f32::MIN, f32::max)
    }

    /// Median delay of the consistent windows.
    pub fn delay_s(&self, threshold: f32) -> Option<f64> {
        median(
            self.consistent_matches(threshold)
                .iter()
                .map(|w| w.delay_s)
                .collect(),
        )
    }
}

impl fmt::Display for TransmissionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recording {:.2}s; windows:", self.recording_s)?;
        for w in &self.windows {
            write!(
                f,
                " [{:.2}s ncc={:.3} delay={:+.3}s]",
                w.ref_start_s, w.ncc, w.delay_s
            )?;
        }
        Ok(())
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Slide 0.5 s windows of `reference` (every 0.5 s) over `recording` and report each best match.
/// The reference is resampled to the recording's rate.
pub fn verify_transmission(reference: &Wav, recording: &Wav) -> TransmissionReport {
    let rate = recording.rate.max(1);
    let reference = resample_linear(&reference.samples, reference.rate, rate);
    let win = (rate / 2) as usize;
    if win == 0 {
        return TransmissionReport {
            windows: Vec::new(),
            recording_s: recording.duration_s(),
        };
    }
    let corr = Correlator::new(&recording.samples, win);
    let mut windows = Vec::new();
    let mut start = (rate / 4) as usize;
    while start + win <= reference.len() {
        if let Some(m) = reference.get(start..start + win).and_then(|n| corr.best(n)) {
            windows.push(WindowMatch {
                ref_start_s: start as f64 / f64::from(rate),
                delay_s: (m.lag as f64 - start as f64) / f64::from(rate),
                ncc: m.ncc,
            });
        }
        start += win;
    }
    TransmissionReport {
        windows,
        recording_s: recording.duration_s(),
    }
}

/// Start time (s) of `template` in `recording` if it correlates at ≥ `min_ncc`.
pub fn detect_burst(
    template: &[f32],
    template_rate: u32,
    recording: &Wav,
    min_ncc: f32,
) -> Option<f64> {
    let t = resample_linear(template, template_rate, recording.rate);
    let m = find_best_match(&t, &recording.samples)?;
    (m.ncc >= min_ncc).then(|| m.lag as f64 / f64::from(recording.rate.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::signal::{burst, burst_track, sweep};
    use rand::{Rng, SeedableRng};

    fn noise(n: usize, level: f32, seed: u64) -> Vec<f32> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n).map(|_| rng.random_range(-level..level)).collect()
    }

    /// What a call does to the signal, roughly: delay, gain, additive noise.
    fn through_channel(
        sig: &[f32],
        delay: usize,
        gain: f32,
        noise_level: f32,
        tail: usize,
    ) -> Vec<f32> {
        let mut out = vec![0.0; delay];
        out.extend(sig.iter().map(|v| v * gain));
        out.extend(std::iter::repeat_n(0.0, tail));
        for (o, n) in out
            .iter_mut()
            .zip(noise(delay + sig.len() + tail, noise_level, 7))
        {
            *o += n;
        }
        out
    }

    #[test]
    fn exact_copy_is_found_at_its_offset() {
        let hay = sweep(8000, 3.0, 0.5);
        let m = find_best_match(&hay[8000..12000], &hay).unwrap();
        assert_eq!(m.lag, 8000);
        assert!(m.ncc > 0.999);
    }

    #[test]
    fn delayed_noisy_copy_correlates_with_right_delay() {
        let reference = Wav {
            rate: 8000,
            samples: sweep(8000, 4.0, 0.5),
        };
        // 137 ms later, -6 dB, noise at about -20 dB of the signal.
        let rec = Wav {
            rate: 8000,
            samples: through_channel(&reference.samples, 1096, 0.5, 0.05, 800),
        };
        let report = verify_transmission(&reference, &rec);
        assert!(report.passes(0.6, 5), "{report}");
        let delay = report.delay_s(0.6).unwrap();
        assert!((delay - 0.137).abs() < 0.002, "delay {delay}");
    }

    #[test]
    fn works_across_sample_rates() {
        let reference = Wav {
            rate: 8000,
            samples: sweep(8000, 3.0, 0.5),
        };
        let rec48 = sweep(48000, 3.0, 0.5);
        let rec = Wav {
            rate: 48000,
            samples: through_channel(&rec48, 4800, 0.8, 0.02, 0),
        };
        let report = verify_transmission(&reference, &rec);
        assert!(report.passes(0.8, 4), "{report}");
        assert!((report.delay_s(0.8).unwrap() - 0.1).abs() < 0.002);
    }

    #[test]
    fn silence_does_not_correlate() {
        let reference = Wav {
            rate: 8000,
            samples: sweep(8000, 3.0, 0.5),
        };
        let rec = Wav {
            rate: 8000,
            samples: vec![0.0; 24000],
        };
        let report = verify_transmission(&reference, &rec);
        assert!(!report.passes(0.1, 1), "{report}");
        assert!(report.windows.is_empty());
    }

    #[test]
    fn unrelated_noise_does_not_pass() {
        let reference = Wav {
            rate: 8000,
            samples: sweep(8000, 3.0, 0.5),
        };
        let rec = Wav {
            rate: 8000,
            samples: noise(24000, 0.3, 42),
        };
        let report = verify_transmission(&reference, &rec);
        assert!(report.best_ncc() < 0.2, "{report}");
        assert!(!report.passes(0.6, 1));
    }

    #[test]
    fn a_different_sweep_does_not_pass() {
        // Same band, different sweep speed: the instantaneous frequencies never line up for long.
        let reference = Wav {
            rate: 8000,
            samples: sweep(8000, 4.0, 0.5),
        };
        let rec = Wav {
            rate: 8000,
            samples: sweep(8000, 2.0, 0.5),
        };
        let report = verify_transmission(&reference, &rec);
        assert!(!report.passes(0.6, 3), "{report}");
    }

    #[test]
    fn burst_is_located_within_a_millisecond() {
        let rec = Wav {
            rate: 16000,
            samples: through_channel(&burst_track(16000, 2.0, &[1.25], 0.7), 0, 0.6, 0.01, 0),
        };
        let t = detect_burst(&burst(8000, 0.7), 8000, &rec, 0.5).unwrap();
        assert!((t - 1.25).abs() < 0.001, "t {t}");
        let silent = Wav {
            rate: 16000,
            samples: noise(32000, 0.01, 3),
        };
        assert_eq!(detect_burst(&burst(8000, 0.7), 8000, &silent, 0.5), None);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(find_best_match(&[], &[1.0, 2.0]), None);
        assert_eq!(find_best_match(&[1.0, 2.0, 3.0], &[1.0]), None);
        assert_eq!(find_best_match(&[0.0; 4], &[1.0; 8]), None);
        let empty = Wav {
            rate: 0,
            samples: vec![],
        };
        assert!(verify_transmission(&empty, &empty).windows.is_empty());
    }
}
