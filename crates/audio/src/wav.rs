//! WAV file source and sink (via `hound`). Sources are decoded and resampled to 48 kHz mono
//! once at open time: prompts and test files are short, and this keeps `read_frame` cheap.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::resample::resample_all;
use crate::{AudioError, AudioSink, AudioSource, SAMPLE_RATE};

/// What a file source does when it reaches the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndBehavior {
    /// Start over (hold music, test tones).
    Loop,
    /// Pad the last frame with silence, then report end of input (`Ok(false)`, silence).
    #[default]
    Finish,
}

#[derive(Debug, Clone)]
pub struct WavSource {
    samples: Vec<i16>,
    pos: usize,
    end: EndBehavior,
}

/// Longest file accepted (at 48 kHz mono): one hour. Guards memory against odd files.
const MAX_SAMPLES: usize = 48_000 * 3600;

impl WavSource {
    pub fn open(path: impl AsRef<Path>, end: EndBehavior) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let reader = hound::WavReader::open(path).map_err(|source| AudioError::WavOpen {
            path: path.to_path_buf(),
            source,
        })?;
        Self::decode(reader, path, end)
    }

    /// A WAV held in memory (a voicemail message fetched from the switch); `name` is what
    /// errors call it. Garbage is an error, never a panic.
    pub fn from_bytes(bytes: &[u8], name: &str, end: EndBehavior) -> Result<Self, AudioError> {
        let path = Path::new(name);
        let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|source| {
            AudioError::WavOpen {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Self::decode(reader, path, end)
    }

    fn decode<R: std::io::Read>(
        mut reader: hound::WavReader<R>,
        path: &Path,
        end: EndBehavior,
    ) -> Result<Self, AudioError> {
        let spec = reader.spec();
        let fmt_err = |reason: String| AudioError::WavFormat {
            path: path.to_path_buf(),
            reason,
        };
        if spec.channels == 0 {
            return Err(fmt_err("zero channels".into()));
        }
        if spec.sample_rate < 4000 || spec.sample_rate > 384_000 {
            return Err(fmt_err(format!(
                "sample rate {} Hz out of range",
                spec.sample_rate
            )));
        }
        let frames = reader.duration() as usize;
        if frames.saturating_mul(SAMPLE_RATE as usize) / spec.sample_rate as usize > MAX_SAMPLES {
            return Err(fmt_err("longer than one hour".into()));
        }
        let interleaved: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader
                .samples::<f32>()
                .map(|s| s.map(|v| v * 32767.0))
                .collect::<Result<_, _>>()?,
            hound::SampleFormat::Int => {
                if spec.bits_per_sample == 0 || spec.bits_per_sample > 32 {
                    return Err(fmt_err(format!("{} bits per sample", spec.bits_per_sample)));
                }
                let scale = 32768.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()?
            }
        };
        let ch = usize::from(spec.channels);
        let mono: Vec<i16> = interleaved
            .chunks(ch)
            .map(|c| {
                (c.iter().sum::<f32>() / ch as f32)
                    .round()
                    .clamp(-32768.0, 32767.0) as i16
            })
            .collect();
        let samples = resample_all(&mono, spec.sample_rate, SAMPLE_RATE)?;
        Ok(Self {
            samples,
            pos: 0,
            end,
        })
    }

    /// The whole decoded signal (48 kHz mono), e.g. for a player that seeks.
    pub fn into_samples(self) -> Vec<i16> {
        self.samples
    }

    /// Length at 48 kHz.
    pub fn len_samples(&self) -> usize {
        self.samples.len()
    }
}

impl AudioSource for WavSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        if self.samples.is_empty() {
            out.fill(0);
            return Ok(self.end == EndBehavior::Loop);
        }
        let mut filled = 0;
        while filled < out.len() {
            if self.pos >= self.samples.len() {
                match self.end {
                    EndBehavior::Loop => self.pos = 0,
                    EndBehavior::Finish => {
                        out[filled..].fill(0);
                        return Ok(filled > 0);
                    }
                }
            }
            let n = (self.samples.len() - self.pos).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&self.samples[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
        }
        Ok(true)
    }
}

/// Writes 48 kHz mono 16-bit PCM. Call [`WavSink::finish`] to get errors from the final
/// header update; dropping also finalises but can only log failures.
pub struct WavSink {
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    path: PathBuf,
}

impl WavSink {
    pub fn create(path: impl AsRef<Path>) -> Result<Self, AudioError> {
        let path = path.as_ref().to_path_buf();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(&path, spec).map_err(|source| AudioError::WavOpen {
                path: path.clone(),
                source,
            })?;
        Ok(Self {
            writer: Some(writer),
            path,
        })
    }

    pub fn finish(mut self) -> Result<(), AudioError> {
        match self.writer.take() {
            Some(w) => Ok(w.finalize()?),
            None => Ok(()),
        }
    }
}

impl AudioSink for WavSink {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| AudioError::StreamClosed(self.path.display().to_string()))?;
        let mut i16w = w.get_i16_writer(frame.len() as u32);
        for &s in frame {
            i16w.write_sample(s);
        }
        Ok(i16w.flush()?)
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            if let Err(e) = w.finalize() {
                tracing::warn!(path = %self.path.display(), error = %e, "finalising WAV failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn sink_then_source_roundtrip_48k() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let mut sink = WavSink::create(&p).unwrap();
        let frame: Vec<i16> = (0..960).map(|i| (i * 30) as i16).collect();
        sink.write_frame(&frame).unwrap();
        sink.write_frame(&frame).unwrap();
        sink.finish().unwrap();
        let mut src = WavSource::open(&p, EndBehavior::Finish).unwrap();
        assert_eq!(src.len_samples(), 1920);
        let mut buf = vec![0i16; 960];
        assert!(src.read_frame(&mut buf).unwrap());
        assert_eq!(buf, frame);
        assert!(src.read_frame(&mut buf).unwrap());
        assert!(!src.read_frame(&mut buf).unwrap());
        assert!(buf.iter().all(|&s| s == 0));
    }

    #[test]
    fn stereo_8k_is_downmixed_and_upsampled() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.wav");
        // L = +2000, R = 0 -> mono 1000, 0.5 s at 8 kHz.
        let inter: Vec<i16> = (0..8000)
            .map(|i| if i % 2 == 0 { 2000 } else { 0 })
            .collect();
        write_wav(&p, 8000, 2, &inter);
        let src = WavSource::open(&p, EndBehavior::Finish).unwrap();
        assert_eq!(src.len_samples(), 24000);
        assert!(src.samples[2000..22000]
            .iter()
            .all(|&s| (s - 1000).abs() <= 3));
    }

    #[test]
    fn loop_wraps_around() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.wav");
        write_wav(&p, 48000, 1, &[5; 100]);
        let mut src = WavSource::open(&p, EndBehavior::Loop).unwrap();
        let mut buf = vec![0i16; 960];
        for _ in 0..3 {
            assert!(src.read_frame(&mut buf).unwrap());
        }
        assert!(buf.iter().all(|&s| s == 5));
    }

    #[test]
    fn missing_and_garbage_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            WavSource::open(dir.path().join("nope.wav"), EndBehavior::Loop),
            Err(AudioError::WavOpen { .. })
        ));
        let g = dir.path().join("g.wav");
        std::fs::write(&g, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
        assert!(WavSource::open(&g, EndBehavior::Loop).is_err());
    }

    #[test]
    fn bytes_decode_like_files_and_truncated_bytes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.wav");
        let samples: Vec<i16> = (0..8000).map(|i| ((i % 40) * 100) as i16).collect();
        write_wav(&p, 8000, 1, &samples);
        let bytes = std::fs::read(&p).unwrap();
        let from_file = WavSource::open(&p, EndBehavior::Finish).unwrap();
        let from_bytes = WavSource::from_bytes(&bytes, "m.wav", EndBehavior::Finish).unwrap();
        assert_eq!(from_bytes.len_samples(), 48_000);
        assert_eq!(from_bytes.into_samples(), from_file.into_samples());
        // A message cut off in transfer or on disk: an error naming it, never a panic.
        for cut in [0, 3, 12, 44, bytes.len() / 2] {
            if let Ok(src) = WavSource::from_bytes(&bytes[..cut], "m.wav", EndBehavior::Finish) {
                assert!(src.len_samples() < 48_000, "a cut file cannot be whole");
            }
        }
        assert!(WavSource::from_bytes(b"not a wav at all", "x.wav", EndBehavior::Finish).is_err());
    }
}
