//! What the agent reports to its user (CLI, app).

use koppla_media::Negotiated;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Local call number (1, 2, ...), as used by the CLI.
pub type CallId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    Calling,
    Ringing,
    Early,
    Established,
    Held,
    RemoteHeld,
    Ended,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calling => "calling",
            Self::Ringing => "ringing",
            Self::Early => "early",
            Self::Established => "established",
            Self::Held => "held",
            Self::RemoteHeld => "remote_held",
            Self::Ended => "ended",
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The end reason of an incoming call whose ringing stopped because another device or a
/// colleague answered it (the CANCEL carried RFC 3326 `Reason: SIP;cause=200`): not missed.
pub const ANSWERED_ELSEWHERE: &str = "answered_elsewhere";

/// The end reason of an answered call whose path died: no RTP or RTCP arrived for the media
/// timeout while not on hold, or its RFC 4028 session expired without a refresh or the refresh
/// failed (decision 0407). Apps show it as "connection lost", not as a normal hang-up.
pub const CONNECTION_LOST: &str = "connection_lost";

/// The smallest session interval (RFC 4028 `Min-SE`) we accept; an offer below it gets 422.
/// RFC 4028 4 sets 90 s as the floor every implementation must accept.
pub const MIN_SESSION_EXPIRES: u32 = 90;

#[derive(Debug, Clone)]
pub enum UaEvent {
    Registered {
        expires: u32,
    },
    RegistrationFailed {
        reason: String,
    },
    Unregistered,
    Incoming {
        call: CallId,
        from: String,
        /// The caller's display name as their From header gave it.
        name: Option<String>,
        /// Who the call came through, from RFC 5806 `Diversion` (a switch's queue, or a
        /// colleague's forwarding): the display name, else the number.
        via: Option<String>,
        /// The INVITE asks to be answered without the user (RFC 5373 `Answer-Mode: Auto`,
        /// as the switch sends for a parked call the user picked up). The runtime honours it
        /// only while the user expects such a call ([`crate::Command::ExpectAutoAnswer`]).
        auto_answer: bool,
        /// A call coming back to the user (RFC 7462 `Alert-Info: <urn:alert:service:recall…>`,
        /// as the switch sends when a transfer was not answered): rings differently.
        recall: bool,
    },
    CallState {
        call: CallId,
        state: CallState,
        reason: Option<String>,
    },
    Dtmf {
        call: CallId,
        digit: char,
    },
    Transferred {
        call: CallId,
    },
    /// A transfer of `call` was refused or failed (`status`: the SIP code; none when nobody
    /// answered the REFER). The call stays as it was.
    TransferFailed {
        call: CallId,
        status: Option<u16>,
    },
    /// The peer of `call` REFERred us to `target`; the runtime places the new call with
    /// `UserAgent::call_referred` (it owns RTP socket allocation).
    TransferRequested {
        call: CallId,
        target: String,
        replaces: Option<String>,
    },
    /// Start or update media for a call (answer received/sent, hold, resume).
    Media {
        call: CallId,
        local_rtp: SocketAddr,
        negotiated: Box<Negotiated>,
    },
    /// Stop the call's media session.
    MediaStop {
        call: CallId,
    },
    /// A call recording began writing to `path`.
    RecordingStarted {
        call: CallId,
        path: PathBuf,
    },
    /// A call recording ended (asked for, replaced, or the call ended); `path` is complete.
    RecordingStopped {
        call: CallId,
        path: PathBuf,
    },
    /// A recording could not start or could not be written; the call goes on unrecorded.
    RecordingFailed {
        call: CallId,
        reason: String,
    },
    /// Message-waiting indication (RFC 3842) changed: whether messages wait, how many voice
    /// messages are new and old, and the mailbox's account URI when the server named one.
    /// Sent for the first summary and for every change after it, not for repeats.
    MessageWaiting {
        waiting: bool,
        new: u32,
        old: u32,
        account: Option<String>,
    },
    Error {
        message: String,
    },
}
