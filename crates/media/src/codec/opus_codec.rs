//! Opus through system libopus (`opus` crate): 48 kHz mono, VoIP mode, in-band FEC on.

use koppla_audio::FRAME_SAMPLES;

use super::{check_frame, Codec, CodecError, CodecKind};

/// Max Opus packet duration is 120 ms.
const MAX_DECODE: usize = FRAME_SAMPLES * 6;
/// Generous payload bound for a 20 ms frame.
const MAX_PACKET: usize = 1275;

pub struct Opus {
    enc: opus::Encoder,
    dec: opus::Decoder,
    buf: Vec<u8>,
    pcm: Vec<i16>,
}

impl Opus {
    /// `expected_loss_percent` tunes how much FEC redundancy the encoder spends.
    pub fn new(expected_loss_percent: u8) -> Result<Self, CodecError> {
        let mut enc = opus::Encoder::new(48000, opus::Channels::Mono, opus::Application::Voip)?;
        enc.set_inband_fec(true)?;
        enc.set_packet_loss_perc(i32::from(expected_loss_percent.min(100)))?;
        enc.set_bitrate(opus::Bitrate::Bits(32000))?;
        let dec = opus::Decoder::new(48000, opus::Channels::Mono)?;
        Ok(Self {
            enc,
            dec,
            buf: vec![0; MAX_PACKET],
            pcm: vec![0; MAX_DECODE],
        })
    }
}

impl Codec for Opus {
    fn kind(&self) -> CodecKind {
        CodecKind::Opus
    }

    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame(frame)?;
        let n = self.enc.encode(frame, &mut self.buf)?;
        out.extend_from_slice(&self.buf[..n]);
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() {
            return Err(CodecError::BadPayload {
                codec: CodecKind::Opus,
                len: 0,
            });
        }
        let n = self.dec.decode(payload, &mut self.pcm, false)?;
        out.extend_from_slice(&self.pcm[..n]);
        Ok(())
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError> {
        let n = self
            .dec
            .decode(&[], &mut self.pcm[..FRAME_SAMPLES], false)?;
        out.extend_from_slice(&self.pcm[..n]);
        Ok(())
    }

    fn recover_from_next(
        &mut self,
        next_payload: &[u8],
        out: &mut Vec<i16>,
    ) -> Result<(), CodecError> {
        if next_payload.is_empty() {
            return self.conceal(out);
        }
        // With fec=true libopus returns the *previous* frame rebuilt from the LBRR data.
        let n = self
            .dec
            .decode(next_payload, &mut self.pcm[..FRAME_SAMPLES], true)?;
        out.extend_from_slice(&self.pcm[..n]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_util::{sine, snr_db};

    #[test]
    fn fec_recovers_a_lost_frame_better_than_plc() {
        let x = sine(440.0, 960 * 40, 8000.0);
        let packets: Vec<Vec<u8>> = {
            let mut c = Opus::new(20).unwrap();
            x.chunks(960)
                .map(|f| {
                    let mut p = Vec::new();
                    c.encode(f, &mut p).unwrap();
                    p
                })
                .collect()
        };
        let run = |use_fec: bool| {
            let mut d = Opus::new(20).unwrap();
            let mut y = Vec::new();
            for (i, p) in packets.iter().enumerate() {
                if i == 20 {
                    if use_fec {
                        d.recover_from_next(&packets[21], &mut y).unwrap();
                    } else {
                        d.conceal(&mut y).unwrap();
                    }
                } else {
                    d.decode(p, &mut y).unwrap();
                }
            }
            y
        };
        let (fec, plc) = (run(true), run(false));
        assert_eq!(fec.len(), x.len());
        let seg = 960 * 19..960 * 22;
        let s_fec = snr_db(&x[seg.clone()], &fec[seg.start..], 400);
        let s_plc = snr_db(&x[seg.clone()], &plc[seg.start..], 400);
        assert!(s_fec >= s_plc, "fec {s_fec:.1} dB vs plc {s_plc:.1} dB");
        let mut d = Opus::new(0).unwrap();
        assert!(d.decode(&[0xff, 0xff, 0xff], &mut Vec::new()).is_err());
    }
}
