//! G.711 A-law / µ-law (ITU-T G.711), segment arithmetic as in the reference code, with
//! decode tables built at compile time.

use koppla_audio::{Resampler, SAMPLE_RATE};

use super::plc::UpsampledPlc;
use super::{check_frame, Codec, CodecError, CodecKind};

const SEG_AEND: [i16; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
const SEG_UEND: [i16; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
const ULAW_BIAS: i16 = 0x84;
const ULAW_CLIP: i16 = 8159;

fn segment(v: i16, table: &[i16; 8]) -> usize {
    table.iter().position(|&end| v <= end).unwrap_or(8)
}

pub fn alaw_encode(pcm: i16) -> u8 {
    let mut v = pcm >> 3;
    let mask: u8 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &SEG_AEND);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mut a = (seg as u8) << 4;
    a |= if seg < 2 {
        ((v >> 1) & 0xF) as u8
    } else {
        ((v >> seg) & 0xF) as u8
    };
    a ^ mask
}

const fn alaw_decode_const(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t: i32 = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

pub fn ulaw_encode(pcm: i16) -> u8 {
    let mut v = pcm >> 2;
    let mask: u8 = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    v = v.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    let seg = segment(v, &SEG_UEND);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let u = ((seg as u8) << 4) | ((v >> (seg + 1)) & 0xF) as u8;
    u ^ mask
}

const fn ulaw_decode_const(u: u8) -> i16 {
    let u = !u;
    let mut t: i32 = (((u & 0x0F) as i32) << 3) + ULAW_BIAS as i32;
    t <<= ((u & 0x70) >> 4) as i32;
    if u & 0x80 != 0 {
        (ULAW_BIAS as i32 - t) as i16
    } else {
        (t - ULAW_BIAS as i32) as i16
    }
}

const fn build_table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_decode_const(i as u8)
        } else {
            ulaw_decode_const(i as u8)
        };
        i += 1;
    }
    t
}

static ALAW_TABLE: [i16; 256] = build_table(true);
static ULAW_TABLE: [i16; 256] = build_table(false);

pub fn alaw_decode(a: u8) -> i16 {
    ALAW_TABLE[usize::from(a)]
}

pub fn ulaw_decode(u: u8) -> i16 {
    ULAW_TABLE[usize::from(u)]
}

/// G.711 at 8 kHz, resampled to/from 48 kHz.
pub struct G711 {
    alaw: bool,
    down: Resampler,
    plc: UpsampledPlc,
    scratch: Vec<i16>,
}

impl G711 {
    pub fn new(alaw: bool) -> Result<Self, CodecError> {
        Ok(Self {
            alaw,
            down: Resampler::new(SAMPLE_RATE, 8000)?,
            plc: UpsampledPlc::new(Resampler::new(8000, SAMPLE_RATE)?),
            scratch: Vec::new(),
        })
    }
}

impl Codec for G711 {
    fn kind(&self) -> CodecKind {
        if self.alaw {
            CodecKind::Pcma
        } else {
            CodecKind::Pcmu
        }
    }

    fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame(frame)?;
        self.scratch.clear();
        self.down.process(frame, &mut self.scratch);
        let enc = if self.alaw { alaw_encode } else { ulaw_encode };
        out.extend(self.scratch.iter().map(|&s| enc(s)));
        Ok(())
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        if payload.is_empty() || payload.len() > 8 * 120 {
            return Err(CodecError::BadPayload {
                codec: self.kind(),
                len: payload.len(),
            });
        }
        let table = if self.alaw { &ALAW_TABLE } else { &ULAW_TABLE };
        let narrow: Vec<i16> = payload.iter().map(|&b| table[usize::from(b)]).collect();
        self.plc.decoded(&narrow, out);
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
    fn reference_values() {
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
    }

    #[test]
    fn every_code_survives_decode_encode() {
        for b in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(b)), b, "alaw {b:#x}");
            // µ-law has two codes for zero (0x7F and 0xFF); both decode to 0.
            if b != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(b)), b, "ulaw {b:#x}");
            }
        }
    }

    #[test]
    fn quantisation_error_is_logarithmic() {
        for x in (-32768i32..32768).step_by(7) {
            let x = x as i16;
            let ea = (i32::from(alaw_decode(alaw_encode(x))) - i32::from(x)).abs();
            let eu = (i32::from(ulaw_decode(ulaw_encode(x))) - i32::from(x)).abs();
            let bound = (i32::from(x).abs() / 16).max(16) + 8;
            assert!(ea <= bound, "alaw {x}: err {ea}");
            assert!(eu <= bound + 8, "ulaw {x}: err {eu}");
        }
    }

    #[test]
    fn frame_sizes() {
        let mut c = G711::new(true).unwrap();
        let mut p = Vec::new();
        c.encode(&[0; 960], &mut p).unwrap();
        assert_eq!(p.len(), 160);
        let mut y = Vec::new();
        c.decode(&p, &mut y).unwrap();
        assert_eq!(y.len(), 960);
        assert!(c.decode(&[], &mut y).is_err());
    }
}
