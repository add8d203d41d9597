//! Voice processing stage (echo cancellation, AGC, noise suppression) between the
//! microphone and the encoder.
//!
//! [`PassThrough`] (default) leaves audio untouched. With the `aec` cargo feature,
//! [`WebrtcProcessor`] runs the WebRTC audio processing module (echo cancellation, AGC,
//! noise suppression); see docs/decisions/0405-voice-processing.md.

#[cfg(feature = "aec")]
mod aec;
#[cfg(feature = "aec")]
pub use aec::{ProcessingError, ProcessingSettings, WebrtcProcessor};

/// Processes 20 ms, 48 kHz mono frames. `render` is what the speaker plays (the echo
/// reference); `capture` is the microphone frame, processed in place.
pub trait VoiceProcessor: Send {
    fn process_render(&mut self, render: &[i16]);
    fn process_capture(&mut self, capture: &mut [i16]);
}

/// Leaves audio untouched.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough;

impl VoiceProcessor for PassThrough {
    fn process_render(&mut self, _render: &[i16]) {}
    fn process_capture(&mut self, _capture: &mut [i16]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_through_is_identity() {
        let mut p = PassThrough;
        let mut f: Vec<i16> = (0..960).map(|i| i as i16).collect();
        let orig = f.clone();
        p.process_render(&orig);
        p.process_capture(&mut f);
        assert_eq!(f, orig);
    }
}
