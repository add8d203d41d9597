//! WAV read/write (hound) with mono float samples in -1..1 as the working format.

use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};

#[derive(Debug, Clone)]
pub struct Wav {
    pub rate: u32,
    /// Mono (multi-channel files are averaged).
    pub samples: Vec<f32>,
}

impl Wav {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate.max(1))
    }
}

fn wav_err(path: &Path, source: hound::Error) -> HarnessError {
    HarnessError::Wav {
        path: PathBuf::from(path),
        source,
    }
}

/// Write 16-bit PCM, duplicating the mono signal into `channels` channels.
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: channels.max(1),
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| wav_err(path, e))?;
    for s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        for _ in 0..channels.max(1) {
            w.write_sample(v).map_err(|e| wav_err(path, e))?;
        }
    }
    w.finalize().map_err(|e| wav_err(path, e))
}

/// Read any integer or float PCM WAV as mono f32.
pub fn read_wav(path: &Path) -> Result<Wav> {
    let mut r = hound::WavReader::open(path).map_err(|e| wav_err(path, e))?;
    let spec = r.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r
            .samples::<f32>()
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| wav_err(path, e))?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| wav_err(path, e))?
        }
    };
    let samples = interleaved
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok(Wav {
        rate: spec.sample_rate,
        samples,
    })
}

/// Linear-interpolation resampling. Only used on band-limited test signals whose content is far
/// below both Nyquist frequencies, so no anti-alias filter is needed.
pub fn resample_linear(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() || from == 0 || to == 0 {
        return samples.to_vec();
    }
    let n_out = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let step = f64::from(from) / f64::from(to);
    (0..n_out)
        .map(|i| {
            let pos = i as f64 * step;
            let idx = pos.floor() as usize;
            let frac = (pos - idx as f64) as f32;
            let a = samples.get(idx).copied().unwrap_or(0.0);
            let b = samples.get(idx + 1).copied().unwrap_or(a);
            a + (b - a) * frac
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_round_trip_is_mixed_to_mono() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.wav");
        let sig: Vec<f32> = (0..480).map(|i| (i as f32 / 480.0) - 0.5).collect();
        write_wav(&p, 48000, 2, &sig).unwrap();
        let w = read_wav(&p).unwrap();
        assert_eq!(w.rate, 48000);
        assert_eq!(w.samples.len(), 480);
        for (a, b) in w.samples.iter().zip(sig.iter()) {
            assert!((a - b).abs() < 1e-4);
        }
    }

    #[test]
    fn truncated_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.wav");
        std::fs::write(&p, b"RIFF\x10\x00\x00\x00WAVEfmt ").unwrap();
        assert!(matches!(read_wav(&p), Err(HarnessError::Wav { .. })));
    }

    #[test]
    fn resampling_keeps_duration_and_shape() {
        let s = crate::audio::signal::sweep(8000, 1.0, 0.5);
        let up = resample_linear(&s, 8000, 48000);
        assert_eq!(up.len(), 48000);
        assert!((up[6000] - s[1000]).abs() < 1e-6);
    }
}
