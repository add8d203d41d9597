//! koppla-audio: the audio frame contract shared by the media engine and the UA, plus
//! backends (WAV files, null, tone, in-memory, real devices via cpal), a resampler and
//! a level meter.
//!
//! Frame contract: mono, `i16`, 48 000 Hz, 20 ms frames of [`FRAME_SAMPLES`] samples.

pub mod bridge;
mod error;
pub mod level;
pub mod memory;
pub mod null;
pub mod player;
pub mod resample;
pub mod tone;
pub mod volume;
pub mod wav;

#[cfg(feature = "devices")]
pub mod devices;
pub mod hotplug;

pub use bridge::{BridgeSink, BridgeSource, CallBridge};
pub use error::AudioError;
pub use level::{Level, LevelMeter};
pub use memory::{BufferSource, CaptureHandle, CaptureSink};
pub use null::{NullSink, NullSource};
pub use player::{PlaybackState, Player};
pub use resample::Resampler;
pub use tone::ToneSource;
pub use volume::{GainControl, VolumeSink, VolumeSource};
pub use wav::{EndBehavior, WavSink, WavSource};

/// Internal sample rate of every frame crossing a crate boundary.
pub const SAMPLE_RATE: u32 = 48_000;
/// Frame length in milliseconds.
pub const FRAME_MS: u32 = 20;
/// Samples per frame (20 ms at 48 kHz).
pub const FRAME_SAMPLES: usize = 960;

/// Produces audio frames (microphone, file, generator).
pub trait AudioSource: Send {
    /// Fills `out` (normally [`FRAME_SAMPLES`] long) with the next frame.
    /// Returns `Ok(false)` at end of input; `out` is then filled with silence.
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError>;
}

/// Consumes audio frames (speaker, file, capture buffer).
pub trait AudioSink: Send {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError>;
}

impl<T: AudioSource + ?Sized> AudioSource for Box<T> {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        (**self).read_frame(out)
    }
}

impl<T: AudioSink + ?Sized> AudioSink for Box<T> {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        (**self).write_frame(frame)
    }
}
