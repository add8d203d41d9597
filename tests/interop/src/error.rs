//! One error type for the whole harness, so a failing test says exactly which peer or step broke.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("required peer binary `{name}` not found on PATH ({hint}); install it, CI does")]
    MissingBinary { name: String, hint: String },
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("I/O error while {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no free 127.0.0.1 port block of {0} ports found")]
    NoFreePorts(u16),
    #[error("timed out after {waited:?} waiting for {what}; seen so far: {seen}")]
    Timeout {
        what: String,
        waited: Duration,
        seen: String,
    },
    #[error("process `{name}` exited early ({status}); logs in {logs}:\n{tail}")]
    ExitedEarly {
        name: String,
        status: String,
        logs: PathBuf,
        tail: String,
    },
    #[error("protocol error from {peer}: {detail}")]
    Protocol { peer: String, detail: String },
    #[error("command `{command}` rejected by {peer}: {detail}")]
    CommandFailed {
        peer: String,
        command: String,
        detail: String,
    },
    #[error("WAV file {path}: {source}")]
    Wav {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("audio analysis: {0}")]
    Audio(String),
    #[error("build of {package} failed: {detail}")]
    Build { package: String, detail: String },
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
