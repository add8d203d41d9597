//! Volume and mute wrappers. The control is shared (atomic) so the UI thread can change
//! it while the media thread owns the source/sink.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use crate::{AudioError, AudioSink, AudioSource};

/// Shared gain + mute state. Gain is linear, 0.0..=4.0 (up to +12 dB).
#[derive(Debug, Clone)]
pub struct GainControl {
    gain_bits: Arc<AtomicU32>,
    muted: Arc<AtomicBool>,
}

impl Default for GainControl {
    fn default() -> Self {
        Self {
            gain_bits: Arc::new(AtomicU32::new(1.0f32.to_bits())),
            muted: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl GainControl {
    pub const MAX_GAIN: f32 = 4.0;

    pub fn set_gain(&self, gain: f32) {
        let g = if gain.is_finite() {
            gain.clamp(0.0, Self::MAX_GAIN)
        } else {
            1.0
        };
        self.gain_bits.store(g.to_bits(), Ordering::Relaxed);
    }

    pub fn gain(&self) -> f32 {
        f32::from_bits(self.gain_bits.load(Ordering::Relaxed))
    }

    /// Volume as the UI shows it: 0..=100 % maps to 0.0..=1.0 linear.
    pub fn set_volume_percent(&self, percent: u8) {
        self.set_gain(f32::from(percent.min(100)) / 100.0);
    }

    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    pub fn is_muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// Applies gain/mute in place, saturating instead of wrapping.
    pub fn apply(&self, samples: &mut [i16]) {
        if self.is_muted() {
            samples.fill(0);
            return;
        }
        let g = self.gain();
        if (g - 1.0).abs() < f32::EPSILON {
            return;
        }
        for s in samples {
            *s = (f32::from(*s) * g).round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}

pub struct VolumeSource<S> {
    inner: S,
    control: GainControl,
}

impl<S: AudioSource> VolumeSource<S> {
    pub fn new(inner: S, control: GainControl) -> Self {
        Self { inner, control }
    }
}

impl<S: AudioSource> AudioSource for VolumeSource<S> {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        let more = self.inner.read_frame(out)?;
        self.control.apply(out);
        Ok(more)
    }
}

pub struct VolumeSink<S> {
    inner: S,
    control: GainControl,
    scratch: Vec<i16>,
}

impl<S: AudioSink> VolumeSink<S> {
    pub fn new(inner: S, control: GainControl) -> Self {
        Self {
            inner,
            control,
            scratch: Vec::new(),
        }
    }
}

impl<S: AudioSink> AudioSink for VolumeSink<S> {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(frame);
        self.control.apply(&mut self.scratch);
        self.inner.write_frame(&self.scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaptureSink, ToneSource};

    #[test]
    fn mute_zeroes_and_gain_saturates() {
        let c = GainControl::default();
        let mut src = VolumeSource::new(ToneSource::new(1000.0, 1.0), c.clone());
        let mut buf = vec![0i16; 960];
        c.set_muted(true);
        src.read_frame(&mut buf).unwrap();
        assert!(buf.iter().all(|&s| s == 0));
        c.set_muted(false);
        c.set_gain(4.0);
        src.read_frame(&mut buf).unwrap();
        assert_eq!(buf.iter().copied().max(), Some(i16::MAX));
        assert_eq!(buf.iter().copied().min(), Some(i16::MIN));
    }

    #[test]
    fn volume_percent_scales_sink() {
        let c = GainControl::default();
        let (cap, h) = CaptureSink::new();
        let mut sink = VolumeSink::new(cap, c.clone());
        c.set_volume_percent(50);
        sink.write_frame(&[1000, -1000, 3]).unwrap();
        assert_eq!(h.samples(), vec![500, -500, 2]);
        c.set_gain(f32::NAN);
        assert_eq!(c.gain(), 1.0);
    }
}
