//! Voice processing whose stages the user switches while a call runs.
//!
//! The settings side holds a [`StageSwitch`] and stores the wanted stages in one atomic
//! byte; the audio side's [`LiveProcessor`] reads it before each frame and reconfigures
//! itself between frames. Nothing on the audio path waits for a lock or allocates: the
//! WebRTC module is built when the processor is, even with every stage off, so switching a
//! stage on later is only a configuration call.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use super::{ProcessingSettings, VoiceProcessor};

const ECHO: u8 = 1;
const GAIN: u8 = 2;
const NOISE: u8 = 4;

fn to_bits(s: ProcessingSettings) -> u8 {
    (if s.echo_cancellation { ECHO } else { 0 })
        | (if s.gain_control { GAIN } else { 0 })
        | (if s.noise_suppression { NOISE } else { 0 })
}

fn from_bits(bits: u8) -> ProcessingSettings {
    ProcessingSettings {
        echo_cancellation: bits & ECHO != 0,
        gain_control: bits & GAIN != 0,
        noise_suppression: bits & NOISE != 0,
    }
}

/// The stages wanted now. Cloning gives another handle to the same choice.
#[derive(Debug, Clone)]
pub struct StageSwitch(Arc<AtomicU8>);

impl StageSwitch {
    pub fn new(settings: ProcessingSettings) -> Self {
        StageSwitch(Arc::new(AtomicU8::new(to_bits(settings))))
    }

    /// Every processor made from this switch follows before its next frame.
    pub fn set(&self, settings: ProcessingSettings) {
        self.0.store(to_bits(settings), Ordering::Relaxed);
    }

    pub fn get(&self) -> ProcessingSettings {
        from_bits(self.0.load(Ordering::Relaxed))
    }

    /// A processor that follows this switch.
    pub fn processor(&self) -> LiveProcessor {
        LiveProcessor::new(self.clone())
    }
}

impl Default for StageSwitch {
    fn default() -> Self {
        StageSwitch::new(ProcessingSettings::default())
    }
}

/// Runs the stages its [`StageSwitch`] says; with none, audio passes through untouched.
pub struct LiveProcessor {
    switch: StageSwitch,
    /// The stages the module is configured for.
    applied: ProcessingSettings,
    #[cfg(feature = "aec")]
    module: Option<super::WebrtcProcessor>,
}

impl LiveProcessor {
    fn new(switch: StageSwitch) -> Self {
        let applied = switch.get();
        LiveProcessor {
            #[cfg(feature = "aec")]
            module: build_module(applied),
            switch,
            applied,
        }
    }

    /// The stages this processor runs now (after the last frame).
    pub fn stages(&self) -> ProcessingSettings {
        self.applied
    }

    /// Whether the processor runs a stage on the frames (a build without the WebRTC module,
    /// or one whose module failed to start, passes everything through).
    fn active(&self) -> bool {
        #[cfg(feature = "aec")]
        {
            self.applied.any() && self.module.is_some()
        }
        #[cfg(not(feature = "aec"))]
        {
            false
        }
    }

    fn follow_switch(&mut self) {
        let wanted = self.switch.get();
        if wanted == self.applied {
            return;
        }
        #[cfg(feature = "aec")]
        if let Some(module) = self.module.as_mut() {
            module.set_stages(wanted);
        }
        tracing::debug!(?wanted, "voice processing stages switched");
        self.applied = wanted;
    }
}

/// A module that fails to start must not stop a call: it then passes audio through.
#[cfg(feature = "aec")]
fn build_module(settings: ProcessingSettings) -> Option<super::WebrtcProcessor> {
    match super::WebrtcProcessor::new(settings) {
        Ok(module) => Some(module),
        Err(e) => {
            tracing::warn!(error = %e, "voice processing unavailable; audio passes through");
            None
        }
    }
}

impl VoiceProcessor for LiveProcessor {
    fn process_render(&mut self, render: &[i16]) {
        self.follow_switch();
        if !self.active() {
            return;
        }
        #[cfg(feature = "aec")]
        if let Some(module) = self.module.as_mut() {
            module.process_render(render);
        }
        #[cfg(not(feature = "aec"))]
        let _ = render;
    }

    fn process_capture(&mut self, capture: &mut [i16]) {
        self.follow_switch();
        if !self.active() {
            return;
        }
        #[cfg(feature = "aec")]
        if let Some(module) = self.module.as_mut() {
            module.process_capture(capture);
        }
        #[cfg(not(feature = "aec"))]
        let _ = capture;
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
