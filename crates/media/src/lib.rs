//! koppla-media: the call media engine.
//!
//! - [`sdp`]: SDP model and offer/answer (codecs, DTMF, hold directions, SDES keys).
//! - [`codec`]: PCMA/PCMU/G.722/Opus behind [`codec::Codec`], all at 48 kHz frames.
//! - [`rtp`]: RTP/RTCP packets, SRTP, RFC 4733 DTMF, statistics.
//! - [`jitter`]: adaptive jitter buffer with loss concealment (sans-IO).
//! - [`session`]: [`MediaSession`], the tokio driver tying it all to a UDP socket.

pub mod codec;
pub mod sdp;

pub use codec::CodecKind;
pub use sdp::{answer, CodecPrefs, Direction, MediaOffer, Negotiated, SdpError, SrtpPolicy};
pub mod jitter;
pub mod processing;
pub mod rtp;
pub mod session;

pub use session::{MediaError, MediaEvent, MediaSession, MediaStats};
