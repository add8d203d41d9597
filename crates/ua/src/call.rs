//! Per-call state: the INVITE transaction, dialog, SDP offer/answer state and hold flags.

use crate::events::{CallId, CallState};
use koppla_media::{Direction, MediaOffer, Negotiated};
use koppla_sip::{Dialog, Request, TransactionKey};
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Outgoing,
    Incoming,
}

/// What a pending re-INVITE is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReInvite {
    Hold,
    Resume,
    /// An RFC 4028 session refresh: the same media, offered again to prove the dialog lives.
    Refresh,
}

impl ReInvite {
    /// The word for error messages and `UaError::InvalidState`.
    pub fn action(self) -> &'static str {
        match self {
            ReInvite::Hold => "hold",
            ReInvite::Resume => "resume",
            ReInvite::Refresh => "refresh the session",
        }
    }
}

/// Transfer bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// We sent REFER on this call and wait for NOTIFY 2xx.
    Referring,
    /// This call was placed because `from` was REFERred to us; report progress by NOTIFY there.
    ReferredBy { original: CallId },
}

#[derive(Debug)]
pub struct Call {
    pub id: CallId,
    pub side: Side,
    pub state: CallState,
    /// Our INVITE (outgoing) or theirs (incoming), kept for CANCEL, auth retry and answering.
    pub invite: Request,
    pub invite_key: TransactionKey,
    pub invite_cseq: u32,
    pub dialog: Option<Dialog>,
    pub local_tag: String,
    pub remote_uri: String,
    pub local_rtp: SocketAddr,
    pub offer: Option<MediaOffer>,
    /// Our offer went in a 2xx (the INVITE had no SDP): the answer comes in the ACK.
    pub answer_in_ack: bool,
    pub negotiated: Option<Negotiated>,
    /// SDP offer received in the INVITE (incoming); None means offer goes in our 200.
    pub remote_offer: Option<String>,
    pub local_hold: bool,
    pub remote_hold: bool,
    pub pending_reinvite: Option<(TransactionKey, ReInvite)>,
    pub auth_tried: bool,
    pub cancel_requested: bool,
    /// Bytes of our last ACK for a 2xx, re-sent when the 2xx is retransmitted.
    pub ack: Option<(Vec<u8>, SocketAddr)>,
    pub transfer: Option<Transfer>,
    /// Call to hang up once this one is answered (incoming INVITE with Replaces).
    pub replaces: Option<CallId>,
    /// Referred-By of a REFER received on this call, repeated in the INVITE that carries the
    /// transfer out (RFC 3892): a switch learns from it who transferred the call.
    pub referred_by: Option<String>,
    /// Watches for the peer's RTP going silent (decision 0407).
    pub media_watch: crate::agent::MediaWatch,
    /// The RFC 4028 session timer, when one was negotiated.
    pub session_timer: Option<crate::agent::SessionTimer>,
}

impl Call {
    /// The visible state derived from hold flags for an answered call.
    pub fn answered_state(&self) -> CallState {
        if self.local_hold {
            CallState::Held
        } else if self.remote_hold {
            CallState::RemoteHeld
        } else {
            CallState::Established
        }
    }

    /// Direction we offer/answer with given our own hold wish.
    pub fn wanted_direction(&self) -> Direction {
        if self.local_hold {
            Direction::SendOnly
        } else {
            Direction::SendRecv
        }
    }

    pub fn is_answered(&self) -> bool {
        matches!(
            self.state,
            CallState::Established | CallState::Held | CallState::RemoteHeld
        )
    }
}

/// Reason text for a final failure response to an INVITE (contract values first).
pub fn end_reason(code: u16) -> String {
    match code {
        486 | 600 => "busy".into(),
        603 => "declined".into(),
        404 | 604 => "not_found".into(),
        480 => "unavailable".into(),
        487 => "cancelled".into(),
        408 => "timeout".into(),
        401 | 407 => "auth_failed".into(),
        488 | 606 => "incompatible_media".into(),
        c => format!("failed_{c}"),
    }
}
