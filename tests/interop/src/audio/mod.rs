//! Audio for the interop tests: known test signals, WAV I/O, and the analysis that proves a signal
//! went through a call (normalised cross-correlation, delay, burst detection for latency).

pub mod analysis;
pub mod signal;
pub mod wav;

pub use analysis::{
    detect_burst, find_best_match, verify_transmission, Match, TransmissionReport, WindowMatch,
};
pub use signal::{burst_track, sweep};
pub use wav::{read_wav, resample_linear, write_wav, Wav};
