//! koppla-ua: the softphone's SIP user agent.
//!
//! [`UserAgent`] is sans-IO: it owns a [`koppla_sip::TransactionLayer`], the registration and
//! the calls, takes commands and network input with `now`, and yields transmits and
//! [`UaEvent`]s. [`runtime`] drives it with a [`koppla_sip::SipTransport`] and media sessions.

pub mod agent;
pub mod call;
pub mod config;
pub mod events;
pub mod fuzzing;
pub mod keepalive;
pub mod locate;
pub mod mwi;
pub mod registration;

pub use agent::{UaError, UserAgent};
pub use config::{Account, ConfigError, Secret, SipUri, UaConfig};
pub use events::{CallId, CallState, UaEvent};
pub mod runtime;
