use std::path::PathBuf;

/// Errors from audio sources, sinks and devices.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot open WAV file {path}: {source}")]
    WavOpen {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("WAV file {path} is unusable: {reason}")]
    WavFormat { path: PathBuf, reason: String },
    #[error("WAV I/O failed: {0}")]
    Wav(#[from] hound::Error),
    #[error("unsupported sample rate {0} Hz")]
    UnsupportedRate(u32),
    #[error("audio device not found: {0}")]
    DeviceNotFound(String),
    #[error("audio device error: {0}")]
    Device(String),
    #[error("audio stream stopped: {0}")]
    StreamClosed(String),
}
