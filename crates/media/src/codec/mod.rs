//! Audio codecs behind one trait. Every codec takes and returns 48 kHz mono 20 ms frames;
//! narrowband/wideband codecs resample internally so the rest of the engine never sees
//! another rate.

pub mod g711;
mod g722;
mod kind;
mod opus_codec;
mod plc;

pub use g711::{alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, G711};
pub use g722::G722;
pub use kind::{CodecKind, UnknownCodec};
pub use opus_codec::Opus;

use koppla_audio::FRAME_SAMPLES;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("frame must be {expected} samples, got {got}")]
    FrameSize { expected: usize, got: usize },
    #[error("opus: {0}")]
    Opus(#[from] opus::Error),
    #[error("{codec} payload of {len} bytes is invalid")]
    BadPayload { codec: CodecKind, len: usize },
    #[error("resampler: {0}")]
    Resample(#[from] koppla_audio::AudioError),
}

/// One direction-agnostic codec instance (encoder + decoder state for one stream).
pub trait Codec: Send {
    fn kind(&self) -> CodecKind;

    /// Encodes one 20 ms frame of 48 kHz samples, appending the RTP payload to `out`.
    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Decodes one RTP payload, appending 48 kHz samples to `out`.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError>;

    /// Packet-loss concealment: appends one synthetic 20 ms frame.
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError>;

    /// Recovers a lost frame from the packet that follows it (Opus in-band FEC).
    /// Codecs without FEC conceal instead.
    fn recover_from_next(
        &mut self,
        _next_payload: &[u8],
        out: &mut Vec<i16>,
    ) -> Result<(), CodecError> {
        self.conceal(out)
    }

    /// RTP timestamp increment per 20 ms frame.
    fn timestamp_step(&self) -> u32 {
        self.kind().rtp_clock_rate() / 50
    }
}

/// Creates a codec for `kind`. Opus gets FEC on and an expected loss of 10 %.
pub fn new_codec(kind: CodecKind) -> Result<Box<dyn Codec>, CodecError> {
    Ok(match kind {
        CodecKind::Pcma => Box::new(G711::new(true)?),
        CodecKind::Pcmu => Box::new(G711::new(false)?),
        CodecKind::G722 => Box::new(G722::new()?),
        CodecKind::Opus => Box::new(Opus::new(10)?),
    })
}

fn check_frame(frame: &[i16]) -> Result<(), CodecError> {
    if frame.len() != FRAME_SAMPLES {
        return Err(CodecError::FrameSize {
            expected: FRAME_SAMPLES,
            got: frame.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_util {
    /// Signal-to-noise ratio in dB of `got` against `want`, after finding the best
    /// alignment within `max_lag` samples (codecs and resamplers add delay).
    pub fn snr_db(want: &[i16], got: &[i16], max_lag: usize) -> f64 {
        let mut best = f64::MIN;
        for lag in 0..=max_lag {
            let n = want.len().min(got.len().saturating_sub(lag));
            if n < 100 {
                break;
            }
            let (mut sig, mut noise) = (0f64, 0f64);
            for i in 0..n {
                let w = f64::from(want[i]);
                let g = f64::from(got[i + lag]);
                sig += w * w;
                noise += (w - g) * (w - g);
            }
            best = best.max(10.0 * (sig / noise.max(1e-9)).log10());
        }
        best
    }

    pub fn sine(freq: f64, n: usize, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| ((i as f64 * 2.0 * std::f64::consts::PI * freq / 48000.0).sin() * amp) as i16)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{sine, snr_db};
    use super::*;

    #[test]
    fn every_codec_roundtrips_a_tone() {
        let x = sine(800.0, 48000, 8000.0);
        for kind in CodecKind::ALL {
            let mut c = new_codec(kind).unwrap();
            let mut y = Vec::new();
            let mut payload = Vec::new();
            for f in x.chunks(FRAME_SAMPLES) {
                payload.clear();
                c.encode(f, &mut payload).unwrap();
                assert!(!payload.is_empty());
                c.decode(&payload, &mut y).unwrap();
            }
            assert_eq!(y.len(), x.len(), "{kind}");
            let snr = snr_db(&x[4800..40000], &y[4800..], 800);
            // Opus is perceptual, so its waveform SNR is lower than the waveform codecs'.
            let min = if kind == CodecKind::Opus { 10.0 } else { 25.0 };
            assert!(snr > min, "{kind}: snr {snr:.1} dB");
            assert_eq!(c.timestamp_step(), kind.rtp_clock_rate() / 50);
        }
    }

    #[test]
    fn wrong_frame_size_is_an_error() {
        for kind in CodecKind::ALL {
            let mut c = new_codec(kind).unwrap();
            assert!(matches!(
                c.encode(&[0; 100], &mut Vec::new()),
                Err(CodecError::FrameSize { .. })
            ));
        }
    }

    #[test]
    fn conceal_produces_a_frame_and_fades() {
        for kind in CodecKind::ALL {
            let mut c = new_codec(kind).unwrap();
            let x = sine(500.0, 960 * 5, 10000.0);
            let mut y = Vec::new();
            let mut p = Vec::new();
            for f in x.chunks(960) {
                p.clear();
                c.encode(f, &mut p).unwrap();
                y.clear();
                c.decode(&p, &mut y).unwrap();
            }
            let mut e = Vec::new();
            for _ in 0..10 {
                c.conceal(&mut e).unwrap();
            }
            assert_eq!(e.len(), 9600, "{kind}");
            let tail: i64 = e[8640..].iter().map(|&s| i64::from(s).abs()).sum();
            assert!(
                tail / 960 < 300,
                "{kind}: concealment must fade out, tail mean {}",
                tail / 960
            );
        }
    }
}
