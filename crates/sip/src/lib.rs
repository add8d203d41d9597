//! koppla-sip: a sans-IO SIP core over the `rsip` message crate.
//!
//! * [`message`]: parse/serialize and header helpers.
//! * [`auth`]: HTTP digest (RFC 8760 / RFC 7616) client responses and server-side challenge/verify.
//! * [`transaction`]: the RFC 3261 section 17 transaction layer, driven by `now: Instant`.
//! * [`request_check`]: the RFC 3261 8.2 checks (400/416/420/483/513) shared by switch and UA.
//! * [`reason`]: the RFC 3326 `Reason` header ("call completed elsewhere").
//! * [`framing`]: Content-Length framing for stream transports.
//! * [`stream_watch`]: partial-message, first-message and idle limits of stream connections.
//! * [`dialog`]: dialog state and in-dialog request building.
//! * [`transport`]: a tokio driver that owns UDP/TCP/TLS sockets and feeds the layer.

pub mod message;

pub use message::{parse, serialize, ParseError};
pub use rsip;
pub use rsip::{Method, Request, Response, SipMessage};
pub mod auth;
pub mod dialog;
pub use dialog::Dialog;
pub mod framing;
pub mod fuzzing;
pub mod reason;
pub mod request_check;
pub mod stream_watch;
pub mod transaction;

pub use transaction::{
    TransactionError, TransactionEvent, TransactionKey, TransactionLayer, Transmit, Transport,
};
pub mod transport;
pub use transport::{
    FlowEvent, Incoming, SipTransport, TlsConfig, TransportConfig, TransportError,
};
