use crate::codec::CodecKind;

/// What a running session reports to the UA.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A DTMF digit received (RFC 4733), once per key press.
    Dtmf(char),
    /// Periodic statistics (every RTCP interval, 5 s).
    Stats(MediaStats),
    /// The audio source reported end of input (e.g. `--play` file finished); the session
    /// keeps sending silence.
    SourceEnded,
    /// Valid RTP or RTCP from the peer arrived at this instant. Reported at most once a
    /// second while packets keep coming, so its absence means the path went silent.
    Heard(std::time::Instant),
    /// The peer sent RTCP BYE.
    RemoteBye,
    /// The recording could not be written or finalised; it has stopped, the call goes on.
    RecordingFailed(String),
    /// A non-fatal problem (device or socket error).
    Warning(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaStats {
    pub codec: Option<CodecKind>,
    pub srtp: bool,
    pub packets_sent: u64,
    pub packets_received: u64,
    /// Expected minus received (RFC 3550), may be negative with duplicates.
    pub packets_lost: i64,
    pub jitter_ms: f64,
    pub jitter_buffer_ms: u32,
    pub concealed_frames: u64,
    /// Loss fraction the peer reported for our stream (0.0..=1.0).
    pub remote_fraction_lost: f64,
    pub rtt_ms: Option<f64>,
    pub decode_errors: u64,
    pub srtp_failures: u64,
}
