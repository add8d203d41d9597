//! G.711 encoders (ITU-T G.711 segment tables) for the switch's spoken announcements, and a
//! tiny linear resampler. Kept local because the switch only ever *sends* speech; decoding and
//! real codecs belong to koppla-media.

/// Linear PCM sample to mu-law (PCMU, payload type 0).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut s = i32::from(sample);
    let sign: u8 = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let mut exponent: i32 = 7;
    let mut mask = 0x4000;
    while s & mask == 0 && exponent > 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = ((s >> (exponent + 3)) & 0x0F) as u8;
    !(sign | ((exponent as u8) << 4) | mantissa)
}

/// Linear PCM sample to A-law (PCMA, payload type 8).
pub fn linear_to_alaw(sample: i16) -> u8 {
    const SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut v = i32::from(sample) >> 3;
    let mask: u8 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let Some(seg) = SEG_END.iter().position(|end| v <= *end) else {
        return 0x7F ^ mask;
    };
    let mut aval = (seg as u8) << 4;
    aval |= if seg < 2 {
        ((v >> 1) & 0x0F) as u8
    } else {
        ((v >> seg) & 0x0F) as u8
    };
    aval ^ mask
}

/// Encodes a frame for payload type 0 (PCMU) or 8 (PCMA).
pub fn encode(pt: u8, samples: &[i16]) -> Vec<u8> {
    match pt {
        8 => samples.iter().map(|s| linear_to_alaw(*s)).collect(),
        _ => samples.iter().map(|s| linear_to_ulaw(*s)).collect(),
    }
}

/// Linear-interpolation resampling; good enough for speech announcements.
pub fn resample(input: &[i16], from_hz: u32, to_hz: u32) -> Vec<i16> {
    if from_hz == 0 || to_hz == 0 || input.is_empty() {
        return Vec::new();
    }
    let out_len = (input.len() as u64 * u64::from(to_hz) / u64::from(from_hz)) as usize;
    let step = f64::from(from_hz) / f64::from(to_hz);
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * step;
            let idx = pos as usize;
            let frac = pos - idx as f64;
            let a = f64::from(input.get(idx).copied().unwrap_or(0));
            let b = f64::from(
                input
                    .get(idx + 1)
                    .copied()
                    .unwrap_or(input.get(idx).copied().unwrap_or(0)),
            );
            (a + (b - a) * frac).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulaw_decode(u: u8) -> i16 {
        let u = !u;
        let sign = u & 0x80;
        let exponent = (u >> 4) & 7;
        let mantissa = i32::from(u & 0x0F);
        let mut s = ((mantissa << 3) + 0x84) << exponent;
        s -= 0x84;
        (if sign != 0 { -s } else { s }) as i16
    }

    fn alaw_decode(a: u8) -> i16 {
        let a = a ^ 0x55;
        let seg = i32::from((a & 0x70) >> 4);
        let mut t = i32::from(a & 0x0F) << 4;
        t = match seg {
            0 => t + 8,
            1 => t + 0x108,
            _ => (t + 0x108) << (seg - 1),
        };
        (if a & 0x80 != 0 { t } else { -t }) as i16
    }

    #[test]
    fn known_values() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn roundtrip_error_is_small() {
        for s in (-32000i32..32000).step_by(97) {
            let s = s as i16;
            let u = ulaw_decode(linear_to_ulaw(s));
            let a = alaw_decode(linear_to_alaw(s));
            let tol = (i32::from(s).abs() / 16).max(16);
            assert!(
                (i32::from(u) - i32::from(s)).abs() <= tol,
                "ulaw {s} -> {u}"
            );
            assert!(
                (i32::from(a) - i32::from(s)).abs() <= tol,
                "alaw {s} -> {a}"
            );
        }
    }

    #[test]
    fn resampling_keeps_length_ratio() {
        let x: Vec<i16> = (0..22050).map(|i| (i % 100) as i16).collect();
        assert_eq!(resample(&x, 22050, 8000).len(), 8000);
        assert!(resample(&[], 8000, 8000).is_empty());
        assert_eq!(resample(&[5, 5, 5, 5], 8000, 8000), vec![5, 5, 5, 5]);
    }
}
