//! Per-call audio endpoints and voice processing, supplied by whoever embeds the runtime.

use crate::events::CallId;
use koppla_audio::{AudioSink, AudioSource, NullSink, NullSource};
use koppla_media::processing::{processor_for, PassThrough, ProcessingSettings, VoiceProcessor};

/// Supplies audio endpoints per call (files for the CLI, devices for the app).
pub trait AudioFactory: Send {
    fn source(&mut self, call: CallId) -> Box<dyn AudioSource>;
    fn sink(&mut self, call: CallId) -> Box<dyn AudioSink>;

    /// The voice processing stage between this call's microphone and encoder. The default
    /// runs every stage, because real devices have an acoustic echo path; factories of file
    /// or generated audio return [`PassThrough`] (or what their user configured).
    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        processor_for(ProcessingSettings::default())
    }
}

/// Silence in, nothing out.
#[derive(Debug, Default)]
pub struct NullAudio;

impl AudioFactory for NullAudio {
    fn source(&mut self, _call: CallId) -> Box<dyn AudioSource> {
        Box::new(NullSource)
    }
    fn sink(&mut self, _call: CallId) -> Box<dyn AudioSink> {
        Box::new(NullSink::default())
    }
    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        Box::new(PassThrough)
    }
}

/// Wraps a factory and builds each call's processor from fixed settings (a user's
/// "echo cancellation / noise suppression / automatic gain" choices).
#[derive(Debug)]
pub struct WithProcessing<F> {
    inner: F,
    settings: ProcessingSettings,
}

impl<F: AudioFactory> WithProcessing<F> {
    pub fn new(inner: F, settings: ProcessingSettings) -> Self {
        Self { inner, settings }
    }
}

impl<F: AudioFactory> AudioFactory for WithProcessing<F> {
    fn source(&mut self, call: CallId) -> Box<dyn AudioSource> {
        self.inner.source(call)
    }
    fn sink(&mut self, call: CallId) -> Box<dyn AudioSink> {
        self.inner.sink(call)
    }
    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        processor_for(self.settings)
    }
}
