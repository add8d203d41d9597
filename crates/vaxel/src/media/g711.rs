//! Audio for the switch's spoken announcements: G.711 from koppla-media and resampling from
//! koppla-audio, so the workspace has one implementation of each.

use koppla_media::codec::g711::{alaw_encode, ulaw_encode};

/// Encodes a frame for payload type 0 (PCMU) or 8 (PCMA).
pub fn encode(pt: u8, samples: &[i16]) -> Vec<u8> {
    match pt {
        8 => samples.iter().map(|s| alaw_encode(*s)).collect(),
        _ => samples.iter().map(|s| ulaw_encode(*s)).collect(),
    }
}

/// Converts announcement audio (e.g. espeak-ng's 22 050 Hz) to the RTP clock rate. A rate the
/// resampler refuses (zero) gives no audio rather than noise.
pub fn resample(input: &[i16], from_hz: u32, to_hz: u32) -> Vec<i16> {
    if input.is_empty() {
        return Vec::new();
    }
    koppla_audio::resample::resample_all(input, from_hz, to_hz).unwrap_or_else(|err| {
        tracing::warn!(%err, "announcement audio could not be resampled");
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_encodes_to_the_g711_zero_codes() {
        assert_eq!(encode(0, &[0, 0]), vec![0xFF, 0xFF]);
        assert_eq!(encode(8, &[0]), vec![0xD5]);
    }

    #[test]
    fn resampling_keeps_length_ratio() {
        let x: Vec<i16> = (0..22050).map(|i| (i % 100) as i16).collect();
        let out = resample(&x, 22050, 8000);
        assert!((7990..=8010).contains(&out.len()), "got {}", out.len());
        assert!(resample(&[], 8000, 8000).is_empty());
        assert!(resample(&[1, 2, 3], 0, 8000).is_empty());
    }
}
