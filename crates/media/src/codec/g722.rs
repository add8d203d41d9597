//! G.722 at 64 kbit/s (16 kHz audio, 8000 Hz RTP clock) via the pure-Rust `audio-codec`
//! implementation; see docs/decisions/0403-codecs.md.

use audio_codec::g722::{G722Decoder, G722Encoder};
use audio_codec::{Decoder as _, Encoder as _};
use koppla_audio::{Resampler, SAMPLE_RATE};

use super::plc::UpsampledPlc;
use super::{check_frame, Codec, CodecError, CodecKind};

/// Largest payload accepted: 120 ms.
const MAX_PAYLOAD: usize = 960;

pub struct G722 {
    enc: G722Encoder,
    dec: G722Decoder,
    down: Resampler,
    plc: UpsampledPlc,
    scratch: Vec<i16>,
}

impl G722 {
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            enc: G722Encoder::new(),
            dec: G722Decoder::new(),
            down: Resampler::new(SAMPLE_RATE, 16000)?,
            plc: UpsampledPlc::new(Resampler::new(16000, SAMPLE_RATE)?),
            scratch: Vec::new(),
        })
    }
}

impl Codec for G722 {
    fn kind(&self) -> CodecKind {
        CodecKind::G722
    }

    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame(frame)?;
        self.scratch.clear();
        self.down.process(frame, &mut self.scratch);
        let start = out.len();
        out.resize(start + self.enc.max_encode_bytes(self.scratch.len()), 0);
        let n = self
            .enc
            .encode_into(&self.scratch, &mut out[start..])
            .map_err(|_| CodecError::BadPayload {
                codec: CodecKind::G722,
                len: 0,
            })?;
        out.truncate(start + n);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() || payload.len() > MAX_PAYLOAD {
            return Err(CodecError::BadPayload {
                codec: CodecKind::G722,
                len: payload.len(),
            });
        }
        let mut wide = vec![0i16; self.dec.max_decode_samples(payload.len())];
        let n = self
            .dec
            .decode_into(payload, &mut wide)
            .map_err(|_| CodecError::BadPayload {
                codec: CodecKind::G722,
                len: payload.len(),
            })?;
        wide.truncate(n);
        self.plc.decoded(&wide, out);
        Ok(())
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError> {
        self.plc.conceal(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_ms_is_160_bytes() {
        let mut c = G722::new().unwrap();
        let mut p = Vec::new();
        c.encode(&[1000; 960], &mut p).unwrap();
        assert_eq!(p.len(), 160);
        let mut y = Vec::new();
        c.decode(&p, &mut y).unwrap();
        assert_eq!(y.len(), 960);
        assert!(c.decode(&vec![0; 2000], &mut y).is_err());
    }

    #[test]
    fn keeps_wideband_content() {
        // 6 kHz is beyond narrowband but inside G.722's 7 kHz.
        let x = crate::codec::test_util::sine(6000.0, 960 * 50, 8000.0);
        let mut c = G722::new().unwrap();
        let (mut p, mut y) = (Vec::new(), Vec::new());
        for f in x.chunks(960) {
            p.clear();
            c.encode(f, &mut p).unwrap();
            c.decode(&p, &mut y).unwrap();
        }
        let rms = |v: &[i16]| {
            (v.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        let ratio = rms(&y[9600..]) / rms(&x[9600..]);
        assert!(ratio > 0.5, "6 kHz survives G.722: ratio {ratio}");
    }
}
