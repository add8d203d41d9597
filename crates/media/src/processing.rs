//! Voice processing stage (echo cancellation, AGC, noise suppression) between the
//! microphone and the encoder.
//!
//! [`PassThrough`] leaves audio untouched. With the `aec` cargo feature,
//! [`WebrtcProcessor`] runs the WebRTC audio processing module; [`processor_for`] picks
//! whichever the build and the settings allow; [`LiveProcessor`] follows a [`StageSwitch`]
//! the user flips during a call. See docs/decisions/0405-voice-processing.md.

#[cfg(feature = "aec")]
mod aec;
mod live;
#[cfg(feature = "aec")]
pub use aec::{ProcessingError, WebrtcProcessor};
pub use live::{LiveProcessor, StageSwitch};

use std::str::FromStr;

/// Whether this build carries the WebRTC processor (cargo feature `aec`).
pub const WEBRTC_AVAILABLE: bool = cfg!(feature = "aec");

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

/// Which stages to run. All on by default: that is what a headset or speakerphone needs;
/// file audio (CLI, tests) turns them off with [`ProcessingSettings::off`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingSettings {
    pub echo_cancellation: bool,
    pub gain_control: bool,
    pub noise_suppression: bool,
}

impl Default for ProcessingSettings {
    fn default() -> Self {
        Self {
            echo_cancellation: true,
            gain_control: true,
            noise_suppression: true,
        }
    }
}

impl ProcessingSettings {
    pub const fn off() -> Self {
        Self {
            echo_cancellation: false,
            gain_control: false,
            noise_suppression: false,
        }
    }

    pub fn any(&self) -> bool {
        self.echo_cancellation || self.gain_control || self.noise_suppression
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a voice processing stage (use off, all, or a list of aec, agc, ns)")]
pub struct BadStage(pub String);

/// `off`, `all`, or a comma list of `aec`, `agc`, `ns` (the CLI flag's syntax).
impl FromStr for ProcessingSettings {
    type Err = BadStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") {
            return Ok(Self::off());
        }
        if s.eq_ignore_ascii_case("all") || s.eq_ignore_ascii_case("on") {
            return Ok(Self::default());
        }
        let mut out = Self::off();
        for part in s.split(',').map(str::trim) {
            match part.to_ascii_lowercase().as_str() {
                "aec" | "echo" => out.echo_cancellation = true,
                "agc" | "gain" => out.gain_control = true,
                "ns" | "noise" => out.noise_suppression = true,
                _ => return Err(BadStage(part.to_string())),
            }
        }
        Ok(out)
    }
}

/// A processor for one call: the WebRTC module when the build has it and any stage is
/// wanted, otherwise [`PassThrough`]. A module that fails to initialise must not stop the
/// call, so that case also falls back to pass-through (with a warning).
pub fn processor_for(settings: ProcessingSettings) -> Box<dyn VoiceProcessor> {
    if !settings.any() {
        return Box::new(PassThrough);
    }
    #[cfg(feature = "aec")]
    {
        match WebrtcProcessor::new(settings) {
            Ok(p) => Box::new(p),
            Err(e) => {
                tracing::warn!(error = %e, "voice processing unavailable; audio passes through");
                Box::new(PassThrough)
            }
        }
    }
    #[cfg(not(feature = "aec"))]
    {
        tracing::debug!("built without the aec feature; audio passes through unprocessed");
        Box::new(PassThrough)
    }
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

    #[test]
    fn settings_parse_from_flag_syntax() {
        assert_eq!("off".parse(), Ok(ProcessingSettings::off()));
        assert_eq!("all".parse(), Ok(ProcessingSettings::default()));
        assert_eq!(
            "aec, NS".parse(),
            Ok(ProcessingSettings {
                echo_cancellation: true,
                gain_control: false,
                noise_suppression: true,
            })
        );
        assert_eq!(
            "aec,loud".parse::<ProcessingSettings>(),
            Err(BadStage("loud".into()))
        );
        assert!(!ProcessingSettings::off().any());
    }

    #[test]
    fn nothing_wanted_means_untouched_audio() {
        let mut p = processor_for(ProcessingSettings::off());
        let mut f: Vec<i16> = (0..960).map(|i| (i * 7) as i16).collect();
        let orig = f.clone();
        p.process_render(&orig);
        p.process_capture(&mut f);
        assert_eq!(f, orig);
    }
}
