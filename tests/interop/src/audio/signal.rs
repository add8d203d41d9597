//! Deterministic test signals, defined analytically so they can be rendered at any sample rate.
//!
//! The transmission signal is the sum of a rising and a falling linear chirp inside the telephone
//! band (400-3300 Hz): tonal enough to survive G.711 and Opus at low bitrates, and its
//! instantaneous frequency pair is unique at every instant, so a window of it correlates at exactly
//! one position of a recording (a plain tone or a periodic multi-tone would not).

use std::f64::consts::PI;

const FADE_S: f64 = 0.02;

fn linear_chirp_phase(t: f64, f0: f64, f1: f64, duration: f64) -> f64 {
    let k = (f1 - f0) / duration;
    2.0 * PI * (f0 * t + 0.5 * k * t * t)
}

fn fade(t: f64, duration: f64) -> f64 {
    let edge = (t / FADE_S).min((duration - t) / FADE_S);
    edge.clamp(0.0, 1.0)
}

/// Rising 400→3300 Hz plus falling 3000→500 Hz chirp, `duration_s` long, peak `amplitude` (0..1).
pub fn sweep(rate: u32, duration_s: f64, amplitude: f64) -> Vec<f32> {
    let n = (f64::from(rate) * duration_s).round() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let up = linear_chirp_phase(t, 400.0, 3300.0, duration_s).sin();
            let down = linear_chirp_phase(t, 3000.0, 500.0, duration_s).sin();
            (amplitude * 0.5 * (up + down) * fade(t, duration_s)) as f32
        })
        .collect()
}

/// A 30 ms Hann-windowed 600→2400 Hz chirp: a band-limited "impulse" that codecs keep intact and
/// that has one sharp correlation peak (a single-sample click would be smeared by Opus).
pub fn burst(rate: u32, amplitude: f64) -> Vec<f32> {
    let duration = 0.03;
    let n = (f64::from(rate) * duration).round() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n.max(1) as f64).cos();
            (amplitude * w * linear_chirp_phase(t, 600.0, 2400.0, duration).sin()) as f32
        })
        .collect()
}

/// `total_s` of silence with one [`burst`] starting at each of `at_s`.
pub fn burst_track(rate: u32, total_s: f64, at_s: &[f64], amplitude: f64) -> Vec<f32> {
    let mut out = vec![0.0f32; (f64::from(rate) * total_s).round() as usize];
    let b = burst(rate, amplitude);
    for &at in at_s {
        let start = (f64::from(rate) * at).round() as usize;
        for (dst, src) in out.iter_mut().skip(start).zip(b.iter()) {
            *dst += *src;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_has_expected_length_and_level() {
        let s = sweep(8000, 2.0, 0.5);
        assert_eq!(s.len(), 16000);
        let peak = s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak > 0.4 && peak <= 0.5, "peak {peak}");
        assert!(s[0].abs() < 1e-6, "fades in");
    }

    #[test]
    fn burst_track_places_bursts() {
        let t = burst_track(8000, 1.0, &[0.5], 0.8);
        assert_eq!(t.len(), 8000);
        assert!(t[..3900].iter().all(|v| *v == 0.0));
        let energy: f32 = t[4000..4240].iter().map(|v| v * v).sum();
        assert!(energy > 1.0);
    }
}
