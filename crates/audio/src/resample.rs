//! Streaming band-limited resampler (windowed sinc, Blackman window).
//!
//! Why hand-written instead of `rubato`: see docs/decisions/0401-resampler.md. In short,
//! the engine needs exact, deterministic output counts per 20 ms frame (160 in at 8 kHz
//! must give exactly 960 out at 48 kHz, every frame), which this design guarantees with
//! integer phase bookkeeping and a fixed delay, at a fraction of the dependency cost.
//!
//! Output sample `n` sits at input position `n * from / to - W` (a constant delay of `W`
//! input samples), so after `L` input samples exactly `ceil(L * to / from)` outputs exist.

use crate::AudioError;

/// Zero crossings of the sinc on each side; 16 keeps stop-band rejection around 70 dB
/// with a Blackman window, which is plenty for telephony.
const ZERO_CROSSINGS: f64 = 16.0;
/// Cut-off relative to the lower Nyquist frequency, leaving room for the transition band.
const CUTOFF: f64 = 0.92;
/// Above this many distinct phases the kernel is computed per sample instead of tabulated.
const MAX_TABLE_PHASES: u64 = 4096;

#[derive(Debug, Clone)]
pub struct Resampler {
    from: u64,
    to: u64,
    passthrough: bool,
    /// Half the kernel length, in input samples.
    half: usize,
    cutoff: f64,
    table: Option<Vec<f32>>,
    history: Vec<f32>,
    /// Absolute input index of `history[0]` (negative while inside the leading zeros).
    base: i64,
    inputs: u64,
    outputs: u64,
    /// Output `n` sits at input position `(n * from - offset) / to`.
    offset: i64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Resampler {
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, AudioError> {
        if from_hz == 0 {
            return Err(AudioError::UnsupportedRate(from_hz));
        }
        if to_hz == 0 {
            return Err(AudioError::UnsupportedRate(to_hz));
        }
        let g = gcd(u64::from(from_hz), u64::from(to_hz));
        let (from, to) = (u64::from(from_hz) / g, u64::from(to_hz) / g);
        let cutoff = CUTOFF * (to as f64 / from as f64).min(1.0);
        let half = (ZERO_CROSSINGS / cutoff).ceil() as usize;
        let mut r = Self {
            from,
            to,
            passthrough: from == to,
            half,
            cutoff,
            table: None,
            history: vec![0.0; 2 * half + 2],
            base: -(2 * half as i64 + 2),
            inputs: 0,
            outputs: 0,
            offset: (half as u64 * to) as i64,
        };
        if !r.passthrough && to <= MAX_TABLE_PHASES {
            let mut t = Vec::with_capacity(to as usize * 2 * half);
            for p in 0..to {
                t.extend(r.kernel(p));
            }
            r.table = Some(t);
        }
        Ok(r)
    }

    /// Delay introduced, in output samples (0 when rates are equal).
    pub fn delay_output_samples(&self) -> usize {
        if self.passthrough {
            0
        } else {
            (self.half as u64 * self.to / self.from) as usize
        }
    }

    /// Normalised taps for phase `p` (fractional offset `p / to`), oldest tap first.
    fn kernel(&self, p: u64) -> Vec<f32> {
        let w = self.half as f64;
        let frac = p as f64 / self.to as f64;
        let mut taps: Vec<f64> = (0..2 * self.half)
            .map(|k| {
                let d = (w - 1.0 - k as f64) + frac;
                let t = d / w;
                if t.abs() >= 1.0 {
                    return 0.0;
                }
                let x = self.cutoff * d;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let pt = std::f64::consts::PI * t;
                let blackman = 0.42 + 0.5 * pt.cos() + 0.08 * (2.0 * pt).cos();
                sinc * blackman
            })
            .collect();
        let sum: f64 = taps.iter().sum();
        if sum.abs() > 1e-9 {
            taps.iter_mut().for_each(|t| *t /= sum);
        }
        taps.into_iter().map(|t| t as f32).collect()
    }

    /// Moves output `n` to input position `(n * from - offset) / to`. The leading zeros of the
    /// history must reach back to the first tap of output 0: with a strong downsampling
    /// (44.1 kHz to 8 kHz) a whole-output-sample delay lies further back than the default one.
    fn delay_by(&mut self, offset: i64) {
        self.offset = offset;
        let first = self.position(0).0 - self.half as i64 + 1;
        let zeros = (-first).max(2 * self.half as i64 + 2);
        self.history = vec![0.0; zeros as usize];
        self.base = -zeros;
    }

    /// Integer part and phase of output `n`'s input position.
    fn position(&self, n: u64) -> (i64, u64) {
        let num = (n * self.from) as i64 - self.offset;
        (
            num.div_euclid(self.to as i64),
            num.rem_euclid(self.to as i64) as u64,
        )
    }

    /// Feeds `input` and appends every output sample that became computable to `out`.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        if self.passthrough {
            out.extend_from_slice(input);
            return;
        }
        self.history.extend(input.iter().map(|&s| f32::from(s)));
        self.inputs += input.len() as u64;
        let two_w = 2 * self.half;
        let half = self.half as i64;
        let mut scratch;
        loop {
            let (ip, p) = self.position(self.outputs);
            if ip + half >= self.inputs as i64 {
                break;
            }
            let first = ip - half + 1;
            let start = (first - self.base) as usize;
            let window = &self.history[start..start + two_w];
            let taps: &[f32] = match &self.table {
                Some(t) => &t[p as usize * two_w..(p as usize + 1) * two_w],
                None => {
                    scratch = self.kernel(p);
                    &scratch
                }
            };
            let acc: f32 = window.iter().zip(taps).map(|(a, b)| a * b).sum();
            out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
            self.outputs += 1;
        }
        // Drop input no future output can reach.
        let next_first = self.position(self.outputs).0 - half + 1;
        let drop = (next_first - self.base).clamp(0, self.history.len() as i64) as usize;
        if drop > 0 {
            self.history.drain(..drop);
            self.base += drop as i64;
        }
    }
}

/// Resamples a whole buffer, compensating the filter delay so output lines up with input.
pub fn resample_all(input: &[i16], from_hz: u32, to_hz: u32) -> Result<Vec<i16>, AudioError> {
    let mut r = Resampler::new(from_hz, to_hz)?;
    // Delay by a whole number of output samples (not `half` input samples) so that
    // skipping them aligns output exactly with input.
    let delay = if r.passthrough {
        0
    } else {
        (r.half as u64 * r.to).div_ceil(r.from)
    };
    r.delay_by((delay * r.from) as i64);
    let mut out = Vec::with_capacity(input.len() * to_hz as usize / from_hz.max(1) as usize + 64);
    r.process(input, &mut out);
    r.process(&vec![0; r.half + 1], &mut out);
    let delay = delay as usize;
    let want = (input.len() as u64 * u64::from(to_hz)).div_ceil(u64::from(from_hz)) as usize;
    Ok(out.into_iter().skip(delay).take(want).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sine(freq: f64, rate: u32, n: usize, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| {
                ((i as f64 * 2.0 * std::f64::consts::PI * freq / f64::from(rate)).sin() * amp)
                    as i16
            })
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn strong_downsampling_of_a_whole_buffer_keeps_the_tone() {
        // 44.1 kHz is the usual rate of an uploaded greeting; these once ran off the history.
        for from in [44_100, 96_000, 64_000, 56_000, 192_000] {
            let input = sine(440.0, from, from as usize / 2, 10_000.0);
            let out = resample_all(&input, from, 8000).unwrap();
            assert_eq!(out.len(), 4000, "{from} Hz");
            let level = rms(&out[500..3500]);
            assert!((level - 7071.0).abs() < 400.0, "{from} Hz: rms {level}");
        }
    }

    #[test]
    fn exact_counts_per_frame() {
        for (from, to, n_in, n_out) in [
            (8000, 48000, 160, 960),
            (48000, 8000, 960, 160),
            (16000, 48000, 320, 960),
            (48000, 16000, 960, 320),
        ] {
            let mut r = Resampler::new(from, to).unwrap();
            for _ in 0..20 {
                let mut out = Vec::new();
                r.process(&vec![100; n_in], &mut out);
                assert_eq!(out.len(), n_out, "{from}->{to}");
            }
        }
    }

    #[test]
    fn in_band_tone_survives_and_alias_is_rejected() {
        // 1 kHz through 48k->8k->48k keeps its level.
        let x = sine(1000.0, 48000, 48000, 10000.0);
        let down = resample_all(&x, 48000, 8000).unwrap();
        assert_eq!(down.len(), 8000);
        let up = resample_all(&down, 8000, 48000).unwrap();
        let ratio = rms(&up[4800..43200]) / rms(&x[4800..43200]);
        assert!((ratio - 1.0).abs() < 0.03, "ratio {ratio}");
        // 6 kHz cannot exist at 8 kHz: it must be filtered, not aliased to 2 kHz.
        let hi = sine(6000.0, 48000, 48000, 10000.0);
        let down = resample_all(&hi, 48000, 8000).unwrap();
        assert!(
            rms(&down[800..7200]) < 30.0,
            "alias rms {}",
            rms(&down[800..7200])
        );
    }

    #[test]
    fn delay_compensated_alignment() {
        let x = sine(440.0, 44100, 44100, 8000.0);
        let y = resample_all(&x, 44100, 48000).unwrap();
        assert_eq!(y.len(), 48000);
        let expect = sine(440.0, 48000, 48000, 8000.0);
        let err: f64 = y[2000..46000]
            .iter()
            .zip(&expect[2000..46000])
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .sum::<f64>()
            / 44000.0;
        assert!(err < 40.0, "mean abs error {err}");
    }

    #[test]
    fn odd_rates_without_table() {
        let mut r = Resampler::new(47999, 48000).unwrap();
        assert!(r.table.is_none());
        let mut out = Vec::new();
        r.process(&vec![1000; 4800], &mut out);
        assert!(out.len() >= 4800 - 1 && out.len() <= 4801);
        assert!(out[100..].iter().all(|&s| (s - 1000).abs() <= 2));
    }

    #[test]
    fn zero_rate_is_error() {
        assert!(matches!(
            Resampler::new(0, 8000),
            Err(AudioError::UnsupportedRate(0))
        ));
    }

    proptest! {
        #[test]
        fn streaming_equals_whole(chunks in proptest::collection::vec(0usize..500, 1..10), seed in any::<i16>()) {
            let total: usize = chunks.iter().sum();
            let x: Vec<i16> = (0..total).map(|i| (i as i16).wrapping_mul(31).wrapping_add(seed)).collect();
            let mut a = Resampler::new(16000, 48000).unwrap();
            let mut whole = Vec::new();
            a.process(&x, &mut whole);
            let mut b = Resampler::new(16000, 48000).unwrap();
            let mut parts = Vec::new();
            let mut pos = 0;
            for c in chunks { b.process(&x[pos..pos + c], &mut parts); pos += c; }
            prop_assert_eq!(whole, parts);
        }

        /// Any pair of rates a WAV file may carry resamples a buffer without panicking and
        /// gives exactly the expected number of samples.
        #[test]
        fn any_rates_resample_whole_buffers(from in 4000u32..200_000, to in 4000u32..200_000, n in 0usize..3000) {
            let x: Vec<i16> = (0..n).map(|i| ((i * 37) % 2000) as i16 - 1000).collect();
            let out = resample_all(&x, from, to).unwrap();
            prop_assert_eq!(out.len() as u64, (n as u64 * u64::from(to)).div_ceil(u64::from(from)));
        }
    }
}
