//! The SIP side: a sans-IO core ([`SipCore`]) fed datagrams and `now`, and a thin tokio driver.

mod auth_throttle;
mod core;
mod dead_media;
pub mod directory;
pub mod driver;
pub mod flow;
mod in_dialog;
mod local;
mod location_store;
mod on_call;
mod park;
mod pickup;
pub mod pidf;
pub mod presence;
mod proxy;
pub mod queue;
mod queue_legs;
mod queue_transfer;
mod register;
pub mod registrar;
mod responses;
pub mod sdp;
pub mod stream;
mod transfer;
pub mod util;
pub mod voicemail;
pub mod voicemail_menu;

pub use self::core::{CoreConfig, CoreEvent, MediaControl, Outgoing, SipCore};
pub use self::park::{ParkError, ParkPolicy};
pub use self::pickup::PickupError;
pub use self::queue::{QueueDef, QueueError};
pub use self::transfer::TransferPolicy;
pub use self::voicemail::{CallPolicy, UserCallSettings, VoicemailReason};
#[cfg(test)]
mod tests;
